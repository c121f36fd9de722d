"""The product review (选品, `cutoff report`, docs/forecast.md): per SKU over a range of cutoffs, what
it sold and earned, how its groups formed, whether its customers came back and what was lost of
it; ranked by margin, with the products to reconsider (淘汰低转化品) and the stars (高复购爆品) flagged.

Money is integer fen; rates are integer basis points, rounded half to even.

| figure | rule |
| units, gmv_fen | allocated units and `net_fen` of the range's cutoffs |
| cost_fen, margin_fen | the purchase lines' cost (case-rounding surplus included); gmv - cost |
| formation_rate_bp | formed groups / groups of its listings |
| repeat_rate_bp | customers with units in two or more cutoffs / customers with units |
| loss_rate_bp | (surplus + damaged + unpicked) / units purchased (the rulebook's loss rate) |

Flags: `reconsider` when the margin is not positive, fewer than half its groups formed, over 15%
of it was lost, or it sells in the bottom fifth with a repeat rate below the median; otherwise
`star` when it sells in the top fifth with a repeat rate at or above the range's overall one.
"""

from __future__ import annotations

import polars as pl

BP = 10_000
TOP_SHARE_BP = 2_000          # the top (and bottom) fifth by units
MIN_FORMATION_BP = 5_000      # fewer groups formed than this: reconsider
MAX_LOSS_BP = 1_500           # more lost than this: reconsider
REVIEW_COLUMNS = ("rank", "sku_id", "units", "gmv_fen", "cost_fen", "margin_fen", "margin_rate_bp", "cutoffs",
                  "groups", "formation_rate_bp", "customers", "repeat_rate_bp", "units_purchased", "lost_units",
                  "loss_rate_bp", "flag", "reasons")


def rate_bp(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator in basis points, rounded half to even; null when the denominator is 0."""
    scaled = numerator.cast(pl.Int64) * BP
    quotient = scaled // denominator
    twice = (scaled - quotient * denominator) * 2
    up = (twice > denominator) | ((twice == denominator) & (quotient % 2 == 1))
    return pl.when(denominator > 0).then(quotient + up.cast(pl.Int64)).otherwise(None).cast(pl.Int64)


def sku_losses(unit_losses: pl.DataFrame) -> pl.DataFrame:
    """sku_id, units_purchased, lost_units from the fulfilment report's losses per purchase line."""
    return unit_losses.group_by("sku_id").agg(
        pl.col("units_purchased").sum().cast(pl.Int64),
        (pl.col("surplus_units") + pl.col("damaged_units") + pl.col("unpicked_units")).sum().cast(pl.Int64)
        .alias("lost_units"))


def review_products(sales: pl.DataFrame, customers: pl.DataFrame, purchases: pl.DataFrame, groups: pl.DataFrame,
                    losses: pl.DataFrame) -> pl.DataFrame:
    """One row per SKU sold in the range (REVIEW_COLUMNS), best first.

    sales: sku_id, units, gmv_fen, cutoffs; customers: sku_id, customers, repeat_customers;
    purchases: sku_id, cost_fen; groups: sku_id, groups, formed; losses: sku_losses."""
    zero = ["customers", "repeat_customers", "cost_fen", "groups", "formed", "units_purchased", "lost_units"]
    frame = (sales.join(customers, on="sku_id", how="left").join(purchases.select("sku_id", "cost_fen"), on="sku_id",
                                                                 how="left")
             .join(groups, on="sku_id", how="left").join(losses, on="sku_id", how="left")
             .with_columns(pl.col(c).fill_null(0).cast(pl.Int64) for c in zero)
             .with_columns((pl.col("gmv_fen") - pl.col("cost_fen")).alias("margin_fen"))
             .with_columns(rate_bp(pl.col("margin_fen"), pl.col("gmv_fen")).alias("margin_rate_bp"),
                           rate_bp(pl.col("formed"), pl.col("groups")).alias("formation_rate_bp"),
                           rate_bp(pl.col("repeat_customers"), pl.col("customers")).alias("repeat_rate_bp"),
                           rate_bp(pl.col("lost_units"), pl.col("units_purchased")).alias("loss_rate_bp")))
    n = frame.height
    cut = (n * TOP_SHARE_BP + BP - 1) // BP  # the top fifth, at least one
    by_units = pl.col("units").rank("ordinal", descending=True)
    overall = rate_bp(pl.col("repeat_customers").sum(), pl.col("customers").sum())
    median = pl.col("repeat_rate_bp").median()
    reasons = [
        (pl.col("margin_fen") <= 0, "margin"),
        (pl.col("formation_rate_bp") < MIN_FORMATION_BP, "formation"),
        (pl.col("loss_rate_bp") > MAX_LOSS_BP, "loss"),
        ((by_units > n - cut) & (pl.col("repeat_rate_bp") < median), "slow"),
    ]
    star = (by_units <= cut) & (pl.col("repeat_rate_bp") >= overall)
    listed = pl.concat_list([pl.when(test.fill_null(False)).then(pl.lit(name)) for test, name in reasons])
    listed = listed.list.drop_nulls()
    ranked = (frame.with_columns(listed.alias("reasons"), star.fill_null(False).alias("_star"))
              .with_columns(pl.when(pl.col("reasons").list.len() > 0).then(pl.lit("reconsider"))
                            .when(pl.col("_star")).then(pl.lit("star")).otherwise(pl.lit(None, pl.String))
                            .alias("flag"))
              .with_columns(pl.when(pl.col("flag") == "star").then(pl.lit(["star"]))
                            .otherwise(pl.col("reasons")).alias("reasons"))
              .sort(["margin_fen", "units", "sku_id"], descending=[True, True, False])
              .with_columns(pl.int_range(1, pl.len() + 1).cast(pl.Int64).alias("rank")))
    return ranked.select(REVIEW_COLUMNS)


def review_totals(review: pl.DataFrame) -> dict[str, int]:
    """report.json `products`: SKUs reviewed, stars, to reconsider."""
    return {"skus": review.height, "stars": int((review["flag"] == "star").sum()),
            "reconsider": int((review["flag"] == "reconsider").sum())}
