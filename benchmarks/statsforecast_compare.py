"""The forecast's methods (polars, transforms/forecast_methods.py) next to statsforecast's on the same
SKU series: time and accuracy of one week held out. statsforecast is not in any lock file of this
project (it needs pandas < 3 and numba); run this in a throwaway virtualenv:

    python3.11 -m venv /tmp/sf && /tmp/sf/bin/pip install statsforecast 'pandas<3' polars==2.1.0 \
        duckdb==2.0.0 pyarrow
    PYTHONPATH=. /tmp/sf/bin/python benchmarks/statsforecast_compare.py /tmp/fc-speed/data/warehouse.duckdb

The series: every SKU's units on the nightly cutoffs it was on sale (a regular index of its days
on sale, as the polars methods see them), the last 7 of them held out.
"""

from __future__ import annotations

import sys
import time

import duckdb
import polars as pl

HOLD = 7


def series(path: str) -> pl.DataFrame:
    with duckdb.connect(path, read_only=True) as con:
        frame = con.sql("SELECT sku_id, cutoff_date AS date, CAST(sum(qty_allocated) AS DOUBLE) AS units "
                        "FROM allocations WHERE calendar = 'nightly' GROUP BY ALL ORDER BY sku_id, date").pl()
    return (frame.with_columns(pl.int_range(pl.len()).over("sku_id").alias("seq"), pl.len().over("sku_id").alias("n"))
            .filter(pl.col("n") >= 28))


def wape(frame: pl.DataFrame, column: str) -> float:
    return float((frame[column] - frame["units"]).abs().sum() / frame["units"].sum())


def main(path: str) -> None:
    data = series(path)
    train = data.filter(pl.col("seq") < pl.col("n") - HOLD)
    test = data.filter(pl.col("seq") >= pl.col("n") - HOLD).with_columns(
        (pl.col("seq") - (pl.col("n") - HOLD) + 1).alias("step"))
    print(f"{data['sku_id'].n_unique()} SKU series, {train.height} training rows")

    from transforms import forecast_methods as m
    started = time.perf_counter()
    history = train.select(pl.col("sku_id").alias("key"), "seq", pl.col("units").alias("value"))
    levels = m.level_forecasts(history)
    ours = test.join(levels.rename({"key": "sku_id"}), on="sku_id").with_columns(
        m.projected(pl.col("level"), pl.col("trend"), pl.col("step").cast(pl.Float64)).alias("forecast"))
    polars_seconds = time.perf_counter() - started
    ours_wape = {method: wape(frame, "forecast") for (method,), frame in ours.group_by("method")}

    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import (
        TSB,
        AutoETS,
        CrostonClassic,
        Holt,
        SeasonalNaive,
        SimpleExponentialSmoothing,
        WindowAverage,
    )
    frame = pd.DataFrame({"unique_id": train["sku_id"].to_list(), "ds": (train["seq"] + 1).to_list(),
                          "y": train["units"].to_list()})
    models = [SeasonalNaive(season_length=7), WindowAverage(window_size=7), SimpleExponentialSmoothing(alpha=0.25),
              Holt(), CrostonClassic(), TSB(alpha_d=0.2, alpha_p=0.2), AutoETS(season_length=7)]
    results = {}
    for jobs in (1, 2):
        fitter = StatsForecast(models=models, freq=1, n_jobs=jobs)
        started = time.perf_counter()
        predicted = fitter.forecast(df=frame, h=HOLD)
        results[jobs] = time.perf_counter() - started
    predicted = pl.from_pandas(predicted.reset_index() if "unique_id" not in predicted.columns else predicted)
    predicted = predicted.with_columns((pl.col("ds") - pl.col("ds").min().over("unique_id") + 1).alias("step"))
    joined = test.join(predicted.rename({"unique_id": "sku_id"}), on=["sku_id", "step"])
    theirs = {c: wape(joined, c) for c in predicted.columns if c not in ("unique_id", "ds", "step")}
    print(f"polars, every method on every series: {polars_seconds:.2f} s; WAPE " +
          ", ".join(f"{k} {v:.3f}" for k, v in sorted(ours_wape.items())))
    print(f"statsforecast: {results[1]:.2f} s (1 job), {results[2]:.2f} s (2 jobs, first call compiles); WAPE " +
          ", ".join(f"{k} {v:.3f}" for k, v in sorted(theirs.items())))


if __name__ == "__main__":
    main(sys.argv[1])
