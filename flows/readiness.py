"""When a run may begin: at its cutoff instant, on an inbox that is ready.

Two waits, both before anything is read (docs/rules.md "Running", docs/ops.md "The 20:00 run"):

- the cutoff instant: a served run is submitted up to ~10 s before its scheduled time (the
  runner takes every run due in its next poll at once) and the server holds its start to the
  nearest second, so it can begin up to 0.5 s early (more when the machines' clocks differ): it
  sleeps until the instant. How early a run may start and still wait is `plan_run`'s rule
  (CUTOFF_EARLY_START_MAX_WAIT_SECONDS).
- the inbox: the exports of the last minutes before the cutoff land a few minutes after it. With
  CUTOFF_READY_MARKER the run waits until the exporting system has written that file, at or after
  the cutoff instant, into every input folder; without a marker, with CUTOFF_SETTLE_SECONDS, until
  no inbox file has appeared or changed for that long after the cutoff instant. At the deadline
  (CUTOFF_READY_DEADLINE_SECONDS after the cutoff instant) it goes on with what is there and says so.
  A run that starts after that deadline (a rerun, a backfill, a late retry) neither checks nor waits.

The clock and the sleep are arguments, so tests run these waits without waiting.
No Prefect here: the flow passes its logger's `info` as `say`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flows.settings import Settings
from inbox.snapshot import inbox_snapshot, missing_markers
from transforms.windows import CutoffWindow

Clock = Callable[[], datetime]
Sleep = Callable[[float], None]
Say = Callable[[str], None]

POLL_SECONDS = 2.0
WARNING_KIND = "inbox_not_ready"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _quiet(_: str) -> None:
    pass


def local_clock(instant: datetime, tz: str, seconds: bool = False) -> str:
    """'20:00' (or '20:00:05') in the business time zone."""
    return instant.astimezone(ZoneInfo(tz)).strftime("%H:%M:%S" if seconds else "%H:%M")


def wait_for_cutoff(window: CutoffWindow, *, clock: Clock = utc_now, sleep: Sleep = time.sleep,
                    say: Say = _quiet) -> float:
    """Sleep until the cutoff instant `window.end` if the run started before it; returns the
    seconds it had to wait (0 when it started at or after the instant)."""
    remaining = (window.end - clock()).total_seconds()
    if remaining <= 0:
        return 0.0
    say(f"waiting {remaining:.1f} s for the {local_clock(window.end, window.timezone)} cutoff "
        f"({window.label}, {window.timezone}): the run started before it")
    waited = remaining
    while remaining > 0:
        sleep(min(remaining, 30.0))
        remaining = (window.end - clock()).total_seconds()
    return waited


@dataclass(frozen=True)
class Readiness:
    """What the wait for the inbox found: `warning` is set when the run goes on without a ready inbox."""

    checked: bool
    ready: bool
    waited_seconds: float = 0.0
    detail: str = ""
    warning: str | None = None


def _describe(settings: Settings) -> str:
    if settings.ready_marker:
        return f"the ready marker {settings.ready_marker}"
    return f"{settings.settle_seconds:g} s without a new or changed inbox file"


def wait_for_inbox(window: CutoffWindow, settings: Settings, *, clock: Clock = utc_now,
                   sleep: Sleep = time.sleep, say: Say = _quiet, poll_seconds: float = POLL_SECONDS) -> Readiness:
    """Wait until the inbox of `settings.data_dir` is ready for the cutoff `window`, at most until
    its deadline. Off (returns at once) without CUTOFF_READY_MARKER and CUTOFF_SETTLE_SECONDS, and
    for a run that starts after the deadline."""
    if not settings.readiness_enabled:
        return Readiness(checked=False, ready=True, detail="readiness check off")
    instant, tz = window.end, window.timezone
    deadline = instant + timedelta(seconds=settings.ready_deadline_seconds)
    started = clock()
    if started >= deadline:
        return Readiness(checked=False, ready=True,
                         detail=f"started after the readiness deadline {local_clock(deadline, tz, True)}: not checked")
    data_dir, marker = settings.data_dir, settings.ready_marker
    snapshot = inbox_snapshot(data_dir, marker)
    last_change = max([instant] + [datetime.fromtimestamp(mtime / 1e9, timezone.utc)
                                   for _, mtime in snapshot.values()])
    announced = False
    while True:
        now = clock()
        if marker:
            missing = missing_markers(data_dir, marker, instant)
            ready = not missing
            pending = f"no {marker} written since the cutoff in {', '.join(missing)}"
        else:
            current = inbox_snapshot(data_dir, marker)
            if current != snapshot:
                snapshot, last_change = current, max(last_change, now)
            quiet_for = (now - last_change).total_seconds()
            ready = quiet_for >= settings.settle_seconds
            pending = (f"the inbox last changed at {local_clock(last_change, tz, True)}, "
                       f"{max(quiet_for, 0):.0f} s of {settings.settle_seconds:g} s quiet")
        waited = (now - started).total_seconds()
        if ready:
            detail = f"inbox ready ({_describe(settings)})" + (f" after waiting {waited:.1f} s" if waited else "")
            if announced:
                say(detail)
            return Readiness(checked=True, ready=True, waited_seconds=waited, detail=detail)
        if now >= deadline:
            warning = (f"{WARNING_KIND}: {pending} by the deadline {local_clock(deadline, tz, True)} "
                       f"({settings.ready_deadline_seconds:g} s after the cutoff, CUTOFF_READY_DEADLINE_SECONDS); "
                       f"the run went on with the files present then. Rerun this cutoff once the "
                       f"export is complete.")
            say(warning)
            return Readiness(checked=True, ready=False, waited_seconds=waited, detail=pending, warning=warning)
        if not announced:
            say(f"waiting for the inbox ({_describe(settings)}) until {local_clock(deadline, tz, True)} "
                f"at the latest: {pending}")
            announced = True
        sleep(min(poll_seconds, max((deadline - now).total_seconds(), 0.01)))
