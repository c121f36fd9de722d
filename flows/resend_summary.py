"""What `cutoff resend` leaves for people: summary.xlsx of the run folder written again with the
statuses it changed (from the cutoff's stored tables: nothing is computed again), and the artifact
`resend-<calendar>` in the Prefect UI."""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl

from flows.artifacts import artifact_key
from flows.po_artifacts import api_text
from flows.run_inputs import inputs_as_of
from flows.settings import Settings
from inbox.master import Master
from outputs.run_folder import temporary_files_in
from sheets.run_books import write_summary_workbook
from sheets.run_tables import RunTables
from transforms.windows import CutoffWindow
from warehouse.connection import Warehouse


def _partition(warehouse: Warehouse, table: str, window: CutoffWindow) -> pl.DataFrame:
    return warehouse.frame(f"SELECT * EXCLUDE (calendar, cutoff_date) FROM {table} "
                           "WHERE calendar = ? AND cutoff_date = ?", [window.calendar, window.cutoff_date])


def _rejects(folder: Path) -> pl.DataFrame:
    path = folder / "rejects.csv"
    return pl.read_csv(path, infer_schema=False) if path.is_file() else pl.DataFrame()


def rewrite_summary_workbook(folder: Path, window: CutoffWindow, settings: Settings, warehouse: Warehouse,
                             master: Master, purchase_lines: pl.DataFrame, totals: pl.DataFrame,
                             summary: dict) -> None:
    """summary.xlsx again, with `summary` (in place, atomically), from the cutoff's stored partitions."""
    tables = RunTables(window=window, summary=summary, allocations=_partition(warehouse, "allocations", window),
                       purchase_lines=purchase_lines, supplier_totals=totals,
                       groups=_partition(warehouse, "groups", window), rejects=_rejects(folder), master=master,
                       generated_at=inputs_as_of(warehouse, settings))
    with temporary_files_in(folder):
        write_summary_workbook(folder, tables, settings, settings.lang)


def resend_markdown(window: CutoffWindow, result: dict, folder: Path) -> str:
    """The artifact: what resend delivered, what is still undelivered and why."""
    resent = result["resent"]
    out = [f"# resend {window.label}", "", f"Run folder: `{folder.resolve()}/`.", ""]
    if not resent:
        return "\n".join(out + ["Nothing was undelivered: nothing was sent."]) + "\n"
    failed = sorted(s for s, row in resent.items() if row.get("warning"))
    if failed:
        out += [f"**Still undelivered** ({len(failed)}): {', '.join(failed)}. Fix the cause and resend again.", ""]
    out += ["| supplier | by | status | detail |", "| --- | --- | --- | --- |"]
    for supplier_id, row in sorted(resent.items()):
        if row["po_transport"] == "api":
            api = row.get("api") or {}
            by, status, detail = "API", api.get("status", ""), api_text({"po_transport": "api", "api": api})
        else:
            by, status, detail = "email", row.get("email") or "", (row.get("warning") or "").split(": ", 1)[-1]
        detail = " ".join(str(detail).replace("|", "\\|").split())[:160]
        out.append(f"| {supplier_id} | {by} | {status} | {detail} |")
    return "\n".join(out) + "\n"


def publish_resend_artifact(window: CutoffWindow, result: dict, folder: Path) -> None:
    """The markdown artifact `resend-<calendar>`; never fails the run."""
    try:
        from prefect.artifacts import create_markdown_artifact
        create_markdown_artifact(key=artifact_key("resend", window.calendar),
                                 markdown=resend_markdown(window, result, folder),
                                 description=f"resend {window.label}: {len(result['resent'])} purchase order(s)")
    except Exception as exc:  # an artifact is a convenience
        logging.getLogger("cutoff.resend").warning("could not publish the resend artifact (%s: %s)",
                                                   type(exc).__name__, exc)
