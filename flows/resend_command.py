"""`cutoff resend --calendar C --date D` (flows/resend_flow.py), and what the command line says of
the purchase orders posted to suppliers' systems after `cutoff run` and `cutoff resend`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

Warn = Callable[[str], None]


def add_resend_parser(commands, date_type: Callable) -> None:
    resend = commands.add_parser(
        "resend", help="deliver what a cutoff left undelivered (emails, API purchase orders), without "
                       "computing it again")
    resend.add_argument("--calendar", choices=["nightly", "weekly"], default="nightly")
    resend.add_argument("--date", type=date_type, required=True, help="the cutoff date, YYYY-MM-DD")
    resend.add_argument("--lang", choices=["zh", "en"], help="email and summary.xlsx language")
    resend.add_argument("--data-dir", type=Path, help="inputs and the warehouse (default: data, or CUTOFF_DATA_DIR)")
    resend.add_argument("--reports-dir", type=Path, help="outputs (default: reports, or CUTOFF_REPORTS_DIR)")


def print_po_deliveries(summary: dict, warn: Warn) -> None:
    """After `cutoff run`: one line per purchase order by API, one warning per PO not delivered and
    one that sums up (the run itself succeeded: exit 0)."""
    on_api = [s for s in summary.get("suppliers", []) if s.get("po_transport") == "api"]
    if not on_api:
        return
    print(f"  purchase orders to suppliers' systems (API): {len(on_api)}")
    for supplier in on_api:
        api = supplier.get("api") or {}
        reference = f", their reference {api['reference']}" if api.get("reference") else ""
        at = f" at {api['at']}" if api.get("at") and api.get("status") != "failed" else ""
        print(f"    {supplier['supplier_id']:<10} {api.get('status', '')} (revision {api.get('revision')}{at}"
              f"{reference})")
    failed = [s for s in on_api if (s.get("api") or {}).get("status") == "failed"]
    for supplier in failed:
        warn(f"purchase order of supplier {supplier['supplier_id']} not delivered to its system: "
             f"{supplier['api'].get('error')}")
    if failed:
        warn(f"{len(failed)} of {len(on_api)} purchase order(s) by API not delivered (recorded `failed` in the "
             f"po_deliveries table; `po_failed` in summary.json). The data and sheets are complete. When the "
             f"supplier's system answers, `cutoff resend --calendar {summary['calendar']} --date "
             f"{summary['cutoff_date']}` posts them, with the same Idempotency-Key.")


def print_resent(result: dict, calendar: str, day: str, warn: Warn) -> int:
    """What resend did, one line per supplier; a warning per PO still undelivered. Returns 0."""
    resent = result["resent"]
    if not resent:
        print(f"resend {calendar} {day}: nothing was undelivered; nothing was sent")
        return 0
    print(f"resend {calendar} {day}: {len(resent)} purchase order(s)")
    for supplier_id, row in sorted(resent.items()):
        if row["po_transport"] == "api":
            api = row.get("api") or {}
            reference = f", their reference {api['reference']}" if api.get("reference") else ""
            print(f"  {supplier_id:<10} API    {api.get('status')} (revision {api.get('revision')}{reference})")
        else:
            print(f"  {supplier_id:<10} email  {row.get('email')}")
    still = [row["warning"] for row in resent.values() if row.get("warning")]
    for warning in still:
        warn(f"still undelivered: {warning.partition(': ')[2]}")
    if still:
        warn(f"{len(still)} purchase order(s) still undelivered; run `cutoff resend --calendar {calendar} --date "
             f"{day}` again once the cause is fixed (docs/po-api.md).")
    return 0


def command_resend(args: argparse.Namespace, settings, check_warehouse_free: Callable, start_prefect: Callable,
                   warn: Warn) -> int:
    from flows.resend_flow import plan_resend, resend_flow
    plan = plan_resend(args.calendar, args.date, settings)  # user errors before Prefect starts
    check_warehouse_free(settings)
    start_prefect()
    result = resend_flow(calendar=args.calendar, cutoff_date=args.date, data_dir=str(settings.data_dir),
                         reports_dir=str(settings.reports_dir), lang=args.lang,
                         warehouse=str(settings.warehouse_path), progress=True)
    code = print_resent(result, args.calendar, args.date.isoformat(), warn)
    if result.get("updated"):
        print(f"  summary.json and summary.xlsx updated: {plan.output_dir}")
    for note in result.get("notes", []):
        warn(note)
    return code
