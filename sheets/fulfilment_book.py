"""fulfilment.xlsx (reports/analysis/<from>_<to>/): the fulfilment timeline of each cutoff of the
range (cutoff -> purchase orders out -> goods in -> first / half / last pickup, with the hours
from the cutoff) with a chart of the hours to half collected; per pickup point the units to hand
out, collected, the share collected and the last scan, with a chart of the share; the unpicked
lines for the leaders to chase; the pickup scans turned down. Instants in the business time zone."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from sheets.analysis_labels import analysis_labels
from sheets.labels import local_text
from sheets.spec import DECIMAL, INT, PERCENT, TEXT, ChartSpec, Column, SheetSpec
from sheets.writer import write_workbook
from transforms.fulfilment_report import STEPS, FulfilmentReport

CHART_ROWS = 30  # the chart of the pickup points shows the least collected ones


def local_column(column: str, timezone: str) -> pl.Expr:
    """A UTC instant column as '2026-11-22 09:15' in the business time zone."""
    return pl.col(column).dt.convert_time_zone(timezone).dt.strftime("%Y-%m-%d %H:%M")


def header_rows(report: FulfilmentReport, span: str, timezone: str, pickup_hours: int, t: dict) -> tuple:
    return ((t["span"], span), (t["as_of"], local_text(report.as_of, timezone)),
            (t["final"], t["final_yes"] if report.final else t["final_no"]), (t["pickup_hours"], pickup_hours))


def timeline_sheet(report: FulfilmentReport, timezone: str, t: dict, title: str, header: tuple) -> SheetSpec:
    timeline = report.timeline
    runs = [f"{t.get('calendar_' + c, c)} {d.isoformat()}" for c, d in timeline.select("calendar", "cutoff_date")
            .iter_rows()]
    cutoffs = [local_text(at, timezone) for at in timeline["cutoff"].to_list()]
    frame = timeline.with_columns(
        pl.Series("run", runs, pl.String), pl.Series("cutoff_text", cutoffs, pl.String),
        *[local_column(step, timezone).alias(f"{step}_text") for step in STEPS[1:]])
    steps = []
    for step in STEPS[1:]:
        steps += [Column(f"{step}_text", t[step], TEXT, 16), Column(f"{step}_hours", t["hours"], DECIMAL, 7)]
    columns = (Column("run", t["run"], TEXT, 14), Column("cutoff_text", t["cutoff"], TEXT, 16), *steps,
               Column("units_to_hand_out", t["units_to_hand_out"], INT, 8),
               Column("units_collected", t["units_collected"], INT, 8),
               Column("collected_share", t["collected_share"], PERCENT, 8),
               Column("units_unpicked", t["units_unpicked"], INT, 8),
               Column("units_waiting", t["units_waiting"], INT, 8))
    return SheetSpec(title=t["sheet_timeline"], title_line=title, header=header, frame=frame, columns=columns,
                     landscape=True, freeze_columns=1, footer=title,
                     chart=ChartSpec(t["chart_half_hours"], "run", "pickup_half_hours", t["hours"], "0.0"))


def points_sheet(report: FulfilmentReport, points: pl.DataFrame, timezone: str, t: dict, title: str,
                 header: tuple) -> SheetSpec:
    frame = (report.points.join(points, on="pickup_point_id", how="left")
             .with_columns(local_column("last_scan_at", timezone).alias("last_scan_text")))
    columns = (Column("pickup_point_id", t["pickup_point"], TEXT, 10), Column("name", t["point_name"], TEXT, 14, 30),
               Column("leader_name", t["leader"], TEXT, 8), Column("leader_phone", t["leader_phone"], TEXT, 12),
               Column("route_id", t["route"], TEXT, 6),
               Column("units_to_hand_out", t["units_to_hand_out"], INT, 8),
               Column("units_collected", t["units_collected"], INT, 8),
               Column("collected_share", t["collected_share"], PERCENT, 8),
               Column("units_unpicked", t["units_unpicked"], INT, 8),
               Column("units_waiting", t["units_waiting"], INT, 8),
               Column("last_scan_text", t["last_scan"], TEXT, 16))
    handed, collected = int(frame["units_to_hand_out"].sum()), int(frame["units_collected"].sum())
    totals = {"pickup_point_id": t["total"], "units_to_hand_out": handed, "units_collected": collected,
              "collected_share": collected / handed if handed else None,
              "units_unpicked": int(frame["units_unpicked"].sum()), "units_waiting": int(frame["units_waiting"].sum())}
    return SheetSpec(title=t["sheet_points"], title_line=title, header=header, frame=frame, columns=columns,
                     totals=totals, landscape=True, freeze_columns=1, footer=title,
                     chart=ChartSpec(t["chart_collected_share"].format(n=CHART_ROWS), "pickup_point_id",
                                     "collected_share", t["collected_share"], "0%", max_rows=CHART_ROWS))


def to_chase_sheet(report: FulfilmentReport, points: pl.DataFrame, products: pl.DataFrame, timezone: str, t: dict,
                   title: str) -> SheetSpec:
    frame = (report.to_chase.join(points, on="pickup_point_id", how="left")
             .join(products.select("sku_id", pl.col("name").alias("item")), on="sku_id", how="left")
             .with_columns(pl.format("{} {}", pl.col("calendar").replace_strict(
                 {c: t.get(f"calendar_{c}", c) for c in ("nightly", "weekly")}, default=pl.col("calendar")),
                 pl.col("cutoff_date").cast(pl.String)).alias("run"),
                 local_column("deadline_at", timezone).alias("deadline_text")))
    columns = (Column("pickup_point_id", t["pickup_point"], TEXT, 10), Column("name", t["point_name"], TEXT, 14, 30),
               Column("leader_name", t["leader"], TEXT, 8), Column("run", t["run"], TEXT, 14),
               Column("order_id", t["order_id"], TEXT, 12), Column("line_no", t["line_no"], INT, 5),
               Column("customer_name", t["customer"], TEXT, 8), Column("phone_tail", t["phone_tail"], TEXT, 6),
               Column("sku_id", t["sku"], TEXT, 10), Column("item", t["item"], TEXT, 16, 36),
               Column("units_to_hand_out", t["units"], INT, 6), Column("deadline_text", t["deadline"], TEXT, 16))
    return SheetSpec(title=t["sheet_to_chase"], title_line=title, frame=frame, columns=columns,
                     totals={"pickup_point_id": t["total"], "units_to_hand_out": int(frame["units_to_hand_out"].sum())},
                     landscape=True, freeze_columns=1, footer=title)


def rejects_sheet(rejects: pl.DataFrame, t: dict, title: str) -> SheetSpec:
    columns = (Column("source_file", t["source_file"], TEXT, 14, 30), Column("row_number", t["row_number"], INT, 6),
               Column("reason", t["reason"], TEXT, 20, 70), Column("raw", t["raw"], TEXT, 20, 80))
    return SheetSpec(title=t["sheet_pickup_rejects"], title_line=title, frame=rejects, columns=columns,
                     landscape=True, footer=title)


def write_fulfilment_book(path: Path, report: FulfilmentReport, points: pl.DataFrame, products: pl.DataFrame,
                          rejects: pl.DataFrame, *, span: str, timezone: str, pickup_hours: int, lang: str,
                          created: datetime) -> None:
    """points: pickup_point_id, name, leader_name, leader_phone, route_id; products: sku_id, name;
    rejects: the pickup scans turned down (source_file, row_number, reason, raw)."""
    t = analysis_labels(lang)
    title = t["fulfilment_title"].format(span=span)
    header = header_rows(report, span, timezone, pickup_hours, t)
    sheets = [timeline_sheet(report, timezone, t, title, header),
              points_sheet(report, points, timezone, t, title, header),
              to_chase_sheet(report, points, products, timezone, t, title),
              rejects_sheet(rejects, t, title)]
    write_workbook(path, sheets, title=title, created=created)
