"""The forecast flow (`cutoff forecast --date D [--horizon H]`, and the forecast/forecast deployment
that runs after each nightly cutoff): tomorrow's demand (预测) of the nightly cutoffs D..D+H-1 per
supplier, SKU and pickup point, into reports/forecast/<D>/ (forecast.parquet, forecast.xlsx,
forecast.json; rejects.csv when a weather row was bad), and the figures as Prefect artifacts.

Only the nightly cutoffs dated before D feed it, whatever else the warehouse holds. The rules are
transforms/forecast*.py; docs/forecast.md says what they decide. A rerun with the same D and the
same inputs writes the same rows and replaces the folder whole. Without a date (the deployment),
D is the day after the latest nightly cutoff that ran.
"""

from __future__ import annotations

import shutil
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from errors import UserError
from flows.forecast_artifacts import publish_forecast_artifacts
from flows.run_log import fail_run, prepare_run_log, say
from flows.settings import Settings, load_settings
from inbox.master import Master, load_master, stored_master
from inbox.weather import WeatherInput, read_weather
from outputs.files import write_csv, write_json, write_parquet
from outputs.run_folder import new_staging_dir, output_errors, prepare_run_folder, publish_dir
from schemas.forecasts import Forecasts
from sheets.forecast_book import write_forecast_book
from transforms.forecast import SHARE_DAYS, Forecast, forecast_demand, nightly_cutoff_dates
from transforms.forecast_calendar import china_days, weather_class
from transforms.windows import parse_clock
from warehouse.connection import Warehouse, open_warehouse
from warehouse.forecast import nightly_cutoffs_before, point_units, sku_units

HISTORY_DAYS = 182   # half a year of cutoffs: the weekday profiles, and the holidays of the year
MAX_HORIZON = 7


@dataclass(frozen=True)
class ForecastInputs:
    day: date
    horizon: int
    cutoffs: list[date]          # the nightly cutoffs that ran, dated before D
    daily: pl.DataFrame          # sku_id, date, units (0 on a day on sale without a sale)
    points: pl.DataFrame         # sku_id, pickup_point_id, date, units
    master: Master
    planned: pl.DataFrame        # sku_id, cutoff_date, stock_cap: the nightly listings of the master data
    weather: WeatherInput


def forecast_dir(reports_dir: Path, day: date) -> Path:
    return reports_dir / "forecast" / day.isoformat()


def check_horizon(horizon: int) -> int:
    if not 1 <= horizon <= MAX_HORIZON:
        raise UserError(f"--horizon {horizon}: the forecast covers 1 to {MAX_HORIZON} nightly cutoffs (D..D+H-1)")
    return horizon


def next_forecast_date(warehouse: Warehouse) -> date:
    """The day after the latest nightly cutoff that ran successfully."""
    latest = warehouse.scalar("SELECT max(cutoff_date) FROM runs WHERE calendar = 'nightly' AND status = 'success'")
    if latest is None:
        raise UserError(f"the warehouse {warehouse.path} holds no nightly cutoff yet: a forecast learns from the "
                        "cutoffs before its date. Run cutoffs first (`cutoff run`, `cutoff backfill`).")
    return latest + timedelta(days=1)


def name_forecast_run() -> str:
    params = flow_run.parameters or {}
    day = params.get("forecast_date")
    return f"forecast {day}" if day else "forecast (after the latest nightly cutoff)"


def _master(settings: Settings, warehouse: Warehouse) -> Master:
    """The master data of the data dir (the listings planned for the coming days), or, without
    one, what the last cutoff stored."""
    if (settings.data_dir / "master").is_dir():
        return load_master(settings.data_dir, settings.timezone)
    return stored_master(warehouse)


def _listed_days(dated: pl.DataFrame, cutoffs: list[date]) -> pl.DataFrame:
    """sku_id, date: the SKU-days of the cutoffs that ran on which a nightly listing of the SKU closed."""
    return (dated.filter(pl.col("cutoff_date").is_in(pl.Series(cutoffs, dtype=pl.Date).implode()))
            .select("sku_id", pl.col("cutoff_date").alias("date")).unique())


@task(name="read history", cache_policy=NO_CACHE)
def read_task(settings: Settings, warehouse: Warehouse, day: date, horizon: int) -> ForecastInputs:
    return read_inputs(settings, warehouse, day, horizon)


def read_inputs(settings: Settings, warehouse: Warehouse, day: date, horizon: int) -> ForecastInputs:
    """Everything the forecast of D reads: the nightly cutoffs before D, the master data, the weather."""
    start = day - timedelta(days=HISTORY_DAYS)
    cutoffs = nightly_cutoffs_before(warehouse, day, start)
    if not cutoffs:
        raise UserError(f"no nightly cutoff dated {start}..{day - timedelta(days=1)} has run in {warehouse.path}: "
                        f"the forecast of {day} learns from the cutoffs before it. Run them first (`cutoff backfill`), "
                        "or check the date.")
    master = _master(settings, warehouse)
    dated = nightly_cutoff_dates(master.listings, settings.timezone, parse_clock(settings.nightly_at))
    ran = pl.Series(cutoffs, dtype=pl.Date).implode()
    sold = sku_units(warehouse, day, start).filter(pl.col("date").is_in(ran))
    daily = (pl.concat([sold, _listed_days(dated, cutoffs).with_columns(pl.lit(0, pl.Int64).alias("units"))])
             .group_by("sku_id", "date").agg(pl.col("units").max()).sort("sku_id", "date"))
    points = point_units(warehouse, day, day - timedelta(days=SHARE_DAYS)).filter(pl.col("date").is_in(ran))
    planned = dated.select("sku_id", "cutoff_date", "stock_cap")
    return ForecastInputs(day, horizon, cutoffs, daily, points, master, planned, read_weather(settings.data_dir))


@task(name="forecast", cache_policy=NO_CACHE)
def compute_task(inputs: ForecastInputs) -> Forecast:
    return compute(inputs)


def compute(inputs: ForecastInputs) -> Forecast:
    day, horizon = inputs.day, inputs.horizon
    products = inputs.master.products.select("sku_id", "supplier_id", "category", "case_pack", "case_rounding")
    days = china_days(min(inputs.cutoffs[0], day) - timedelta(days=1), day + timedelta(days=horizon))
    weather = inputs.weather.rows.select("date", weather_class(pl.col("precip_mm"), pl.col("temp_max_c"))
                                         .alias("weather")).filter(pl.col("weather").is_not_null())
    return forecast_demand(inputs.daily, inputs.points, products, inputs.planned, days, weather, day, horizon)


def summarize(forecast: Forecast, inputs: ForecastInputs, folder: Path, seconds: float) -> dict:
    rows = forecast.rows
    counts = {level: int((rows["level"] == level).sum()) for level in ("supplier", "sku", "sku_point")}
    skus = rows.filter(pl.col("level") == "sku")
    by_date = skus.group_by("cutoff_date").agg(pl.col("units_p50").sum()).sort("cutoff_date")
    holidays = forecast.days.filter(pl.col("day_kind") == "holiday")
    return {
        "calendar": "nightly", "forecast_date": inputs.day.isoformat(), "horizon": inputs.horizon,
        "dates": [(inputs.day + timedelta(days=i)).isoformat() for i in range(inputs.horizon)],
        "history": {"from": inputs.cutoffs[0].isoformat(), "to": inputs.cutoffs[-1].isoformat(),
                    "cutoffs": len(inputs.cutoffs)},
        "rows": counts, "suppliers": skus["supplier_id"].n_unique(), "skus": skus["sku_id"].n_unique(),
        "units_p50": {row["cutoff_date"].isoformat(): round(row["units_p50"], 3)
                      for row in by_date.iter_rows(named=True)},
        "methods": dict(sorted(forecast.accuracy.group_by("method").len().iter_rows())),
        "accuracy": {key: value for key, value in forecast.overall.items() if key not in ("skus",)},
        "holidays": [{"date": row["date"].isoformat(), "name": row["holiday_zh"], "name_en": row["holiday_en"]}
                     for row in holidays.iter_rows(named=True)],
        "weather": {"files": inputs.weather.files, "rows": inputs.weather.rows.height,
                    "rejected": inputs.weather.rejects.height},
        "folder": str(folder), "seconds": round(seconds, 2),
    }


@task(name="write", cache_policy=NO_CACHE)
def write_task(settings: Settings, folder: Path, forecast: Forecast, inputs: ForecastInputs, summary: dict) -> None:
    Forecasts.validate(forecast.rows)
    with output_errors(settings.reports_dir, "the forecast's files"):
        staging = new_staging_dir(folder)
        try:
            write_parquet(staging / "forecast.parquet", forecast.rows)
            write_forecast_book(staging / "forecast.xlsx", forecast, inputs.master, summary, lang=settings.lang,
                                created=datetime.combine(inputs.day, time(0, 0)))
            write_json(staging / "forecast.json", {k: v for k, v in summary.items() if k not in ("folder", "seconds")})
            if inputs.weather.rejects.height:
                write_csv(staging / "rejects.csv", inputs.weather.rejects, bom=True)
            publish_dir(staging, folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise


@flow(name="forecast", flow_run_name=name_forecast_run, validate_parameters=True)
def forecast_flow(forecast_date: date | None = None, horizon: int = MAX_HORIZON, data_dir: str | None = None,
                  reports_dir: str | None = None, lang: Literal["zh", "en"] | None = None,
                  warehouse: str | None = None, progress: bool = False) -> dict:
    """Tomorrow's demand: the expected units of the nightly cutoffs forecast_date..+horizon-1, per
    supplier, SKU and pickup point, with P10-P90 and in cases (reports/forecast/<date>/).

    Args:
        forecast_date: The first cutoff forecast. Empty: the day after the latest nightly cutoff that ran
            (what the run after each nightly cutoff does).
        horizon: How many nightly cutoffs, 1 to 7.
        data_dir: Data folder (master/, inbox/weather/, the warehouse) for this run only. Empty:
            CUTOFF_DATA_DIR of `cutoff serve`.
        reports_dir: Reports folder for this run only (the forecast goes to `forecast/<date>/` in it). Empty:
            CUTOFF_REPORTS_DIR of `cutoff serve`.
        lang: Language of forecast.xlsx, zh or en. Empty: CUTOFF_LANG (zh).
        warehouse: The warehouse file (DuckDB) for this run only. Empty: warehouse.duckdb in the data folder.
        progress: Also print each stage on the console (the command line sets it).
    """
    prepare_run_log()
    started = clock.perf_counter()
    try:
        settings = load_settings().with_overrides(
            data_dir=Path(data_dir) if data_dir else None, reports_dir=Path(reports_dir) if reports_dir else None,
            lang=lang, warehouse=Path(warehouse) if warehouse else None)
        check_horizon(horizon)
        if not settings.warehouse_path.is_file():
            raise UserError(f"there is no warehouse at {settings.warehouse_path}: run cutoffs first, or pass "
                            "--data-dir (or set CUTOFF_DATA_DIR) to the data dir to forecast from.")
        with open_warehouse(settings.warehouse_path) as db:
            day = forecast_date or next_forecast_date(db)
            folder = forecast_dir(settings.reports_dir, day)
            prepare_run_folder(folder, settings.reports_dir)
            inputs = read_task(settings, db, day, horizon)
        say(f"forecast {day} + {horizon} day(s): {len(inputs.cutoffs)} nightly cutoff(s) "
            f"{inputs.cutoffs[0]}..{inputs.cutoffs[-1]}, {inputs.daily['sku_id'].n_unique():,} SKU(s), "
            f"{inputs.points.height:,} SKU-point-day rows; weather: {inputs.weather.rows.height} day(s)",
            console=progress)
        forecast = compute_task(inputs)
        summary = summarize(forecast, inputs, folder, clock.perf_counter() - started)
        write_task(settings, folder, forecast, inputs, summary)
    except UserError as exc:
        return fail_run(exc)
    summary["seconds"] = round(clock.perf_counter() - started, 2)
    accuracy = summary["accuracy"]
    say(f"done in {summary['seconds']} s: {summary['rows']['sku']:,} SKU rows, {summary['rows']['sku_point']:,} "
        f"SKU-point rows; backtest WAPE {_pct(accuracy['wape'])} (seasonal naive {_pct(accuracy['naive_wape'])}) "
        f"-> {folder.resolve()}", console=progress)
    names = dict(inputs.master.suppliers.select("supplier_id", "name").iter_rows())
    publish_forecast_artifacts(forecast, summary, names)
    return summary


def _pct(value) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"
