"""What a forecast run shows in the Prefect UI: a markdown artifact `forecast` (the dates, the
backtest's accuracy next to seasonal naive, the holidays, each supplier's first day) and a table
artifact `forecast-suppliers` (each supplier's P10, P50 and P90 of every date). Publishing never
fails a run."""

from __future__ import annotations

import logging

import polars as pl

from flows.artifacts import _cell
from sheets.forecast_labels import forecast_labels
from transforms.forecast import Forecast

SHOWN = 20


def _pct(value) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def supplier_table(forecast: Forecast, names: dict[str, str]) -> list[dict]:
    rows = forecast.rows.filter(pl.col("level") == "supplier").sort("supplier_id", "cutoff_date")
    return [{"supplier_id": r["supplier_id"], "name": names.get(r["supplier_id"], ""),
             "cutoff_date": r["cutoff_date"].isoformat(), "units_p10": round(r["units_p10"], 1),
             "units_p50": round(r["units_p50"], 1), "units_p90": round(r["units_p90"], 1),
             "cases_p50": r["cases_p50"]} for r in rows.iter_rows(named=True)]


def render_forecast_markdown(forecast: Forecast, summary: dict, names: dict[str, str]) -> str:
    accuracy, held = summary["accuracy"], summary["accuracy"].get("held_out") or {}
    first = summary["dates"][0]
    lines = [f"# Forecast {first} (+{summary['horizon']} nightly cutoffs)", "",
             f"From {summary['history']['cutoffs']} nightly cutoffs ({summary['history']['from']} .. "
             f"{summary['history']['to']}); {summary['skus']} SKUs of {summary['suppliers']} suppliers. "
             f"Files: `{summary['folder']}` (forecast.xlsx, forecast.parquet).", "",
             "| backtest (SKU level) | WAPE | bias |", "| --- | ---: | ---: |",
             f"| chosen methods | {_pct(accuracy.get('wape'))} | {_pct(accuracy.get('bias'))} |",
             f"| seasonal naive by weekday | {_pct(accuracy.get('naive_wape'))} | {_pct(accuracy.get('naive_bias'))} |",
             f"| last week, methods chosen before it | {_pct(held.get('wape'))} | {_pct(held.get('bias'))} |",
             f"| last week, seasonal naive | {_pct(held.get('naive_wape'))} | {_pct(held.get('naive_bias'))} |", ""]
    if summary["holidays"]:
        lines += ["Holidays in the horizon: " + ", ".join(f"{h['date']} {h['name']}" for h in summary["holidays"]), ""]
    day = forecast.rows.filter((pl.col("level") == "supplier") & (pl.col("cutoff_date").cast(pl.String) == first))
    words = forecast_labels("en")
    lines += ["Methods chosen: "
              + ", ".join(f"{words.get(f'method_{m}', m)} {n:,}" for m, n in summary["methods"].items()), "",
              f"## {first}: the suppliers, largest first ({day.height:,})", "",
              "| supplier | P10 | P50 | P90 | cases (P50) |", "| --- | ---: | ---: | ---: | ---: |"]
    for row in day.sort("units_p50", descending=True).head(SHOWN).iter_rows(named=True):
        label = row["supplier_id"] + (f" {names[row['supplier_id']]}" if names.get(row["supplier_id"]) else "")
        # units to the unit, all three alike (P50 read 1,095.4 beside P10 841)
        lines.append(f"| {_cell(label)} | {row['units_p10']:,.0f} | {row['units_p50']:,.0f} | {row['units_p90']:,.0f} "
                     f"| {row['cases_p50']:,} |")
    if day.height > SHOWN:
        lines += ["", f"Showing {SHOWN:,} of {day.height:,}: the table `forecast-suppliers` and forecast.xlsx have "
                      "them all."]
    return "\n".join(lines) + "\n"


def publish_forecast_artifacts(forecast: Forecast, summary: dict, names: dict[str, str]) -> None:
    try:
        from prefect.artifacts import create_markdown_artifact, create_table_artifact
        create_markdown_artifact(key="forecast", markdown=render_forecast_markdown(forecast, summary, names),
                                 description=f"forecast {summary['forecast_date']}: backtest WAPE "
                                             f"{_pct(summary['accuracy'].get('wape'))}")
        create_table_artifact(key="forecast-suppliers", table=supplier_table(forecast, names),
                              description=f"forecast {summary['forecast_date']}: units per supplier and date")
    except Exception as exc:  # an artifact is a convenience: it never fails the run
        try:
            from prefect.logging import get_run_logger
            logger = get_run_logger()
        except Exception:
            logger = logging.getLogger("cutoff.artifacts")
        logger.warning("could not publish the forecast's artifacts (%s: %s)", type(exc).__name__, exc)
