"""The rows the forecast (`cutoff forecast`, transforms/forecast.py) reads: only nightly cutoffs
dated before the forecast date D, whatever else the warehouse holds (later cutoffs already run,
orders ingested and not yet cut off). Units are what a cutoff allocated, before case rounding:
`qty_allocated`, plus the units a `down` product's case rounding took back (`case_not_filled`)."""

from __future__ import annotations

from datetime import date

import polars as pl

from warehouse.connection import Warehouse

UNITS = ("CAST(sum(qty_allocated + CASE WHEN cut_reason = 'case_not_filled' THEN qty_cut ELSE 0 END) "
         "AS BIGINT) AS units")


def nightly_cutoffs_before(warehouse: Warehouse, day: date, start: date) -> list[date]:
    """The nightly cutoffs dated start..D-1 that ran successfully."""
    return warehouse.frame(
        "SELECT cutoff_date FROM runs WHERE calendar = 'nightly' AND status = 'success' AND cutoff_date >= ? "
        "AND cutoff_date < ? ORDER BY cutoff_date", [start, day])["cutoff_date"].to_list()


def sku_units(warehouse: Warehouse, day: date, start: date) -> pl.DataFrame:
    """sku_id, date, units: per SKU and nightly cutoff dated start..D-1, the units allocated (a SKU
    with eligible lines and nothing allocated has 0)."""
    return warehouse.frame(
        f"SELECT sku_id, cutoff_date AS date, {UNITS} FROM allocations WHERE calendar = 'nightly' "
        "AND cutoff_date >= ? AND cutoff_date < ? GROUP BY ALL ORDER BY sku_id, date", [start, day])


def point_units(warehouse: Warehouse, day: date, start: date) -> pl.DataFrame:
    """sku_id, pickup_point_id, date, units (> 0) per nightly cutoff dated start..D-1."""
    return warehouse.frame(
        f"SELECT sku_id, pickup_point_id, cutoff_date AS date, {UNITS} FROM allocations "
        "WHERE calendar = 'nightly' AND cutoff_date >= ? AND cutoff_date < ? "
        "AND (qty_allocated > 0 OR cut_reason = 'case_not_filled') GROUP BY ALL HAVING units > 0 "
        "ORDER BY sku_id, pickup_point_id, date",
        [start, day])


def stored_listings(warehouse: Warehouse) -> pl.DataFrame:
    """The listings the last cutoff read (the master data it stored): to know the past days a SKU
    was on sale and sold nothing."""
    if not warehouse.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'listings'"):
        return pl.DataFrame(schema={"sku_id": pl.String, "calendar": pl.String,
                                    "closes_at": pl.Datetime("us", "UTC"), "stock_cap": pl.Int64})
    return warehouse.frame("SELECT sku_id, calendar, closes_at, stock_cap FROM listings")
