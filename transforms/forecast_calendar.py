"""The calendar of demand (docs/forecast.md): Chinese public holidays and 调休, the weekday profile
of each SKU, and the factors of holidays and weather, each learnt from history.

Holidays come from the `holidays` package (pinned; its China calendar lists the statutory days,
the days off moved by 调休, and the weekend days worked instead). A holiday day is a day of an
official break: a run of days off (a listed holiday, or a weekend day that is not worked) holding
at least one listed holiday, so a break's weekend is a holiday (国庆 2026: 10-01..10-07) and a
weekend next to a one-day festival joins it (中秋 2026: 09-25..09-27). A 调休 day (a weekend day
worked, 2026-09-20) is an ordinary working day: it gets the SKU's mean Monday-to-Friday profile.

Every estimate here is made per forecast `origin` from the rows dated before it, so a backtest
origin sees only its own past.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays as holiday_data
import polars as pl

ORDINARY, HOLIDAY, SHIFT = "ordinary", "holiday", "shift"  # day kinds; SHIFT: a 调休 working day
PROFILE_PRIOR = 4.0      # weekday profile: a SKU's own days weigh as much as this many of its category's
HOLIDAY_PRIOR = 1.0      # a holiday factor is shrunk towards 1 until this many holiday dates back it
WEATHER_PRIOR = 3.0      # a weather factor, until this many dates of its class
LOCAL_WINDOW = 15        # the local level around a day: this many ordinary observed days, centred
RAIN_MM, HOT_C, COLD_C = 10.0, 33.0, 3.0
WEATHER_CLASSES = ("rain", "hot", "cold", "fair")


def china_days(start: date, end: date) -> pl.DataFrame:
    """Every date of start..end: `day_kind` (ordinary, holiday, shift), `holiday_zh` and
    `holiday_en` (the festival a holiday day belongs to, e.g. 国庆节 / National Day)."""
    years = range(start.year - 1, end.year + 2)
    zh = holiday_data.China(years=years, language="zh_CN")
    en = holiday_data.China(years=years, language="en_US")
    worked = set(zh.weekend_workdays)
    first, last = start - timedelta(days=20), end + timedelta(days=20)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    off = [d in zh or (d.weekday() >= 5 and d not in worked) for d in days]
    kinds: dict[date, tuple[str, str | None, str | None]] = {}
    i = 0
    while i < len(days):
        if not off[i]:
            kinds[days[i]] = (SHIFT if days[i] in worked else ORDINARY, None, None)
            i += 1
            continue
        j = i
        while j < len(days) and off[j]:
            j += 1
        listed = [d for d in days[i:j] if d in zh]
        named = [d for d in listed if "休息日" not in zh[d]] or listed
        for d in days[i:j]:
            kinds[d] = (HOLIDAY, zh[named[0]], en[named[0]]) if listed else (ORDINARY, None, None)
        i = j
    wanted = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return pl.DataFrame({"date": wanted, "day_kind": [kinds[d][0] for d in wanted],
                         "holiday_zh": [kinds[d][1] for d in wanted], "holiday_en": [kinds[d][2] for d in wanted]},
                        schema={"date": pl.Date, "day_kind": pl.String, "holiday_zh": pl.String,
                                "holiday_en": pl.String})


def weather_class(precip_mm: pl.Expr, temp_max_c: pl.Expr) -> pl.Expr:
    """rain (>= 10 mm), else hot (>= 33 °C), else cold (<= 3 °C), else fair; null when neither is known."""
    return (pl.when(precip_mm >= RAIN_MM).then(pl.lit("rain"))
            .when(temp_max_c >= HOT_C).then(pl.lit("hot"))
            .when(temp_max_c <= COLD_C).then(pl.lit("cold"))
            .when(precip_mm.is_not_null() | temp_max_c.is_not_null()).then(pl.lit("fair"))
            .otherwise(pl.lit(None, pl.String)))


def shrunk(ratio: pl.Expr, dates: pl.Expr, prior: float) -> pl.Expr:
    """A factor learnt from `dates` dates, pulled towards 1 (in logs) while they are few."""
    return (ratio.log() * dates / (dates + prior)).exp()


def weekday_profiles(panel: pl.DataFrame) -> pl.DataFrame:
    """Per origin and SKU, the multiplicative weekday profile `w` (weekday 1..7, mean 1 over the
    week) from its ordinary days, shrunk towards its category's; and `w_shift`, its mean
    Monday-to-Friday profile (for 调休 days).

    panel: origin, sku_id, category, date, units, day_kind."""
    ordinary = panel.filter(pl.col("day_kind") == ORDINARY).with_columns(
        pl.col("date").dt.weekday().alias("weekday"),
        pl.col("units").mean().over("origin", "sku_id").alias("_mean"))
    own = ordinary.group_by("origin", "sku_id", "category", "weekday").agg(
        pl.col("units").sum().alias("_units"), pl.col("_mean").sum().alias("_expected"), pl.len().alias("_n"))
    category = (own.group_by("origin", "category", "weekday")
                .agg((pl.col("_units").sum() / pl.col("_expected").sum()).fill_nan(1.0).alias("_cat")))
    category = category.with_columns((pl.col("_cat") / pl.col("_cat").mean().over("origin", "category"))
                                     .fill_nan(1.0).alias("_cat"))
    skus = panel.select("origin", "sku_id", "category").unique()
    grid = skus.join(pl.DataFrame({"weekday": list(range(1, 8))}, schema={"weekday": pl.Int8}), how="cross")
    profile = (grid.join(own, on=["origin", "sku_id", "category", "weekday"], how="left")
               .join(category, on=["origin", "category", "weekday"], how="left")
               .with_columns(pl.col("_cat").fill_null(1.0), pl.col("_n").fill_null(0))
               .with_columns(pl.when(pl.col("_expected") > 0).then(pl.col("_units") / pl.col("_expected"))
                             .otherwise(pl.col("_cat")).alias("_own"))
               .with_columns(((pl.col("_n") * pl.col("_own") + PROFILE_PRIOR * pl.col("_cat"))
                              / (pl.col("_n") + PROFILE_PRIOR)).alias("w")))
    profile = profile.with_columns((pl.col("w") / pl.col("w").mean().over("origin", "sku_id")).fill_nan(1.0)
                                   .alias("w"))
    return profile.select("origin", "sku_id", "weekday", "w").with_columns(
        pl.col("w").filter(pl.col("weekday") <= 5).mean().over("origin", "sku_id").alias("w_shift"))


def with_profile(frame: pl.DataFrame, profiles: pl.DataFrame) -> pl.DataFrame:
    """`frame` (origin, sku_id, date, day_kind) with `profile`: the weekday's profile on an
    ordinary day, the mean working-day profile on a 调休 day, 1 (the mean day) on a holiday."""
    weekday = pl.col("date").dt.weekday().alias("weekday")
    joined = frame.with_columns(weekday).join(profiles, on=["origin", "sku_id", "weekday"], how="left")
    return joined.with_columns(
        pl.when(pl.col("day_kind") == HOLIDAY).then(pl.lit(1.0))
        .when(pl.col("day_kind") == SHIFT).then(pl.col("w_shift"))
        .otherwise(pl.col("w")).fill_null(1.0).alias("profile")).drop("weekday", "w", "w_shift")


def local_levels(panel: pl.DataFrame) -> pl.DataFrame:
    """panel (with `profile`) plus `baseline`: what the day would sell as an ordinary day of its
    weekday, from the SKU's profile-adjusted ordinary days around it (centred, the day itself
    left out)."""
    ordinary = (panel.filter(pl.col("day_kind") == ORDINARY).sort("origin", "sku_id", "date")
                .with_columns((pl.col("units") / pl.col("profile")).alias("_x")))
    window = dict(window_size=LOCAL_WINDOW, center=True, min_samples=1)
    ordinary = ordinary.with_columns(
        pl.col("_x").rolling_sum(**window).over("origin", "sku_id").alias("_sum"),
        pl.col("_x").is_not_null().cast(pl.Float64).rolling_sum(**window).over("origin", "sku_id").alias("_count"))
    around = ordinary.select("origin", "sku_id", "date", "_x", "_sum", "_count")
    joined = (panel.sort("date").join_asof(around.sort("date").rename({"date": "_near"}), left_on="date",
                                            right_on="_near", by=["origin", "sku_id"], strategy="nearest",
                                            check_sortedness=False))
    itself = pl.col("date") == pl.col("_near")
    level = (pl.when(itself).then((pl.col("_sum") - pl.col("_x")) / (pl.col("_count") - 1))
             .otherwise(pl.col("_sum") / pl.col("_count")))
    return joined.with_columns((level * pl.col("profile")).alias("baseline")).drop("_near", "_x", "_sum", "_count")


def _factor(rows: pl.DataFrame, by: list[str], prior: float) -> pl.DataFrame:
    return (rows.filter(pl.col("baseline").is_finite() & (pl.col("baseline") > 0))
            .group_by(by).agg((pl.col("units").sum() / pl.col("baseline").sum()).alias("_ratio"),
                              pl.col("date").n_unique().alias("_dates"))
            .select(*by, shrunk(pl.col("_ratio").clip(0.05, 20.0), pl.col("_dates"), prior).alias("factor")))


def holiday_factors(levels: pl.DataFrame) -> pl.DataFrame:
    """Per origin and category: units on holiday days over what those days would sell as
    ordinary ones (shrunk towards 1: no holiday in the history, factor 1)."""
    return _factor(levels.filter(pl.col("day_kind") == HOLIDAY), ["origin", "category"], HOLIDAY_PRIOR).rename(
        {"factor": "holiday_factor"})


def weather_factors(levels: pl.DataFrame) -> pl.DataFrame:
    """Per origin and weather class, over every SKU: units on the ordinary days of that class
    over their local level (the mean mix of weather), shrunk towards 1."""
    return _factor(levels.filter((pl.col("day_kind") == ORDINARY) & pl.col("weather").is_not_null()),
                   ["origin", "weather"], WEATHER_PRIOR).rename({"factor": "weather_factor"})


def with_factors(frame: pl.DataFrame, holiday: pl.DataFrame, weather: pl.DataFrame) -> pl.DataFrame:
    """`frame` (origin, category, day_kind, weather) with `factor`: the holiday factor on a holiday
    day times the weather factor of the day's class (1 where unknown)."""
    joined = (frame.join(holiday, on=["origin", "category"], how="left")
              .join(weather, on=["origin", "weather"], how="left"))
    holiday_part = pl.when(pl.col("day_kind") == HOLIDAY).then(pl.col("holiday_factor").fill_null(1.0)).otherwise(1.0)
    return joined.with_columns((holiday_part * pl.col("weather_factor").fill_null(1.0)).alias("factor")).drop(
        "holiday_factor", "weather_factor")
