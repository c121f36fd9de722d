"""The run plan: what a cutoff run is (its window, settings, whether it emails), checked before
anything starts, and when it may begin (its cutoff instant, a ready inbox: flows/readiness.py).
Also which cutoff a scheduled run is for."""

from __future__ import annotations

import sys
import time as clock
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect.logging import get_run_logger
from prefect.runtime import flow_run

from errors import UserError
from flows.readiness import utc_now, wait_for_cutoff, wait_for_inbox
from flows.settings import Settings
from outputs.run_folder import run_dir
from transforms.windows import CalendarError, CutoffWindow, cutoff_date_for_instant, parse_clock, window_for


@dataclass(frozen=True)
class RunPlan:
    window: CutoffWindow
    settings: Settings
    send_email: bool = True
    progress: bool = False
    warnings: tuple[str, ...] = ()  # found before the run (an inbox not ready): into summary.json

    @property
    def calendar(self) -> str:
        return self.window.calendar

    @property
    def cutoff_date(self) -> date:
        return self.window.cutoff_date

    @property
    def output_dir(self) -> Path:
        return run_dir(self.settings.reports_dir, self.calendar, self.cutoff_date)


def plan_run(calendar: str, cutoff_date: date, settings: Settings, *, force: bool = False,
             now: datetime | None = None, send_email: bool = True, progress: bool = False) -> RunPlan:
    """Check a run before anything starts: the calendar allows the date, the cutoff instant is not
    further ahead than a run may wait for (CUTOFF_EARLY_START_MAX_WAIT_SECONDS: a run that starts
    a little early waits for it, see `flows.readiness.wait_for_cutoff`), and the data dir exists.
    Raises UserError with what to do."""
    try:
        window = window_for(calendar, cutoff_date, settings.timezone, parse_clock(settings.nightly_at))
    except CalendarError as exc:
        raise UserError(str(exc)) from exc
    now = now or datetime.now(timezone.utc)
    early = (window.end - now).total_seconds()
    if early > settings.early_start_max_wait_seconds and not force:
        raise UserError(
            f"the {window.label} cutoff is at {_local(window.end, settings.timezone)}, in the future "
            f"({_duration(early)} from now): its orders are not locked yet. To run it anyway, with the orders "
            f"there are now, turn on force (in the run form; --force on the command line). A run started a "
            f"little before its cutoff waits for it, up to "
            f"{_duration(settings.early_start_max_wait_seconds)} (CUTOFF_EARLY_START_MAX_WAIT_SECONDS); a scheduled "
            f"run begins a second early at most, so a start this early means it was started by hand or "
            f"its schedule is wrong.")
    if not settings.data_dir.is_dir():
        raise UserError(f"data dir {settings.data_dir} does not exist. Pass --data-dir or set "
                        "CUTOFF_DATA_DIR (`cutoff generate --data-dir DIR` makes a synthetic one).")
    return RunPlan(window, settings, send_email, progress)


def _local(instant: datetime, zone: str) -> str:
    """'2099-01-01 20:00 Asia/Shanghai': an instant as ops read it."""
    return f"{instant.astimezone(ZoneInfo(zone)).strftime('%Y-%m-%d %H:%M')} {zone}"


def _duration(seconds: float) -> str:
    """'30.0 s', '12 min 5 s', '5 h 0 min', '3 days 4 h'."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes // (24 * 60):,} days {minutes // 60 % 24} h"


def resolve_cutoff_date(calendar: str, cutoff_date: date | None, settings: Settings) -> date:
    """A given date, or the one the scheduled run is for (its scheduled start, business time)."""
    if cutoff_date is not None:
        return cutoff_date
    scheduled = flow_run.scheduled_start_time or datetime.now(timezone.utc)
    return cutoff_date_for_instant(calendar, scheduled, settings.timezone, parse_clock(settings.nightly_at))


def _say(plan: RunPlan):
    """The run's log (the UI), and stderr too on the command line."""
    logger = get_run_logger()

    def say(text: str) -> None:
        logger.info(text)
        if plan.progress:
            print(f"  {text}", file=sys.stderr, flush=True)
    return say


def await_start(plan: RunPlan, force: bool = False, *, now=utc_now, sleep=clock.sleep) -> RunPlan:
    """Wait for the cutoff instant (a run that started a little early), then for the inbox to be
    ready (when configured). `force` (--force) waits for neither. Returns the plan with the
    inbox's warning, if any."""
    if force:
        return plan
    say = _say(plan)
    wait_for_cutoff(plan.window, clock=now, sleep=sleep, say=say)
    readiness = wait_for_inbox(plan.window, plan.settings, clock=now, sleep=sleep, say=say)
    if readiness.warning:
        return replace(plan, warnings=plan.warnings + (readiness.warning,))
    return plan
