"""Crates (周转箱): how many standard crates each pickup point's goods fill, and what is in each
(docs/labels.md). The crate labels (labels/crate_labels.py) print one label a crate.

A crate holds goods of one storage kind (常温 ambient, 冷藏 chilled, 冷冻 frozen: the category's
`storage` in categories.csv; empty is 常温), since chilled and frozen goods travel in their own
insulated crates. A pickup point's units of a storage kind fill crates of `capacity` units
(CUTOFF_CRATE_UNITS, 30) one after the other, in the order the warehouse picks them (category,
then SKU: the pick list's order), so crate k holds units (k-1) x capacity + 1 .. k x capacity of
that kind and the last one the rest. So a point needs ceil(units / capacity) crates per storage
kind, and its crates are numbered 1..n over the kinds (常温, then 冷藏, then 冷冻). Each crate's
label lists the categories in it with their units.

Pure: frames in, frames out.
"""

from __future__ import annotations

import polars as pl

from schemas.categories import STORAGE
from transforms.sorting import STOP_ORDER

AMBIENT = STORAGE[0]
CRATE_COLUMNS = ["route_id", "route_seq", "pickup_point_id", "point_name", "leader_name", "leader_phone", "crate_no",
                 "crates", "storage", "units", "contents"]


def units_by_storage(units: pl.DataFrame, products: pl.DataFrame, categories: pl.DataFrame) -> pl.DataFrame:
    """Units per pickup point, storage kind and category (units: pickup_point_id, sku_id, units)."""
    storage = categories.select("category", (pl.col("storage") if "storage" in categories.columns
                                             else pl.lit(None, pl.String)).fill_null(AMBIENT).alias("storage"))
    return (units.join(products.select("sku_id", "category"), on="sku_id", how="left")
            .join(storage, on="category", how="left")
            .with_columns(pl.col("storage").fill_null(AMBIENT),
                          pl.col("category").fill_null(pl.col("sku_id")))
            .group_by("pickup_point_id", "storage", "category")
            .agg(pl.col("units").sum().cast(pl.Int64)))


def fill_crates(by_storage: pl.DataFrame, capacity: int) -> pl.DataFrame:
    """One row per crate and category in it: pickup_point_id, storage, crate (within the storage
    kind, from 0), category, units."""
    if capacity < 1:
        raise ValueError(f"a crate holds at least one unit, not {capacity}")
    kind = pl.col("storage").replace_strict({s: n for n, s in enumerate(STORAGE)}, default=len(STORAGE))
    ordered = (by_storage.filter(pl.col("units") > 0)
               .sort("pickup_point_id", kind, "storage", "category")
               .with_columns(pl.col("units").cum_sum().over("pickup_point_id", "storage").alias("_end"))
               .with_columns((pl.col("_end") - pl.col("units")).alias("_start")))
    return (ordered
            .with_columns(pl.int_ranges(pl.col("_start") // capacity, (pl.col("_end") - 1) // capacity + 1)
                          .alias("crate"))
            .explode("crate")
            .with_columns((pl.min_horizontal(pl.col("_end"), (pl.col("crate") + 1) * capacity)
                           - pl.max_horizontal(pl.col("_start"), pl.col("crate") * capacity)).alias("units"))
            .select("pickup_point_id", "storage", pl.col("crate").cast(pl.Int64), "category", "units"))


def prepare_crates(units: pl.DataFrame, pickup_points: pl.DataFrame, products: pl.DataFrame,
                   categories: pl.DataFrame, capacity: int) -> pl.DataFrame:
    """Every crate of every pickup point with units, by route and stop: CRATE_COLUMNS, `contents`
    the categories in it with their units (`水果 12 · 蔬菜 18`), `crate_no` of `crates` at its point.
    `units`: pickup_point_id, sku_id, units (the allocated units, or what a 修订版 hands out)."""
    kind = pl.col("storage").replace_strict({s: n for n, s in enumerate(STORAGE)}, default=len(STORAGE))
    crates = (fill_crates(units_by_storage(units, products, categories), capacity)
              .group_by("pickup_point_id", "storage", "crate", maintain_order=True)
              .agg(pl.col("units").sum(),
                   pl.concat_str([pl.col("category"), pl.col("units").cast(pl.String)], separator=" ")
                   .str.join(" · ").alias("contents"))
              .sort("pickup_point_id", kind, "storage", "crate")
              .with_columns(pl.int_range(1, pl.len() + 1).over("pickup_point_id").cast(pl.Int64).alias("crate_no"),
                            pl.len().over("pickup_point_id").cast(pl.Int64).alias("crates")))
    points = pickup_points.select("pickup_point_id", "route_id", "route_seq", pl.col("name").alias("point_name"),
                                  "leader_name", "leader_phone")
    return (crates.join(points, on="pickup_point_id", how="left")
            .sort("route_id", *STOP_ORDER, "crate_no", nulls_last=True)
            .select(CRATE_COLUMNS))
