"""fulfilment.xlsx (reports/analysis/<from>_<to>/): the fulfilment timeline of each cutoff of the
range (cutoff -> purchase orders out -> goods in -> first / half / last pickup) as hours from the
cutoff, with what to know about the cutoff (a run made late, purchase orders not emailed, units
collected late); its units (collected, late ones apart); the same steps as instants in the
business time zone; per
pickup point the units to hand out, collected, collected late, the shares and the last scan; the
unpicked lines for the leaders to chase; the pickup scans turned down. Each chart on a landscape
sheet of its own. Every sheet prints on A4 at 9 pt or more (docs/sheets.md)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from sheets.analysis_labels import analysis_labels
from sheets.labels import local_text
from sheets.reasons import reasons_in
from sheets.spec import (
    DECIMAL,
    INT,
    LIST_PRINT_ROWS,
    OWN_SHEET,
    PERCENT,
    TEXT,
    ChartSpec,
    Column,
    SheetSpec,
    print_first_note,
)
from sheets.writer import write_workbook
from transforms.fulfilment import EMAILED, LATE_RUN_HOURS, OUTBOX_ONLY
from transforms.fulfilment_report import STEPS, FulfilmentReport

CHART_ROWS = 30  # the chart of the pickup points shows the least collected ones
INSTANT = "%m-%d %H:%M"  # an instant on the sheets: the run names its date, a step falls days after at most


def local_column(column: str, timezone: str, form: str = "%Y-%m-%d %H:%M") -> pl.Expr:
    """A UTC instant column as '2026-11-22 09:15' (or `form`) in the business time zone."""
    return pl.col(column).dt.convert_time_zone(timezone).dt.strftime(form)


def header_rows(report: FulfilmentReport, span: str, timezone: str, pickup_hours: int, t: dict) -> tuple:
    return ((t["span"], span), (t["as_of"], local_text(report.as_of, timezone)),
            (t["final"], t["final_yes"] if report.final else t["final_no"]),
            (t["pickup_hours"], t["pickup_hours_value"].format(n=pickup_hours)))


def run_names(t: dict) -> pl.Expr:
    names = {c: t.get(f"calendar_{c}", c) for c in ("nightly", "weekly")}
    return pl.format("{} {}", pl.col("calendar").replace_strict(names, default=pl.col("calendar")),
                     pl.col("cutoff_date").cast(pl.String)).alias("run")


def _span(hours: float, t: dict) -> str:
    return t["after_days"].format(n=f"{hours / 24:.1f}") if hours >= 48 else t["after_hours"].format(n=f"{hours:.1f}")


def timeline_notes(timeline: pl.DataFrame, t: dict) -> list[str | None]:
    """What a cutoff's row cannot say in figures: its first successful run ended late (a backfill or
    a rerun: the steps after the cutoff count from it), its purchase orders were only written to the
    outbox or not emailed at all (the step is that time, or the run's end), units collected late."""
    notes = []
    for row in timeline.iter_rows(named=True):
        parts = []
        if row.get("run_hours") is not None and row["run_hours"] > LATE_RUN_HOURS:
            parts.append(t["note_late_run"].format(after=_span(row["run_hours"], t)))
        if row.get("pos_out_by") == OUTBOX_ONLY:
            parts.append(t["note_outbox"])
        elif row.get("pos_out_by") not in (None, EMAILED):
            parts.append(t["note_not_emailed"])
        if row.get("units_collected_late"):
            parts.append(t["note_late_pickups"].format(n=row["units_collected_late"]))
        notes.append(t["note_separator"].join(parts) or None)
    return notes


def timeline_sheet(report: FulfilmentReport, t: dict, title: str, header: tuple) -> SheetSpec:
    """One row per cutoff: each step as hours from the cutoff and what to know (说明; a row with
    something to know is filled). The instants are on 时间点, the units on 提货进度."""
    timeline = report.timeline
    frame = timeline.with_columns(run_names(t), pl.Series("note", timeline_notes(timeline, t), pl.String)) \
        .with_columns(pl.col("note").is_not_null().alias("_noted"))
    columns = (Column("run", t["run"], TEXT, 14),
               *[Column(f"{step}_hours", t[step], DECIMAL, 7) for step in STEPS[1:]],
               Column("note", t["note"], TEXT, 40, wrap=True))
    return SheetSpec(title=t["sheet_timeline"], title_line=title, header=header, notes=(t["timeline_note"],),
                     frame=frame, columns=columns, landscape=True, freeze_columns=1, footer=title, mark_key="_noted",
                     empty_text=t["none"],
                     chart=ChartSpec(t["chart_half_hours"], "run", "pickup_half_hours", t["hours"], "0.0",
                                     placement=OWN_SHEET, sheet_title=t["sheet_chart_half"]))


def progress_sheet(report: FulfilmentReport, t: dict, title: str) -> SheetSpec:
    """One row per cutoff: the units to hand out, collected (late ones apart), unpicked, waiting."""
    timeline = report.timeline
    frame = timeline.with_columns(run_names(t), ((pl.col("units_collected") - pl.col("units_collected_late"))
                                                 / pl.col("units_to_hand_out")).alias("on_time_share"))
    columns = (Column("run", t["run"], TEXT, 14),
               Column("units_to_hand_out", t["units_to_hand_out"], INT, 7),
               Column("units_collected", t["units_collected"], INT, 7),
               Column("units_collected_late", t["units_collected_late"], INT, 7),
               Column("collected_share", t["collected_share"], PERCENT, 7),
               Column("on_time_share", t["on_time_share"], PERCENT, 7),
               Column("units_unpicked", t["units_unpicked"], INT, 7),
               Column("units_waiting", t["units_waiting"], INT, 7))
    figures = ("units_to_hand_out", "units_collected", "units_collected_late", "units_unpicked", "units_waiting")
    totals = {"run": t["total"], **{c: int(frame[c].sum()) for c in figures}}
    handed = totals["units_to_hand_out"]
    totals |= {"collected_share": totals["units_collected"] / handed if handed else None,
               "on_time_share": (totals["units_collected"] - totals["units_collected_late"]) / handed
               if handed else None}
    return SheetSpec(title=t["sheet_progress"], title_line=title, notes=(t["progress_note"],), frame=frame,
                     columns=columns, totals=totals, freeze_columns=1, footer=title, empty_text=t["none"])


def instants_sheet(report: FulfilmentReport, timezone: str, t: dict, title: str) -> SheetSpec:
    """The same steps as instants in the business time zone (MM-DD HH:MM), and the pickup deadline."""
    timeline = report.timeline
    frame = timeline.with_columns(
        run_names(t), *[local_column(step, timezone, INSTANT).alias(f"{step}_text") for step in STEPS],
        local_column("deadline", timezone, INSTANT).alias("deadline_text"))
    columns = (Column("run", t["run"], TEXT, 14), Column("cutoff_text", t["cutoff"], TEXT, 12),
               *[Column(f"{step}_text", t[step], TEXT, 12) for step in STEPS[1:]],
               Column("deadline_text", t["deadline"], TEXT, 12))
    return SheetSpec(title=t["sheet_instants"], title_line=title, frame=frame, columns=columns, landscape=True,
                     freeze_columns=1, footer=title, empty_text=t["none"])


def points_sheet(report: FulfilmentReport, points: pl.DataFrame, timezone: str, t: dict, title: str,
                 header: tuple) -> SheetSpec:
    """Per pickup point, the least collected in time first: a point where everyone collects late
    comes before one where they come on time."""
    frame = (report.points.join(points, on="pickup_point_id", how="left")
             .with_columns(local_column("last_scan_at", timezone, INSTANT).alias("last_scan_text"),
                           pl.col("units_collected_late").fill_null(0),
                           pl.format("{} {}", pl.col("pickup_point_id"), pl.col("name").fill_null(""))
                           .str.strip_chars().alias("point"))
             .with_columns(((pl.col("units_collected") - pl.col("units_collected_late"))
                            / pl.col("units_to_hand_out")).alias("on_time_share"))
             .sort("on_time_share", "collected_share", "pickup_point_id"))
    columns = (Column("point", t["pickup_point"], TEXT, 18, wrap=True),
               Column("leader_name", t["leader"], TEXT, 8), Column("leader_phone", t["leader_phone"], TEXT, 12),
               Column("route_id", t["route"], TEXT, 6),
               Column("units_to_hand_out", t["units_to_hand_out"], INT, 6),
               Column("units_collected", t["units_collected"], INT, 6),
               Column("units_collected_late", t["units_collected_late"], INT, 6),
               Column("on_time_share", t["on_time_share"], PERCENT, 6),
               Column("collected_share", t["collected_share"], PERCENT, 6),
               Column("units_unpicked", t["units_unpicked"], INT, 6),
               Column("units_waiting", t["units_waiting"], INT, 6),
               Column("last_scan_text", t["last_scan"], TEXT, 12))
    handed, collected = int(frame["units_to_hand_out"].sum()), int(frame["units_collected"].sum())
    late = int(frame["units_collected_late"].sum())
    totals = {"point": t["total"], "units_to_hand_out": handed, "units_collected": collected,
              "units_collected_late": late, "on_time_share": (collected - late) / handed if handed else None,
              "collected_share": collected / handed if handed else None,
              "units_unpicked": int(frame["units_unpicked"].sum()), "units_waiting": int(frame["units_waiting"].sum())}
    return SheetSpec(title=t["sheet_points"], title_line=title, header=header, notes=(t["points_note"],),
                     frame=frame, columns=columns, totals=totals, landscape=True, freeze_columns=1, footer=title,
                     empty_text=t["none"],
                     chart=ChartSpec(t["chart_on_time_share"].format(n=CHART_ROWS), "point", "on_time_share",
                                     t["on_time_share"], "0%", max_rows=CHART_ROWS, placement=OWN_SHEET,
                                     sheet_title=t["sheet_chart_points"]))


def to_chase_sheet(report: FulfilmentReport, points: pl.DataFrame, products: pl.DataFrame, timezone: str, t: dict,
                   title: str) -> SheetSpec:
    frame = (report.to_chase.join(points, on="pickup_point_id", how="left")
             .join(products.select("sku_id", pl.col("name").alias("item")), on="sku_id", how="left")
             .with_columns(run_names(t), local_column("deadline_at", timezone, INSTANT)
                           .alias("deadline_text"),
                           pl.format("{} {}", pl.col("pickup_point_id"), pl.col("name").fill_null(""))
                           .str.strip_chars().alias("point"),
                           pl.coalesce("item", "sku_id").alias("item")))
    columns = (Column("point", t["pickup_point"], TEXT, 16, wrap=True), Column("leader_name", t["leader"], TEXT, 8),
               Column("run", t["run"], TEXT, 14), Column("order_id", t["order_id"], TEXT, 12),
               Column("line_no", t["line_no"], INT, 5), Column("customer_name", t["customer"], TEXT, 8),
               Column("phone_tail", t["phone_tail"], TEXT, 6), Column("item", t["item"], TEXT, 22, wrap=True),
               Column("units_to_hand_out", t["units"], INT, 6), Column("deadline_text", t["deadline"], TEXT, 12))
    return SheetSpec(title=t["sheet_to_chase"], title_line=title, frame=frame, columns=columns,
                     totals={"point": t["total"], "units_to_hand_out": int(frame["units_to_hand_out"].sum())},
                     notes=print_first_note(frame.height, t), print_rows=LIST_PRINT_ROWS,
                     landscape=True, freeze_columns=1, footer=title, empty_text=t["none"], autofilter=True)


def rejects_sheet(rejects: pl.DataFrame, t: dict, title: str, lang: str) -> SheetSpec:
    columns = (Column("source_file", t["source_file"], TEXT, 24, wrap=True),
               Column("row_number", t["row_number"], INT, 6), Column("reason", t["reason"], TEXT, 44, wrap=True),
               Column("raw", t["raw"], TEXT, 56, wrap=True))
    return SheetSpec(title=t["sheet_pickup_rejects"], title_line=title, frame=reasons_in(rejects, lang),
                     columns=columns, landscape=True, footer=title, empty_text=t["none"],
                     notes=print_first_note(rejects.height, t), print_rows=LIST_PRINT_ROWS, autofilter=True)


def write_fulfilment_book(path: Path, report: FulfilmentReport, points: pl.DataFrame, products: pl.DataFrame,
                          rejects: pl.DataFrame, *, span: str, timezone: str, pickup_hours: int, lang: str,
                          created: datetime) -> None:
    """points: pickup_point_id, name, leader_name, leader_phone, route_id; products: sku_id, name;
    rejects: the pickup scans turned down (source_file, row_number, reason, raw)."""
    t = analysis_labels(lang)
    title = t["fulfilment_title"].format(span=span)
    header = header_rows(report, span, timezone, pickup_hours, t)
    sheets = [timeline_sheet(report, t, title, header),
              progress_sheet(report, t, title),
              instants_sheet(report, timezone, t, title),
              points_sheet(report, points, timezone, t, title, header),
              to_chase_sheet(report, points, products, timezone, t, title),
              rejects_sheet(rejects, t, title, lang)]
    write_workbook(path, sheets, title=title, created=created)
