"""Backfill: the cutoffs of one calendar in a date range, oldest first, each its own flow run; or
both calendars' cutoffs of the range (`both`) in turn order (the cutoff instants: nightly D 20:00,
weekly Sunday 24:00), as a stock pool shared by both calendars needs them.

Every date is checked before the first one runs (calendar, future cutoffs, data dir), so a range
that cannot finish is refused up front. Then the cutoffs run in order; the first failure stops
the backfill with a message naming the date and the reason. Dates already done stay done: each
cutoff replaces only its own partition, so running the rest again later is safe.
"""

from __future__ import annotations

import sys
import time as clock
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

from prefect import flow

from errors import UserError
from flows.cutoff_flow import cutoff_flow
from flows.planning import plan_run
from flows.run_log import fail_run, prepare_run_log, run_logger
from flows.settings import Settings, load_settings
from transforms.money import fen_to_yuan_display as yuan
from transforms.windows import CALENDARS, SUNDAY, cutoff_date_for_instant, parse_clock, window_for

BOTH = "both"  # every calendar's cutoffs of the range, in turn order


class BackfillStopped(UserError):
    """A cutoff of the range failed; the ones before it are done. Keeps the cause's exit code."""

    def __init__(self, message: str, exit_code: int = UserError.exit_code):
        super().__init__(message)
        self.exit_code = exit_code


def backfill_dates(calendar: str, start: date, end: date) -> list[date]:
    """The cutoff dates of `calendar` in [start, end], oldest first (weekly: the Sundays)."""
    if calendar not in CALENDARS:
        raise UserError(f"unknown calendar {calendar!r}: use one of {', '.join(CALENDARS)}")
    if start > end:
        raise UserError(f"the backfill range {start.isoformat()}..{end.isoformat()} is empty: "
                        "the first date is after the last. Give --from before --to.")
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    if calendar == "weekly":
        days = [d for d in days if d.weekday() == SUNDAY]
        if not days:
            raise UserError(f"no weekly cutoff in {start.isoformat()}..{end.isoformat()}: weekly cutoffs are "
                            "on Sundays (Sunday 24:00). Widen the range to include a Sunday.")
    return days


def backfill_cutoffs(calendar: str, start: date, end: date, settings: Settings) -> list[tuple[str, date]]:
    """The cutoffs (calendar, date) of the range, in the order they run: one calendar's oldest
    first; `both`: every calendar's, by cutoff instant (nightly D 20:00 before weekly Sunday D 24:00)."""
    if calendar != BOTH:
        return [(calendar, day) for day in backfill_dates(calendar, start, end)]
    nightly = backfill_dates("nightly", start, end)  # refuses an empty range
    sundays = [day for day in nightly if day.weekday() == SUNDAY]
    clock_at = parse_clock(settings.nightly_at)
    cutoffs = [("nightly", day) for day in nightly] + [("weekly", day) for day in sundays]
    return sorted(cutoffs, key=lambda c: (window_for(c[0], c[1], settings.timezone, clock_at).end, c[0]))


def check_range(calendar: str, days: list[date], settings: Settings, now: datetime | None = None) -> None:
    """Refuse the whole range before anything runs: a cutoff still in the future, a missing data dir."""
    latest = cutoff_date_for_instant(calendar, now or datetime.now(timezone.utc), settings.timezone,
                                     parse_clock(settings.nightly_at))
    if days[-1] > latest:
        raise UserError(f"the backfill range ends at the {calendar} {days[-1].isoformat()} cutoff, which is in "
                        f"the future: its orders are not locked yet. The latest {calendar} cutoff that has "
                        f"passed is {latest.isoformat()}; end the range there or earlier.")
    plan_run(calendar, days[0], settings, now=now)  # the calendar allows the dates; the data dir exists


def backfill_entry(day: date, summary: dict, seconds: float) -> dict:
    """One line of the backfill's result: the date, its status and its key figures."""
    lines, fen = summary.get("order_lines", {}), summary.get("fen", {})
    return {"cutoff_date": day.isoformat(), "status": "completed",
            "listings_closed": summary.get("listings_closed", 0), "lines_allocated": lines.get("allocated", 0),
            "lines_rejected": lines.get("rejected", 0), "net_fen": fen.get("net", 0),
            "purchase_cost_fen": fen.get("purchase_cost", 0), "suppliers": len(summary.get("suppliers", [])),
            "seconds": round(seconds, 1)}


def describe_entry(calendar: str, entry: dict, position: int, total: int) -> str:
    return (f"backfill {entry.get('calendar', calendar)} {entry['cutoff_date']} ({position}/{total}): "
            f"{entry['status']}, "
            f"{entry['listings_closed']} listing(s) closed, {entry['lines_allocated']:,} line(s) allocated, "
            f"net {yuan(entry['net_fen'])}, purchase {yuan(entry['purchase_cost_fen'])} "
            f"({entry['seconds']:.1f}s)")


def _say(text: str) -> None:
    """A line of the backfill's story: its run log (the Logs tab) and stderr."""
    run_logger().info(text)
    print(text, file=sys.stderr, flush=True)


@flow(name="backfill", flow_run_name="backfill {calendar} {start}..{end}", validate_parameters=True)
def backfill_flow(calendar: Literal["nightly", "weekly", "both"] = "nightly", *, start: date, end: date,
                  send_email: bool = True, data_dir: str | None = None, reports_dir: str | None = None,
                  progress: bool = False) -> list[dict]:
    """Run each cutoff of `calendar` from `start` to `end` (inclusive), oldest first, each as its
    own flow run; stop at the first failure. Returns one entry per date done.

    Args:
        calendar: nightly (every day at 20:00), weekly (the presale week, Sunday 24:00), or both: every
            cutoff of the range of both calendars in turn order (nightly D 20:00, then a Sunday's weekly
            cutoff at 24:00), as a stock pool sold on both calendars needs them.
        start: The first cutoff date of the range.
        end: The last cutoff date of the range (inclusive; not in the future). Weekly: the Sundays in between.
        send_email: Email the suppliers their purchase orders. Turn it off when they already have these
            orders; the messages then wait in each run folder's outbox/.
        data_dir: Data folder (master/, inbox/, the warehouse) for these runs only. Empty: CUTOFF_DATA_DIR
            of `cutoff serve`.
        reports_dir: Reports folder for these runs only. Empty: CUTOFF_REPORTS_DIR of `cutoff serve`.
        progress: Also print each cutoff's stages on the console (the command line sets it).
    """
    prepare_run_log()
    try:
        return _backfill(calendar, start, end, send_email, data_dir, reports_dir, progress)
    except UserError as exc:
        return fail_run(exc)


def _backfill(calendar: str, start: date, end: date, send_email: bool, data_dir: str | None,
              reports_dir: str | None, progress: bool) -> list[dict]:
    settings = load_settings().with_overrides(
        data_dir=Path(data_dir) if data_dir else None, reports_dir=Path(reports_dir) if reports_dir else None)
    cutoffs = backfill_cutoffs(calendar, start, end, settings)
    for each in sorted({c for c, _ in cutoffs}):
        check_range(each, [day for c, day in cutoffs if c == each], settings)
    days = [day for _, day in cutoffs]
    _say(f"backfill {calendar}: {len(cutoffs)} cutoff(s), {days[0].isoformat()} .. {days[-1].isoformat()}"
         + (" in turn order" if calendar == BOTH else ""))
    entries: list[dict] = []
    for position, (each, day) in enumerate(cutoffs, start=1):
        since = clock.perf_counter()
        try:
            summary = cutoff_flow(calendar=each, cutoff_date=day, send_email=send_email,
                                  data_dir=str(settings.data_dir), reports_dir=str(settings.reports_dir),
                                  progress=progress)
        except Exception as exc:
            reason = str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
            _say(f"backfill {each} {day.isoformat()} ({position}/{len(days)}): FAILED "
                 f"({clock.perf_counter() - since:.1f}s)")
            done = (f"The {len(entries)} cutoff(s) before it are done and stay done "
                    f"({entries[0]['cutoff_date']} .. {entries[-1]['cutoff_date']}). " if entries
                    else "No cutoff of the range was done. ")
            raise BackfillStopped(
                f"backfill stopped at {each} {day.isoformat()} ({position} of {len(days)}): {reason} "
                f"{done}Fix the cause, then continue with `cutoff backfill --calendar {calendar} "
                f"--from {day.isoformat()} --to {days[-1].isoformat()}`.",
                getattr(exc, "exit_code", UserError.exit_code)) from exc
        entry = {"calendar": each, **backfill_entry(day, summary, clock.perf_counter() - since)}
        entries.append(entry)
        _say(describe_entry(calendar, entry, position, len(days)))
    return entries
