"""The rolling-origin backtest (docs/forecast.md): every method is fitted at each of the weekly
origins before the forecast date D (D-7, D-14, ... D-7*BACKTEST_WEEKS) from the days before that
origin only, forecasts the days from it, and is scored against what those days sold. Each SKU
keeps the method with the least absolute error; its errors give the forecast's range.

All origins are computed at once: the history is repeated per origin (`panel_by_origin`), cut
before it, and every estimate (profiles, holiday and weather factors, the methods) is grouped by
origin. The final forecast is the origin D of the same computation.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from transforms.forecast_calendar import (
    HOLIDAY,
    holiday_factors,
    local_levels,
    weather_factors,
    weekday_profiles,
    with_factors,
    with_profile,
)
from transforms.forecast_methods import (
    KEY,
    METHODS,
    SEASONAL_NAIVE,
    SEQ,
    VALUE,
    level_forecasts,
    projected,
    seasonal_naive,
)

BACKTEST_WEEKS = 4
DEFAULT_METHOD = "exp_smoothing"  # a SKU the backtest could not score (too new)
INTERVAL_PRIOR = 10.0             # a SKU's own errors weigh as much as this many pooled ones
LOW_Q, HIGH_Q = 0.085, 0.915  # wider than 10-90%: the backtest's errors are of methods chosen on it


def origins_for(day: date, weeks: int = BACKTEST_WEEKS) -> list[date]:
    """The backtest origins, oldest first, then D itself."""
    return [day - timedelta(days=7 * k) for k in range(weeks, 0, -1)] + [day]


def panel_by_origin(daily: pl.DataFrame, days: pl.DataFrame, weather: pl.DataFrame,
                    origins: list[date]) -> pl.DataFrame:
    """The history as each origin saw it: every row of `daily` (sku_id, category, date, units)
    dated before the origin, with its day kind and weather class (null: not known)."""
    frame = pl.DataFrame({"origin": origins}, schema={"origin": pl.Date})
    return (daily.join(frame, how="cross").filter(pl.col("date") < pl.col("origin"))
            .join(days.select("date", "day_kind"), on="date", how="left")
            .join(weather, on="date", how="left")
            .with_columns(pl.col("units").cast(pl.Float64), pl.col("day_kind").fill_null("ordinary")))


def _key() -> pl.Expr:
    return pl.concat_str([pl.col("origin").cast(pl.String), pl.lit("|"), pl.col("sku_id")]).alias(KEY)


def fit(panel: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Profiles, factors and every level method per origin and SKU."""
    profiles = weekday_profiles(panel)
    levels = local_levels(with_profile(panel, profiles))
    holiday, weather = holiday_factors(levels), weather_factors(levels)
    adjusted = (with_factors(levels, holiday, weather).filter(pl.col("day_kind") != HOLIDAY)
                .sort("origin", "sku_id", "date")
                .with_columns(_key(), (pl.col("units") / (pl.col("profile") * pl.col("factor"))).alias(VALUE))
                .with_columns(pl.int_range(pl.len()).over(KEY).alias(SEQ)))
    methods = level_forecasts(adjusted.select(KEY, SEQ, VALUE))
    keys = adjusted.select(KEY, "origin", "sku_id").unique(KEY)
    return {"profiles": profiles, "holiday": holiday, "weather": weather,
            "methods": methods.join(keys, on=KEY).drop(KEY)}


def predict(fitted: dict[str, pl.DataFrame], panel: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """Every method's forecast of every target: targets (origin, sku_id, category, date, day_kind,
    weather) x METHODS -> `forecast`. Seasonal naive takes the raw units of the same weekday (or,
    for a weekday never on sale, the last day); the others their level, trend, profile and factors."""
    shaped = with_factors(with_profile(targets, fitted["profiles"]), fitted["holiday"], fitted["weather"])
    steps = ((pl.col("date") - pl.col("origin")).dt.total_days() + 1).cast(pl.Float64)
    levels = shaped.join(fitted["methods"], on=["origin", "sku_id"], how="inner").with_columns(
        (projected(pl.col("level"), pl.col("trend"), steps) * pl.col("profile") * pl.col("factor")).alias("forecast"))
    observed = panel.select("origin", "sku_id", "date", "units").with_columns(_key())
    naive = seasonal_naive(observed, targets.with_columns(_key())).with_columns(pl.lit(SEASONAL_NAIVE).alias("method"))
    columns = ["origin", "sku_id", "date", "method", "forecast"]
    return pl.concat([levels.select(columns), naive.select(columns)], how="vertical_relaxed")


def backtest_targets(daily: pl.DataFrame, origins: list[date], day: date, horizon: int) -> pl.DataFrame:
    """What each backtest origin forecasts: the SKUs' observed days from it, `horizon` days long
    and before D, with what they sold (`actual`)."""
    frame = pl.DataFrame({"origin": origins[:-1]}, schema={"origin": pl.Date})
    return (daily.join(frame, how="cross")
            .filter((pl.col("date") >= pl.col("origin")) & (pl.col("date") < pl.col("origin") + timedelta(days=horizon))
                    & (pl.col("date") < day))
            .rename({"units": "actual"}).with_columns(pl.col("actual").cast(pl.Float64)))


def score(predictions: pl.DataFrame, actuals: pl.DataFrame) -> pl.DataFrame:
    """Per origin, SKU and method: absolute error, error (forecast - actual) and actual units."""
    joined = predictions.join(actuals.select("origin", "sku_id", "date", "actual"),
                              on=["origin", "sku_id", "date"], how="inner")
    return joined.group_by("origin", "sku_id", "method").agg(
        (pl.col("forecast") - pl.col("actual")).abs().sum().alias("abs_error"),
        (pl.col("forecast") - pl.col("actual")).sum().alias("error"),
        pl.col("actual").sum().alias("actual"))


def choose(scores: pl.DataFrame) -> pl.DataFrame:
    """Per SKU (and per `origin_set` when given): the method with the least absolute error over
    the origins scored, ties to the earlier of METHODS. Only methods scored on every origin of
    the SKU compete (seasonal naive and the others forecast the same days)."""
    order = pl.col("method").replace_strict(list(METHODS), list(range(len(METHODS))), return_dtype=pl.Int32)
    totals = scores.group_by("sku_id", "method").agg(pl.col("abs_error").sum(), pl.len().alias("_origins"))
    return (totals.filter(pl.col("_origins") == pl.col("_origins").max().over("sku_id"))
            .sort("sku_id", "abs_error", order).group_by("sku_id", maintain_order=True)
            .agg(pl.col("method").first()))


def accuracy(scores: pl.DataFrame, chosen: pl.DataFrame) -> pl.DataFrame:
    """Per SKU: the backtest's WAPE and bias of its chosen method and of seasonal naive (floats,
    null without units sold), and the units the backtest saw."""
    def figures(frame: pl.DataFrame, prefix: str) -> pl.DataFrame:
        sold = pl.col("actual").sum()
        return frame.group_by("sku_id").agg(
            pl.when(sold > 0).then(pl.col("abs_error").sum() / sold).alias(f"{prefix}_wape"),
            pl.when(sold > 0).then(pl.col("error").sum() / sold).alias(f"{prefix}_bias"),
            sold.alias(f"{prefix}_actual"))
    mine = figures(scores.join(chosen, on=["sku_id", "method"]), "method")
    naive = figures(scores.filter(pl.col("method") == SEASONAL_NAIVE), "naive")
    return (chosen.join(mine, on="sku_id", how="left").join(naive, on="sku_id", how="left")
            .rename({"method_actual": "actual"}).drop("naive_actual"))


def overall(scores: pl.DataFrame, chosen: pl.DataFrame) -> dict[str, float | None]:
    """WAPE and bias over every SKU of the backtest: the chosen methods and seasonal naive."""
    def ratio(frame: pl.DataFrame, column: str) -> float | None:
        actual = frame["actual"].sum()
        return round(float(frame[column].sum() / actual), 6) if actual else None
    mine = scores.join(chosen, on=["sku_id", "method"])
    naive = scores.filter(pl.col("method") == SEASONAL_NAIVE).join(chosen.select("sku_id"), on="sku_id")
    return {"wape": ratio(mine, "abs_error"), "bias": ratio(mine, "error"),
            "naive_wape": ratio(naive, "abs_error"), "naive_bias": ratio(naive, "error")}


def held_out(scores: pl.DataFrame) -> dict[str, float | None]:
    """The honest figure: the last backtest origin scored with the methods chosen from the origins
    before it alone (what the forecast would have done then), and seasonal naive on it."""
    origins = sorted(scores["origin"].unique().to_list())
    if len(origins) < 2:
        return {"wape": None, "bias": None, "naive_wape": None, "naive_bias": None}
    last = scores.filter(pl.col("origin") == origins[-1])
    return overall(last, choose(scores.filter(pl.col("origin") < origins[-1])))


def _pooled(ratios: pl.DataFrame) -> tuple[float, float]:
    """The pooled 10% and 90% quantiles of `_r`, around 1 (1 and 1 without any)."""
    if not ratios.height:
        return 1.0, 1.0
    return min(float(ratios["_r"].quantile(LOW_Q)), 1.0), max(float(ratios["_r"].quantile(HIGH_Q)), 1.0)


def _ratios(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("forecast") > 0).with_columns((pl.col("actual") / pl.col("forecast")).alias("_r"))


def _quantiles(ratios: pl.DataFrame, by: str, pooled: tuple[float, float]) -> pl.DataFrame:
    """Per `by`: its own 10% and 90% quantiles of actual / forecast, blended with the pooled ones
    by how many it has; `low` <= 1 <= `high`."""
    def blend(own: str, value: float) -> pl.Expr:
        return (pl.col("_n") * pl.col(own) + INTERVAL_PRIOR * value) / (pl.col("_n") + INTERVAL_PRIOR)
    return (ratios.group_by(by).agg(pl.col("_r").quantile(LOW_Q).alias("_low"),
                                    pl.col("_r").quantile(HIGH_Q).alias("_high"), pl.len().alias("_n"))
            .select(by, pl.min_horizontal(blend("_low", pooled[0]), pl.lit(1.0)).alias("low"),
                    pl.max_horizontal(blend("_high", pooled[1]), pl.lit(1.0)).alias("high")))


def ranges(predictions: pl.DataFrame, actuals: pl.DataFrame, chosen: pl.DataFrame,
           products: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, float]]:
    """The P10 and P90 multipliers of each SKU's and each supplier's P50: the quantiles of
    actual / forecast of its chosen method(s) in the backtest, blended with the pooled ones.
    Returns (per SKU, per supplier, pooled for SKUs and suppliers without their own)."""
    joined = (predictions.join(chosen, on=["sku_id", "method"])
              .join(actuals.select("origin", "sku_id", "date", "actual"), on=["origin", "sku_id", "date"]))
    mine = _ratios(joined)
    by_supplier = _ratios(joined.join(products.select("sku_id", "supplier_id"), on="sku_id")
                          .group_by("supplier_id", "origin", "date")
                          .agg(pl.col("forecast").sum(), pl.col("actual").sum()))
    pooled, pooled_suppliers = _pooled(mine), _pooled(by_supplier)
    return (_quantiles(mine, "sku_id", pooled), _quantiles(by_supplier, "supplier_id", pooled_suppliers),
            {"low": pooled[0], "high": pooled[1], "supplier_low": pooled_suppliers[0],
             "supplier_high": pooled_suppliers[1]})
