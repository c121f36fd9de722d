"""Step 4: tier prices (阶梯团购价).

`tiers` is `participants:price_fen` pairs separated by `|`, e.g. `3:32800|10:30800`. A formed
group's tier price is that of the highest threshold <= its participants; each line pays
`min(unit_price_fen, tier price)`.
"""

from __future__ import annotations

import polars as pl


def explode_tiers(listings: pl.DataFrame) -> pl.DataFrame:
    """One row per (listing_id, threshold) with its `tier_price_fen`."""
    return (
        listings.select("listing_id", pl.col("tiers").str.replace_all(r"\s", "").str.split("|"))
        .explode("tiers")
        .filter(pl.col("tiers").is_not_null() & (pl.col("tiers") != ""))
        .select(
            "listing_id",
            pl.col("tiers").str.split_exact(":", 1).struct.field("field_0").cast(pl.Int64).alias("threshold"),
            pl.col("tiers").str.split_exact(":", 1).struct.field("field_1").cast(pl.Int64).alias("tier_price_fen"),
        )
        .sort("listing_id", "threshold")
    )


def lowest_thresholds(tiers: pl.DataFrame) -> pl.DataFrame:
    """The participants a listing's group needs (its lowest tier threshold); absent: no tiers."""
    return tiers.group_by("listing_id").agg(pl.col("threshold").min().alias("lowest_threshold"))


def price_groups(groups: pl.DataFrame, tiers: pl.DataFrame) -> pl.DataFrame:
    """Add `tier_price_fen` to each formed group: the price of the highest threshold reached."""
    reached = (
        groups.filter("is_formed").select("listing_id", "group_pickup_point_id", "participants")
        .join(tiers, on="listing_id")
        .filter(pl.col("threshold") <= pl.col("participants"))
        .sort("threshold")
        .group_by("listing_id", "group_pickup_point_id")
        .agg(pl.col("tier_price_fen").last())
    )
    return groups.join(reached, on=["listing_id", "group_pickup_point_id"], how="left", nulls_equal=True)


def apply_tier_prices(lines: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """Each line's `final_unit_price_fen`: min(unit price, its group's tier price)."""
    return (
        lines.join(groups.select("listing_id", "group_pickup_point_id", "tier_price_fen"),
                   on=["listing_id", "group_pickup_point_id"], how="left", nulls_equal=True)
        .with_columns(
            pl.min_horizontal("unit_price_fen", "tier_price_fen").cast(pl.Int64)
            .fill_null(pl.col("unit_price_fen")).alias("final_unit_price_fen"))
        .drop("tier_price_fen")
    )
