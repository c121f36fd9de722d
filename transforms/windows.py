"""Calendars and cutoff windows (rulebook: "Calendars and cutoff windows").

| calendar | cutoff instant of date D | window of D                  |
| nightly  | D at 20:00               | (D-1 20:00, D 20:00]         |
| weekly   | D at 24:00, D a Sunday   | (D-7 24:00, D 24:00]         |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CALENDARS = ("nightly", "weekly")
SUNDAY = 6


class CalendarError(ValueError):
    """A run that the calendar does not allow (unknown calendar, weekly date not a Sunday)."""


@dataclass(frozen=True)
class CutoffWindow:
    """The run `(calendar, cutoff_date)` and its window (start, end]; `end` is the cutoff instant."""

    calendar: str
    cutoff_date: date
    start: datetime
    end: datetime
    timezone: str

    def contains(self, instant: datetime) -> bool:
        return self.start < instant <= self.end

    @property
    def label(self) -> str:
        return f"{self.calendar} {self.cutoff_date.isoformat()}"


def parse_clock(text: str) -> time:
    """'20:00' -> time(20, 0)."""
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes or 0))


def window_for(calendar: str, cutoff_date: date, timezone: str = "Asia/Shanghai",
               nightly_at: time = time(20, 0)) -> CutoffWindow:
    """The window of cutoff `cutoff_date` on `calendar`, as aware datetimes in `timezone`."""
    tz = ZoneInfo(timezone)
    if calendar == "nightly":
        end = datetime.combine(cutoff_date, nightly_at, tz)
        start = datetime.combine(cutoff_date - timedelta(days=1), nightly_at, tz)
    elif calendar == "weekly":
        if cutoff_date.weekday() != SUNDAY:
            raise CalendarError(
                f"the weekly cutoff is on Sundays (Sunday 24:00); {cutoff_date.isoformat()} is a "
                f"{cutoff_date.strftime('%A')}. Give the Sunday that ends the presale week.")
        end = datetime.combine(cutoff_date + timedelta(days=1), time(0, 0), tz)
        start = datetime.combine(cutoff_date - timedelta(days=6), time(0, 0), tz)
    else:
        raise CalendarError(f"unknown calendar {calendar!r}: use one of {', '.join(CALENDARS)}")
    return CutoffWindow(calendar, cutoff_date, start, end, timezone)


def cutoff_date_for_instant(calendar: str, instant: datetime, timezone: str = "Asia/Shanghai",
                            nightly_at: time = time(20, 0)) -> date:
    """The cutoff a run scheduled at `instant` processes: the latest cutoff at or before it.

    nightly: 20:00 and 20:01 on D give D; 19:59 on D gives D-1.
    weekly: Monday 00:00 (Sunday 24:00) gives that Sunday; any time up to the next Sunday 24:00
    gives the previous Sunday.
    """
    local = instant.astimezone(ZoneInfo(timezone))
    if calendar == "nightly":
        day = local.date()
        return day if local.time() >= nightly_at else day - timedelta(days=1)
    if calendar == "weekly":
        # the cutoff instant of Sunday S is Monday 00:00 after it: the latest Monday <= local.
        monday = local.date() - timedelta(days=local.weekday())
        return monday - timedelta(days=1)
    raise CalendarError(f"unknown calendar {calendar!r}: use one of {', '.join(CALENDARS)}")


def cutoff_date_closing(calendar: str, instant: datetime, timezone: str = "Asia/Shanghai",
                        nightly_at: time = time(20, 0)) -> date:
    """The cutoff whose window holds `instant`: the run that closes a listing with `closes_at` =
    `instant` (the earliest cutoff instant at or after it).

    nightly: D 20:00 gives D, D 20:00:01 gives D+1. weekly: any time of an ISO week after its
    Monday 00:00 gives its Sunday; Monday 00:00 itself (Sunday 24:00) gives the Sunday before.
    """
    local = instant.astimezone(ZoneInfo(timezone))
    if calendar == "nightly":
        return local.date() if local.time() <= nightly_at else local.date() + timedelta(days=1)
    if calendar == "weekly":
        if local.weekday() == 0 and local.time() == time(0, 0):
            return local.date() - timedelta(days=1)
        return local.date() + timedelta(days=SUNDAY - local.weekday())
    raise CalendarError(f"unknown calendar {calendar!r}: use one of {', '.join(CALENDARS)}")


def iso_week_bounds(week: str) -> tuple[date, date]:
    """'2026-W47' -> (Monday, Sunday) of that ISO week."""
    try:
        year_text, week_text = week.upper().split("-W")
        monday = date.fromisocalendar(int(year_text), int(week_text), 1)
    except ValueError as exc:
        raise CalendarError(f"bad ISO week {week!r}: write it like 2026-W47") from exc
    return monday, monday + timedelta(days=6)


def iso_week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
