"""The forecasting methods (docs/forecast.md), each over thousands of series at once.

A history is a long frame: `key` (one series: a SKU at one forecast origin, say), `seq` (the
series' observed periods in order: its listed days, holidays left out, so a day it was not on
sale is no zero), `value` (units, already divided by the weekday profile and the weather factor,
transforms/forecast_calendar.py). Each method returns one row per key: `level` (units a period)
and `trend` (units a period, per period ahead; 0 for the methods without one). What a period
ahead gets is `projected` below. Seasonal naive works on raw units by date instead.

Everything is one polars query per method, grouped by key: no loop over series. The smoothing
recursions are polars' `ewm_mean(adjust=False)`: `s_t = alpha * y_t + (1 - alpha) * s_{t-1}`,
started at the first value.
"""

from __future__ import annotations

import polars as pl

KEY, SEQ, VALUE = "key", "seq", "value"

MA_WINDOW = 7          # moving average: the last 7 observed periods
SES_ALPHA = 0.25       # simple exponential smoothing
HOLT_ALPHA = 0.2       # Brown's double smoothing (a linear trend), damped
HOLT_PHI = 0.85
CROSTON_ALPHA = 0.2    # Croston: sizes and intervals between demands
TSB_ALPHA = 0.2        # TSB: sizes
TSB_BETA = 0.2         # TSB: the probability of a demand, updated every period

LEVEL_METHODS = ("moving_average", "exp_smoothing", "holt_damped", "croston", "tsb")
SEASONAL_NAIVE = "seasonal_naive"
METHODS = (SEASONAL_NAIVE, *LEVEL_METHODS)


def _ordered(history: pl.DataFrame) -> pl.DataFrame:
    return history.sort(KEY, SEQ)


def _flat(levels: pl.DataFrame) -> pl.DataFrame:
    return levels.with_columns(pl.lit(0.0).alias("trend"))


def moving_average(history: pl.DataFrame, window: int = MA_WINDOW) -> pl.DataFrame:
    """The mean of each series' last `window` observed periods."""
    return _flat(_ordered(history).group_by(KEY, maintain_order=True)
                 .agg(pl.col(VALUE).tail(window).mean().alias("level")))


def exponential_smoothing(history: pl.DataFrame, alpha: float = SES_ALPHA) -> pl.DataFrame:
    """Simple exponential smoothing: the last smoothed value."""
    return _flat(_ordered(history).group_by(KEY, maintain_order=True)
                 .agg(pl.col(VALUE).ewm_mean(alpha=alpha, adjust=False).last().alias("level")))


def holt_damped(history: pl.DataFrame, alpha: float = HOLT_ALPHA) -> pl.DataFrame:
    """Brown's double exponential smoothing (Holt's linear trend with one parameter): s1 smooths
    the values, s2 smooths s1; level = 2 s1 - s2, trend = alpha / (1 - alpha) (s1 - s2). The
    trend is damped when projected (`projected`), so a growing or dying product is followed
    without running away."""
    s1 = pl.col(VALUE).ewm_mean(alpha=alpha, adjust=False)
    smoothed = _ordered(history).with_columns(s1.over(KEY).alias("_s1"))
    s2 = pl.col("_s1").ewm_mean(alpha=alpha, adjust=False)
    return (smoothed.group_by(KEY, maintain_order=True)
            .agg(pl.col("_s1").last().alias("_s1"), s2.last().alias("_s2"))
            .select(KEY, (2 * pl.col("_s1") - pl.col("_s2")).alias("level"),
                    (alpha / (1 - alpha) * (pl.col("_s1") - pl.col("_s2"))).alias("trend")))


def _demands(history: pl.DataFrame) -> pl.DataFrame:
    """The periods with a demand, with the interval since the previous one (the first counts
    from the start of its series: a demand in the first period has interval 1)."""
    ordered = _ordered(history).with_columns(pl.col(SEQ).min().over(KEY).alias("_start"))
    demands = ordered.filter(pl.col(VALUE) > 0)
    previous = pl.col(SEQ).shift(1).over(KEY)
    return demands.with_columns(
        pl.when(previous.is_null()).then(pl.col(SEQ) - pl.col("_start") + 1)
        .otherwise(pl.col(SEQ) - previous).cast(pl.Float64).alias("_interval"))


def _all_keys(history: pl.DataFrame, levels: pl.DataFrame) -> pl.DataFrame:
    """Every series of `history`, level 0 where it had no demand at all."""
    keys = history.select(KEY).unique(maintain_order=True)
    return keys.join(levels, on=KEY, how="left").with_columns(pl.col("level").fill_null(0.0))


def croston(history: pl.DataFrame, alpha: float = CROSTON_ALPHA) -> pl.DataFrame:
    """Croston's method: demand sizes and the intervals between demands smoothed apart, updated
    only when a demand happens; level = size / interval."""
    levels = (_demands(history).group_by(KEY, maintain_order=True)
              .agg((pl.col(VALUE).ewm_mean(alpha=alpha, adjust=False).last()
                    / pl.col("_interval").ewm_mean(alpha=alpha, adjust=False).last()).alias("level")))
    return _flat(_all_keys(history, levels))


def tsb(history: pl.DataFrame, alpha: float = TSB_ALPHA, beta: float = TSB_BETA) -> pl.DataFrame:
    """Teunter-Syntetos-Babai: the probability of a demand is smoothed every period (so it decays
    while nothing sells: a dying product fades), the size only when a demand happens;
    level = probability x size."""
    ordered = _ordered(history)
    probability = (ordered.group_by(KEY, maintain_order=True)
                   .agg((pl.col(VALUE) > 0).cast(pl.Float64).ewm_mean(alpha=beta, adjust=False).last()
                        .alias("_p")))
    sizes = (ordered.filter(pl.col(VALUE) > 0).group_by(KEY, maintain_order=True)
             .agg(pl.col(VALUE).ewm_mean(alpha=alpha, adjust=False).last().alias("_z")))
    levels = probability.join(sizes, on=KEY, how="left").select(
        KEY, (pl.col("_p") * pl.col("_z").fill_null(0.0)).alias("level"))
    return _flat(levels)


def level_forecasts(history: pl.DataFrame) -> pl.DataFrame:
    """Every level method on every series: key, method, level, trend."""
    runs = {"moving_average": moving_average, "exp_smoothing": exponential_smoothing,
            "holt_damped": holt_damped, "croston": croston, "tsb": tsb}
    return pl.concat([runs[name](history).with_columns(pl.lit(name).alias("method")) for name in LEVEL_METHODS],
                     how="vertical_relaxed").select(KEY, "method", "level", "trend")


def damped_steps(steps: pl.Expr, phi: float = HOLT_PHI) -> pl.Expr:
    """phi + phi^2 + ... + phi^steps: how much of the trend `steps` periods ahead gets."""
    return phi * (1 - pl.lit(phi).pow(steps)) / (1 - phi)


def projected(level: pl.Expr, trend: pl.Expr, steps: pl.Expr, phi: float = HOLT_PHI) -> pl.Expr:
    """A level method's value `steps` (1, 2, ...) periods ahead, never below 0."""
    return pl.max_horizontal(level + trend * damped_steps(steps, phi), pl.lit(0.0))


def seasonal_naive(observed: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """Seasonal naive by weekday: each target date gets the units of its series' latest observed
    date of the same weekday (a week before, or earlier when that day was not on sale); a weekday
    the series was never on sale gets its last observed day.

    `observed`: key, `date`, `units` (raw units, holidays included: the benchmark as people know
    it). `targets`: key, `date`. Returns the targets of series with a history, with `forecast`."""
    weekday = pl.col("date").dt.weekday().alias("_weekday")
    ordered = observed.sort(KEY, "date")
    same_day = ordered.group_by(KEY, weekday, maintain_order=True).agg(pl.col("units").last().alias("_same"))
    last = ordered.group_by(KEY, maintain_order=True).agg(pl.col("units").last().alias("_last"))
    return (targets.with_columns(weekday).join(same_day, on=[KEY, "_weekday"], how="left")
            .join(last, on=KEY, how="inner")
            .with_columns(pl.coalesce("_same", "_last").cast(pl.Float64).alias("forecast"))
            .drop("_weekday", "_same", "_last"))
