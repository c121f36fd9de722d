"""The forecast (transforms/forecast.py): which SKU-dates get a row, the pickup points' shares, the
hierarchy (points add up to their SKU, SKUs to their supplier), the ranges, cases, caps; and the
future of the warehouse never reaching it."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from schemas.forecasts import Forecasts
from tests.transforms import forecast_world as world
from transforms import forecast as f

D = world.D


def forecast(listings: pl.DataFrame | None = None, daily: pl.DataFrame | None = None,
             points: pl.DataFrame | None = None, horizon: int = 7, weather: pl.DataFrame | None = None) -> f.Forecast:
    return f.forecast_demand(world.daily() if daily is None else daily,
                             world.point_units() if points is None else points, world.products(),
                             world.no_listings() if listings is None else listings, world.days(horizon=horizon),
                             world.no_weather() if weather is None else weather, D, horizon)


def listed(rows: list[tuple[str, date, int | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"sku_id": pl.String, "cutoff_date": pl.Date, "stock_cap": pl.Int64},
                        orient="row")


def test_a_sku_that_sold_nothing_in_14_days_gets_no_row():
    rows = forecast().rows
    assert set(rows["sku_id"].drop_nulls()) == {"A", "B"}  # C stopped selling three weeks ago
    assert set(rows.filter(pl.col("level") == "supplier")["supplier_id"]) == {"S1"}


def test_a_planned_date_forecasts_only_the_skus_listed_on_it():
    targets = f.forecast_targets(world.daily(), listed([("A", D, None), ("C", D, 50)]), D, 3)
    by_date = {d: sorted(g["sku_id"]) for (d,), g in targets.group_by("date")}
    # D is planned: only A (C is listed, but sold nothing lately); D+1, D+2 are not: every active SKU
    assert by_date == {D: ["A"], D + timedelta(days=1): ["A", "B"], D + timedelta(days=2): ["A", "B"]}
    assert targets.filter(pl.col("date") == D)["planned"].to_list() == [True]


def test_a_cap_counts_only_when_every_listing_of_the_day_has_one():
    targets = f.forecast_targets(world.daily(), listed([("A", D, 5), ("A", D, 7), ("B", D, 4), ("B", D, None)]),
                                 D, 1)
    assert dict(targets.select("sku_id", "cap").iter_rows()) == {"A": 12.0, "B": None}


def test_the_points_add_up_to_their_sku_and_the_skus_to_their_supplier():
    rows = forecast().rows
    Forecasts.validate(rows)
    assert tuple(rows.columns) == f.COLUMNS
    skus = rows.filter(pl.col("level") == "sku")
    points = (rows.filter(pl.col("level") == "sku_point").group_by("sku_id", "cutoff_date")
              .agg(pl.col("units_p50").sum().alias("points")))
    joined = skus.join(points, on=["sku_id", "cutoff_date"])
    assert joined.height == skus.height
    assert joined["points"].to_list() == pytest.approx(joined["units_p50"].to_list(), abs=1e-5)
    suppliers = rows.filter(pl.col("level") == "supplier").join(
        skus.group_by("supplier_id", "cutoff_date").agg(pl.col("units_p50").sum().alias("skus"),
                                                        pl.col("cases_p50").sum().alias("sku_cases")),
        on=["supplier_id", "cutoff_date"])
    assert suppliers["skus"].to_list() == pytest.approx(suppliers["units_p50"].to_list(), abs=1e-5)
    assert suppliers["sku_cases"].to_list() == suppliers["cases_p50"].to_list()
    assert (rows["units_p10"] <= rows["units_p50"] + 1e-9).all()
    assert (rows["units_p50"] <= rows["units_p90"] + 1e-9).all()


def test_a_steady_weekday_pattern_is_forecast_and_split_by_the_points_shares():
    rows = forecast().rows
    a = dict(rows.filter((pl.col("level") == "sku") & (pl.col("sku_id") == "A")).select("cutoff_date", "units_p50")
             .iter_rows())
    assert a[D] == pytest.approx(10, rel=0.05)  # Monday
    assert a[D + timedelta(days=5)] == pytest.approx(20, rel=0.05)  # Saturday
    points = rows.filter((pl.col("level") == "sku_point") & (pl.col("sku_id") == "A") & (pl.col("cutoff_date") == D))
    shares = dict(points.select("pickup_point_id", "units_p50").iter_rows())
    assert shares == {"P1": pytest.approx(a[D] * 0.5, rel=0.01), "P2": pytest.approx(a[D] * 0.3, rel=0.01),
                      "P3": pytest.approx(a[D] * 0.2, rel=0.01)}


def test_cases_as_the_supplier_packs_them():
    frame = pl.DataFrame({"u": [0.0, 0.1, 6.0, 6.1, 25.0], "case_pack": [6, 6, 6, 6, 10],
                          "case_rounding": ["up", "up", "up", "up", "down"]})
    assert frame.select(f.cases(pl.col("u"))).to_series().to_list() == [0, 1, 1, 2, 2]
    rows = forecast().rows.filter(pl.col("level") == "sku")
    a = rows.filter(pl.col("sku_id") == "A")  # case pack 6, rounded up
    assert (a["cases_p50"] == (a["units_p50"] / 6).ceil().cast(pl.Int64)).all()
    assert rows.filter(pl.col("level") == "sku_point").height == 0


def test_a_known_stock_cap_caps_the_forecast():
    rows = forecast(listed([("A", D, 4), ("B", D, None)]), horizon=1).rows
    a = rows.filter((pl.col("level") == "sku") & (pl.col("sku_id") == "A")).row(0, named=True)
    assert a["units_p50"] == 4.0 and a["units_p90"] == 4.0 and a["units_p10"] <= 4.0


def test_the_point_shares_are_tsb_over_the_sku_s_days():
    days = [D - timedelta(days=3), D - timedelta(days=2), D - timedelta(days=1)]
    daily = pl.DataFrame({"sku_id": "A", "date": days, "units": [4, 4, 4]})
    points = pl.DataFrame({"sku_id": ["A", "A", "A"], "pickup_point_id": ["P1", "P1", "P2"],
                           "date": [days[0], days[2], days[1]], "units": [2, 2, 4]})
    shares = dict(f.point_shares(points, daily, D).select("pickup_point_id", "share").iter_rows())
    beta = f.SHARE_BETA
    p1 = (beta * (1 - beta) ** 2 + beta) * 2  # bought 2 units on days aged 2 and 0
    p2 = beta * (1 - beta) * 4                # bought 4 on the day aged 1
    assert shares == {"P1": pytest.approx(p1 / (p1 + p2)), "P2": pytest.approx(p2 / (p1 + p2))}


def test_the_future_of_the_warehouse_never_reaches_the_forecast():
    """Cutoffs dated D and later (run already, or a spike) change no row and no figure."""
    later = [D + timedelta(days=i) for i in range(10)]
    future = pl.DataFrame({"sku_id": ["A"] * 10 + ["C"] * 10, "date": later * 2, "units": [999] * 20},
                          schema_overrides={"units": pl.Int64})
    future_points = pl.DataFrame({"sku_id": "C", "pickup_point_id": "P9", "date": later, "units": 999},
                                 schema_overrides={"units": pl.Int64})
    plain, leaked = forecast(), forecast(daily=pl.concat([world.daily(), future]),
                                         points=pl.concat([world.point_units(), future_points]))
    assert_frame_equal(plain.rows, leaked.rows)
    assert_frame_equal(plain.accuracy, leaked.accuracy)
    assert plain.overall == leaked.overall


def test_the_same_inputs_give_the_same_rows():
    assert_frame_equal(forecast().rows, forecast().rows)


def test_the_backtest_figures_come_with_the_forecast():
    result = forecast()
    assert result.overall["origins"] == [(D - timedelta(days=7 * k)).isoformat() for k in (4, 3, 2, 1)]
    assert result.overall["wape"] < result.overall["naive_wape"] + 1e-9
    assert set(result.accuracy["sku_id"]) == {"A", "B", "C"}


def test_weather_on_a_forecast_date_moves_it_by_its_class():
    wet = [d for d in world.history_days() if d.day % 4 == 0]
    daily = world.daily().with_columns(pl.when(pl.col("date").is_in(wet) & (pl.col("sku_id") == "A"))
                                       .then(pl.col("units") * 2).otherwise(pl.col("units")).alias("units"))
    weather = pl.DataFrame({"date": [*wet, D], "weather": ["rain"] * (len(wet) + 1)})
    rainy = forecast(daily=daily, weather=weather, horizon=2).rows
    dry = forecast(daily=daily, weather=weather.filter(pl.col("date") != D), horizon=2).rows

    def a_on(rows: pl.DataFrame) -> float:
        return rows.filter((pl.col("level") == "sku") & (pl.col("sku_id") == "A") & (pl.col("cutoff_date") == D))[
            "units_p50"].item()
    assert a_on(rainy) > a_on(dry) * 1.3  # rain doubled A's sales: a rainy day is forecast higher


def test_nightly_listings_are_dated_by_the_cutoff_that_closes_them():
    utc = timezone.utc
    listings = pl.DataFrame({"sku_id": ["A", "B", "C"], "calendar": ["nightly", "nightly", "weekly"],
                             "closes_at": [datetime(2026, 11, 23, 12, 0, tzinfo=utc),   # 20:00 Shanghai: D
                                           datetime(2026, 11, 23, 12, 1, tzinfo=utc),   # 20:01: the next one
                                           datetime(2026, 11, 23, 12, 0, tzinfo=utc)]})
    got = f.nightly_cutoff_dates(listings, "Asia/Shanghai", time(20, 0))
    assert got.select("sku_id", "cutoff_date").rows() == [("A", D), ("B", D + timedelta(days=1))]
