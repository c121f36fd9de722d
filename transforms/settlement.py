"""The ledger and weekly settlement (结算): rulebook "The ledger and weekly settlement".

Settlement is per ISO week (Monday to Sunday) of an entry's `entry_date`: a statement per
beneficiary with its entries and total. A settled week is closed. When a cutoff whose entries lie
in a closed week is run again, the entries it computes now are compared with those already posted
for it in closed weeks, and the difference is posted as `adjustment` entries dated on the Monday of
the first open week on or after the cutoff's week (docs/commissions.md).

Pure: frames in, frames out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import polars as pl

from transforms.commissions import LEDGER_COLUMNS, LEDGER_SCHEMA, ROLES, SEP, entry_kind, total_by_beneficiary
from transforms.windows import CutoffWindow, iso_week_bounds, iso_week_of

POSTING_KEY = ["_kind", "role", "beneficiary_id", "order_id", "line_no", "_refund"]
STATEMENT_COLUMNS = ["entry_id", "entry_type", "adjusted_type", "calendar", "cutoff_date", "entry_date",
                     "order_id", "line_no", "refund_id", "base_fen", "rate_bp", "amount_fen"]
MAX_WEEKS_AHEAD = 10_000  # a guard: there is always an open week within any real ledger's horizon


def first_open_week(week: str, closed_weeks: Iterable[str]) -> str:
    """The first ISO week on or after `week` that is not settled."""
    closed = set(closed_weeks)
    monday, _ = iso_week_bounds(week)
    for step in range(MAX_WEEKS_AHEAD):
        candidate = iso_week_of(monday + timedelta(weeks=step))
        if candidate not in closed:
            return candidate
    raise ValueError(f"no open week within {MAX_WEEKS_AHEAD} weeks after {week}")


def _by_posting_key(entries: pl.DataFrame, amount: str) -> pl.DataFrame:
    """Entries summed per what they are worth to: (type, role, beneficiary, line, refund)."""
    return (entries.with_columns(entry_kind().alias("_kind"), pl.col("refund_id").fill_null("").alias("_refund"))
            .sort("entry_date", pl.col("entry_type") == "adjustment")
            .group_by(POSTING_KEY, maintain_order=True)
            .agg(pl.col("amount_fen").sum().alias(amount), pl.col("base_fen").last(), pl.col("rate_bp").last()))


def adjust_closed_entries(computed: pl.DataFrame, posted: pl.DataFrame, closed_weeks: Iterable[str],
                          window: CutoffWindow) -> pl.DataFrame:
    """The rows a cutoff posts now, given what it posted before.

    computed: the cutoff's entries as computed by this run (accruals and clawbacks, LEDGER_COLUMNS).
    posted: the ledger rows of the cutoff from earlier runs. Those in open weeks are replaced; those
      in closed weeks stand.
    An open cutoff week with nothing closed: `computed` itself. Otherwise the difference between
    `computed` and the closed rows, per (type, role, beneficiary, line, refund), as adjustments
    dated in the first open week. A rerun on the same inputs posts the same rows; once those are
    closed too, a rerun on the same inputs posts nothing.
    """
    closed = set(closed_weeks)
    cutoff_week = iso_week_of(window.cutoff_date)
    frozen = posted.filter(pl.col("settlement_week").is_in(sorted(closed)))
    if cutoff_week not in closed and frozen.height == 0:
        return computed  # the common case: the cutoff's rows are what it computes
    week = first_open_week(cutoff_week, closed)
    dated = window.cutoff_date if week == cutoff_week else iso_week_bounds(week)[0]
    now = _by_posting_key(computed, "target_fen")
    before = _by_posting_key(frozen, "closed_fen")
    difference = (
        now.join(before, on=POSTING_KEY, how="full", coalesce=True, suffix="_closed")
        .with_columns((pl.col("target_fen").fill_null(0) - pl.col("closed_fen").fill_null(0)).alias("amount_fen"),
                      pl.coalesce("base_fen", "base_fen_closed").alias("base_fen"),
                      pl.coalesce("rate_bp", "rate_bp_closed").alias("rate_bp"))
        .filter(pl.col("amount_fen") != 0)
    )
    entry_id = pl.concat_str(
        [pl.lit("adjustment"), pl.lit(window.calendar), pl.lit(window.cutoff_date.isoformat()), pl.lit(week),
         pl.col("_kind"), pl.col("order_id"), pl.col("line_no").cast(pl.String), pl.col("_refund"),
         pl.col("role"), pl.col("beneficiary_id")], separator=SEP)
    return (
        difference.with_columns(
            entry_id.alias("entry_id"),
            pl.lit(window.calendar).alias("calendar"), pl.lit(window.cutoff_date).alias("cutoff_date"),
            pl.lit(dated).alias("entry_date"), pl.lit(week).alias("settlement_week"),
            pl.lit("adjustment").alias("entry_type"), pl.col("_kind").alias("adjusted_type"),
            pl.when(pl.col("_refund") == "").then(None).otherwise(pl.col("_refund")).alias("refund_id"))
        .select(LEDGER_COLUMNS).cast(LEDGER_SCHEMA)
        .sort("order_id", "line_no", "adjusted_type", "refund_id", "role", "beneficiary_id", nulls_last=False)
    )


def build_statements(entries: pl.DataFrame, week: str, names: pl.DataFrame | None = None) -> pl.DataFrame:
    """The statements of a week: one per beneficiary with entries dated in it.
    role, beneficiary_id, name, entries, amount_fen, statement_file (relative to the reports dir)."""
    in_week = entries.filter(pl.col("settlement_week") == week)
    return total_by_beneficiary(in_week, names).with_columns(
        pl.format("settlements/{}/{}-{}.csv", pl.lit(week), pl.col("role"), pl.col("beneficiary_id"))
        .alias("statement_file"))


def statement_lines(entries: pl.DataFrame, role: str, beneficiary_id: str) -> pl.DataFrame:
    """The detail of one statement, in date order."""
    return (entries.filter((pl.col("role") == role) & (pl.col("beneficiary_id") == beneficiary_id))
            .sort("entry_date", "calendar", "cutoff_date", "entry_id").select(STATEMENT_COLUMNS))


def settlement_mismatches(statements: pl.DataFrame, entries: pl.DataFrame, week: str) -> list[str]:
    """Reconciliation of a settlement: its statements against the ledger's entries of the week, per
    role, in entries and fen. Empty when they agree."""
    in_week = entries.filter(pl.col("settlement_week") == week)
    problems = []
    for role in ROLES:
        stated = statements.filter(pl.col("role") == role)
        ledger = in_week.filter(pl.col("role") == role)
        stated_fen, ledger_fen = int(stated["amount_fen"].sum() or 0), int(ledger["amount_fen"].sum() or 0)
        stated_n, ledger_n = int(stated["entries"].sum() or 0), ledger.height
        if (stated_fen, stated_n) != (ledger_fen, ledger_n):
            problems.append(f"{week} {role}: statements {stated_n} entries {stated_fen} fen, "
                            f"ledger {ledger_n} entries {ledger_fen} fen")
    return problems
