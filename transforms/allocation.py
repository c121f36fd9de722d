"""Steps 1 and 2 of each order line of a closing listing: after close, then stock allocation.

Lines are walked first come first served, ordered by `(created_at, order_id, line_no)`. Each line
gets `min(qty, stock left, its pickup point's stock left)`; the rest is cut `out_of_stock`.
A line keeps the first cut reason it got (`cut_reason`); `qty_allocated` is what it has so far.
"""

from __future__ import annotations

import polars as pl

FCFS_ORDER = ["created_at", "order_id", "line_no"]
FCFS_RANK = "fcfs_rank"  # position in FCFS_ORDER, computed once: later steps sort on one integer
AFTER_CLOSE = "after_close"
OUT_OF_STOCK = "out_of_stock"


def first_cut(reason: str, newly_cut: pl.Expr) -> pl.Expr:
    """Set `cut_reason` to `reason` where a line is cut now and had no reason before."""
    return (pl.when(pl.col("cut_reason").is_null() & newly_cut)
            .then(pl.lit(reason)).otherwise(pl.col("cut_reason")).alias("cut_reason"))


def rank_first_come(lines: pl.DataFrame) -> pl.DataFrame:
    """Order the lines first come first served and number them (`fcfs_rank`)."""
    return lines.sort(FCFS_ORDER).with_row_index(FCFS_RANK)


def mark_after_close(lines: pl.DataFrame) -> pl.DataFrame:
    """Step 1: a line created outside [opens_at, closes_at] gets nothing (`after_close`)."""
    outside = (pl.col("created_at") > pl.col("closes_at")) | (pl.col("created_at") < pl.col("opens_at"))
    return lines.with_columns(
        pl.when(outside).then(0).otherwise(pl.col("qty")).cast(pl.Int64).alias("qty_allocated"),
        pl.when(outside).then(pl.lit(AFTER_CLOSE)).otherwise(None).cast(pl.String).alias("cut_reason"),
        (~outside).alias("reaches_group"),
    )


def capped(demand: pl.Expr, cap: pl.Expr, partition: list[str]) -> pl.Expr:
    """First come first served under one cap: each line takes min(demand, cap - taken before).

    With lines sorted, the units taken before a line are min(cap, cumulative demand before it),
    so a cumulative sum replaces the walk. A null cap means no cap.
    """
    before = demand.cum_sum().over(partition) - demand
    left = (cap - pl.min_horizontal(cap, before)).clip(lower_bound=0)
    return pl.when(cap.is_null()).then(demand).otherwise(pl.min_horizontal(demand, left))


def allocate_stock(lines: pl.DataFrame) -> pl.DataFrame:
    """Step 2: apply `point_cap` per (listing, pickup point), then `stock_cap` per listing.

    Applying the point cap first and the listing cap to its result is exact: until the listing's
    stock runs out every line gets its point-capped units, and after that every line gets 0.
    """
    demand = pl.col("qty_allocated")
    return (
        lines.sort(FCFS_RANK)
        .with_columns(capped(demand, pl.col("point_cap"), ["listing_id", "pickup_point_id"])
                      .alias("_after_point_cap"))
        .with_columns(capped(pl.col("_after_point_cap"), pl.col("stock_cap"), ["listing_id"])
                      .cast(pl.Int64).alias("_after_stock"))
        .with_columns(first_cut(OUT_OF_STOCK, pl.col("_after_stock") < pl.col("qty_allocated")))
        .with_columns(pl.col("_after_stock").alias("qty_allocated"))
        .drop("_after_point_cap", "_after_stock")
    )
