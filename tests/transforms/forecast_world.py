"""A small world to forecast in by hand: three SKUs of two suppliers at three pickup points, weeks of
nightly cutoffs before D (built in functions: no polars at import, docs/mutation.md)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from transforms.forecast_calendar import china_days

D = date(2026, 11, 23)  # a Monday
WEEKS = 8


def history_days(weeks: int = WEEKS, day: date = D) -> list[date]:
    return [day - timedelta(days=7 * weeks - i) for i in range(7 * weeks)]


def products() -> pl.DataFrame:
    return pl.DataFrame({"sku_id": ["A", "B", "C"], "supplier_id": ["S1", "S1", "S2"],
                         "category": ["水果", "水果", "蔬菜"], "case_pack": [6, 1, 10],
                         "case_rounding": ["up", "up", "down"]})


def daily(day: date = D, weeks: int = WEEKS) -> pl.DataFrame:
    """A: 10 on working days, 20 at weekends; B: 3 every third day (0 between); C: sold until three
    weeks before D, then nothing (on sale, 0)."""
    rows = []
    for i, d in enumerate(history_days(weeks, day)):
        rows.append({"sku_id": "A", "date": d, "units": 20 if d.weekday() >= 5 else 10})
        rows.append({"sku_id": "B", "date": d, "units": 3 if i % 3 == 2 else 0})
        rows.append({"sku_id": "C", "date": d, "units": 5 if d < day - timedelta(days=21) else 0})
    return pl.DataFrame(rows, schema={"sku_id": pl.String, "date": pl.Date, "units": pl.Int64})


def point_units(day: date = D, weeks: int = WEEKS) -> pl.DataFrame:
    """Each sale split over the points: A 50/30/20 at P1/P2/P3 (in units), B all at P1."""
    rows = []
    for row in daily(day, weeks).filter(pl.col("units") > 0).iter_rows(named=True):
        if row["sku_id"] == "A":
            shares = {"P1": 0.5, "P2": 0.3, "P3": 0.2}
            rows += [{"sku_id": "A", "pickup_point_id": p, "date": row["date"], "units": int(row["units"] * s)}
                     for p, s in shares.items()]
        elif row["sku_id"] == "B":
            rows.append({"sku_id": "B", "pickup_point_id": "P1", "date": row["date"], "units": row["units"]})
    return pl.DataFrame(rows, schema={"sku_id": pl.String, "pickup_point_id": pl.String, "date": pl.Date,
                                      "units": pl.Int64})


def no_listings() -> pl.DataFrame:
    return pl.DataFrame(schema={"sku_id": pl.String, "cutoff_date": pl.Date, "stock_cap": pl.Int64})


def no_weather() -> pl.DataFrame:
    return pl.DataFrame(schema={"date": pl.Date, "weather": pl.String})


def days(day: date = D, weeks: int = WEEKS, horizon: int = 7) -> pl.DataFrame:
    return china_days(day - timedelta(days=7 * weeks + 1), day + timedelta(days=horizon))
