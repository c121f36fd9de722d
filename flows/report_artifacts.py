"""What a report run shows in the Prefect UI: a markdown artifact `fulfilment-report` (the timeline
of each cutoff, the least collected pickup points, the losses per supplier and per category) and
a table artifact `fulfilment-timeline` (one row per cutoff). Publishing never fails a run."""

from __future__ import annotations

import logging

import polars as pl

from flows.artifacts import _cell
from transforms.fulfilment import LATE_RUN_HOURS, OUTBOX_ONLY, RUN_END
from transforms.fulfilment_report import FulfilmentReport
from transforms.money import fen_to_yuan_text

TOP = 10


def _pct(share) -> str:
    return "-" if share is None else f"{share * 100:.1f}%"


def _hours(value) -> str:
    return "-" if value is None else f"{value:.1f} h"


def timeline_table(report: FulfilmentReport) -> list[dict]:
    """One row per cutoff: dates and hours as text and numbers (Prefect tables take plain values)."""
    rows = []
    for row in report.timeline.iter_rows(named=True):
        rows.append({"calendar": row["calendar"], "cutoff_date": row["cutoff_date"].isoformat(),
                     **{f"{step}_hours": row[f"{step}_hours"] for step in
                        ("pos_out_first", "pos_out_last", "goods_in_first", "goods_in_last", "pickup_first",
                         "pickup_half", "pickup_last")},
                     "units_to_hand_out": row["units_to_hand_out"], "units_collected": row["units_collected"],
                     "collected_share": None if row["collected_share"] is None else round(row["collected_share"], 4),
                     "units_unpicked": row["units_unpicked"], "units_waiting": row["units_waiting"],
                     "units_collected_late": row["units_collected_late"], "run_hours": row["run_hours"],
                     "pos_out_by": row["pos_out_by"]})
    return rows


def _timeline_note(row: dict) -> str:
    """What a cutoff's timeline cannot say in hours: its run was late, its POs were not emailed."""
    notes = []
    if row["run_hours"] is not None and row["run_hours"] > LATE_RUN_HOURS:
        notes.append(f"first ran {_hours(row['run_hours'])} after the cutoff (a backfill or rerun)")
    if row["pos_out_by"] == OUTBOX_ONLY:
        notes.append("POs only written to the outbox, not emailed")
    elif row["pos_out_by"] == RUN_END:
        notes.append("no PO emailed: POs out is the run's end")
    if row["units_collected_late"]:
        notes.append(f"{row['units_collected_late']:,} collected after the deadline")
    return "; ".join(notes)


def _loss_lines(frame: pl.DataFrame, key: str, names: dict[str, str]) -> list[str]:
    out = [f"| {key} | purchased | surplus | damaged | over | short | unpicked | lost (yuan) | loss rate |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in frame.head(TOP).iter_rows(named=True):
        label = row[key] + (f" {names[row[key]]}" if names.get(row[key]) else "")
        out.append(f"| {_cell(label)} | {row['units_purchased']:,} | {row['surplus_units']:,} | "
                   f"{row['damaged_units']:,} | {row['over_units']:,} | {row['short_units']:,} | "
                   f"{row['unpicked_units']:,} | ¥{fen_to_yuan_text(row['lost_fen'])} | {_pct(row['loss_rate'])} |")
    return out


def render_report_markdown(report: FulfilmentReport, totals: dict, span: str, folder: str,
                           supplier_names: dict[str, str]) -> str:
    units, fen = totals["units"], totals["fen"]
    out = [f"# Fulfilment and losses {span}", "",
           f"Workbooks: `{folder}/fulfilment.xlsx` and `losses.xlsx`. Pickup states as of {totals['as_of']}"
           f" ({'final' if totals['final'] else 'open: some lines are still within their pickup deadline'}).", "",
           "| figure | value |", "| --- | --- |",
           f"| cutoffs | {totals['cutoffs']} |",
           f"| units to hand out / collected / unpicked / waiting | {units['to_hand_out']:,} / {units['collected']:,}"
           f" / {units['unpicked']:,} / {units['waiting']:,} |",
           f"| collected after the pickup deadline (late) | {units.get('collected_late', 0):,} |",
           f"| share collected | {_pct(totals['collected_share'])} |",
           f"| units purchased / lost | {units['purchased']:,} / {units['lost']:,} |",
           f"| lost at cost | ¥{fen_to_yuan_text(fen['lost'])} of ¥{fen_to_yuan_text(fen['purchased'])} |",
           f"| loss rate | {_pct(totals['loss_rate'])} |", "",
           f"## Timeline ({report.timeline.height} cutoffs)", "",
           "| cutoff | POs out | goods in | first pickup | half collected | last pickup | collected | note |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in report.timeline.iter_rows(named=True):
        out.append(f"| {row['calendar']} {row['cutoff_date']} | {_hours(row['pos_out_last_hours'])} | "
                   f"{_hours(row['goods_in_last_hours'])} | {_hours(row['pickup_first_hours'])} | "
                   f"{_hours(row['pickup_half_hours'])} | {_hours(row['pickup_last_hours'])} | "
                   f"{_pct(row['collected_share'])} | {_cell(_timeline_note(row))} |")
    out += ["", f"## Least collected pickup points (of {report.points.height})", "",
            "| pickup point | to hand out | collected | share | unpicked |", "| --- | ---: | ---: | ---: | ---: |"]
    for row in report.points.head(TOP).iter_rows(named=True):
        out.append(f"| {_cell(row['pickup_point_id'])} | {row['units_to_hand_out']:,} | {row['units_collected']:,} "
                   f"| {_pct(row['collected_share'])} | {row['units_unpicked']:,} |")
    out += ["", f"## Losses per supplier, worst first (top {TOP})", ""]
    out += _loss_lines(report.by_supplier, "supplier_id", supplier_names)
    out += ["", f"## Losses per category, worst first (top {TOP})", ""]
    out += _loss_lines(report.by_category, "category", {})
    return "\n".join(out) + "\n"


def publish_report_artifacts(report: FulfilmentReport, totals: dict, span: str, folder: str,
                             supplier_names: dict[str, str]) -> None:
    try:
        from prefect.artifacts import create_markdown_artifact, create_table_artifact
        create_markdown_artifact(
            key="fulfilment-report", markdown=render_report_markdown(report, totals, span, folder, supplier_names),
            description=f"fulfilment and losses {span}: {_pct(totals['collected_share'])} collected, loss rate "
                        f"{_pct(totals['loss_rate'])}")
        create_table_artifact(key="fulfilment-timeline", table=timeline_table(report),
                              description=f"fulfilment timeline {span}: hours from each cutoff")
    except Exception as exc:  # an artifact is a convenience: it never fails the run
        try:
            from prefect.logging import get_run_logger
            logger = get_run_logger()
        except Exception:
            logger = logging.getLogger("cutoff.artifacts")
        logger.warning("could not publish the report's artifacts (%s: %s)", type(exc).__name__, exc)
