"""The rolling-origin backtest (transforms/forecast_backtest.py): each origin sees only its own past;
the method with the least error is chosen; WAPE, bias and the ranges."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.transforms import forecast_world as world
from transforms import forecast_backtest as b
from transforms.forecast_methods import METHODS


def test_the_origins_are_the_weeks_before_d_then_d():
    assert b.origins_for(date(2026, 11, 23), 3) == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16),
                                                    date(2026, 11, 23)]


def _panel(daily: pl.DataFrame, origins: list[date]) -> pl.DataFrame:
    with_category = daily.join(world.products().select("sku_id", "category"), on="sku_id")
    return b.panel_by_origin(with_category, world.days(), world.no_weather(), origins)


def _targets(daily: pl.DataFrame, origin: date) -> pl.DataFrame:
    frame = pl.DataFrame({"origin": [origin] * 7, "date": [origin + timedelta(days=i) for i in range(7)]})
    return (frame.join(world.products().select("sku_id", "category"), how="cross")
            .join(world.days().select("date", "day_kind"), on="date", how="left")
            .with_columns(pl.lit(None, pl.String).alias("weather")))


def test_each_origin_sees_only_the_days_before_it():
    origins = b.origins_for(world.D, 4)
    panel = _panel(world.daily(), origins)
    assert panel.filter(pl.col("date") >= pl.col("origin")).height == 0
    assert panel.group_by("origin").agg(pl.col("date").max()).sort("origin")["date"].to_list() == \
        [o - timedelta(days=1) for o in origins]


def test_the_backtest_never_uses_the_future():
    """An origin's forecasts from the whole history are those from its past alone: change every
    day from the origin on (a spike that would show in any method) and nothing moves."""
    origins = b.origins_for(world.D, 4)
    daily = world.daily()
    spiked = daily.with_columns(pl.when(pl.col("date") >= origins[1]).then(pl.col("units") * 50 + 999)
                                .otherwise(pl.col("units")).alias("units"))
    targets = _targets(daily, origins[1])

    def predictions(frame: pl.DataFrame) -> pl.DataFrame:
        panel = _panel(frame, origins)
        return b.predict(b.fit(panel), panel, targets).sort("sku_id", "date", "method")
    assert_frame_equal(predictions(daily), predictions(spiked))
    alone = _panel(daily.filter(pl.col("date") < origins[1]), [origins[1]])
    assert_frame_equal(predictions(daily), b.predict(b.fit(alone), alone, targets).sort("sku_id", "date", "method"))


def test_the_backtest_scores_what_each_origin_s_days_sold():
    actuals = b.backtest_targets(world.daily().join(world.products().select("sku_id", "category"), on="sku_id"),
                                 b.origins_for(world.D, 2), world.D, horizon=3)
    spans = actuals.group_by("origin").agg(pl.col("date").min().alias("first"), pl.col("date").max().alias("last"),
                                           pl.len())
    assert spans.sort("origin").rows() == [
        (date(2026, 11, 9), date(2026, 11, 9), date(2026, 11, 11), 9),
        (date(2026, 11, 16), date(2026, 11, 16), date(2026, 11, 18), 9)]


def scores(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["origin", "sku_id", "method", "abs_error", "error", "actual"], orient="row")


def test_the_method_with_the_least_error_is_chosen_ties_to_the_simpler():
    o1, o2 = date(2026, 11, 9), date(2026, 11, 16)
    got = b.choose(scores([
        (o1, "A", "tsb", 5.0, 1.0, 100.0), (o2, "A", "tsb", 5.0, 1.0, 100.0),
        (o1, "A", "croston", 3.0, 1.0, 100.0), (o2, "A", "croston", 9.0, 1.0, 100.0),
        (o1, "B", "seasonal_naive", 4.0, 0.0, 10.0), (o1, "B", "moving_average", 4.0, 0.0, 10.0),
        (o1, "C", "tsb", 1.0, 0.0, 10.0), (o1, "C", "croston", 2.0, 0.0, 10.0), (o2, "C", "croston", 2.0, 0.0, 10.0),
    ]))
    # A: tsb 10 < croston 12; B: a tie, seasonal naive comes first; C: tsb was scored on one origin only
    assert dict(got.iter_rows()) == {"A": "tsb", "B": "seasonal_naive", "C": "croston"}
    assert METHODS[0] == "seasonal_naive"


def test_wape_and_bias_per_sku_and_overall_next_to_seasonal_naive():
    o1 = date(2026, 11, 9)
    rows = scores([(o1, "A", "tsb", 10.0, -4.0, 100.0), (o1, "A", "seasonal_naive", 30.0, 6.0, 100.0),
                   (o1, "B", "tsb", 5.0, 5.0, 0.0), (o1, "B", "seasonal_naive", 1.0, 1.0, 0.0)])
    chosen = pl.DataFrame({"sku_id": ["A", "B"], "method": ["tsb", "seasonal_naive"]})
    per_sku = {r["sku_id"]: r for r in b.accuracy(rows, chosen).iter_rows(named=True)}
    assert (per_sku["A"]["method_wape"], per_sku["A"]["method_bias"]) == (0.1, -0.04)
    assert (per_sku["A"]["naive_wape"], per_sku["A"]["naive_bias"]) == (0.3, 0.06)
    assert per_sku["B"]["method_wape"] is None  # nothing sold: no WAPE
    assert b.overall(rows, chosen) == {"wape": pytest.approx(11 / 100), "bias": pytest.approx(-3 / 100),
                                       "naive_wape": pytest.approx(31 / 100), "naive_bias": pytest.approx(7 / 100)}


def test_the_held_out_figure_scores_the_last_origin_with_methods_chosen_before_it():
    o1, o2 = date(2026, 11, 9), date(2026, 11, 16)
    rows = scores([(o1, "A", "tsb", 1.0, 0.0, 10.0), (o1, "A", "croston", 5.0, 0.0, 10.0),
                   (o2, "A", "tsb", 8.0, 8.0, 10.0), (o2, "A", "croston", 2.0, 0.0, 10.0),
                   (o1, "A", "seasonal_naive", 6.0, 0.0, 10.0), (o2, "A", "seasonal_naive", 4.0, 4.0, 10.0)])
    # chosen from o1: tsb; scored on o2: 8 / 10 (croston would have done better there)
    assert b.held_out(rows) == {"wape": pytest.approx(0.8), "bias": pytest.approx(0.8),
                                "naive_wape": pytest.approx(0.4), "naive_bias": pytest.approx(0.4)}
    assert b.held_out(rows.filter(pl.col("origin") == o1))["wape"] is None


def test_ranges_are_quantiles_of_actual_over_forecast_around_one():
    o = date(2026, 11, 9)
    ratios = [0.5, 0.8, 0.9, 1.0, 1.0, 1.0, 1.1, 1.2, 1.5, 2.0]
    predictions = pl.DataFrame({"origin": o, "sku_id": "A", "date": [o + timedelta(days=i) for i in range(10)],
                                "method": "tsb", "forecast": 10.0})
    actuals = predictions.select("origin", "sku_id", "date", (pl.Series(ratios) * 10).alias("actual"))
    chosen = pl.DataFrame({"sku_id": ["A"], "method": ["tsb"]})
    products = pl.DataFrame({"sku_id": ["A"], "supplier_id": ["S1"]})
    per_sku, per_supplier, pooled = b.ranges(predictions, actuals, chosen, products)
    low, high = per_sku.row(0, named=True)["low"], per_sku.row(0, named=True)["high"]
    assert low < 0.9 and high > 1.2 and low <= 1.0 <= high
    assert pooled["low"] == pytest.approx(low) and pooled["high"] == pytest.approx(high)  # one SKU: its own = pooled
    assert per_supplier["supplier_id"].to_list() == ["S1"]
