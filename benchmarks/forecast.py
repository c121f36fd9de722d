"""The forecast (`cutoff forecast`, docs/forecast.md): its speed at 5,000 pickup points x 500 SKUs
and its accuracy on a generated history with holidays, against seasonal naive by weekday.

    .venv/bin/python benchmarks/forecast.py speed    [--lines 100000 --weeks 8 --dir /tmp/fc-speed]
    .venv/bin/python benchmarks/forecast.py accuracy [--lines 20000 --weeks 22 --dir /tmp/fc-accuracy]

`speed` generates (once) a history of `--weeks` weeks of nightly cutoffs of 5,000 pickup points and
500 SKUs, then times the forecast's stages in this process, as the flow runs them (read the
warehouse, compute, write forecast.parquet, forecast.xlsx), and its peak memory. `accuracy`
generates (once) a history ending 2026-10-19 (Dragon Boat, Mid-Autumn and National Day in it),
forecasts two successive weeks of every week from 2026-08-31 (each from the cutoffs before it
only; the warehouse holds the later ones) and scores them at the SKU and supplier levels: WAPE
and bias next to seasonal naive, and the share of actual values within P10-P90 (also weighted by
units). One JSON line per measurement in results.jsonl (`kind: forecast speed`, `forecast accuracy`).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows.forecast_flow import compute, read_inputs, summarize  # noqa: E402
from flows.settings import Settings  # noqa: E402
from outputs.files import write_parquet  # noqa: E402
from schemas.forecasts import Forecasts  # noqa: E402
from sheets.forecast_book import write_forecast_book  # noqa: E402
from synthetic.history import generate_history  # noqa: E402
from transforms.forecast_methods import seasonal_naive  # noqa: E402
from warehouse.connection import open_warehouse  # noqa: E402
from warehouse.forecast import sku_units  # noqa: E402

RESULTS = Path(__file__).with_name("results.jsonl")


def _record(entry: dict) -> None:
    entry = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
             "machine": f"{platform.machine()} cores={__import__('os').cpu_count()}", **entry}
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    print(json.dumps(entry, ensure_ascii=False, indent=1))


def _generate(folder: Path, lines: int, day: date, weeks: int, **sizes) -> Path:
    data_dir = folder / "data"
    if not (data_dir / "warehouse.duckdb").is_file():
        started = time.perf_counter()
        counts = generate_history(data_dir, lines, day, weeks, seed=7, **sizes)
        print(f"generated in {time.perf_counter() - started:.0f} s: {counts}", flush=True)
    return data_dir


def speed(args) -> None:
    day = date(2026, 11, 30)
    data_dir = _generate(Path(args.dir), args.lines, day, args.weeks, skus=500, pickup_points=5000)
    settings = Settings(data_dir=data_dir, reports_dir=Path(args.dir) / "reports")
    times = {}
    started = time.perf_counter()
    with open_warehouse(settings.warehouse_path) as warehouse:
        inputs = read_inputs(settings, warehouse, day, 7)
    times["read"] = time.perf_counter() - started
    mark = time.perf_counter()
    forecast = compute(inputs)
    times["compute"] = time.perf_counter() - mark
    mark = time.perf_counter()
    Forecasts.validate(forecast.rows)
    times["validate"] = time.perf_counter() - mark
    mark = time.perf_counter()
    folder = settings.reports_dir / "forecast" / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    write_parquet(folder / "forecast.parquet", forecast.rows)
    times["parquet"] = time.perf_counter() - mark
    mark = time.perf_counter()
    summary = summarize(forecast, inputs, folder, 0.0)
    write_forecast_book(folder / "forecast.xlsx", forecast, inputs.master, summary, lang="zh",
                        created=datetime(2026, 11, 30))
    times["xlsx"] = time.perf_counter() - mark
    total = time.perf_counter() - started
    counts = {level: int((forecast.rows["level"] == level).sum()) for level in ("supplier", "sku", "sku_point")}
    _record({"kind": "forecast speed (benchmarks/forecast.py)", "pickup_points": 5000, "skus": 500,
             "lines_per_day": args.lines, "weeks": args.weeks, "sku_point_day_rows_read": inputs.points.height,
             "rows": counts, "seconds": round(total, 2), "stages": {k: round(v, 2) for k, v in times.items()},
             "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024})


def _scores(frame: pl.DataFrame) -> dict:
    sold = frame["actual"].sum()
    inside = (pl.col("actual") >= pl.col("units_p10")) & (pl.col("actual") <= pl.col("units_p90"))
    return {"wape": round((frame["units_p50"] - frame["actual"]).abs().sum() / sold, 4),
            "naive_wape": round((frame["naive"] - frame["actual"]).abs().sum() / sold, 4),
            "bias": round((frame["units_p50"] - frame["actual"]).sum() / sold, 4),
            "naive_bias": round((frame["naive"] - frame["actual"]).sum() / sold, 4),
            "coverage": round(frame.select(inside.mean()).item(), 4),
            "coverage_units": round(frame.select((inside.cast(pl.Float64) * pl.col("actual")).sum()).item() / sold, 4),
            "rows": frame.height}


def accuracy(args) -> None:
    end = date(2026, 10, 19)
    data_dir = _generate(Path(args.dir), args.lines, end, args.weeks)
    settings = Settings(data_dir=data_dir, reports_dir=Path(args.dir) / "reports")
    first = date(2026, 8, 31)
    with open_warehouse(settings.warehouse_path) as warehouse:
        actual = sku_units(warehouse, end, first).rename({"date": "cutoff_date", "units": "actual"})
        weeks = []
        day = first
        while day + timedelta(days=7) <= end:
            inputs = read_inputs(settings, warehouse, day, 7)
            rows = compute(inputs).rows
            skus = rows.filter(pl.col("level") == "sku").join(actual, on=["sku_id", "cutoff_date"])
            naive = seasonal_naive(inputs.daily.rename({"sku_id": "key"}),
                                   skus.select(pl.col("sku_id").alias("key"), pl.col("cutoff_date").alias("date")))
            skus = skus.join(naive.rename({"key": "sku_id", "date": "cutoff_date", "forecast": "naive"}),
                             on=["sku_id", "cutoff_date"])
            suppliers = (skus.group_by("supplier_id", "cutoff_date").agg(pl.col("actual").sum(), pl.col("naive").sum())
                         .join(rows.filter(pl.col("level") == "supplier"), on=["supplier_id", "cutoff_date"]))
            weeks.append((day, skus, suppliers))
            day += timedelta(days=7)
    per_week = [{"from": d.isoformat(), "sku": _scores(s), "supplier": _scores(p)} for d, s, p in weeks]
    pairs = [{"weeks": f"{a[0]}+{b[0]}", **_scores(pl.concat([a[1], b[1]]))}
             for a, b in zip(weeks, weeks[1:], strict=False)]
    for pair in pairs:
        pair["ratio"] = round(pair["wape"] / pair["naive_wape"], 3)
    _record({"kind": "forecast accuracy (benchmarks/forecast.py)", "lines_per_day": args.lines, "weeks": args.weeks,
             "history_end": end.isoformat(), "weeks_scored": per_week, "two_week_pairs_sku": pairs})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["speed", "accuracy"])
    parser.add_argument("--lines", type=int)
    parser.add_argument("--weeks", type=int)
    parser.add_argument("--dir")
    args = parser.parse_args()
    if args.what == "speed":
        args.lines, args.weeks, args.dir = args.lines or 100_000, args.weeks or 8, args.dir or "/tmp/fc-speed"
        speed(args)
    else:
        args.lines, args.weeks, args.dir = args.lines or 20_000, args.weeks or 22, args.dir or "/tmp/fc-accuracy"
        accuracy(args)


if __name__ == "__main__":
    main()
