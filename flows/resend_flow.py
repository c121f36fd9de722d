"""`cutoff resend` (and the resend/resend deployment): deliver what a cutoff left undelivered, without
computing the cutoff again (docs/po-api.md, "When a purchase order is not delivered").

The purchase orders are made from what the cutoff stored, its purchase lines and the workbooks of
its run folder, with the master data as it is now (validated as a run does): a corrected email
address, endpoint or transport in suppliers.csv is what resend uses. Then the same delivery stage as the run's
(flows/po_api.py), so the same exactly-once rules: an email goes out where the `emails` table has no
delivery of that content over SMTP (a failed one, or one left in the outbox); an API purchase order
goes where its newest revision is not delivered, with that revision's very body and Idempotency-Key.
What was delivered already is left alone. The run folder's summary.json and summary.xlsx are brought
up to date with what changed, and the `resend-<calendar>` artifact says it.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import polars as pl
from prefect import flow
from prefect.runtime import flow_run

from errors import UserError
from flows.po_api import Delivered, deliver_purchase_orders
from flows.resend_summary import publish_resend_artifact, rewrite_summary_workbook
from flows.run_log import fail_run, prepare_run_log, say
from flows.settings import Settings, load_settings
from inbox.master import Master, load_master
from mail.message import purchase_order_mails
from outputs.files import write_json
from outputs.run_folder import output_errors, run_dir
from transforms.po_delivery import acted_on, warning_supplier, with_resent
from transforms.purchase import total_by_supplier
from transforms.windows import CalendarError, CutoffWindow, parse_clock, window_for
from warehouse.connection import Warehouse, open_warehouse
from warehouse.goods_in import cutoff_run_status


@dataclass(frozen=True)
class ResendPlan:
    window: CutoffWindow
    settings: Settings
    progress: bool = False

    @property
    def output_dir(self) -> Path:
        return run_dir(self.settings.reports_dir, self.window.calendar, self.window.cutoff_date)


def plan_resend(calendar: str, cutoff_date: date, settings: Settings, progress: bool = False) -> ResendPlan:
    """Check a resend before anything starts: the calendar allows the date, the warehouse exists."""
    try:
        window = window_for(calendar, cutoff_date, settings.timezone, parse_clock(settings.nightly_at))
    except CalendarError as exc:
        raise UserError(str(exc)) from exc
    if not settings.warehouse_path.is_file():
        raise UserError(_not_run(window, f"there is no warehouse at {settings.warehouse_path}"))
    return ResendPlan(window, settings, progress)


def _not_run(window: CutoffWindow, why: str) -> str:
    return (f"the {window.label} cutoff has not been run ({why}): there is nothing to resend. Run "
            f"`cutoff run --calendar {window.calendar} --date {window.cutoff_date.isoformat()}` (with the same "
            "--data-dir): it sends the purchase orders itself. Nothing was sent.")


def _say(plan: ResendPlan, text: str) -> None:
    say(text)
    if plan.progress:
        print(f"  {text}", file=sys.stderr, flush=True)


def execute_resend(plan: ResendPlan, **delivery) -> dict:
    """Deliver what is undelivered; returns {"summary": the run's summary after it (or None when the
    run folder has none), "resent": {supplier_id: {po_transport, email, api, warning}} of what it did,
    "updated": whether summary.json changed, "notes": what people should know (no mail server)}.
    `delivery`: keyword arguments of deliver_purchase_orders (tests: retry delays, timing)."""
    window, settings = plan.window, plan.settings
    with open_warehouse(settings.warehouse_path) as warehouse:
        status = cutoff_run_status(warehouse, window)
        if status != "success":
            raise UserError(_not_run(window, "the warehouse has no run of it") if status is None else
                            f"the last run of the {window.label} cutoff ended `{status}`: run the cutoff again "
                            f"(`cutoff run --calendar {window.calendar} --date {window.cutoff_date.isoformat()}`); "
                            "it delivers what is undelivered. Nothing was sent.")
        purchase_lines = warehouse.frame(
            "SELECT * EXCLUDE (calendar, cutoff_date) FROM purchase_lines WHERE calendar = ? AND cutoff_date = ?",
            [window.calendar, window.cutoff_date])
        master = load_master(settings.data_dir, settings.timezone)  # bad master data: UserError, nothing sent
        totals = total_by_supplier(purchase_lines, master.suppliers)
        mails = purchase_order_mails(window, purchase_lines, totals, master.products, master.suppliers,
                                     plan.output_dir)
        _say(plan, f"{window.label}: {len(mails)} purchase order(s) in the warehouse; delivering what is undelivered")
        with output_errors(settings.reports_dir, "the supplier emails"):
            delivered = deliver_purchase_orders(warehouse, window, mails, master.suppliers, settings,
                                                plan.output_dir / "outbox", via="resend", **delivery)
        resent = resent_rows(delivered.summary(_base_summary(window, totals)))
        summary, updated = _update_run_summary(plan, warehouse, master, purchase_lines, totals, delivered)
    _say(plan, f"resend: {delivered.counts()}")
    notes = []
    if not settings.smtp_host and delivered.emails:
        notes.append("no mail server is set (CUTOFF_SMTP_HOST): the emails stay in the outbox "
                     f"({plan.output_dir / 'outbox'}); set it and resend to send them")
    return {"summary": summary, "resent": resent, "updated": updated, "notes": notes}


def _base_summary(window: CutoffWindow, totals: pl.DataFrame) -> dict:
    """A summary's suppliers and warnings, for a run folder without summary.json."""
    return {"calendar": window.calendar, "cutoff_date": window.cutoff_date.isoformat(), "warnings": [],
            "suppliers": [{"supplier_id": row["supplier_id"], "name": row["name"], "email": ""}
                          for row in totals.iter_rows(named=True)]}


def resent_rows(fresh: dict) -> dict[str, dict]:
    """{supplier_id: what resend did} for the suppliers it acted on (acted_on)."""
    acted = acted_on(fresh)
    failures = {warning_supplier(w): w for w in fresh["warnings"]}
    return {s["supplier_id"]: {"po_transport": s.get("po_transport") or "email", "email": s.get("email"),
                               "api": s.get("api"), "warning": failures.get(s["supplier_id"])}
            for s in fresh["suppliers"] if s["supplier_id"] in acted}


def _update_run_summary(plan: ResendPlan, warehouse: Warehouse, master: Master, purchase_lines: pl.DataFrame,
                        totals: pl.DataFrame, delivered: Delivered) -> tuple[dict | None, bool]:
    """summary.json and summary.xlsx of the run folder, with what resend changed: (the summary, whether
    it changed). None without summary.json."""
    path = plan.output_dir / "summary.json"
    if not path.is_file():
        _say(plan, f"{path} is not there: the run folder's summary was not updated")
        return None, False
    summary = json.loads(path.read_text(encoding="utf-8"))
    fresh = delivered.summary({**summary, "warnings": []})
    updated = with_resent(summary, fresh, acted_on(fresh))
    if updated == summary:
        return summary, False
    with output_errors(plan.settings.reports_dir, "the run's summary"):
        write_json(path, updated)
        rewrite_summary_workbook(plan.output_dir, plan.window, plan.settings, warehouse, master, purchase_lines,
                                 totals, updated)
    return updated, True


def name_resend_run() -> str:
    parameters = flow_run.parameters or {}
    return f"resend {parameters.get('calendar', 'nightly')} {parameters.get('cutoff_date') or ''}".strip()


@flow(name="resend", flow_run_name=name_resend_run, validate_parameters=True)
def resend_flow(cutoff_date: date, calendar: Literal["nightly", "weekly"] = "nightly",
                data_dir: str | None = None, reports_dir: str | None = None, lang: Literal["zh", "en"] | None = None,
                warehouse: str | None = None, progress: bool = False) -> dict:
    """Deliver what a cutoff left undelivered: emails that failed or wait in the outbox, purchase
    orders its suppliers' systems did not take. Nothing is computed again and nothing delivered
    already goes out twice.

    Args:
        cutoff_date: The cutoff whose purchase orders to deliver (weekly: its Sunday).
        calendar: nightly or weekly.
        data_dir: Data folder (master/, the warehouse) for this run only. Empty: CUTOFF_DATA_DIR of `cutoff serve`.
        reports_dir: Reports folder for this run only. Empty: CUTOFF_REPORTS_DIR of `cutoff serve`.
        lang: Language of the emails and of summary.xlsx, zh or en. Empty: CUTOFF_LANG (zh).
        warehouse: The warehouse file (DuckDB) for this run only. Empty: warehouse.duckdb in the data folder.
        progress: Also print what it does on the console of the process that runs it (the command line sets it).
    """
    prepare_run_log()
    try:
        settings = load_settings().with_overrides(
            data_dir=Path(data_dir) if data_dir else None, reports_dir=Path(reports_dir) if reports_dir else None,
            lang=lang, warehouse=Path(warehouse) if warehouse else None)
        plan = plan_resend(calendar, cutoff_date, settings, progress)
        result = execute_resend(plan)
    except UserError as exc:
        return fail_run(exc)
    publish_resend_artifact(plan.window, result, plan.output_dir)
    return result
