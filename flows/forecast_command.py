"""`cutoff forecast --date D [--horizon H]` (docs/forecast.md), and the history option of `cutoff
generate` (`--history-weeks`: weeks of nightly cutoffs written as a backfill would, to measure a
forecast on)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from errors import UserError
from flows.forecast_flow import MAX_HORIZON, check_horizon


def add_forecast_parser(commands, date_type: Callable) -> None:
    forecast = commands.add_parser(
        "forecast", help="tomorrow's demand: expected units of the next nightly cutoffs per SKU, supplier and "
                         "pickup point, with P10-P90 (reports/forecast/<date>/)")
    forecast.add_argument("--date", type=date_type, required=True,
                          help="the first nightly cutoff forecast, YYYY-MM-DD (learns from the cutoffs before it)")
    forecast.add_argument("--horizon", type=int, default=MAX_HORIZON,
                          help=f"how many nightly cutoffs from --date, 1 to {MAX_HORIZON} (default {MAX_HORIZON})")
    forecast.add_argument("--lang", choices=["zh", "en"], help="workbook language")
    forecast.add_argument("--data-dir", type=Path, help="inputs and the warehouse (default: data, or CUTOFF_DATA_DIR)")
    forecast.add_argument("--reports-dir", type=Path, help="outputs (default: reports, or CUTOFF_REPORTS_DIR)")


def add_history_options(generate) -> None:
    generate.add_argument("--history-weeks", type=int,
                          help="write this many weeks of nightly cutoffs before --date into a new data dir, as "
                               "`cutoff backfill` would (docs/forecast.md); --orders is then the lines per day")
    generate.add_argument("--skus", type=int, help="with --history-weeks: the number of SKUs")
    generate.add_argument("--pickup-points", type=int, help="with --history-weeks: the number of pickup points")


AFTER_NIGHTLY = "prefect.flow-run.Completed"


def forecast_trigger():
    """The forecast/forecast deployment's trigger: a run of cutoff/nightly that completed (the flow
    `cutoff` and the deployment `nightly` both related to the event). Its run leaves the date
    empty: the day after the latest nightly cutoff that ran."""
    from prefect.events import DeploymentEventTrigger
    return DeploymentEventTrigger(
        name="forecast: after the nightly cutoff",
        description="Each completed run of cutoff/nightly starts forecast/forecast: tomorrow's demand (预测) from the "
                    "day after the latest nightly cutoff that ran, for the 明日预估 beside the next purchase orders. "
                    "Made by `cutoff serve`.",
        expect={AFTER_NIGHTLY}, match={"prefect.resource.id": "prefect.flow-run.*"},
        match_related=[{"prefect.resource.role": "flow", "prefect.resource.name": "cutoff"},
                       {"prefect.resource.role": "deployment", "prefect.resource.name": "nightly"}],
        parameters={})


def forecast_deployment(settings, concurrency):
    """forecast/forecast for `cutoff serve`: started by each completed cutoff/nightly run; a custom run
    from the UI takes a forecast_date and a horizon."""
    from flows.forecast_flow import forecast_flow
    return forecast_flow.to_deployment(
        name="forecast", triggers=[forecast_trigger()], concurrency_limit=concurrency, tags=["cutoff"],
        description="Tomorrow's demand (预测): the nightly cutoffs from forecast_date (empty: the day after the latest "
                    "nightly cutoff that ran) for horizon days, per supplier, SKU and pickup point, with P10-P90, "
                    "into reports/forecast/<date>/. Runs by itself after each cutoff/nightly run completes.")


def print_forecast(summary: dict) -> None:
    accuracy, held = summary["accuracy"], summary["accuracy"].get("held_out") or {}

    def pct(value) -> str:
        return "-" if value is None else f"{value * 100:.1f}%"
    rows = summary["rows"]
    print(f"forecast of the nightly cutoffs {summary['dates'][0]}..{summary['dates'][-1]}: from "
          f"{summary['history']['cutoffs']} cutoffs ({summary['history']['from']}..{summary['history']['to']})")
    print(f"  rows: {rows['supplier']:,} supplier, {rows['sku']:,} SKU, {rows['sku_point']:,} SKU x pickup point "
          f"({summary['skus']:,} SKUs of {summary['suppliers']:,} suppliers)")
    print("  expected units (P50): " + ", ".join(f"{d} {u:,.0f}" for d, u in summary["units_p50"].items()))
    print(f"  backtest WAPE {pct(accuracy.get('wape'))} (seasonal naive {pct(accuracy.get('naive_wape'))}), bias "
          f"{pct(accuracy.get('bias'))}; last week with the methods chosen before it {pct(held.get('wape'))} "
          f"(seasonal naive {pct(held.get('naive_wape'))})")
    if summary["holidays"]:
        print("  holidays: " + ", ".join(f"{h['date']} {h['name']}" for h in summary["holidays"]))
    if summary["weather"]["rejected"]:
        print(f"cutoff: warning: {summary['weather']['rejected']} weather row(s) rejected: see "
              f"{summary['folder']}/rejects.csv")
    print(f"  outputs: {summary['folder']}/ (forecast.xlsx, forecast.parquet, forecast.json)  {summary['seconds']} s")


def run_forecast(args, settings, check_warehouse_free, start_prefect) -> int:
    from flows.forecast_flow import forecast_flow
    check_horizon(args.horizon)
    if not settings.warehouse_path.is_file():
        raise UserError(f"there is no warehouse at {settings.warehouse_path}: run cutoffs first, or pass --data-dir "
                        "(or set CUTOFF_DATA_DIR) to the data dir to forecast from.")
    check_warehouse_free(settings)
    start_prefect()
    summary = forecast_flow(forecast_date=args.date, horizon=args.horizon, data_dir=str(settings.data_dir),
                            reports_dir=str(settings.reports_dir), lang=args.lang,
                            warehouse=str(settings.warehouse_path), progress=True)
    print_forecast(summary)
    return 0


def generate_history_command(args, settings) -> int:
    """`cutoff generate --history-weeks W`: a new data dir with W weeks of nightly cutoffs before --date."""
    from synthetic.history import generate_history
    from transforms.windows import parse_clock
    if args.history_weeks < 1:
        raise UserError("--history-weeks must be at least 1")
    counts = generate_history(args.data_dir, args.orders, args.date, args.history_weeks, args.seed,
                              timezone_name=settings.timezone, nightly_at=parse_clock(settings.nightly_at),
                              skus=args.skus, pickup_points=args.pickup_points)
    print(f"wrote {args.history_weeks} week(s) of nightly cutoffs before {args.date} and the exports of {args.date} "
          f"under {args.data_dir} (its warehouse as `cutoff backfill` would leave it)")
    for key, value in counts.items():
        print(f"  {key}: {value:,}")
    print(f"next: `cutoff forecast --date {args.date} --data-dir {args.data_dir}`, or `cutoff run --date {args.date} "
          f"--data-dir {args.data_dir}` then the forecast of the day after")
    return 0
