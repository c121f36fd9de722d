"""Goods-in, shortages and supplier payables (rulebook "Goods-in, shortages and supplier payables").

The morning after a cutoff the central warehouse counts each supplier's delivery in (`receipts`).
A goods-in run of the cutoff `(calendar, D)` decides, per purchase line of that run:
- no receipt yet: `pending`, nothing decided (every unit figure 0);
- otherwise `units_good = sum(units_received - units_damaged)`,
  `units_short = max(0, units_allocated - units_good)` (a case-rounding surplus absorbs a
  shortfall first), `units_payable = min(units_good, units_purchased)`, `units_over` the good
  units above `units_purchased`; `short` when units are short, else `complete`.
The short units of a purchase line are taken back from the cutoff's allocated lines of that
supplier's SKU, latest first (the exact reverse of the stock-allocation order), each line giving up
at most its `qty_allocated`, for a shortage refund at its final unit price (reason `short_delivery`).

Pure: frames in, frames out; the ledger side reuses transforms.commissions.
"""

from __future__ import annotations

import polars as pl

from schemas.refunds import SHORT_REFUND_ID
from transforms.allocation import FCFS_ORDER
from transforms.commissions import claw_back_commissions
from transforms.windows import CutoffWindow

PENDING, COMPLETE, SHORT = "pending", "complete", "short"
LINE_STATUSES = (PENDING, COMPLETE, SHORT)
SHORT_DELIVERY = "short_delivery"   # the reason of a shortage refund
PURCHASE_KEY = ["supplier_id", "sku_id"]
RECEIPT_KEY = ["calendar", "cutoff_date", "supplier_id", "sku_id"]
UNIT_FIGURES = ["units_received", "units_damaged", "units_good", "units_short", "units_over", "units_payable"]
PAYABLE_COLUMNS = ["supplier_id", "sku_id", "status", "units_allocated", "units_purchased", "unit_cost_fen",
                   "cost_fen", "receipts", *UNIT_FIGURES, "payable_fen"]
SHORTAGE_COLUMNS = ["order_id", "line_no", "listing_id", "supplier_id", "sku_id", "pickup_point_id",
                    "customer_id", "created_at", "qty_allocated", "final_unit_price_fen", "net_fen",
                    "units_short", "short_refund_fen", "reason"]


def reject_unknown_purchase_lines(receipts: pl.DataFrame,
                                  purchase_lines: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split receipts into (those for a purchase line of their run, the others with a `reason`).

    receipts: calendar, cutoff_date, supplier_id, sku_id, ... (any run).
    purchase_lines: calendar, cutoff_date, supplier_id, sku_id of every run's purchase lines.
    """
    known = purchase_lines.select(RECEIPT_KEY).unique()
    reason = pl.format("no purchase line {} {} for supplier {} and SKU {}: the receipt is for nothing that "
                       "run ordered", pl.col("calendar"), pl.col("cutoff_date").cast(pl.String),
                       pl.col("supplier_id"), pl.col("sku_id"))
    matched = receipts.join(known, on=RECEIPT_KEY, how="semi")
    unknown = receipts.join(known, on=RECEIPT_KEY, how="anti").with_columns(reason.alias("reason"))
    return matched, unknown


def decide_purchase_lines(purchase_lines: pl.DataFrame, receipts: pl.DataFrame) -> pl.DataFrame:
    """`supplier_payables` of one run: one row per purchase line, with its status and figures.

    purchase_lines: the run's supplier_id, sku_id, units_allocated, units_purchased, unit_cost_fen,
      cost_fen.
    receipts: the run's applied receipts: supplier_id, sku_id, units_received, units_damaged.
    """
    received = (receipts.group_by(PURCHASE_KEY)
                .agg(pl.len().cast(pl.Int64).alias("receipts"),
                     pl.col("units_received").sum().cast(pl.Int64),
                     pl.col("units_damaged").fill_null(0).sum().cast(pl.Int64)))
    has_receipt = pl.col("receipts") > 0
    good = pl.col("units_received") - pl.col("units_damaged")
    decided = lambda figure: pl.when(has_receipt).then(figure).otherwise(0).cast(pl.Int64)  # noqa: E731
    return (
        purchase_lines.select("supplier_id", "sku_id", "units_allocated", "units_purchased", "unit_cost_fen",
                              "cost_fen")
        .join(received, on=PURCHASE_KEY, how="left")
        .with_columns(pl.col("receipts", "units_received", "units_damaged").fill_null(0))
        .with_columns(good.alias("units_good"))
        .with_columns(
            decided((pl.col("units_allocated") - pl.col("units_good")).clip(lower_bound=0)).alias("units_short"),
            decided((pl.col("units_good") - pl.col("units_purchased")).clip(lower_bound=0)).alias("units_over"),
            decided(pl.min_horizontal("units_good", "units_purchased")).alias("units_payable"))
        .with_columns(
            (pl.col("units_payable") * pl.col("unit_cost_fen")).cast(pl.Int64).alias("payable_fen"),
            pl.when(~has_receipt).then(pl.lit(PENDING))
            .when(pl.col("units_short") > 0).then(pl.lit(SHORT))
            .otherwise(pl.lit(COMPLETE)).alias("status"))
        .select(PAYABLE_COLUMNS)
        .sort(PURCHASE_KEY)
    )


def with_surplus_absorbed(payables: pl.DataFrame) -> pl.DataFrame:
    """supplier_payables with `units_missing` (purchased but not delivered good: `units_purchased -
    units_good`, when positive) and `units_absorbed`, how many of those the case-rounding surplus
    (`units_purchased - units_allocated`) absorbed; the rest is `units_short`, what customers go
    without. Purchased 40, allocated 37, good 35: 5 missing = 3 absorbed + 2 short. Display figures
    for the supplier's reconciliation; 0 while pending (nothing decided)."""
    decided = pl.col("status") != PENDING
    missing = pl.when(decided).then((pl.col("units_purchased") - pl.col("units_good")).clip(lower_bound=0))
    return (payables.with_columns(missing.otherwise(0).cast(pl.Int64).alias("units_missing"))
            .with_columns((pl.col("units_missing") - pl.col("units_short")).cast(pl.Int64).alias("units_absorbed")))


def take_back_short_units(allocations: pl.DataFrame, payables: pl.DataFrame,
                          after_sales: pl.DataFrame | None = None) -> pl.DataFrame:
    """`shortages` of one run: the lines that go without, latest first, and their refunds.

    allocations: the run's lines: order_id, line_no, listing_id, supplier_id, sku_id, pickup_point_id,
      customer_id, created_at, qty_allocated, final_unit_price_fen, net_fen.
    payables: decide_purchase_lines (supplier_id, sku_id, units_short).
    after_sales: order_id, line_no, refund_fen: after-sales refunds already applied to a line. A
      line's shortage refund is capped at its net_fen minus those (its units_short stays the units
      taken back).
    A line giving up `u` units is owed `u * final_unit_price_fen`.
    """
    allocated = pl.col("qty_allocated")
    short = pl.col("units_short")
    # walking from the latest line back: the units of later lines go first
    later = allocated.cum_sum(reverse=True).over(PURCHASE_KEY) - allocated
    taken = pl.min_horizontal(allocated, (short - later).clip(lower_bound=0)).cast(pl.Int64)
    refunded = after_sales if after_sales is not None else pl.DataFrame(
        schema={"order_id": pl.String, "line_no": pl.Int64, "refund_fen": pl.Int64})
    refunded = refunded.group_by("order_id", "line_no").agg(pl.col("refund_fen").sum().alias("_after_sales"))
    owed = pl.col("units_short") * pl.col("final_unit_price_fen")
    room = (pl.col("net_fen") - pl.col("_after_sales").fill_null(0)).clip(lower_bound=0)
    return (
        allocations.filter(allocated > 0)
        .join(payables.filter(short > 0).select(*PURCHASE_KEY, "units_short"), on=PURCHASE_KEY, how="inner")
        .sort(*PURCHASE_KEY, *FCFS_ORDER)
        .with_columns(taken.alias("units_short"))
        .filter(pl.col("units_short") > 0)
        .join(refunded, on=["order_id", "line_no"], how="left")
        .with_columns(pl.min_horizontal(owed, room).cast(pl.Int64).alias("short_refund_fen"),
                      pl.lit(SHORT_DELIVERY).alias("reason"))
        .select(SHORTAGE_COLUMNS)
        .sort(FCFS_ORDER)
    )


def short_refunds_by_line(shortages: pl.DataFrame) -> pl.DataFrame:
    """order_id, line_no, short_refund_fen: what a line's after-sales refunds are checked against
    (net_fen - short_refund_fen - earlier after-sales refunds)."""
    return shortages.group_by("order_id", "line_no").agg(pl.col("short_refund_fen").sum().cast(pl.Int64))


def claw_back_shortages(shortages: pl.DataFrame, accruals: pl.DataFrame, earlier_clawbacks: pl.DataFrame,
                        window: CutoffWindow) -> pl.DataFrame:
    """The shortage clawbacks of a goods-in run, as ledger rows dated by the cutoff, refund_id `short`.

    accruals: what each accrual of the lines is worth now (transforms.commissions.effective_accruals).
    earlier_clawbacks: clawbacks already posted against them (after-sales ones): they count first,
      so the clawbacks of one accrual never exceed it.
    """
    applied = shortages.filter(pl.col("short_refund_fen") > 0).select(
        pl.lit(SHORT_REFUND_ID).alias("refund_id"), "order_id", "line_no",
        pl.col("short_refund_fen").alias("amount_fen"),
        pl.lit(window.end).cast(pl.Datetime("us", "UTC")).alias("created_at"))
    return claw_back_commissions(applied, accruals, earlier_clawbacks, window)


def worst_status() -> pl.Expr:
    """In an aggregation over purchase lines: `short` if any line is short, else `pending` if any is
    pending, else `complete`."""
    any_status = lambda status: (pl.col("status") == status).any()  # noqa: E731
    return (pl.when(any_status(SHORT)).then(pl.lit(SHORT))
            .when(any_status(PENDING)).then(pl.lit(PENDING))
            .otherwise(pl.lit(COMPLETE)).alias("status"))


def supplier_statuses(payables: pl.DataFrame) -> pl.DataFrame:
    """Per supplier of the run: its status (worst_status), units short and payable."""
    return (payables.group_by("supplier_id")
            .agg(worst_status(),
                 pl.col("units_short").sum().cast(pl.Int64),
                 pl.col("payable_fen").sum().cast(pl.Int64))
            .sort("supplier_id"))


def summarize_receiving(window: CutoffWindow, payables: pl.DataFrame, shortages: pl.DataFrame,
                        clawback_fen: int) -> dict:
    """`receiving/receiving.json` (contract keys). `clawback_fen`: the shortage clawbacks in force
    of the cutoff, adjustments included (<= 0)."""
    total = lambda frame, column: int(frame[column].sum()) if frame.height else 0  # noqa: E731
    counts = payables["status"].value_counts() if payables.height else pl.DataFrame(
        schema={"status": pl.String, "count": pl.UInt32})
    by_status = dict(zip(counts["status"].to_list(), counts["count"].to_list(), strict=True))
    return {
        "calendar": window.calendar,
        "cutoff_date": window.cutoff_date.isoformat(),
        "purchase_lines": {status: int(by_status.get(status, 0)) for status in LINE_STATUSES},
        "units": {"purchased": total(payables, "units_purchased"),
                  **{figure.removeprefix("units_"): total(payables, figure) for figure in UNIT_FIGURES}},
        "fen": {"short_refund": total(shortages, "short_refund_fen"), "clawback": int(clawback_fen),
                "payable": total(payables, "payable_fen")},
        "suppliers": supplier_statuses(payables).to_dicts(),
    }


STATEMENT_COLUMNS = ["calendar", "cutoff_date", "po_fen", "units_purchased", "units_received", "units_damaged",
                     "units_short", "units_over", "units_payable", "payable_fen", "status"]


def supplier_statement(payables: pl.DataFrame) -> pl.DataFrame:
    """A supplier's statement (对账单) of a week: one row per cutoff of the week.

    payables: the supplier's `supplier_payables` rows of the week's cutoffs (calendar, cutoff_date,
    status, cost_fen, units_*, payable_fen). The PO amount is what the cutoff ordered (cost_fen)."""
    return (payables.group_by("calendar", "cutoff_date")
            .agg(pl.col("cost_fen").sum().cast(pl.Int64).alias("po_fen"),
                 *[pl.col(c).sum().cast(pl.Int64) for c in ("units_purchased", *UNIT_FIGURES[:2],
                                                             "units_short", "units_over", "units_payable",
                                                             "payable_fen")],
                 worst_status())
            .select(STATEMENT_COLUMNS)
            .sort("cutoff_date", "calendar"))
