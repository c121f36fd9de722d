"""Holidays and 调休 from the `holidays` package, weather classes, weekday profiles and the holiday
and weather factors (transforms/forecast_calendar.py)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from transforms import forecast_calendar as c

# The State Council's arrangement for 2026 (国务院办公厅关于2026年部分节假日安排的通知): the breaks
# and the weekend days worked (调休).
BREAKS_2026 = {
    "元旦": (date(2026, 1, 1), date(2026, 1, 3)),
    "春节": (date(2026, 2, 15), date(2026, 2, 23)),
    "清明节": (date(2026, 4, 4), date(2026, 4, 6)),
    "劳动节": (date(2026, 5, 1), date(2026, 5, 5)),
    "端午节": (date(2026, 6, 19), date(2026, 6, 21)),
    "中秋节": (date(2026, 9, 25), date(2026, 9, 27)),
    "国庆节": (date(2026, 10, 1), date(2026, 10, 7)),
}
WORKED_2026 = [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20),
               date(2026, 10, 10)]


def kinds(start: date, end: date) -> dict[date, str]:
    return dict(c.china_days(start, end).select("date", "day_kind").iter_rows())


def test_the_holiday_days_of_2026_are_the_official_breaks_weekends_included():
    days = c.china_days(date(2026, 1, 1), date(2026, 12, 31))
    holidays = set(days.filter(pl.col("day_kind") == c.HOLIDAY)["date"])
    expected = {first + timedelta(days=i) for first, last in BREAKS_2026.values()
                for i in range((last - first).days + 1)}
    assert holidays == expected


@pytest.mark.parametrize("day", WORKED_2026)
def test_a_tiaoxiu_weekend_day_is_an_ordinary_working_day(day):
    assert day.weekday() >= 5
    assert kinds(day, day) == {day: c.SHIFT}


def test_a_break_s_weekend_is_a_holiday_and_an_ordinary_weekend_is_not():
    got = kinds(date(2026, 10, 3), date(2026, 10, 18))
    assert got[date(2026, 10, 3)] == got[date(2026, 10, 4)] == c.HOLIDAY  # Saturday and Sunday of 国庆
    assert got[date(2026, 10, 17)] == got[date(2026, 10, 18)] == c.ORDINARY  # a plain weekend
    assert got[date(2026, 10, 8)] == c.ORDINARY  # the first working day after the break


def test_each_holiday_day_names_its_festival_in_both_languages():
    days = c.china_days(date(2026, 9, 25), date(2026, 9, 27))
    assert days["holiday_zh"].to_list() == ["中秋节"] * 3
    assert days["holiday_en"].to_list() == ["Mid-Autumn Festival"] * 3


def test_china_days_covers_exactly_the_dates_asked():
    days = c.china_days(date(2026, 12, 30), date(2027, 1, 2))
    assert days["date"].to_list() == [date(2026, 12, 30) + timedelta(days=i) for i in range(4)]
    assert days.filter(pl.col("date") == date(2027, 1, 1))["day_kind"].item() == c.HOLIDAY


@pytest.mark.parametrize("precip, temp, expected", [
    (10.0, 20.0, "rain"), (9.9, 33.0, "hot"), (30.0, 36.0, "rain"), (0.0, 3.0, "cold"), (0.0, 3.1, "fair"),
    (None, 20.0, "fair"), (None, None, None),
])
def test_weather_classes(precip, temp, expected):
    frame = pl.DataFrame({"p": [precip], "t": [temp]}, schema={"p": pl.Float64, "t": pl.Float64})
    assert frame.select(c.weather_class(pl.col("p"), pl.col("t"))).item() == expected


def test_shrunk_pulls_a_factor_towards_one_while_the_dates_are_few():
    got = pl.select(c.shrunk(pl.lit(4.0), pl.lit(1.0), 3.0).alias("a"),
                    c.shrunk(pl.lit(4.0), pl.lit(0.0), 3.0).alias("b")).row(0)
    assert got == (pytest.approx(4.0 ** 0.25), pytest.approx(1.0))


def panel(values_by_weekday: dict[int, float], weeks: int = 4, sku: str = "S1", category: str = "水果",
          start: date = date(2026, 11, 2)) -> pl.DataFrame:
    rows = []
    for i in range(7 * weeks):
        day = start + timedelta(days=i)
        rows.append({"origin": date(2027, 1, 1), "sku_id": sku, "category": category, "date": day,
                     "units": values_by_weekday[day.weekday()], "day_kind": c.ORDINARY, "weather": None})
    return pl.DataFrame(rows, schema_overrides={"units": pl.Float64, "weather": pl.String})


def test_a_weekday_profile_is_learnt_and_has_mean_one():
    frame = panel({0: 10, 1: 10, 2: 10, 3: 10, 4: 10, 5: 20, 6: 20})
    profile = c.weekday_profiles(frame).sort("weekday")
    assert profile["w"].mean() == pytest.approx(1.0)
    w = profile["w"].to_list()
    assert w[5] == pytest.approx(w[6]) and w[5] == pytest.approx(2 * w[0])  # its own category: nothing to shrink to
    assert profile["w_shift"][0] == pytest.approx(w[0])  # a 调休 day: the mean of Monday..Friday


def test_a_sku_with_few_days_leans_on_its_category_s_profile():
    busy = panel({0: 10, 1: 10, 2: 10, 3: 10, 4: 10, 5: 30, 6: 30}, weeks=8, sku="BIG")
    flat = panel({0: 5, 1: 5, 2: 5, 3: 5, 4: 5, 5: 5, 6: 5}, weeks=1, sku="NEW")
    profile = c.weekday_profiles(pl.concat([busy, flat]))
    new = dict(profile.filter(pl.col("sku_id") == "NEW").select("weekday", "w").iter_rows())
    assert new[6] > new[1] * 1.2  # pulled towards the category's busy weekend, though its own week is flat


def test_holiday_and_weather_factors_are_learnt_from_the_days_around():
    frame = panel({d: 10 for d in range(7)}, weeks=6)
    holiday = date(2026, 11, 18)
    rainy = [date(2026, 11, 5), date(2026, 11, 12), date(2026, 11, 26), date(2026, 12, 3)]
    frame = frame.with_columns(
        pl.when(pl.col("date") == holiday).then(15.0).when(pl.col("date").is_in(rainy)).then(12.0)
        .otherwise(pl.col("units")).alias("units"),
        pl.when(pl.col("date") == holiday).then(pl.lit(c.HOLIDAY)).otherwise(pl.col("day_kind")).alias("day_kind"),
        pl.when(pl.col("date").is_in(rainy)).then(pl.lit("rain")).otherwise(pl.lit("fair")).alias("weather"))
    levels = c.local_levels(c.with_profile(frame, c.weekday_profiles(frame)))
    holiday_factor = c.holiday_factors(levels)["holiday_factor"].item()
    assert holiday_factor == pytest.approx((15 / 10.3) ** (1 / (1 + c.HOLIDAY_PRIOR)), rel=0.05)
    weather = dict(c.weather_factors(levels).select("weather", "weather_factor").iter_rows())
    assert weather["rain"] > 1.02 and weather["fair"] < 1.0


def test_factors_apply_only_where_they_belong():
    frame = pl.DataFrame({"origin": [date(2027, 1, 1)] * 3, "category": ["水果"] * 3,
                          "day_kind": [c.HOLIDAY, c.ORDINARY, c.HOLIDAY], "weather": ["rain", "rain", None]})
    holiday = pl.DataFrame({"origin": [date(2027, 1, 1)], "category": ["水果"], "holiday_factor": [1.5]})
    weather = pl.DataFrame({"origin": [date(2027, 1, 1)], "weather": ["rain"], "weather_factor": [1.2]})
    assert c.with_factors(frame, holiday, weather)["factor"].to_list() == pytest.approx([1.8, 1.2, 1.5])
