"""Commissions (佣金) and after-sales clawbacks (退款返佣): rulebook "Commissions".

For every line with `net_fen > 0`, at the cutoff that processed it, one accrual per role:

| role      | beneficiary                          | rate                                              |
| leader    | the line's pickup point's leader_id  | the pickup point's leader_bp, else its category's  |
| dist_l1   | the line's distributor_id, if any    | the listing's dist_l1_bp                          |
| dist_l2   | that distributor's upline_id, if any | the listing's dist_l2_bp                          |

`amount_fen = round_half_even(net_fen * rate_bp / 10000)`; an entry with rate 0 (or amount 0) is
not posted. A refund is checked against its line (known, allocated, not over-refunded), then each
accrual of the line is clawed back by `round_half_even(refund_fen * rate_bp / 10000)`, capped so
that the clawbacks of one accrual never exceed it.

Pure: frames in, frames out. Entry ids are readable composite keys (docs/commissions.md).
"""

from __future__ import annotations

import polars as pl

from schemas.commission_ledger import ROLES as LEDGER_ROLES
from transforms.money import round_half_even_expr
from transforms.windows import CutoffWindow

ROLES = tuple(LEDGER_ROLES)  # ("leader", "dist_l1", "dist_l2"): the ledger's, in statement order
LINE_KEY = ["order_id", "line_no"]
ACCRUAL_KEY = ["order_id", "line_no", "role", "beneficiary_id"]
LEDGER_COLUMNS = ["entry_id", "calendar", "cutoff_date", "entry_date", "settlement_week", "entry_type",
                  "adjusted_type", "role", "beneficiary_id", "order_id", "line_no", "refund_id",
                  "base_fen", "rate_bp", "amount_fen"]
LEDGER_SCHEMA = {
    "entry_id": pl.String, "calendar": pl.String, "cutoff_date": pl.Date, "entry_date": pl.Date,
    "settlement_week": pl.String, "entry_type": pl.String, "adjusted_type": pl.String, "role": pl.String,
    "beneficiary_id": pl.String, "order_id": pl.String, "line_no": pl.Int64, "refund_id": pl.String,
    "base_fen": pl.Int64, "rate_bp": pl.Int64, "amount_fen": pl.Int64,
}
REFUND_DECISION_SCHEMA = {
    "refund_id": pl.String, "order_id": pl.String, "line_no": pl.Int64, "amount_fen": pl.Int64,
    "created_at": pl.Datetime("us", "UTC"), "status": pl.String, "reason": pl.String,
}
SEP = "|"  # ids match [A-Za-z0-9][A-Za-z0-9_.-]*: never a `|`, so the composite key is unambiguous


def empty_ledger() -> pl.DataFrame:
    return pl.DataFrame(schema=LEDGER_SCHEMA)


def as_ledger(frame: pl.DataFrame) -> pl.DataFrame:
    """Ledger rows as read from the warehouse, in LEDGER_COLUMNS and LEDGER_SCHEMA (none: empty)."""
    return frame.select(LEDGER_COLUMNS).cast(LEDGER_SCHEMA) if frame.height else empty_ledger()


def entry_kind() -> pl.Expr:
    """What an entry is worth to the books: an adjustment counts as the type it adjusts."""
    return pl.coalesce(pl.col("adjusted_type"), pl.col("entry_type"))


def _stamp(frame: pl.DataFrame, window: CutoffWindow) -> pl.DataFrame:
    """Date entries by their cutoff: partition columns, entry_date and its ISO week."""
    return frame.with_columns(
        pl.lit(window.calendar).alias("calendar"),
        pl.lit(window.cutoff_date).alias("cutoff_date"),
        pl.lit(window.cutoff_date).alias("entry_date"),
        pl.lit(window.cutoff_date).dt.strftime("%G-W%V").alias("settlement_week"),
    )


def _entry_id(kind: str, window: CutoffWindow, *parts: pl.Expr) -> pl.Expr:
    """`accrual|nightly|2026-11-21|A|1|leader`: the same row gets the same id at every rerun."""
    head = [pl.lit(kind), pl.lit(window.calendar), pl.lit(window.cutoff_date.isoformat())]
    return pl.concat_str([*head, *[p.cast(pl.String).fill_null("") for p in parts]], separator=SEP)


# -- accruals ---------------------------------------------------------------------------------------

def attach_rates(allocations: pl.DataFrame, listings: pl.DataFrame, pickup_points: pl.DataFrame,
                 categories: pl.DataFrame, distributors: pl.DataFrame) -> pl.DataFrame:
    """The lines worth something, with the three beneficiaries and rates of the rulebook's table."""
    return (
        allocations.filter(pl.col("net_fen") > 0)
        .select(*LINE_KEY, "listing_id", "category", "pickup_point_id", "distributor_id", "net_fen")
        .join(listings.select("listing_id", "dist_l1_bp", "dist_l2_bp"), on="listing_id", how="left")
        .join(pickup_points.select("pickup_point_id", "leader_id", pl.col("leader_bp").alias("point_bp")),
              on="pickup_point_id", how="left")
        .join(categories.select("category", pl.col("leader_bp").alias("category_bp")), on="category", how="left")
        .join(distributors.select("distributor_id", "upline_id"), on="distributor_id", how="left")
        .with_columns(pl.coalesce("point_bp", "category_bp").alias("leader_bp"))
    )


def _role(lines: pl.DataFrame, role: str, beneficiary: str, rate: str) -> pl.DataFrame:
    return lines.select(*LINE_KEY, pl.lit(role).alias("role"), pl.col(beneficiary).alias("beneficiary_id"),
                        pl.col("net_fen").alias("base_fen"), pl.col(rate).fill_null(0).cast(pl.Int64).alias("rate_bp"))


def accrue_commissions(allocations: pl.DataFrame, listings: pl.DataFrame, pickup_points: pl.DataFrame,
                       categories: pl.DataFrame, distributors: pl.DataFrame,
                       window: CutoffWindow) -> pl.DataFrame:
    """The accruals of one cutoff's allocations, as ledger rows. An entry with rate 0 is not posted
    (the rulebook's only exclusion); one whose amount rounds to 0 fen is, so every rated role of a
    line shows in the ledger."""
    lines = attach_rates(allocations, listings, pickup_points, categories, distributors)
    by_role = pl.concat([_role(lines, "leader", "leader_id", "leader_bp"),
                         _role(lines, "dist_l1", "distributor_id", "dist_l1_bp"),
                         _role(lines, "dist_l2", "upline_id", "dist_l2_bp")])
    accruals = (
        by_role.filter(pl.col("beneficiary_id").is_not_null() & (pl.col("rate_bp") > 0))
        .with_columns(round_half_even_expr(pl.col("base_fen") * pl.col("rate_bp")).alias("amount_fen"))
        .with_columns(
            _entry_id("accrual", window, pl.col("order_id"), pl.col("line_no"), pl.col("role")).alias("entry_id"),
            pl.lit("accrual").alias("entry_type"), pl.lit(None, pl.String).alias("adjusted_type"),
            pl.lit(None, pl.String).alias("refund_id"))
    )
    return _stamp(accruals, window).select(LEDGER_COLUMNS).cast(LEDGER_SCHEMA).sort("order_id", "line_no", "role")


# -- refunds ----------------------------------------------------------------------------------------

def latest_allocations(rows: pl.DataFrame) -> pl.DataFrame:
    """order_id, line_no, net_fen per line from allocation rows of any run (calendar, cutoff_date):
    a run that allocated it something wins over one that did not; then the latest cutoff. Other
    columns of the rows (e.g. the run's short_refund_fen) come from the same run."""
    return (rows.sort(pl.col("net_fen") > 0, "cutoff_date", "calendar")
            .group_by(LINE_KEY, maintain_order=True).agg(pl.exclude(*LINE_KEY, "calendar", "cutoff_date").last())
            .sort(LINE_KEY))


def _earlier_refunds(refunds: pl.DataFrame, applied: pl.DataFrame) -> pl.DataFrame:
    """Per refund: the sum of the line's refunds applied before it (by created_at, refund_id) at other
    cutoffs."""
    pairs = refunds.select("refund_id", *LINE_KEY, "created_at").join(
        applied.select(*LINE_KEY, pl.col("refund_id").alias("earlier_id"),
                       pl.col("created_at").alias("earlier_at"), pl.col("amount_fen").alias("earlier_fen")),
        on=LINE_KEY, how="inner")
    earlier = (pl.col("earlier_at") < pl.col("created_at")) | (
        (pl.col("earlier_at") == pl.col("created_at")) & (pl.col("earlier_id") < pl.col("refund_id")))
    return pairs.filter(earlier).group_by("refund_id").agg(pl.col("earlier_fen").sum().alias("earlier_other_fen"))


def _reject_first_excess(frame: pl.DataFrame) -> pl.DataFrame:
    """One round of the sequential check: the first refund of each line that the refunds still
    standing before it (and itself) push over the refundable amount is rejected."""
    standing = pl.col("status").is_null()
    cumulative = pl.when(standing).then(pl.col("amount_fen")).otherwise(0).cum_sum().over(LINE_KEY)
    frame = frame.with_columns(cumulative.alias("_cum"))
    over = standing & (pl.col("_cum") > pl.col("refundable_fen"))
    first = over & (over.cast(pl.Int64).cum_sum().over(LINE_KEY) == 1)
    earlier = pl.col("earlier_other_fen") + pl.col("_cum") - pl.col("amount_fen")
    reason = (
        pl.when(pl.col("short_refund_fen") > 0)
        .then(pl.format("refund of {} fen is larger than the line's net_fen {} minus its shortage refund {} "
                        "(short delivery) minus its earlier refunds {}", pl.col("amount_fen"), pl.col("net_fen"),
                        pl.col("short_refund_fen"), earlier))
        .otherwise(pl.format("refund of {} fen is larger than the line's net_fen {} minus its earlier refunds {}",
                             pl.col("amount_fen"), pl.col("net_fen"), earlier)))
    return frame.with_columns(
        pl.when(first).then(pl.lit("rejected")).otherwise(pl.col("status")).alias("status"),
        pl.when(first).then(reason).otherwise(pl.col("reason")).alias("reason"),
    ).drop("_cum")


def decide_refunds(refunds: pl.DataFrame, known_lines: pl.DataFrame, line_nets: pl.DataFrame,
                   applied_elsewhere: pl.DataFrame) -> pl.DataFrame:
    """Apply or reject each refund of a window (rulebook "After-sales refunds and clawback").

    refunds: refund_id, order_id, line_no, amount_fen, created_at (this window's refunds).
    known_lines: order_id, line_no of every ingested order line.
    line_nets: order_id, line_no, net_fen: what the line was allocated (no row: no run processed it);
      optionally short_refund_fen: its shortage refund (rulebook "Goods-in"), which comes off first.
    applied_elsewhere: refund_id, order_id, line_no, amount_fen, created_at: refunds applied at other
      cutoffs; those before a refund (by created_at, refund_id) are its earlier refunds.
    Returns the refunds with `status` (applied, rejected) and `reason`; the refunds of one line are
    decided in (created_at, refund_id) order, a rejected one not counting against the next.
    """
    frame = (
        refunds.select("refund_id", *LINE_KEY, "amount_fen", "created_at")
        .join(known_lines.select(*LINE_KEY).unique().with_columns(pl.lit(True).alias("_known")),
              on=LINE_KEY, how="left")
        .join(line_nets.select(*LINE_KEY, "net_fen", pl.col("short_refund_fen") if "short_refund_fen" in line_nets
                               else pl.lit(0, pl.Int64).alias("short_refund_fen")), on=LINE_KEY, how="left")
        .join(_earlier_refunds(refunds, applied_elsewhere), on="refund_id", how="left")
        .with_columns(pl.col("earlier_other_fen", "short_refund_fen").fill_null(0))
        .with_columns((pl.col("net_fen").fill_null(0) - pl.col("short_refund_fen") - pl.col("earlier_other_fen"))
                      .alias("refundable_fen"))
        .sort(*LINE_KEY, "created_at", "refund_id")
    )
    line = pl.format("order line {}/{}", pl.col("order_id"), pl.col("line_no"))
    reason = (
        pl.when(pl.col("_known").is_null()).then(pl.format("{} is unknown", line))
        .when(pl.col("net_fen").is_null()).then(
            pl.format("{} has been allocated nothing so far (no run has processed it yet)", line))
        .when(pl.col("net_fen") <= 0).then(pl.format("{} has been allocated nothing (net_fen 0)", line))
    )
    frame = frame.with_columns(reason.alias("reason")).with_columns(
        pl.when(pl.col("reason").is_not_null()).then(pl.lit("rejected")).alias("status"))
    for _ in range(frame.height):  # each round rejects at least one refund, or ends
        before = frame["status"].null_count()
        frame = _reject_first_excess(frame)
        if frame["status"].null_count() == before:
            break
    return (frame.with_columns(pl.col("status").fill_null("applied"))
            .select(list(REFUND_DECISION_SCHEMA)).cast(REFUND_DECISION_SCHEMA)
            .sort("created_at", "refund_id"))


# -- clawbacks --------------------------------------------------------------------------------------

def effective_accruals(entries: pl.DataFrame) -> pl.DataFrame:
    """What each accrual is worth now, from ledger rows: accruals plus the adjustments of them, per
    (line, role, beneficiary); the rate in force is that of the latest row. Worthless ones dropped."""
    return (
        entries.filter(entry_kind() == "accrual")
        .sort("entry_date", pl.col("entry_type") == "adjustment")
        .group_by(ACCRUAL_KEY, maintain_order=True)
        .agg(pl.col("amount_fen").sum(), pl.col("rate_bp").last())
        .filter(pl.col("amount_fen") > 0)
    )


def clawed_back(entries: pl.DataFrame) -> pl.DataFrame:
    """Per (line, role, beneficiary): the clawbacks posted so far (<= 0), adjustments included."""
    return (entries.filter(entry_kind() == "clawback")
            .group_by(ACCRUAL_KEY).agg(pl.col("amount_fen").sum().alias("clawed_fen")))


def claw_back_commissions(applied: pl.DataFrame, accruals: pl.DataFrame, earlier_clawbacks: pl.DataFrame,
                          window: CutoffWindow) -> pl.DataFrame:
    """The clawbacks of a window's applied refunds, as ledger rows.

    applied: refund_id, order_id, line_no, amount_fen, created_at.
    accruals: order_id, line_no, role, beneficiary_id, rate_bp, amount_fen (see effective_accruals).
    earlier_clawbacks: order_id, line_no, role, beneficiary_id, clawed_fen (<= 0), posted by other cutoffs.
    Each clawback is -round_half_even(refund_fen * rate_bp / 10000), capped so the clawbacks of one
    accrual (those posted elsewhere, then this window's in (created_at, refund_id) order) never
    exceed it. A clawback capped to 0 is not posted.
    """
    uncapped = round_half_even_expr(pl.col("base_fen") * pl.col("rate_bp"))
    running = pl.col("_uncapped").cum_sum().over(ACCRUAL_KEY)
    room = pl.col("_room")
    clawbacks = (
        applied.select("refund_id", *LINE_KEY, pl.col("amount_fen").alias("base_fen"), "created_at")
        .join(accruals.select(*ACCRUAL_KEY, "rate_bp", pl.col("amount_fen").alias("accrued_fen")),
              on=LINE_KEY, how="inner")
        .join(earlier_clawbacks.select(*ACCRUAL_KEY, "clawed_fen"), on=ACCRUAL_KEY, how="left")
        .with_columns(uncapped.alias("_uncapped"),
                      pl.max_horizontal(pl.col("accrued_fen") + pl.col("clawed_fen").fill_null(0), 0).alias("_room"))
        .sort(*ACCRUAL_KEY, "created_at", "refund_id")
        .with_columns((pl.min_horizontal(running, room) - pl.min_horizontal(running - pl.col("_uncapped"), room))
                      .alias("_capped"))
        .filter(pl.col("_capped") > 0)
        .with_columns(
            (-pl.col("_capped")).cast(pl.Int64).alias("amount_fen"),
            _entry_id("clawback", window, pl.col("refund_id"), pl.col("order_id"), pl.col("line_no"),
                      pl.col("role"), pl.col("beneficiary_id")).alias("entry_id"),
            pl.lit("clawback").alias("entry_type"), pl.lit(None, pl.String).alias("adjusted_type"))
    )
    return _stamp(clawbacks, window).select(LEDGER_COLUMNS).cast(LEDGER_SCHEMA).sort("refund_id", "role")


# -- figures ----------------------------------------------------------------------------------------

def claw_back_refunds(refunds: pl.DataFrame, known_lines: pl.DataFrame, line_nets: pl.DataFrame,
                      applied_elsewhere: pl.DataFrame, other_entries: pl.DataFrame, accruals: pl.DataFrame,
                      window: CutoffWindow) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(decisions, clawback entries) of the window's refunds: each refund decided
    (`decide_refunds`), and the applied ones clawed back from the accruals of their lines, this
    run's and those other cutoffs posted (`other_entries`), less what was clawed back before."""
    if refunds.height == 0:
        return pl.DataFrame(schema=REFUND_DECISION_SCHEMA), empty_ledger()
    decisions = decide_refunds(refunds, known_lines, line_nets, applied_elsewhere)
    applied = decisions.filter(pl.col("status") == "applied")
    basis = pl.concat([accruals.join(applied.select("order_id", "line_no").unique(),
                                     on=["order_id", "line_no"], how="semi"), other_entries])
    clawbacks = claw_back_commissions(applied, effective_accruals(basis), clawed_back(other_entries), window)
    return decisions, clawbacks


def commission_totals(entries: pl.DataFrame) -> dict[str, int]:
    """summary.json `fen.commission`: accruals per role (>= 0) and clawbacks (<= 0, a negative sum).
    Adjustments count as the type they adjust."""
    totals = {role: 0 for role in ROLES} | {"clawback": 0}
    if entries.height == 0:
        return totals
    sums = (entries.with_columns(entry_kind().alias("_kind"))
            .group_by("_kind", "role").agg(pl.col("amount_fen").sum()))
    for row in sums.iter_rows(named=True):
        key = row["role"] if row["_kind"] == "accrual" else "clawback"
        totals[key] += int(row["amount_fen"])
    return totals


def beneficiary_names(pickup_points: pl.DataFrame, distributors: pl.DataFrame) -> pl.DataFrame:
    """role, beneficiary_id, name: leaders from pickup_points (first point by id), distributors by id."""
    leaders = (pickup_points.sort("pickup_point_id").unique("leader_id", keep="first", maintain_order=True)
               .select(pl.lit("leader").alias("role"), pl.col("leader_id").alias("beneficiary_id"),
                       pl.col("leader_name").alias("name")))
    people = distributors.select(pl.col("distributor_id").alias("beneficiary_id"), "name")
    return pl.concat([leaders, people.with_columns(pl.lit("dist_l1").alias("role")).select(leaders.columns),
                      people.with_columns(pl.lit("dist_l2").alias("role")).select(leaders.columns)])


def total_by_beneficiary(entries: pl.DataFrame, names: pl.DataFrame | None = None) -> pl.DataFrame:
    """role, beneficiary_id, name, entries, amount_fen: one row per beneficiary, in role order."""
    order = {role: rank for rank, role in enumerate(ROLES)}
    totals = (entries.group_by("role", "beneficiary_id")
              .agg(pl.len().cast(pl.Int64).alias("entries"), pl.col("amount_fen").sum().cast(pl.Int64)))
    if names is not None and names.height:
        totals = totals.join(names.unique(["role", "beneficiary_id"]), on=["role", "beneficiary_id"], how="left")
    else:
        totals = totals.with_columns(pl.lit(None, pl.String).alias("name"))
    return (totals.with_columns(pl.col("role").replace_strict(order, return_dtype=pl.Int64).alias("_rank"))
            .sort("_rank", "beneficiary_id").select("role", "beneficiary_id", "name", "entries", "amount_fen"))
