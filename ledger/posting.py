"""Posting a cutoff's commissions to the ledger: its accruals; on the nightly calendar the
clawbacks of the refunds created in its window (a refund decided once, bad ones to `rejects`);
entries of a closed week stand, and a changed rerun posts the difference as adjustments in the
first open week. The rules are transforms/commissions.py and transforms/settlement.py; this module
reads what they need from the warehouse, writes what they return, and reconciles
(ledger/reconcile.py): a difference raises LedgerMismatch and the enclosing transaction is rolled
back. docs/commissions.md has the rules chosen where the rulebook is silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from inbox.master import Master
from ledger.reconcile import CUTOFF_ROWS, GOODS_IN_ROWS, reconcile_posting
from schemas.commission_ledger import CommissionLedger
from transforms.commissions import (
    REFUND_DECISION_SCHEMA,
    accrue_commissions,
    as_ledger,
    claw_back_refunds,
    commission_totals,
    empty_ledger,
    latest_allocations,
)
from transforms.rejects import no_refund_rejects, refund_rejects
from transforms.settlement import adjust_closed_entries
from transforms.windows import CutoffWindow
from warehouse.connection import Warehouse


@dataclass
class CommissionPosting:
    entries: pl.DataFrame          # the cutoff's ledger rows after posting (all weeks), LEDGER_COLUMNS
    totals: dict[str, int]         # leader, dist_l1, dist_l2 (accruals, >= 0); clawback (<= 0)
    refund_rejects: pl.DataFrame   # source_file, row_number, reason, raw (+ kind, created_at)
    posted: pl.DataFrame = field(default_factory=pl.DataFrame)            # rows inserted by this call
    refund_decisions: pl.DataFrame = field(default_factory=pl.DataFrame)  # this window's refunds
    adjustment_week: str | None = None  # the week adjustments were dated in, if any


def closed_weeks(warehouse: Warehouse) -> set[str]:
    return set(warehouse.frame("SELECT week FROM settled_weeks")["week"].to_list())


def _partition_rows(warehouse: Warehouse, window: CutoffWindow) -> pl.DataFrame:
    """The cutoff's own ledger rows (not its goods-in run's shortage clawbacks)."""
    return as_ledger(warehouse.frame(
        f"SELECT * FROM commission_ledger WHERE calendar = ? AND cutoff_date = ? AND {CUTOFF_ROWS} ORDER BY entry_id",
        [window.calendar, window.cutoff_date]))


@dataclass
class RefundContext:
    refunds: pl.DataFrame            # refund_requests rows created in the window
    known_lines: pl.DataFrame        # order_id, line_no
    line_nets: pl.DataFrame          # order_id, line_no, net_fen
    applied_elsewhere: pl.DataFrame  # refunds of these lines applied at other cutoffs
    other_entries: pl.DataFrame      # ledger rows of these lines posted by other cutoffs


def read_refund_context(warehouse: Warehouse, window: CutoffWindow, allocations: pl.DataFrame) -> RefundContext:
    """What deciding the window's refunds needs: their lines as ingested, allocated (this run's
    allocations stand for the stored partition of this cutoff; a line's shortage refund, from the
    goods-in run of the allocating cutoff, comes off its net_fen), and refunded or commissioned
    elsewhere (the shortage clawbacks of this cutoff count as posted before: they are another
    run's)."""
    refunds = warehouse.frame(
        "SELECT * FROM refund_requests WHERE created_at > ? AND created_at <= ? ORDER BY created_at, refund_id",
        [window.start, window.end])
    if refunds.height == 0:
        return RefundContext(refunds, refunds.select("order_id", "line_no"), pl.DataFrame(), pl.DataFrame(),
                             empty_ledger())
    this = [window.calendar, window.cutoff_date]
    lines = refunds.select("order_id", "line_no").unique()
    warehouse.con.register("_refund_lines", lines)
    try:
        known = warehouse.frame(
            "SELECT DISTINCT order_id, line_no FROM order_lines SEMI JOIN _refund_lines USING (order_id, line_no)")
        stored = warehouse.frame(
            """SELECT order_id, line_no, net_fen, calendar, cutoff_date FROM allocations
               SEMI JOIN _refund_lines USING (order_id, line_no)
               WHERE NOT (calendar = ? AND cutoff_date = ?)""", this)
        shorted = warehouse.frame(
            """SELECT order_id, line_no, calendar, cutoff_date, short_refund_fen FROM shortages
               SEMI JOIN _refund_lines USING (order_id, line_no)""")
        applied = warehouse.frame(
            """SELECT refund_id, order_id, line_no, amount_fen, created_at FROM refund_decisions
               SEMI JOIN _refund_lines USING (order_id, line_no)
               WHERE status = 'applied' AND NOT (calendar = ? AND cutoff_date = ?)""", this)
        others = warehouse.frame(
            f"""SELECT * FROM commission_ledger SEMI JOIN _refund_lines USING (order_id, line_no)
                WHERE NOT (calendar = ? AND cutoff_date = ?) OR {GOODS_IN_ROWS}""", this)
    finally:
        warehouse.con.unregister("_refund_lines")
    current = (allocations.join(lines, on=["order_id", "line_no"], how="semi")
               .select("order_id", "line_no", "net_fen", pl.lit(window.calendar).alias("calendar"),
                       pl.lit(window.cutoff_date).alias("cutoff_date")))
    rows = pl.concat([stored.cast(current.schema), current]) if stored.height else current
    rows = rows.join(shorted.cast({"line_no": pl.Int64}), on=["order_id", "line_no", "calendar", "cutoff_date"],
                     how="left").with_columns(pl.col("short_refund_fen").fill_null(0).cast(pl.Int64))
    return RefundContext(refunds, known, latest_allocations(rows), applied, as_ledger(others))


def _replace_refund_decisions(warehouse: Warehouse, window: CutoffWindow, decisions: pl.DataFrame,
                              refunds: pl.DataFrame, rejects: pl.DataFrame) -> None:
    """A refund is decided once: the window's earlier decisions (and the reject rows they wrote)
    give way to this run's."""
    this = [window.calendar, window.cutoff_date]
    ids = decisions["refund_id"].to_list()
    warehouse.execute(
        """DELETE FROM rejects r USING refund_decisions d
           WHERE r.kind = 'refunds' AND d.status = 'rejected' AND r.source_file = d.source_file
             AND r.row_number = d.source_row AND r.reason = d.reason
             AND ((d.calendar = ? AND d.cutoff_date = ?) OR d.refund_id IN (SELECT unnest(?::VARCHAR[])))""",
        [*this, ids])
    warehouse.execute(
        """DELETE FROM refund_decisions
           WHERE (calendar = ? AND cutoff_date = ?) OR refund_id IN (SELECT unnest(?::VARCHAR[]))""", [*this, ids])
    if decisions.height:
        warehouse.insert("refund_decisions", decisions.join(
            refunds.select("refund_id", "source_file", "source_row"), on="refund_id", how="left")
            .with_columns(pl.lit(window.calendar).alias("calendar"), pl.lit(window.cutoff_date).alias("cutoff_date")))
    warehouse.insert("rejects", rejects)


def accruals_of(window: CutoffWindow, allocations: pl.DataFrame, master: Master) -> pl.DataFrame:
    """A cutoff's commission accruals (no warehouse needed: computed while its tables are stored)."""
    return accrue_commissions(allocations, master.listings, master.pickup_points, master.categories,
                              master.distributors, window)


def post_commissions(warehouse: Warehouse, window: CutoffWindow, allocations: pl.DataFrame,
                     master: Master, accruals: pl.DataFrame | None = None) -> CommissionPosting:
    """Post a cutoff's commissions (call inside the run's write transaction): its accruals
    (`accruals_of`, computed here unless given); on the nightly calendar the clawbacks of the
    refunds created in its window (bad refunds to `rejects`, once); then replace its ledger rows,
    or, where they lie in a closed week, post the difference as adjustments in the first open
    week. Reads the ledger back and raises LedgerMismatch unless it reconciles with the figures
    returned."""
    if accruals is None:
        accruals = accruals_of(window, allocations, master)
    decisions, clawbacks = pl.DataFrame(schema=REFUND_DECISION_SCHEMA), empty_ledger()
    rejects = no_refund_rejects()
    if window.calendar == "nightly":  # a refund belongs to the nightly run whose window holds it
        context = read_refund_context(warehouse, window, allocations)
        decisions, clawbacks = claw_back_refunds(context.refunds, context.known_lines, context.line_nets,
                                                 context.applied_elsewhere, context.other_entries, accruals, window)
        rejects = refund_rejects(decisions, context.refunds, window) if decisions.height else rejects
        _replace_refund_decisions(warehouse, window, decisions, context.refunds, rejects)
    computed = pl.concat([accruals, clawbacks])
    CommissionLedger.validate(computed)
    closed = sorted(closed_weeks(warehouse))
    frozen = _closed_rows(warehouse, window, closed)
    posting = adjust_closed_entries(computed, frozen, closed, window)
    if posting is not computed:
        CommissionLedger.validate(posting)
    warehouse.execute(
        f"""DELETE FROM commission_ledger WHERE calendar = ? AND cutoff_date = ? AND {CUTOFF_ROWS}
            AND settlement_week NOT IN (SELECT unnest(?::VARCHAR[]))""",
        [window.calendar, window.cutoff_date, closed])
    warehouse.insert("commission_ledger", posting)
    totals = commission_totals(computed)
    reconcile_posting(warehouse, window, computed, totals)
    adjusted = posting.filter(pl.col("entry_type") == "adjustment")
    entries = computed if frozen.height == 0 and adjusted.height == 0 else _partition_rows(warehouse, window)
    return CommissionPosting(entries=entries, totals=totals, refund_rejects=rejects, posted=posting,
                             refund_decisions=decisions,
                             adjustment_week=adjusted["settlement_week"][0] if adjusted.height else None)


def _closed_rows(warehouse: Warehouse, window: CutoffWindow, closed: list[str]) -> pl.DataFrame:
    """The cutoff's ledger rows in closed weeks: they stand, whatever this run computes."""
    if not closed:
        return empty_ledger()
    return as_ledger(warehouse.frame(
        f"""SELECT * FROM commission_ledger WHERE calendar = ? AND cutoff_date = ? AND {CUTOFF_ROWS}
            AND settlement_week IN (SELECT unnest(?::VARCHAR[]))""", [window.calendar, window.cutoff_date, closed]))
