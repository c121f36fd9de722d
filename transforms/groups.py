"""Step 3: group formation (成团).

A group is the listing as a whole (`group_scope = platform`) or the listing at one pickup point
(`group_scope = pickup_point`), made of the lines that reach this step (not `after_close`).
Units = allocated units; participants = distinct customers with allocated units. It forms when
units >= `min_qty` and, with tiers, participants >= the lowest threshold. A group that does not
form gets nothing: its lines are cut `group_not_formed` (a line keeps an earlier reason).
"""

from __future__ import annotations

import polars as pl

from transforms.allocation import first_cut

GROUP_NOT_FORMED = "group_not_formed"
GROUP_KEYS = ["listing_id", "group_pickup_point_id"]


def assign_groups(lines: pl.DataFrame) -> pl.DataFrame:
    """`group_pickup_point_id`: the pickup point for pickup-point groups, null for platform ones."""
    return lines.with_columns(
        pl.when(pl.col("group_scope") == "pickup_point").then(pl.col("pickup_point_id"))
        .otherwise(None).alias("group_pickup_point_id"))


def summarize_groups(lines: pl.DataFrame, lowest: pl.DataFrame) -> pl.DataFrame:
    """One row per group: units, participants, what it needs, and `is_formed`."""
    allocated = pl.col("qty_allocated") > 0
    return (
        # the columns it needs first (free), then the filter: not a copy of every column of every line
        lines.select(*GROUP_KEYS, "reaches_group", "qty_allocated", "customer_id", "min_qty")
        .filter("reaches_group")
        .group_by(GROUP_KEYS)
        .agg(
            pl.col("qty_allocated").sum().cast(pl.Int64).alias("units"),
            pl.col("customer_id").filter(allocated).n_unique().cast(pl.Int64).alias("participants"),
            pl.col("min_qty").first(),
        )
        .join(lowest, on="listing_id", how="left")
        .with_columns(
            ((pl.col("units") >= pl.col("min_qty"))
             & (pl.col("lowest_threshold").is_null()
                | (pl.col("participants") >= pl.col("lowest_threshold")))).alias("is_formed"))
        .sort(GROUP_KEYS, nulls_last=False)
    )


def form_groups(lines: pl.DataFrame, groups: pl.DataFrame) -> pl.DataFrame:
    """Cut every line of a group that did not form."""
    not_formed = pl.col("reaches_group") & ~pl.col("is_formed").fill_null(True)
    return (
        lines.join(groups.select(*GROUP_KEYS, "is_formed"), on=GROUP_KEYS, how="left", nulls_equal=True)
        .with_columns(first_cut(GROUP_NOT_FORMED, not_formed & (pl.col("qty") > 0)))
        .with_columns(pl.when(not_formed).then(0).otherwise(pl.col("qty_allocated"))
                      .cast(pl.Int64).alias("qty_allocated"))
        .drop("is_formed")
    )


UNFORMED_COLUMNS = ["listing_id", "sku_id", "name", "group_pickup_point_id", "units", "min_qty", "participants",
                    "lowest_threshold", "units_short", "participants_short"]


def rank_unformed_groups(groups: pl.DataFrame, listings: pl.DataFrame, products: pl.DataFrame) -> pl.DataFrame:
    """The groups that did not form, closest to forming first, for ops to act on (the artifact's
    table and summary.xlsx's 未成团 sheet). Closeness is the share reached of the requirement that
    is furthest off: min(units / min_qty, participants / lowest threshold); ties: fewer units
    short, fewer participants short, then listing and pickup point. `units_short` and
    `participants_short` say what is missing (0 when that requirement is met)."""
    if groups.height == 0:
        return pl.DataFrame(schema={"listing_id": pl.String, "sku_id": pl.String, "name": pl.String,
                                    "group_pickup_point_id": pl.String, "units": pl.Int64, "min_qty": pl.Int64,
                                    "participants": pl.Int64, "lowest_threshold": pl.Int64,
                                    "units_short": pl.Int64, "participants_short": pl.Int64})
    units_share = pl.col("units") / pl.max_horizontal(pl.col("min_qty"), pl.lit(1))
    people_share = (pl.col("participants") / pl.col("lowest_threshold")).fill_null(float("inf"))
    return (
        groups.filter(~pl.col("is_formed"))
        .join(listings.select("listing_id", "sku_id"), on="listing_id", how="left")
        .join(products.select("sku_id", "name"), on="sku_id", how="left")
        .with_columns(
            (pl.col("min_qty") - pl.col("units")).clip(lower_bound=0).cast(pl.Int64).alias("units_short"),
            (pl.col("lowest_threshold") - pl.col("participants")).clip(lower_bound=0).fill_null(0)
            .cast(pl.Int64).alias("participants_short"),
            pl.min_horizontal(units_share, people_share).alias("_reached"))
        .sort(["_reached", "units_short", "participants_short", "listing_id", "group_pickup_point_id"],
              descending=[True, False, False, False, False], nulls_last=True)
        .select(UNFORMED_COLUMNS)
    )
