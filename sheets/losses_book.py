"""losses.xlsx (reports/analysis/<from>_<to>/): the losses of the range per supplier and per
category, in units and in fen at unit cost (surplus, damaged, over, short, unpicked), the loss
rate (surplus + damaged + unpicked) / units purchased, worst first, each sheet with a chart of the
loss rate; then the detail per cutoff and purchase line, which the totals add up from."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from sheets.analysis_labels import analysis_labels
from sheets.fulfilment_book import header_rows
from sheets.spec import INT, MONEY, PERCENT, TEXT, ChartSpec, Column, SheetSpec
from sheets.writer import write_workbook
from transforms.fulfilment import LOSS_KINDS
from transforms.fulfilment_report import FulfilmentReport

CHART_ROWS = 30  # a chart shows the worst 30 at most
FIGURES = ["units_purchased", "purchased_fen", *[f"{kind}_{unit}" for kind in LOSS_KINDS for unit in ("units", "fen")],
           "lost_units", "lost_fen"]


def _figure_columns(t: dict) -> tuple[Column, ...]:
    columns = [Column("units_purchased", t["units_purchased"], INT, 8), Column("purchased_fen", t["purchased_fen"],
                                                                               MONEY, 12)]
    for kind in LOSS_KINDS:
        columns += [Column(f"{kind}_units", t[f"{kind}_units"], INT, 6), Column(f"{kind}_fen", t[f"{kind}_fen"],
                                                                                MONEY, 11)]
    return (*columns, Column("lost_units", t["lost_units"], INT, 7), Column("lost_fen", t["lost_fen"], MONEY, 12),
            Column("loss_rate", t["loss_rate"], PERCENT, 7))


def _totals(frame: pl.DataFrame, first_key: str, t: dict) -> dict:
    totals = {first_key: t["total"], **{f: int(frame[f].sum()) for f in FIGURES}}
    totals["loss_rate"] = totals["lost_units"] / totals["units_purchased"] if totals["units_purchased"] else None
    return totals


def loss_sheets(report: FulfilmentReport, suppliers: pl.DataFrame, products: pl.DataFrame, t: dict, title: str,
                header: tuple) -> list[SheetSpec]:
    by_supplier = report.by_supplier.join(suppliers, on="supplier_id", how="left")
    supplier_sheet = SheetSpec(
        title=t["sheet_by_supplier"], title_line=title, header=header, notes=(t["loss_note"],), frame=by_supplier,
        columns=(Column("supplier_id", t["supplier_id"], TEXT, 10), Column("name", t["supplier_name"], TEXT, 14, 30),
                 *_figure_columns(t)),
        totals=_totals(by_supplier, "supplier_id", t), landscape=True, freeze_columns=2, footer=title,
        chart=ChartSpec(t["chart_loss_rate_supplier"], "supplier_id", "loss_rate", t["loss_rate"], "0.0%",
                        max_rows=CHART_ROWS))
    category_sheet = SheetSpec(
        title=t["sheet_by_category"], title_line=title, header=header, notes=(t["loss_note"],),
        frame=report.by_category, columns=(Column("category", t["category"], TEXT, 10), *_figure_columns(t)),
        totals=_totals(report.by_category, "category", t), landscape=True, freeze_columns=1, footer=title,
        chart=ChartSpec(t["chart_loss_rate_category"], "category", "loss_rate", t["loss_rate"], "0.0%",
                        max_rows=CHART_ROWS))
    detail = (report.unit_losses.join(products.select("sku_id", pl.col("name").alias("item")), on="sku_id", how="left")
              .with_columns(pl.format("{} {}", pl.col("calendar").replace_strict(
                  {c: t.get(f"calendar_{c}", c) for c in ("nightly", "weekly")}, default=pl.col("calendar")),
                  pl.col("cutoff_date").cast(pl.String)).alias("run"))
              .sort("cutoff_date", "calendar", "supplier_id", "sku_id"))
    detail_sheet = SheetSpec(
        title=t["sheet_loss_lines"], title_line=title, frame=detail,
        columns=(Column("run", t["run"], TEXT, 14), Column("supplier_id", t["supplier_id"], TEXT, 10),
                 Column("sku_id", t["sku"], TEXT, 10), Column("item", t["item"], TEXT, 14, 30),
                 Column("category", t["category"], TEXT, 8), Column("unit_cost_fen", t["unit_cost"], MONEY, 10),
                 Column("units_purchased", t["units_purchased"], INT, 8),
                 *[Column(f"{kind}_units", t[f"{kind}_units"], INT, 6) for kind in LOSS_KINDS]),
        totals={"run": t["total"], **{c: int(detail[c].sum()) for c in
                                      ("units_purchased", *[f"{kind}_units" for kind in LOSS_KINDS])}},
        landscape=True, freeze_columns=1, footer=title)
    return [supplier_sheet, category_sheet, detail_sheet]


def write_losses_book(path: Path, report: FulfilmentReport, suppliers: pl.DataFrame, products: pl.DataFrame, *,
                      span: str, timezone: str, pickup_hours: int, lang: str, created: datetime) -> None:
    """suppliers: supplier_id, name; products: sku_id, name."""
    t = analysis_labels(lang)
    title = t["losses_title"].format(span=span)
    header = header_rows(report, span, timezone, pickup_hours, t)
    write_workbook(path, loss_sheets(report, suppliers, products, t, title, header), title=title, created=created)
