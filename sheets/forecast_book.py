"""forecast.xlsx (reports/forecast/<D>/, `cutoff forecast`): the overview per supplier (the first
day's P10-P50-P90 and cases, the horizon's units, a chart), every SKU's forecast per date, the
backtest's accuracy per SKU next to seasonal naive, then one sheet per supplier with the history
and the forecast of its largest SKUs, day by day, as a line chart."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from inbox.master import Master
from sheets.forecast_labels import forecast_labels
from sheets.spec import DECIMAL, INT, OWN_SHEET, PERCENT, TEXT, ChartSpec, Column, SheetSpec
from sheets.writer import write_workbook
from transforms.forecast import Forecast

CHART_SUPPLIERS = 30
TREND_DAYS = 28   # the history a supplier's chart shows
TREND_SKUS = 3


def pct(value) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def day_notes(forecast: Forecast, t: dict) -> pl.DataFrame:
    """date -> a few words: the holiday, the weather class."""
    rows = []
    for row in forecast.days.iter_rows(named=True):
        words = []
        if row["day_kind"] == "holiday":
            words.append(t["holiday_day"].format(name=row[f"holiday_{t['lang']}"]))
        if row.get("weather"):
            words.append(t[f"weather_{row['weather']}"])
        rows.append({"cutoff_date": row["date"], "day_note": " · ".join(words)})
    return pl.DataFrame(rows, schema={"cutoff_date": pl.Date, "day_note": pl.String})


def header_rows(summary: dict, t: dict) -> tuple:
    accuracy, held = summary["accuracy"], summary["accuracy"].get("held_out") or {}
    weather = summary["weather"]
    holidays = ", ".join(f"{h['date']} {h['name'] if t['lang'] == 'zh' else h['name_en']}"
                         for h in summary["holidays"]) or t["none"]
    return (
        (t["forecast_date"], summary["forecast_date"]),
        (t["history"], t["history_text"].format(cutoffs=summary["history"]["cutoffs"], start=summary["history"]["from"],
                                                end=summary["history"]["to"])),
        (t["holidays"], holidays),
        (t["weather"], t["weather_text"].format(rows=weather["rows"])
         + (t["weather_rejected"].format(rejected=weather["rejected"]) if weather["rejected"] else "")
         if weather["files"] else t["weather_none"]),
        (t["backtest_wape"], f"{pct(accuracy.get('wape'))} / {pct(accuracy.get('naive_wape'))}"),
        (t["backtest_bias"], f"{pct(accuracy.get('bias'))} / {pct(accuracy.get('naive_bias'))}"),
        (t["held_out_wape"], f"{pct(held.get('wape'))} / {pct(held.get('naive_wape'))}"),
    )


def _method_names(frame: pl.DataFrame, t: dict) -> pl.DataFrame:
    return frame.with_columns(pl.col("method").replace_strict(
        {m: t.get(f"method_{m}", m) for m in frame["method"].unique().to_list()}, default=pl.col("method")))


def overview_sheet(forecast: Forecast, master: Master, summary: dict, t: dict, title: str) -> SheetSpec:
    first = date.fromisoformat(summary["forecast_date"])
    suppliers = forecast.rows.filter(pl.col("level") == "supplier")
    week = suppliers.group_by("supplier_id").agg(pl.col("units_p50").sum().alias("week_p50"))
    frame = (suppliers.filter(pl.col("cutoff_date") == first).join(week, on="supplier_id", how="right")
             .join(master.suppliers.select("supplier_id", "name"), on="supplier_id", how="left")
             .sort("units_p50", "supplier_id", descending=[True, False], nulls_last=True))
    columns = (Column("supplier_id", t["supplier_id"], TEXT, 9), Column("name", t["supplier_name"], TEXT, 16, 30),
               Column("units_p10", t["p10"], DECIMAL, 9), Column("units_p50", t["p50"], DECIMAL, 10),
               Column("units_p90", t["p90"], DECIMAL, 9), Column("cases_p50", t["cases_p50"], INT, 8),
               Column("week_p50", t["week_p50"].format(horizon=summary["horizon"]), DECIMAL, 11))
    totals = {"supplier_id": t["total"], **{c: float(frame[c].sum()) for c in ("units_p50", "week_p50")},
              "cases_p50": int(frame["cases_p50"].sum())}
    return SheetSpec(title=t["sheet_overview"], columns=columns, frame=frame, title_line=title,
                     header=header_rows(summary, t), notes=(t["overview_note"],), totals=totals, landscape=True,
                     freeze_columns=2,
                     # on a page of its own: below the tall header block it broke over two pages, the
                     # repeated header printed over its top half
                     chart=ChartSpec(t["chart_suppliers"].format(day=first, n=CHART_SUPPLIERS), "supplier_id",
                                     "units_p50", t["p50"], max_rows=CHART_SUPPLIERS, placement=OWN_SHEET,
                                     sheet_title=t["sheet_overview_chart"]))


def sku_sheet(forecast: Forecast, master: Master, t: dict, title: str) -> SheetSpec:
    frame = (_method_names(forecast.rows.filter(pl.col("level") == "sku"), t)
             .join(master.products.select("sku_id", "name", "unit", "case_pack"), on="sku_id", how="left")
             .join(day_notes(forecast, t), on="cutoff_date", how="left")
             .with_columns(pl.col("cutoff_date").cast(pl.String).alias("date"))
             .sort("supplier_id", "sku_id", "cutoff_date"))
    columns = (Column("supplier_id", t["supplier_id"], TEXT, 8), Column("sku_id", t["sku"], TEXT, 9),
               Column("name", t["name"], TEXT, 12, wrap=True), Column("unit", t["unit"], TEXT, 4),
               Column("case_pack", t["case_pack"], INT, 5), Column("date", t["cutoff_date"], TEXT, 10),
               Column("day_note", t["day_note"], TEXT, 8, 20), Column("units_p10", t["p10"], DECIMAL, 8),
               Column("units_p50", t["p50"], DECIMAL, 9), Column("units_p90", t["p90"], DECIMAL, 8),
               Column("cases_p10", t["cases_p10"], INT, 6), Column("cases_p50", t["cases_p50"], INT, 6),
               Column("cases_p90", t["cases_p90"], INT, 6), Column("method", t["method"], TEXT, 8))
    return SheetSpec(title=t["sheet_skus"], columns=columns, frame=frame, title_line=title, landscape=True,
                     freeze_columns=3, autofilter=True)


def accuracy_sheet(forecast: Forecast, master: Master, summary: dict, t: dict, title: str) -> SheetSpec:
    frame = (_method_names(forecast.accuracy, t)
             .join(master.products.select("sku_id", "name", "supplier_id"), on="sku_id", how="left")
             .sort("supplier_id", "sku_id"))
    columns = (Column("supplier_id", t["supplier_id"], TEXT, 8), Column("sku_id", t["sku"], TEXT, 9),
               Column("name", t["name"], TEXT, 12, wrap=True), Column("method", t["method"], TEXT, 9),
               Column("method_wape", t["wape"], PERCENT, 7), Column("method_bias", t["bias"], PERCENT, 7),
               Column("naive_wape", t["naive_wape"], PERCENT, 9), Column("naive_bias", t["naive_bias"], PERCENT, 9),
               Column("actual", t["actual"], DECIMAL, 9))
    accuracy = summary["accuracy"]
    totals = {"supplier_id": t["total"], "method_wape": accuracy.get("wape"), "method_bias": accuracy.get("bias"),
              "naive_wape": accuracy.get("naive_wape"), "naive_bias": accuracy.get("naive_bias"),
              "actual": float(frame["actual"].sum())}
    note = t["accuracy_note"].format(weeks=len(summary["accuracy"].get("origins") or []))
    return SheetSpec(title=t["sheet_accuracy"], columns=columns, frame=frame, title_line=title,
                     header=header_rows(summary, t)[4:], notes=(note,), totals=totals, landscape=True,
                     freeze_columns=3, autofilter=True)


def trend_frame(forecast: Forecast, skus: list[str], first: date) -> pl.DataFrame:
    """date rows (the last TREND_DAYS days, then the horizon), an actual and a forecast column per SKU."""
    dates = [first - timedelta(days=TREND_DAYS - i) for i in range(TREND_DAYS)] + forecast.days["date"].to_list()
    frame = pl.DataFrame({"cutoff_date": dates}, schema={"cutoff_date": pl.Date})
    for i, sku in enumerate(skus):
        actual = forecast.history.filter(pl.col("sku_id") == sku).select(
            pl.col("date").alias("cutoff_date"), pl.col("units").cast(pl.Int64).alias(f"a{i}"))
        ahead = forecast.rows.filter((pl.col("level") == "sku") & (pl.col("sku_id") == sku)).select(
            "cutoff_date", pl.col("units_p50").alias(f"f{i}"))
        frame = frame.join(actual, on="cutoff_date", how="left").join(ahead, on="cutoff_date", how="left")
    return frame.with_columns(pl.col("cutoff_date").cast(pl.String).alias("date"))


def supplier_sheets(forecast: Forecast, master: Master, summary: dict, t: dict, title: str) -> list[SheetSpec]:
    first = date.fromisoformat(summary["forecast_date"])
    skus = forecast.rows.filter(pl.col("level") == "sku")
    names = dict(master.suppliers.select("supplier_id", "name").iter_rows())
    sheets = []
    for supplier_id in sorted(skus["supplier_id"].unique().to_list()):
        largest = (skus.filter(pl.col("supplier_id") == supplier_id).group_by("sku_id")
                   .agg(pl.col("units_p50").sum()).sort("units_p50", "sku_id", descending=[True, False])
                   .head(TREND_SKUS)["sku_id"].to_list())
        frame = trend_frame(forecast, largest, first)
        # what sold is whole units (659, not 659.00); the forecast keeps its hundredths
        series = [Column(f"{kind}{i}", t[f"{label}_of"].format(sku=sku), kind_, 9)
                  for i, sku in enumerate(largest)
                  for kind, label, kind_ in (("a", "actual", INT), ("f", "forecast", DECIMAL))]
        chart = ChartSpec(t["chart_trend"].format(days=TREND_DAYS, n=len(largest)), "date", series[0].key,
                          kind="line", more_keys=tuple(c.key for c in series[1:]))
        sheets.append(SheetSpec(
            title=f"{supplier_id} {names.get(supplier_id) or ''}".strip(), title_line=title,
            header=((t["supplier_id"], f"{supplier_id} {names.get(supplier_id) or ''}".strip()),),
            columns=(Column("date", t["date"], TEXT, 10), *series), frame=frame, chart=chart, landscape=True,
            freeze_columns=1))
    return sheets


def write_forecast_book(path: Path, forecast: Forecast, master: Master, summary: dict, *, lang: str,
                        created: datetime) -> None:
    t = forecast_labels(lang)
    # the book shows suppliers and SKUs: the millions of pickup-point rows are the parquet's alone
    forecast = replace(forecast, rows=forecast.rows.filter(pl.col("level") != "sku_point"))
    title = t["forecast_title"].format(day=summary["forecast_date"], horizon=summary["horizon"])
    sheets = [overview_sheet(forecast, master, summary, t, title), sku_sheet(forecast, master, t, title),
              accuracy_sheet(forecast, master, summary, t, title),
              *supplier_sheets(forecast, master, summary, t, title)]
    write_workbook(path, sheets, title=title, created=created)
