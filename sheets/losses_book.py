"""losses.xlsx (reports/analysis/<from>_<to>/): the losses of the range per supplier and per
category (surplus, damaged, over, short, unpicked) and the loss rate (surplus + damaged + unpicked)
/ units purchased, worst first: in units (with the rate) on one sheet, in money at unit cost on the
next, the chart of the loss rate on a landscape sheet of its own (suppliers named, not only coded);
then the detail per cutoff and purchase line, which the totals add up from. Every sheet prints on
A4 at 9 pt or more (docs/sheets.md)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from sheets.analysis_labels import analysis_labels
from sheets.fulfilment_book import header_rows, run_names
from sheets.spec import (
    INT,
    LIST_PRINT_ROWS,
    MONEY,
    OWN_SHEET,
    PERCENT,
    TEXT,
    ChartSpec,
    Column,
    SheetSpec,
    print_first_note,
)
from sheets.writer import write_workbook
from transforms.fulfilment import LOSS_KINDS
from transforms.fulfilment_report import FulfilmentReport

CHART_ROWS = 30  # a chart shows the worst 30 at most
FIGURES = ["units_purchased", "purchased_fen", *[f"{kind}_{unit}" for kind in LOSS_KINDS for unit in ("units", "fen")],
           "lost_units", "lost_fen"]


def _unit_columns(t: dict) -> tuple[Column, ...]:
    return (Column("units_purchased", t["units_purchased"], INT, 7),
            *[Column(f"{kind}_units", t[f"{kind}_units"], INT, 6) for kind in LOSS_KINDS],
            Column("lost_units", t["lost_units"], INT, 6), Column("loss_rate", t["loss_rate"], PERCENT, 6))


def _money_columns(t: dict) -> tuple[Column, ...]:
    return (Column("purchased_fen", t["purchased_fen"], MONEY, 10),
            *[Column(f"{kind}_fen", t[f"{kind}_fen"], MONEY, 9) for kind in LOSS_KINDS],
            Column("lost_fen", t["lost_fen"], MONEY, 10), Column("loss_rate", t["loss_rate"], PERCENT, 6))


def _totals(frame: pl.DataFrame, first_key: str, t: dict) -> dict:
    totals = {first_key: t["total"], **{f: int(frame[f].sum()) for f in FIGURES}}
    totals["loss_rate"] = totals["lost_units"] / totals["units_purchased"] if totals["units_purchased"] else None
    return totals


def _pair(frame: pl.DataFrame, key: Column, names: tuple[str, str, str], chart_title: str, t: dict, title: str,
          header: tuple) -> list[SheetSpec]:
    """The units sheet (with the loss-rate chart on a sheet of its own) and the money sheet of one
    breakdown (`key`: the supplier or the category)."""
    totals = _totals(frame, key.key, t)
    units = SheetSpec(
        title=names[0], title_line=title, header=header, notes=(t["loss_note"],), frame=frame,
        columns=(key, *_unit_columns(t)), totals=totals, freeze_columns=1, footer=title, empty_text=t["none"],
        chart=ChartSpec(chart_title, key.key, "loss_rate", t["loss_rate"], "0.0%", max_rows=CHART_ROWS,
                        placement=OWN_SHEET, sheet_title=names[2]))
    money = SheetSpec(
        title=names[1], title_line=f"{title} · {t['in_yuan']}", notes=(t["loss_money_note"],), frame=frame,
        columns=(key, *_money_columns(t)), totals=totals, landscape=True, freeze_columns=1, footer=title,
        empty_text=t["none"])
    return [units, money]


def loss_sheets(report: FulfilmentReport, suppliers: pl.DataFrame, products: pl.DataFrame, t: dict, title: str,
                header: tuple) -> list[SheetSpec]:
    by_supplier = report.by_supplier.join(suppliers, on="supplier_id", how="left").with_columns(
        pl.format("{} {}", pl.col("supplier_id"), pl.col("name").fill_null("")).str.strip_chars().alias("supplier"))
    sheets = _pair(by_supplier, Column("supplier", t["supplier"], TEXT, 26, wrap=True),
                   (t["sheet_by_supplier"], t["sheet_by_supplier_money"], t["sheet_chart_supplier"]),
                   t["chart_loss_rate_supplier"], t, title, header)
    sheets += _pair(report.by_category, Column("category", t["category"], TEXT, 10),
                    (t["sheet_by_category"], t["sheet_by_category_money"], t["sheet_chart_category"]),
                    t["chart_loss_rate_category"], t, title, header)
    detail = (report.unit_losses.join(products.select("sku_id", pl.col("name").alias("item")), on="sku_id", how="left")
              .with_columns(run_names(t)).sort("cutoff_date", "calendar", "supplier_id", "sku_id"))
    sheets.append(SheetSpec(
        title=t["sheet_loss_lines"], title_line=title, frame=detail,
        columns=(Column("run", t["run"], TEXT, 14), Column("supplier_id", t["supplier_id"], TEXT, 8),
                 Column("sku_id", t["sku"], TEXT, 8), Column("item", t["item"], TEXT, 20, wrap=True),
                 Column("category", t["category"], TEXT, 8), Column("unit_cost_fen", t["unit_cost"], MONEY, 8),
                 Column("units_purchased", t["units_purchased"], INT, 7),
                 *[Column(f"{kind}_units", t[f"{kind}_units"], INT, 6) for kind in LOSS_KINDS]),
        totals={"run": t["total"], **{c: int(detail[c].sum()) for c in
                                      ("units_purchased", *[f"{kind}_units" for kind in LOSS_KINDS])}},
        landscape=True, freeze_columns=1, footer=title, empty_text=t["none"], autofilter=True,
        notes=print_first_note(detail.height, t), print_rows=LIST_PRINT_ROWS))
    return sheets


def write_losses_book(path: Path, report: FulfilmentReport, suppliers: pl.DataFrame, products: pl.DataFrame, *,
                      span: str, timezone: str, pickup_hours: int, lang: str, created: datetime) -> None:
    """suppliers: supplier_id, name; products: sku_id, name."""
    t = analysis_labels(lang)
    title = t["losses_title"].format(span=span)
    header = header_rows(report, span, timezone, pickup_hours, t)
    write_workbook(path, loss_sheets(report, suppliers, products, t, title, header), title=title, created=created)
