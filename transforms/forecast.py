"""Tomorrow's demand (预测, docs/forecast.md): the expected units of the nightly cutoffs D..D+H-1 per
SKU, per SKU and pickup point, and per supplier, each with a P10-P90 range and in cases.

- SKU: each SKU's method, chosen by the rolling-origin backtest (transforms/forecast_backtest.py),
  forecasts its units; the range is P50 times the 10% and 90% quantiles of actual / forecast
  the backtest saw for it (blended with the pooled ones). A known stock cap caps all three.
- SKU and pickup point: the SKU's P50 split by each point's share, a TSB estimate of the point's
  recent units (`point_shares`), so the points add up to the SKU. Their range adds the point's
  own noise (the SKU's dispersion) to its share of the SKU's range.
- Supplier: its SKUs' P50 added up; its range from the backtest of those sums.

Which SKUs on which dates: a SKU that sold nothing in the 14 days before D gets no row. A date
for which the listings hold any nightly listing is planned: a SKU without a listing on it gets
no row. A date with none planned yet assumes the SKUs sold lately stay on sale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

import polars as pl

from transforms.forecast_backtest import (
    BACKTEST_WEEKS,
    DEFAULT_METHOD,
    accuracy,
    backtest_targets,
    choose,
    fit,
    held_out,
    origins_for,
    overall,
    panel_by_origin,
    predict,
    ranges,
    score,
)

CALENDAR = "nightly"
ACTIVE_DAYS = 14      # a SKU with nothing sold in the 14 days before D gets no row
SHARE_DAYS = 28       # the pickup points' shares: from the SKU's days in the 28 days before D
SHARE_ALPHA = 0.2     # TSB at the points: sizes
SHARE_BETA = 0.1      # TSB at the points: how often
DECIMALS = 6          # units are rounded here: the same inputs give the same bits (sums in threads do not)
Z10 = 1.2815515655446004  # the standard normal's 90% quantile
COLUMNS = ("level", "calendar", "cutoff_date", "sku_id", "supplier_id", "pickup_point_id",
           "units_p10", "units_p50", "units_p90", "cases_p10", "cases_p50", "cases_p90", "method")
LEVELS = ("supplier", "sku", "sku_point")


@dataclass(frozen=True)
class Forecast:
    rows: pl.DataFrame       # COLUMNS: the forecast.parquet rows
    accuracy: pl.DataFrame   # per SKU: method, method_wape, method_bias, naive_wape, naive_bias, actual
    overall: dict            # the backtest's overall figures, and `held_out` (the last origin, chosen before)
    history: pl.DataFrame    # sku_id, date, units: what the SKUs sold (the charts)
    days: pl.DataFrame       # the forecast dates: date, day_kind, holiday_zh, holiday_en, weather, planned


def nightly_cutoff_dates(listings: pl.DataFrame, timezone: str, nightly_at: time) -> pl.DataFrame:
    """The nightly listings with the date of the cutoff that closes each (`cutoff_date`): the
    local date of `closes_at`, or the day after when it closes after the nightly time."""
    local = pl.col("closes_at").dt.convert_time_zone(timezone)
    return listings.filter(pl.col("calendar") == CALENDAR).with_columns(
        pl.when(local.dt.time() <= nightly_at).then(local.dt.date())
        .otherwise(local.dt.date() + timedelta(days=1)).alias("cutoff_date"))


def forecast_targets(daily: pl.DataFrame, listings: pl.DataFrame, day: date, horizon: int) -> pl.DataFrame:
    """sku_id, date, cap, planned: the SKU-dates to forecast (module docstring). `listings`:
    sku_id, cutoff_date, stock_cap. `cap`: the day's stock caps added up when every listing of
    the SKU that day has one."""
    dates = [day + timedelta(days=i) for i in range(horizon)]
    active = (daily.filter((pl.col("date") >= day - timedelta(days=ACTIVE_DAYS)) & (pl.col("date") < day))
              .group_by("sku_id").agg(pl.col("units").sum()).filter(pl.col("units") > 0).select("sku_id"))
    planned = listings.filter(pl.col("cutoff_date").is_in(dates))
    caps = planned.group_by("sku_id", pl.col("cutoff_date").alias("date")).agg(
        pl.when(pl.col("stock_cap").is_null().any()).then(None).otherwise(pl.col("stock_cap").sum())
        .cast(pl.Float64).alias("cap"))
    caps = caps.with_columns(pl.lit(True).alias("_listed"))
    grid = active.join(pl.DataFrame({"date": dates}, schema={"date": pl.Date}), how="cross")
    planned_dates = planned["cutoff_date"].unique().implode()
    return (grid.join(caps, on=["sku_id", "date"], how="left")
            .with_columns(pl.col("date").is_in(planned_dates).alias("planned"))
            .filter(~pl.col("planned") | pl.col("_listed").fill_null(False))
            .drop("_listed").sort("sku_id", "date"))


def point_shares(point_units: pl.DataFrame, daily: pl.DataFrame, day: date) -> pl.DataFrame:
    """sku_id, pickup_point_id, share (adding up to 1 per SKU), dispersion (the SKU's variance
    over mean of a point's units on a day it sells: the points' noise).

    A point's estimate is TSB-like over the SKU's days of the last SHARE_DAYS: how often it buys
    (smoothed over every day the SKU was on sale, a day without a sale counting 0: the sum of
    beta (1 - beta)^age over its purchases, age in the SKU's days since) times how much (its
    purchases' units weighted (1 - alpha)^age). Computed from the days it bought alone, in the
    order of `point_units` (give it sorted: the rows come out in that order), no window per point:
    millions of point series are a few sums."""
    start = day - timedelta(days=SHARE_DAYS)
    sku_days = (daily.filter((pl.col("date") >= start) & (pl.col("date") < day)).select("sku_id", "date")
                .sort("sku_id", "date")
                .with_columns((pl.len().over("sku_id") - 1 - pl.int_range(pl.len()).over("sku_id")).alias("_age")))
    rows = (point_units.filter((pl.col("date") >= start) & (pl.col("date") < day) & (pl.col("units") > 0))
            .join(sku_days, on=["sku_id", "date"], how="inner", maintain_order="left")
            .with_columns(pl.col("units").cast(pl.Float64),
                          (SHARE_BETA * (1 - SHARE_BETA) ** pl.col("_age").cast(pl.Float64)).alias("_often"),
                          ((1 - SHARE_ALPHA) ** pl.col("_age").cast(pl.Float64)).alias("_w")))
    points = (rows.group_by("sku_id", "pickup_point_id", maintain_order=True)
              .agg(pl.col("_often").sum(), (pl.col("_w") * pl.col("units")).sum().alias("_wu"), pl.col("_w").sum())
              .select("sku_id", "pickup_point_id", (pl.col("_often") * pl.col("_wu") / pl.col("_w")).alias("_f")))
    dispersion = rows.group_by("sku_id").agg(
        ((pl.col("units") ** 2).sum() / pl.col("units").sum()).alias("dispersion"))
    return (points.with_columns((pl.col("_f") / pl.col("_f").sum().over("sku_id")).alias("share"))
            .join(dispersion, on="sku_id", how="left", maintain_order="left")
            .select("sku_id", "pickup_point_id", "share", "dispersion"))


def cases(units: pl.Expr) -> pl.Expr:
    """Units in whole supplier cases, as the product is bought: `up` rounds up, `down` down."""
    whole = units / pl.col("case_pack")
    return (pl.when(pl.col("case_rounding") == "down").then(whole.floor()).otherwise(whole.ceil())
            .cast(pl.Int64))


def _point_rows(skus: pl.DataFrame, shares: pl.DataFrame) -> pl.DataFrame:
    """The SKU rows split over their pickup points (the P50 adds up; the range per point): a
    point's spread is its own noise (the SKU's dispersion times its P50) and its share of the
    SKU's range, which moves every point together."""
    m = pl.col("units_p50")
    relative = (pl.col("_high") - pl.col("_low")) / (2 * Z10)
    spread = (pl.col("dispersion").fill_null(1.0) * m + (m * relative) ** 2).sqrt()
    return (skus.drop("pickup_point_id").join(shares, on="sku_id", how="inner", maintain_order="left_right")
            .with_columns((pl.col("units_p10") / pl.col("units_p50")).fill_nan(1.0).alias("_low"),
                          (pl.col("units_p90") / pl.col("units_p50")).fill_nan(1.0).alias("_high"),
                          (pl.col("units_p50") * pl.col("share")).alias("units_p50"))
            .with_columns(pl.min_horizontal(pl.max_horizontal(m - Z10 * spread, pl.lit(0.0)), m).alias("units_p10"),
                          (m + Z10 * spread).alias("units_p90"),
                          pl.lit("sku_point").alias("level"), pl.lit("share").alias("method"))
            .with_columns(pl.lit(None, pl.Int64).alias(name) for name in ("cases_p10", "cases_p50", "cases_p90")))


def _supplier_rows(skus: pl.DataFrame, quantiles: pl.DataFrame, pooled: dict) -> pl.DataFrame:
    totals = skus.group_by("supplier_id", "cutoff_date").agg(
        pl.col("units_p50").sum(), *[pl.col(f"cases_p{q}").sum() for q in (10, 50, 90)])
    return (totals.join(quantiles, on="supplier_id", how="left")
            .with_columns((pl.col("units_p50") * pl.col("low").fill_null(pooled["supplier_low"])).alias("units_p10"),
                          (pl.col("units_p50") * pl.col("high").fill_null(pooled["supplier_high"])).alias("units_p90"),
                          pl.lit("supplier").alias("level"), pl.lit("sum").alias("method"),
                          pl.lit(None, pl.String).alias("sku_id"), pl.lit(None, pl.String).alias("pickup_point_id")))


def forecast_demand(daily: pl.DataFrame, point_units: pl.DataFrame, products: pl.DataFrame,
                    listings: pl.DataFrame, days: pl.DataFrame, weather: pl.DataFrame, day: date,
                    horizon: int, weeks: int = BACKTEST_WEEKS) -> Forecast:
    """The forecast of the nightly cutoffs day..day+horizon-1.

    daily: sku_id, date, units: each SKU's units on every nightly cutoff before `day` it was on
    sale (0 included). point_units: sku_id, pickup_point_id, date, units (> 0) of the last
    SHARE_DAYS. products: sku_id, supplier_id, category, case_pack, case_rounding. listings:
    sku_id, cutoff_date, stock_cap (nightly). days: china_days over the history and the horizon.
    weather: date, weather (a class of forecast_calendar.weather_class; empty without a file)."""
    daily = daily.filter(pl.col("date") < day).join(products.select("sku_id", "category"), on="sku_id", how="inner")
    origins = origins_for(day, weeks)
    panel = panel_by_origin(daily, days, weather, origins)
    fitted = fit(panel)
    actuals = backtest_targets(daily, origins, day, horizon)
    targets = forecast_targets(daily, listings, day, horizon)
    features = days.select("date", "day_kind")
    asked = pl.concat([
        actuals.select("origin", "sku_id", "category", "date"),
        targets.join(products.select("sku_id", "category"), on="sku_id")
        .select(pl.lit(day).alias("origin"), "sku_id", "category", "date")], how="vertical_relaxed")
    asked = asked.join(features, on="date", how="left").join(weather, on="date", how="left").with_columns(
        pl.col("day_kind").fill_null("ordinary"))
    predictions = predict(fitted, panel, asked)
    backtest, final = predictions.filter(pl.col("origin") < day), predictions.filter(pl.col("origin") == day)
    scores = score(backtest, actuals)
    chosen = choose(scores)
    per_sku, per_supplier, pooled = ranges(backtest, actuals, chosen, products)
    skus = (targets.join(chosen, on="sku_id", how="left").with_columns(pl.col("method").fill_null(DEFAULT_METHOD))
            .join(final.drop("origin"), on=["sku_id", "date", "method"], how="inner")
            .join(per_sku, on="sku_id", how="left")
            .join(products.select("sku_id", "supplier_id", "case_pack", "case_rounding"), on="sku_id")
            .with_columns(pl.col("low").fill_null(pooled["low"]), pl.col("high").fill_null(pooled["high"]))
            .with_columns(*[pl.min_horizontal(pl.col("forecast") * factor, pl.col("cap")).fill_null(
                pl.col("forecast") * factor).alias(f"units_p{q}")
                for q, factor in ((10, pl.col("low")), (50, pl.lit(1.0)), (90, pl.col("high")))])
            .with_columns(*[cases(pl.col(f"units_p{q}")).alias(f"cases_p{q}") for q in (10, 50, 90)],
                          pl.lit("sku").alias("level"), pl.lit(None, pl.String).alias("pickup_point_id"))
            .rename({"date": "cutoff_date"}))
    skus = skus.sort("cutoff_date", "supplier_id", "sku_id")
    shares = point_shares(point_units, daily, day)
    suppliers = _supplier_rows(skus, per_supplier, pooled).sort("cutoff_date", "supplier_id")

    def finished(part: pl.DataFrame) -> pl.DataFrame:  # each level in order: the 5M point rows need no sort
        return part.with_columns(pl.lit(CALENDAR).alias("calendar"),
                                 *[pl.col(f"units_p{q}").round(DECIMALS) for q in (10, 50, 90)]).select(COLUMNS)
    rows = pl.concat([finished(suppliers), finished(skus), finished(_point_rows(skus, shares))],
                     how="vertical_relaxed")
    figures = {**overall(scores, chosen), "held_out": held_out(scores), "skus": chosen.height,
               "origins": [o.isoformat() for o in origins[:-1]]}
    horizon_days = (pl.DataFrame({"date": [day + timedelta(days=i) for i in range(horizon)]}, schema={"date": pl.Date})
                    .join(days, on="date", how="left").join(weather, on="date", how="left")
                    .with_columns(pl.col("date").is_in(targets.filter("planned")["date"].implode()).alias("planned")))
    return Forecast(rows, accuracy(scores, chosen), figures, daily.select("sku_id", "date", "units"), horizon_days)
