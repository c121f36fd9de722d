"""The notice before the goods arrive (到货通知; `cutoff notice`, the notice/<calendar> deployment, and
the end of every goods-in run): one message per leader of a cutoff, once its goods-in run has
decided shortages, or at their route's departure when there is none; what to hand out after
shortages, when the route arrives, whom to call (transforms/notice.py; docs/progress.md).

Sent once per content: a later change (a goods-in run re-issuing a handout) sends a revision,
marked 修订版. The warehouse is read briefly and read-only (warehouse/notice.py), or through the
connection of the goods-in run that calls it.
"""

from __future__ import annotations

import time as clock
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

import polars as pl
from prefect import flow
from prefect.runtime import flow_run

from chat.deliver import HELD, UNCHANGED, Outgoing, budget_for, deliver, describe_deliveries
from chat.record import FAILED, FILE, SENT, DeliveryLog
from errors import UserError
from flows.naming import notice_run_name
from flows.run_log import fail_run, prepare_run_log, say
from flows.settings import Settings, load_settings
from inbox.master import load_master
from inbox.routes import load_routes
from outputs.files import atomic_write_text, write_json
from outputs.progress_folder import NOTICE, notice_root, one_sender, write_in_place
from outputs.run_folder import output_errors, run_dir
from sheets.labels import local_text
from transforms.notice import build_notices, due_points, mark_revision, route_times
from transforms.windows import CalendarError, CutoffWindow, cutoff_date_for_instant, parse_clock, window_for
from warehouse.connection import Warehouse
from warehouse.notice import NoticeBasis, read_notice_basis, read_notice_basis_briefly


class CutoffNotRun(UserError):
    """The cutoff of the notice has not run successfully: nothing to tell the leaders yet."""


@dataclass(frozen=True)
class NoticePlan:
    window: CutoffWindow
    settings: Settings
    send: bool = True
    progress: bool = False

    @property
    def run_folder(self) -> Path:
        return run_dir(self.settings.reports_dir, self.window.calendar, self.window.cutoff_date)

    @property
    def folder(self) -> Path:
        return notice_root(self.settings.reports_dir, self.window.calendar, self.window.cutoff_date)


def plan_notice(calendar: str, cutoff_date: date | None, settings: Settings, *, now: datetime, send: bool = True,
                progress: bool = False) -> NoticePlan:
    """Check before anything is read: the cutoff has passed, the data dir and warehouse exist."""
    nightly_at = parse_clock(settings.nightly_at)
    try:
        day = cutoff_date or cutoff_date_for_instant(calendar, now, settings.timezone, nightly_at)
        window = window_for(calendar, day, settings.timezone, nightly_at)
    except CalendarError as exc:
        raise UserError(str(exc)) from exc
    if window.end > now:
        raise UserError(f"the {window.label} cutoff ({local_text(window.end, settings.timezone)}) has not happened "
                        "yet: its notice goes out the morning after. `cutoff progress` shows how its groups stand.")
    if not settings.data_dir.is_dir():
        raise UserError(f"data dir {settings.data_dir} does not exist. Pass --data-dir or set CUTOFF_DATA_DIR.")
    if not settings.warehouse_path.is_file():
        raise CutoffNotRun(f"there is no warehouse at {settings.warehouse_path}: run the {window.label} cutoff first "
                        f"(`cutoff run --calendar {calendar} --date {day.isoformat()}`).")
    return NoticePlan(window, settings, send, progress)


def why_not_send(plan: NoticePlan, now: datetime) -> str | None:
    if not plan.send:
        return "sending is off (--no-send)"
    deadline = plan.window.end + timedelta(hours=plan.settings.pickup_hours)
    if now >= deadline:
        return f"the pickup deadline ({local_text(deadline, plan.settings.timezone)}) has passed"
    return None


def send_notices(plan: NoticePlan, basis: NoticeBasis | None = None, now: datetime | None = None,
                 artifact: bool = True) -> dict:
    """The due notices, each delivered once per content; returns what happened (the summary)."""
    since = clock.perf_counter()
    now = now or datetime.now(timezone.utc)
    settings, window = plan.settings, plan.window
    basis = basis or read_notice_basis_briefly(settings.warehouse_path, window)
    if basis.cutoff_status != "success":
        raise CutoffNotRun(f"the {window.label} cutoff has not run successfully (its last run: "
                        f"{basis.cutoff_status or 'none'}): a notice tells what it decided. Run the cutoff first.")
    master = load_master(settings.data_dir, settings.timezone)
    routes = load_routes(settings.data_dir, settings.timezone, master.pickup_points["route_id"])
    times = route_times(master.pickup_points, routes, window.end, settings.timezone)
    goods_in = basis.goods_in_status == "success"
    due = due_points(times, goods_in, now)
    points = {row["pickup_point_id"]: row for row in master.pickup_points.iter_rows(named=True)}
    budgets = {p: budget_for(row["webhook"], row["webhook_format"]) for p, row in points.items()}
    notices = build_notices(basis.allocations, basis.shortages, master.products, master.pickup_points, due,
                            window.end, settings.timezone, budgets)
    outgoing = [Outgoing(n["pickup_point_id"], n["leader_id"], points[n["pickup_point_id"]]["webhook"],
                         points[n["pickup_point_id"]]["webhook_format"], n["content_hash"], n["content"])
                for n in notices.iter_rows(named=True)]
    reason = why_not_send(plan, now)
    log = DeliveryLog(plan.folder / "messages.jsonl", plan.run_folder.parent)
    with one_sender(plan.run_folder, NOTICE), output_errors(settings.reports_dir, "the notices"):
        results = deliver(outgoing, log, lambda: reason, render=mark_revision,
                          extra={"reason": "goods_in" if goods_in else "departed"})
        counts: dict[str, int] = {}
        for result in results:
            counts[result["status"]] = counts.get(result["status"], 0) + 1

        def write() -> None:
            for result in results:
                atomic_write_text(plan.folder / f"{result['pickup_point_id']}.txt", result["text"] + "\n")
            write_json(plan.folder / "notices.json", {
                "calendar": window.calendar, "cutoff_date": window.cutoff_date.isoformat(),
                "goods_in": goods_in, "not_sent": reason, "counts": counts,
                "notices": [{k: v for k, v in r.items() if k != "text"} for r in results]})
        write_in_place(plan.run_folder, plan.folder / "notices.json", write)
    not_due = times.filter(~pl.col("pickup_point_id").is_in(due["pickup_point_id"].implode()))
    waiting = not_due.filter(pl.col("departs").is_not_null()).height
    no_departure = not_due.height - waiting
    why = "the goods-in run decided" if goods_in else "their route has left"
    say(f"notice   {len(results)} notice(s) for the {due.height} pickup point(s) due ({why}); {waiting} wait for "
        f"their route to leave, {no_departure} for the goods-in run (no departure in routes.csv): "
        f"{describe_deliveries(counts)}"
        f"{f' ({reason})' if reason else ''}  ({clock.perf_counter() - since:.1f}s)", console=plan.progress)
    summary = {"calendar": window.calendar, "cutoff_date": window.cutoff_date.isoformat(), "due": due.height,
               "waiting": waiting, "no_departure": no_departure, "why": why, "messages": counts,
               "not_sent": reason, "folder": str(plan.folder)}
    if artifact:
        publish_notice_artifact(summary, results)
    return summary


SHOWN = 50  # rows of the artifact's table; notices.json has them all
ORDER = {FAILED: 0, SENT: 1, FILE: 2, HELD: 3, UNCHANGED: 4}  # the artifact's rows, what to act on first


def render_notice_markdown(summary: dict, results: list[dict]) -> str:
    out = [f"# Notices before arrival {summary['calendar']} {summary['cutoff_date']}", "",
           f"Folder: `{summary['folder']}`. Due now: {summary['due']} pickup point(s) ({summary['why']}); "
           f"{summary['waiting']} wait for their route to leave, {summary['no_departure']} for the goods-in run "
           "(no departure in master/routes.csv).", ""]
    if summary["not_sent"]:
        out += [f"Nothing was sent: {summary['not_sent']}.", ""]
    counts = Counter(r["status"] for r in results)
    if counts:
        out += [" · ".join(f"{status} {counts[status]:,}" for status in sorted(counts, key=lambda s: ORDER.get(s, 9))),
                ""]
    # what ops act on first (a post that failed), then what went out; `unchanged` only counted: of
    # 5,000 points sorted by id, a failure at P4000 was past the 50 shown among the unchanged
    listed = sorted((r for r in results if r["status"] != UNCHANGED),
                    key=lambda r: (ORDER.get(r["status"], len(ORDER)), r["pickup_point_id"]))
    if listed:
        out += ["| pickup point | status | revision | detail |", "| --- | --- | ---: | --- |"]
    for result in listed[:SHOWN]:
        detail = str(result.get("detail") or "").replace("|", "/")
        out.append(f"| {result['pickup_point_id']} | {result['status']} | {result['revision']} | {detail} |")
    if len(listed) > SHOWN:
        out.append(f"\n... and {len(listed) - SHOWN:,} more: notices.json has them all.")
    if counts[UNCHANGED]:
        out.append(f"\n{counts[UNCHANGED]:,} pickup point(s) unchanged since their last notice: not sent again "
                   "(notices.json lists them).")
    return "\n".join(out) + "\n"


def publish_notice_artifact(summary: dict, results: list[dict]) -> None:
    """The markdown artifact `notice-<calendar>`; never fails the run (outside a flow: nothing)."""
    try:
        from prefect.artifacts import create_markdown_artifact
        from prefect.context import FlowRunContext
        if FlowRunContext.get() is None:
            return
        counts = ", ".join(f"{n} {s}" for s, n in sorted(summary["messages"].items())) or "none"
        create_markdown_artifact(key=f"notice-{summary['calendar']}", markdown=render_notice_markdown(summary, results),
                                 description=f"notices {summary['cutoff_date']}: {counts}")
    except Exception as exc:  # noqa: BLE001 - an artifact is a convenience
        say(f"could not publish the notice artifact ({type(exc).__name__}: {exc})")


def notices_after_goods_in(warehouse: Warehouse, window: CutoffWindow, settings: Settings) -> dict | None:
    """The end of a goods-in run: its notices, through its own connection. A problem is a warning,
    never the goods-in run's failure (its decisions are stored); the notice deployment retries."""
    try:
        plan = NoticePlan(window, settings)
        return send_notices(plan, read_notice_basis(warehouse, window), artifact=False)  # the run's own artifacts
    except Exception as exc:  # noqa: BLE001 - the goods-in run's decisions are stored: it does not fail for this
        say(f"notice   not sent after the goods-in run ({type(exc).__name__}: {exc}); the notice deployment "
            "tries again")
        return None


def name_notice_run() -> str:
    try:
        zone = load_settings().timezone
    except UserError:  # a name is never worth failing a run for
        zone = "Asia/Shanghai"
    return notice_run_name(flow_run.parameters or {}, flow_run.scheduled_start_time, zone)


@flow(name="notice", flow_run_name=name_notice_run, validate_parameters=True)
def notice_flow(calendar: Literal["nightly", "weekly"] = "nightly", cutoff_date: date | None = None,
                send: bool = True, data_dir: str | None = None, reports_dir: str | None = None,
                progress: bool = False) -> dict:
    """The notice before the goods arrive (到货通知) to each leader of a cutoff whose goods-in run has
    decided, or whose route has left: once per content, a change as 修订版.

    Args:
        calendar: nightly or weekly: the calendar of the cutoff.
        cutoff_date: The cutoff whose goods go out (weekly: its Sunday). Empty: the latest cutoff.
        send: Send to the leaders' group bots (off: the notices are written as files only).
        data_dir: Data folder (master/, the warehouse) for this run only. Empty: CUTOFF_DATA_DIR of `cutoff serve`.
        reports_dir: Reports folder for this run only. Empty: CUTOFF_REPORTS_DIR of `cutoff serve`.
        progress: Also print what it did on the console of the process that runs it.
    """
    prepare_run_log()
    try:
        settings = load_settings().with_overrides(
            data_dir=Path(data_dir) if data_dir else None, reports_dir=Path(reports_dir) if reports_dir else None)
        plan = plan_notice(calendar, cutoff_date, settings, now=datetime.now(timezone.utc), send=send,
                           progress=progress)
        return send_notices(plan)
    except CutoffNotRun as exc:
        if cutoff_date is not None:  # asked for that cutoff: say why not
            return fail_run(exc)
        # a scheduled run (every few minutes in the morning) before its cutoff has run: nothing to
        # tell yet; failing would alert ops every ten minutes about what the cutoff's alert says once
        say(f"notice   nothing to send yet: {exc}")
        return {"calendar": calendar, "cutoff_date": None, "due": 0, "waiting": 0, "no_departure": 0,
                "why": str(exc), "messages": {}, "not_sent": str(exc), "folder": ""}
    except UserError as exc:
        return fail_run(exc)
