"""The progress flow (`cutoff progress`, and the progress/<calendar> deployments): over the selling
day, what the coming cutoff would decide on the orders so far (成团进度), for ops and for the
leaders' groups (docs/progress.md).

read (master data, every version of the closing listings' order lines in the inbox, as they stood
at the as-of instant) -> figures (transforms/progress.py: the cutoff's own close_listings, twice)
-> write (progress.json, progress.xlsx and the leaders' messages, one folder per instant) ->
deliver (each leader's group bot, once per content, never after the cutoff).

It never opens the warehouse and writes nothing the cutoff owns (no allocations, purchase lines,
groups, ledger, emails or runs rows): a cutoff starting meanwhile runs as if it were not there.
"""

from __future__ import annotations

import json
import time as clock
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from chat.deliver import Outgoing, budget_for, deliver, describe_deliveries
from chat.record import DeliveryLog
from errors import UserError
from flows.naming import progress_run_name
from flows.progress_artifacts import publish_progress_artifacts
from flows.run_log import fail_run, prepare_run_log, say
from flows.settings import Settings, load_settings
from inbox.master import Master, load_master
from inbox.versions import read_order_versions
from outputs.files import atomic_write_text, write_json
from outputs.progress_folder import (
    PROGRESS,
    as_of_name,
    one_sender,
    progress_root,
    publish_snapshot,
    write_in_place,
    write_rows_json,
)
from outputs.run_folder import output_errors, run_dir
from schemas.progress import ProgressRows
from sheets.labels import local_text
from sheets.progress_book import write_progress_book
from sheets.progress_labels import progress_labels
from transforms.close import SaleContext, close_listings, select_closing_listings
from transforms.leader_messages import build_messages
from transforms.pools import (
    EARLIER,
    THIS_RUN,
    plan_pools,
    pool_budgets,
    pool_left,
    pool_turns,
    runs_of,
    taken_as_reported,
)
from transforms.progress import (
    PROGRESS_COLUMNS,
    as_if_every_group_forms,
    at_risk_first,
    coming_cutoff_date,
    progress_rows,
    versions_as_of,
)
from transforms.windows import CalendarError, CutoffWindow, parse_clock, window_for

FRESH = timedelta(minutes=15)   # only a run of now sends: its as-of instant at most this old
SCHEDULED_SLACK = timedelta(minutes=10)  # a scheduled run started this late still counts as of its schedule
FUTURE_SLACK = timedelta(seconds=60)


@dataclass(frozen=True)
class ProgressPlan:
    window: CutoffWindow
    as_of: datetime  # UTC, whole seconds
    settings: Settings
    send: bool = True
    progress: bool = False  # print the stages on the console too (the command line)

    @property
    def run_folder(self) -> Path:
        return run_dir(self.settings.reports_dir, self.window.calendar, self.window.cutoff_date)

    @property
    def folder(self) -> Path:
        return progress_root(self.settings.reports_dir, self.window.calendar, self.window.cutoff_date) / \
            as_of_name(self.as_of, self.settings.timezone)


@dataclass(frozen=True)
class Figures:
    master: Master
    rows: pl.DataFrame      # PROGRESS_COLUMNS
    messages: pl.DataFrame  # transforms.leader_messages MESSAGE_COLUMNS
    files: int              # inbox files read
    lines: int              # order lines as of the instant
    pool_turns_not_run: tuple[str, ...] = ()  # earlier turns of a pool whose runs have not reported


def parse_as_of(text: str, timezone_name: str) -> datetime:
    """An ISO 8601 instant; without an offset, business time."""
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"--as-of {text!r} is not an ISO 8601 instant: write it like 2026-11-21T15:00 (business "
                        f"time, {timezone_name}) or 2026-11-21T15:00+08:00") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=ZoneInfo(timezone_name))


def default_as_of(scheduled: datetime | None, now: datetime) -> datetime:
    """A scheduled run counts as of its scheduled time (a rerun gives the same folder), unless it
    started more than SCHEDULED_SLACK late; otherwise now."""
    if scheduled is not None and timedelta(0) <= now - scheduled <= SCHEDULED_SLACK:
        return scheduled
    return now


def plan_progress(calendar: str, cutoff_date: date | None, as_of: datetime | None, settings: Settings, *,
                  now: datetime, scheduled: datetime | None = None, send: bool = True,
                  progress: bool = False) -> ProgressPlan:
    """Check a progress run before anything is read (UserError with what to do)."""
    instant = (as_of if as_of is not None else default_as_of(scheduled, now)).astimezone(timezone.utc)
    instant = instant.replace(microsecond=0)
    nightly_at = parse_clock(settings.nightly_at)
    try:
        day = cutoff_date or coming_cutoff_date(calendar, instant, settings.timezone, nightly_at)
        window = window_for(calendar, day, settings.timezone, nightly_at)
    except CalendarError as exc:
        raise UserError(str(exc)) from exc
    shown = local_text(instant, settings.timezone)
    if instant > now + FUTURE_SLACK:
        raise UserError(f"the as-of instant {shown} ({settings.timezone}) is in the future: progress counts the "
                        "orders as they stood at an instant that has passed. Leave --as-of out for now.")
    if instant >= window.end:
        raise UserError(f"the as-of instant {shown} is not before the {window.label} cutoff "
                        f"({local_text(window.end, settings.timezone)}): from then on the cutoff decides; its run "
                        f"folder {run_dir(settings.reports_dir, calendar, day)} has what it did. Give an --as-of "
                        "before the cutoff.")
    if not settings.data_dir.is_dir():
        raise UserError(f"data dir {settings.data_dir} does not exist. Pass --data-dir or set CUTOFF_DATA_DIR.")
    return ProgressPlan(window, instant, settings, send, progress)


def _stage(plan: ProgressPlan, name: str, text: str, since: float) -> None:
    say(f"{name:<8} {text}  ({clock.perf_counter() - since:.1f}s)", console=plan.progress)


@dataclass(frozen=True)
class RulesContext:
    """What close_listings takes beyond the lines (transforms.close.SaleContext: the stock pools'
    budgets; the buyers' groups' audience comes from the lines read), the pools' turns and budgets
    (for `pool_left`), and the earlier turns whose runs have not reported yet."""

    context: SaleContext
    turns: pl.DataFrame
    budgets: pl.DataFrame
    not_run: tuple[str, ...] = ()


def reported_pool_turns(reports_dir: Path, runs: pl.DataFrame) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """What each earlier run took of its pools, from its own summary.json `pools` (the run folder is
    published after the run stored its tables; a rerun publishes it again): (pool_id, calendar,
    turn_date, taken), and the runs without a summary.json ("weekly 2026-11-22")."""
    rows, not_run = [], []
    for run in runs.iter_rows(named=True):
        path = run_dir(reports_dir, run["calendar"], run["cutoff_date"]) / "summary.json"
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            not_run.append(f"{run['calendar']} {run['cutoff_date'].isoformat()}")
            continue
        for pool in summary.get("pools") or []:
            rows += [{"pool_id": pool["pool_id"], "calendar": run["calendar"], "turn_date": run["cutoff_date"],
                      "taken": int(turn["taken"] or 0)}
                     for turn in pool.get("turns", []) if turn.get("position") == THIS_RUN]
    schema = {"pool_id": pl.String, "calendar": pl.String, "turn_date": pl.Date, "taken": pl.Int64}
    return pl.DataFrame(rows, schema=schema, orient="row"), tuple(not_run)


def rules_context(plan: ProgressPlan, master: Master) -> RulesContext:
    """The stock pools (一盘货) as the cutoff would take them now: its earlier turns' takes from their
    runs' summary.json (never the warehouse: a cutoff is never kept waiting), the later turns'
    reserves held (transforms/pools.py). An earlier turn that has not run counts as having taken
    nothing yet, and progress.json names it (`pool_turns_not_run`): the cutoff itself will not
    run before it."""
    settings = plan.settings
    turns = plan_pools(pool_turns(master.listings, settings.timezone, parse_clock(settings.nightly_at)),
                       plan.window)
    reported, not_run = reported_pool_turns(settings.reports_dir, runs_of(turns, EARLIER))
    budgets = pool_budgets(turns, master.pools, taken_as_reported(turns, reported))
    return RulesContext(SaleContext(pools=budgets), turns, budgets, not_run)


def audience_ids(closing: pl.DataFrame) -> list[str]:
    """The listings whose customers the closing buyers' groups are open to (read with them)."""
    if "audience_listing_id" not in closing.columns:
        return []
    return sorted(closing["audience_listing_id"].drop_nulls().unique().to_list())


# ---- the stages ------------------------------------------------------------------------------------

@task(name="figures", cache_policy=NO_CACHE)
def figures(plan: ProgressPlan) -> Figures:
    """Master data and the closing listings' lines as they stood, then what the cutoff would decide."""
    since = clock.perf_counter()
    settings = plan.settings
    master = load_master(settings.data_dir, settings.timezone)
    closing = select_closing_listings(master.listings, plan.window)
    closing_ids = closing["listing_id"].to_list()
    audience = [i for i in audience_ids(closing) if i not in closing_ids]
    read = master.listings.filter(pl.col("listing_id").is_in(closing_ids + audience))
    versions = read_order_versions(settings.data_dir, master, settings.timezone, closing_ids + audience,
                                   settings.ready_marker, opened_at=read["opens_at"].min() if read.height else None)
    # the audience listings' lines are read too: close_listings takes a buyers' group's audience from them
    lines = versions_as_of(versions.lines, plan.as_of)
    own = lines.filter(pl.col("listing_id").is_in(closing_ids)).height
    _stage(plan, "read", f"{versions.files} inbox file(s) ({versions.skipped} older than the listings left unread), "
                         f"{versions.rows:,} row(s) of the {len(closing_ids):,} closing listing(s), {own:,} "
                         "order line(s) as of the instant", since)
    since = clock.perf_counter()
    rules = rules_context(plan, master)
    closed = close_listings(lines, master.listings, master.products, plan.window, rules.context)
    neutral_listings, neutral_products = as_if_every_group_forms(master.listings, master.products)
    held = close_listings(lines, neutral_listings, neutral_products, plan.window, rules.context)
    rows = progress_rows(closed, held, master.products,
                         pool_left=pool_left(rules.turns, rules.budgets, held.allocations))
    ProgressRows.validate(rows)
    budgets = {row["pickup_point_id"]: budget_for(row["webhook"], row["webhook_format"])
               for row in master.pickup_points.iter_rows(named=True)}
    messages = build_messages(rows, master.listings, master.products, master.pickup_points, budgets,
                              plan.window.end, plan.as_of, settings.timezone)
    not_formed = at_risk_first(rows).filter(~pl.col("would_form")).height
    _stage(plan, "figures", f"{rows.height:,} row(s), {not_formed:,} group(s) would not form now, "
                            f"{messages.height:,} leader message(s)", since)
    return Figures(master, rows, messages, versions.files, own, rules.not_run)


def progress_head(plan: ProgressPlan, result: Figures, generated_at: datetime) -> dict:
    """progress.json's keys before `rows` (every key on every row, null where it does not apply)."""
    tz = plan.settings.timezone
    head = {"calendar": plan.window.calendar, "cutoff_date": plan.window.cutoff_date.isoformat(),
            "cutoff_at": plan.window.end.astimezone(ZoneInfo(tz)).isoformat(),
            "as_of": plan.as_of.astimezone(ZoneInfo(tz)).isoformat(),
            "generated_at": generated_at.astimezone(ZoneInfo(tz)).isoformat(timespec="seconds"),
            "order_lines": result.lines, "inbox_files": result.files,
            "listings": int(result.rows["pickup_point_id"].is_null().sum()),
            "groups_not_formed": at_risk_first(result.rows).filter(~pl.col("would_form")).height,
            "pool_turns_not_run": list(result.pool_turns_not_run)}
    return head


@task(name="write", cache_policy=NO_CACHE)
def write(plan: ProgressPlan, result: Figures) -> Path:
    """The snapshot of the instant: progress.json, progress.xlsx, messages/<pickup_point_id>.txt."""
    since = clock.perf_counter()
    settings = plan.settings
    tz = settings.timezone
    run = f"{progress_labels(settings.lang)['calendar_' + plan.window.calendar]} {plan.window.cutoff_date.isoformat()}"

    def files(folder: Path) -> None:
        write_rows_json(folder / "progress.json", progress_head(plan, result, datetime.now(timezone.utc)),
                        result.rows.select(PROGRESS_COLUMNS))
        write_progress_book(folder / "progress.xlsx", result.rows, result.master.listings, result.master.products,
                            result.master.pickup_points, run=run, cutoff_text=local_text(plan.window.end, tz),
                            as_of_text=local_text(plan.as_of, tz), lines=result.lines, lang=settings.lang,
                            created=plan.as_of)
        for message in result.messages.iter_rows(named=True):
            atomic_write_text(folder / "messages" / f"{message['pickup_point_id']}.txt", message["text"] + "\n")
    with output_errors(settings.reports_dir, "the progress files"):
        folder = publish_snapshot(plan.run_folder, PROGRESS, as_of_name(plan.as_of, tz), files)
    _stage(plan, "write", f"-> {folder}", since)
    return folder


def why_not_send(plan: ProgressPlan, now: datetime) -> str | None:
    """Why this run sends nothing (None: it may)."""
    if not plan.send:
        return "sending is off (--no-send)"
    if now >= plan.window.end:
        return f"the cutoff ({local_text(plan.window.end, plan.settings.timezone)}) has passed"
    if now - plan.as_of > FRESH:
        return (f"the as-of instant is {int((now - plan.as_of).total_seconds() // 60)} min ago: only a run of now "
                "sends to the leaders")
    return None


@task(name="deliver", cache_policy=NO_CACHE)
def deliver_messages(plan: ProgressPlan, result: Figures, folder: Path) -> dict[str, int]:
    """Each leader's message to their group bot, when it changed since the last one sent; never
    after the cutoff. Returns the count of each status; deliveries.json says per pickup point."""
    since = clock.perf_counter()
    points = {row["pickup_point_id"]: row for row in result.master.pickup_points.iter_rows(named=True)}
    outgoing = [Outgoing(m["pickup_point_id"], m["leader_id"], points.get(m["pickup_point_id"], {}).get("webhook"),
                         points.get(m["pickup_point_id"], {}).get("webhook_format"), m["content_hash"], m["text"])
                for m in result.messages.iter_rows(named=True)]
    reason = why_not_send(plan, datetime.now(timezone.utc))
    log = DeliveryLog(plan.run_folder / PROGRESS / "messages.jsonl", plan.run_folder.parent)
    with one_sender(plan.run_folder, PROGRESS):
        results = deliver(outgoing, log, lambda: reason or why_not_send(plan, datetime.now(timezone.utc)),
                          extra={"as_of": plan.as_of.astimezone(ZoneInfo(plan.settings.timezone)).isoformat()})
    counts: dict[str, int] = {}
    for entry in results:
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    local_as_of = plan.as_of.astimezone(ZoneInfo(plan.settings.timezone)).isoformat()
    deliveries = {"as_of": local_as_of, "not_sent": reason, "counts": counts,
                  "messages": [{k: v for k, v in r.items() if k != "text"} for r in results]}
    with output_errors(plan.settings.reports_dir, "the progress files"):
        write_in_place(plan.run_folder, folder / "deliveries.json", lambda: write_json(folder / "deliveries.json",
                                                                                        deliveries))
    figures_text = describe_deliveries(counts) if counts else "no message"
    _stage(plan, "deliver", figures_text + (f" ({reason})" if reason else ""), since)
    return counts


# ---- the flow --------------------------------------------------------------------------------------

def name_progress_run() -> str:
    """`progress nightly 2026-11-21 as of 2026-11-21 15:00` (business time; the coming cutoff when
    the date is left empty; a run without `as_of` as of its scheduled time)."""
    try:
        zone = load_settings().timezone
    except UserError:  # a name is never worth failing a run for: the run reports the settings
        zone = "Asia/Shanghai"
    return progress_run_name(flow_run.parameters or {}, flow_run.scheduled_start_time, zone)


def run_progress(plan: ProgressPlan) -> dict:
    result = figures(plan)
    folder = write(plan, result)
    counts = deliver_messages(plan, result, folder)
    rows = result.rows
    listing_rows = rows.filter(pl.col("pickup_point_id").is_null())
    summary = {"calendar": plan.window.calendar, "cutoff_date": plan.window.cutoff_date.isoformat(),
               "as_of": plan.as_of.astimezone(ZoneInfo(plan.settings.timezone)).isoformat(),
               "folder": str(folder), "order_lines": result.lines, "listings": listing_rows.height,
               "groups_not_formed": at_risk_first(rows).filter(~pl.col("would_form")).height,
               "messages": counts}
    publish_progress_artifacts(summary, at_risk_first(rows), result.master)
    return summary


@flow(name="progress", flow_run_name=name_progress_run, validate_parameters=True)
def progress_flow(calendar: Literal["nightly", "weekly"] = "nightly", cutoff_date: date | None = None,
                  as_of: datetime | None = None, send: bool = True, data_dir: str | None = None,
                  reports_dir: str | None = None, lang: Literal["zh", "en"] | None = None,
                  progress: bool = False) -> dict:
    """What the coming cutoff would decide on the orders so far: per listing and pickup point, units
    and participants, whether the group would form, what is missing, the next tier, case fill and
    stock left; the leaders' messages (成团进度) to their group bots when they changed. Writes
    nothing the cutoff owns.

    Args:
        calendar: nightly or weekly: the calendar of the cutoff.
        cutoff_date: The cutoff (weekly: its Sunday). Empty: the coming one (the cutoff whose window holds
            the as-of instant).
        as_of: The instant the orders are counted at (before the cutoff): set the time zone beside it to
            Asia/Shanghai (the form starts at UTC). Empty: this run's scheduled time, or now. A past instant
            shows how it looked then (and sends nothing).
        send: Send the leaders' messages to their group bots (only a run of now, before the cutoff, sends).
        data_dir: Data folder (master/, inbox/) for this run only. Empty: CUTOFF_DATA_DIR of `cutoff serve`.
        reports_dir: Reports folder for this run only. Empty: CUTOFF_REPORTS_DIR of `cutoff serve`.
        lang: Language of progress.xlsx, zh or en (the leaders' messages are Chinese). Empty: CUTOFF_LANG.
        progress: Also print each stage on the console of the process that runs it.
    """
    prepare_run_log()
    try:
        settings = load_settings().with_overrides(
            data_dir=Path(data_dir) if data_dir else None, reports_dir=Path(reports_dir) if reports_dir else None,
            lang=lang)
        plan = plan_progress(calendar, cutoff_date, as_of, settings, now=datetime.now(timezone.utc),
                             scheduled=flow_run.scheduled_start_time, send=send, progress=progress)
        say(f"progress {plan.window.label} as of {local_text(plan.as_of, settings.timezone)} ({settings.timezone}); "
            f"data {settings.data_dir.resolve()}", console=False)
        return run_progress(plan)
    except UserError as exc:
        return fail_run(exc)
