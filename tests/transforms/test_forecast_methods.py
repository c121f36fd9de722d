"""Each forecasting method on series whose answer is known by hand (transforms/forecast_methods.py)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from transforms import forecast_methods as m


def history(**series: list[float]) -> pl.DataFrame:
    """One row per period of each named series."""
    rows = [{"key": key, "seq": i, "value": float(v)} for key, values in series.items() for i, v in enumerate(values)]
    return pl.DataFrame(rows, schema={"key": pl.String, "seq": pl.Int64, "value": pl.Float64})


def levels(frame: pl.DataFrame) -> dict[str, float]:
    return dict(frame.select("key", "level").iter_rows())


def test_moving_average_is_the_mean_of_the_last_seven_periods():
    got = levels(m.moving_average(history(a=[100, 100, 1, 2, 3, 4, 5, 6, 7], b=[4, 6])))
    assert got == {"a": pytest.approx(4.0), "b": pytest.approx(5.0)}


def test_moving_average_takes_the_window_asked_for():
    assert levels(m.moving_average(history(a=[1, 2, 3, 10]), window=2)) == {"a": pytest.approx(6.5)}


def test_exponential_smoothing_by_hand():
    # s0 = 10; s1 = 0.5*20 + 0.5*10 = 15; s2 = 0.5*0 + 0.5*15 = 7.5
    got = m.exponential_smoothing(history(a=[10, 20, 0]), alpha=0.5)
    assert levels(got) == {"a": pytest.approx(7.5)} and got["trend"].to_list() == [0.0]


def test_exponential_smoothing_of_a_constant_is_the_constant():
    assert levels(m.exponential_smoothing(history(a=[8] * 30))) == {"a": pytest.approx(8.0)}


def test_holt_follows_a_straight_line_and_damps_its_trend():
    line = [10 + 2 * t for t in range(200)]
    got = m.holt_damped(history(a=line), alpha=0.3).row(0, named=True)
    assert got["level"] == pytest.approx(line[-1], abs=1e-6)
    assert got["trend"] == pytest.approx(2.0, abs=1e-6)
    ahead = pl.select(m.projected(pl.lit(got["level"]), pl.lit(got["trend"]), pl.lit(3.0), phi=0.5)).item()
    assert ahead == pytest.approx(line[-1] + 2 * (0.5 + 0.25 + 0.125))


def test_holt_of_a_constant_has_no_trend():
    got = m.holt_damped(history(a=[5] * 50)).row(0, named=True)
    assert (got["level"], got["trend"]) == (pytest.approx(5.0), pytest.approx(0.0))


def test_croston_is_the_size_over_the_interval():
    # a demand of 3 every third period: 1 a period
    assert levels(m.croston(history(a=[0, 0, 3] * 6))) == {"a": pytest.approx(1.0)}


def test_croston_smooths_sizes_and_intervals_apart_by_hand():
    # demands: 4 at period 1 (interval 2 from the start), 2 at period 2 (interval 1)
    # sizes: 4 -> 0.5*2 + 0.5*4 = 3; intervals: 2 -> 0.5*1 + 0.5*2 = 1.5; level 3 / 1.5 = 2
    assert levels(m.croston(history(a=[0, 4, 2]), alpha=0.5)) == {"a": pytest.approx(2.0)}


def test_croston_and_tsb_give_a_series_without_demand_zero():
    assert levels(m.croston(history(a=[0, 0, 0], b=[1, 1]))) == {"a": 0.0, "b": pytest.approx(1.0)}
    assert levels(m.tsb(history(a=[0, 0, 0]))) == {"a": 0.0}


def test_tsb_fades_a_product_that_stopped_selling():
    # p: 1, 1, 1, then (1 - 0.2)^3 after three periods without demand; size 5
    got = levels(m.tsb(history(a=[5, 5, 5, 0, 0, 0]), alpha=0.2, beta=0.2))
    assert got == {"a": pytest.approx(5 * 0.8 ** 3)}


def test_tsb_of_a_steady_seller_is_its_size():
    assert levels(m.tsb(history(a=[2] * 20))) == {"a": pytest.approx(2.0)}


def test_every_level_method_runs_on_every_series_at_once():
    got = m.level_forecasts(history(a=[1, 2, 3], b=[0, 0, 4]))
    assert got.height == 2 * len(m.LEVEL_METHODS)
    assert set(got["method"]) == set(m.LEVEL_METHODS)


def test_projected_never_goes_below_zero():
    assert pl.select(m.projected(pl.lit(1.0), pl.lit(-5.0), pl.lit(7.0))).item() == 0.0


def test_seasonal_naive_takes_the_same_weekday_last_week_or_before():
    monday = date(2026, 11, 2)
    days = [monday + timedelta(days=i) for i in range(14)]
    observed = pl.DataFrame({"key": "a", "date": days, "units": list(range(14))})
    observed = observed.filter(pl.col("date") != date(2026, 11, 10))  # the second Tuesday: not on sale
    targets = pl.DataFrame({"key": ["a", "a", "b"], "date": [date(2026, 11, 16), date(2026, 11, 17),
                                                              date(2026, 11, 16)]})
    got = m.seasonal_naive(observed, targets)
    # Monday 16th <- Monday 9th (7); Tuesday 17th <- Tuesday 3rd (1); series b has no history
    assert got.select("date", "forecast").rows() == [(date(2026, 11, 16), 7.0), (date(2026, 11, 17), 1.0)]


def test_seasonal_naive_of_a_weekday_never_on_sale_is_the_last_day():
    observed = pl.DataFrame({"key": "a", "date": [date(2026, 11, 2), date(2026, 11, 3)], "units": [4, 9]})
    targets = pl.DataFrame({"key": ["a"], "date": [date(2026, 11, 6)]})  # a Friday
    assert m.seasonal_naive(observed, targets)["forecast"].to_list() == [9.0]
