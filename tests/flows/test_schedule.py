"""The scheduled-date rule: which cutoff a run processes, given when it was scheduled; the
deployments' crons fire at the cutoff instants; the dates of a backfill; the run names."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from errors import UserError
from flows.backfill_flow import backfill_cutoffs, backfill_dates, check_range
from flows.deployments import WEEKLY_CRON, nightly_cron
from flows.naming import cutoff_run_name
from transforms.windows import cutoff_date_for_instant

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize("instant, expected", [
    ("2026-11-21T19:59:00", date(2026, 11, 20)),  # a minute before the cutoff: still yesterday's
    ("2026-11-21T20:00:00", date(2026, 11, 21)),  # the scheduled instant itself
    ("2026-11-21T20:01:00", date(2026, 11, 21)),  # a run that started a minute late
    ("2026-11-22T03:00:00", date(2026, 11, 21)),  # a retry in the small hours
    ("2026-11-22T19:59:59", date(2026, 11, 21)),
])
def test_nightly_run_processes_the_latest_cutoff_at_or_before_its_scheduled_time(instant, expected):
    assert cutoff_date_for_instant("nightly", local(instant), "Asia/Shanghai") == expected


def test_nightly_rule_reads_utc_instants_in_business_time():
    # 12:00 UTC is 20:00 in Shanghai: the server stores scheduled times in UTC
    assert cutoff_date_for_instant("nightly", datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)) == date(2026, 11, 21)
    assert cutoff_date_for_instant("nightly", datetime(2026, 11, 21, 11, 59, tzinfo=timezone.utc)) == date(2026, 11, 20)


@pytest.mark.parametrize("instant, expected", [
    ("2026-11-23T00:00:00", date(2026, 11, 22)),  # Monday 00:00 = Sunday 24:00: that Sunday
    ("2026-11-23T00:01:00", date(2026, 11, 22)),  # late
    ("2026-11-25T09:00:00", date(2026, 11, 22)),  # a retry on Wednesday
    ("2026-11-22T23:59:00", date(2026, 11, 15)),  # Sunday 23:59: the week is still open
])
def test_weekly_run_processes_the_sunday_that_ended_before_its_scheduled_time(instant, expected):
    assert cutoff_date_for_instant("weekly", local(instant), "Asia/Shanghai") == expected


def _fire_times(cron: str, after: datetime, n: int) -> list[datetime]:
    from prefect.server.schemas.schedules import CronSchedule
    return asyncio.run(CronSchedule(cron=cron, timezone="Asia/Shanghai").get_dates(n=n, start=after))


def test_nightly_schedule_fires_at_20_00_shanghai_and_each_run_gets_its_own_day():
    fires = _fire_times(nightly_cron("20:00"), local("2026-11-20T12:00:00"), 3)
    assert [f.astimezone(SHANGHAI).isoformat() for f in fires] == [
        "2026-11-20T20:00:00+08:00", "2026-11-21T20:00:00+08:00", "2026-11-22T20:00:00+08:00"]
    assert [cutoff_date_for_instant("nightly", f) for f in fires] == [
        date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)]


def test_weekly_schedule_fires_at_sunday_24_00_shanghai_for_that_sunday():
    fires = _fire_times(WEEKLY_CRON, local("2026-11-18T12:00:00"), 2)
    assert [f.astimezone(SHANGHAI).isoformat() for f in fires] == [
        "2026-11-23T00:00:00+08:00", "2026-11-30T00:00:00+08:00"]
    assert [cutoff_date_for_instant("weekly", f) for f in fires] == [date(2026, 11, 22), date(2026, 11, 29)]


def test_nightly_cron_follows_the_configured_time():
    assert nightly_cron("20:00") == "0 20 * * *"
    assert nightly_cron("21:30") == "30 21 * * *"


@pytest.mark.parametrize("calendar, cutoff_date, scheduled, expected", [
    ("nightly", date(2026, 11, 21), None, "nightly 2026-11-21"),          # a custom run with a date
    ("nightly", "2026-11-21", None, "nightly 2026-11-21"),                # the date as the API sends it
    ("nightly", None, local("2026-11-21T20:00:00"), "nightly 2026-11-21"),  # the scheduled run
    ("nightly", None, local("2026-11-21T19:59:00"), "nightly 2026-11-20"),
    ("nightly", None, datetime(2026, 11, 21, 12, 1, tzinfo=timezone.utc), "nightly 2026-11-21"),
    ("weekly", None, local("2026-11-23T00:00:00"), "weekly 2026-11-22"),
    ("nightly", date(2026, 11, 19), local("2026-11-21T20:00:00"), "nightly 2026-11-19"),  # the date wins
])
def test_cutoff_run_name(calendar, cutoff_date, scheduled, expected):
    assert cutoff_run_name(calendar, cutoff_date, scheduled, "Asia/Shanghai") == expected


def test_backfill_dates_nightly_are_every_day_oldest_first():
    assert backfill_dates("nightly", date(2026, 11, 1), date(2026, 11, 3)) == [
        date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    assert backfill_dates("nightly", date(2026, 11, 21), date(2026, 11, 21)) == [date(2026, 11, 21)]


def test_backfill_dates_weekly_are_the_sundays_of_the_range():
    assert backfill_dates("weekly", date(2026, 11, 1), date(2026, 11, 21)) == [
        date(2026, 11, 1), date(2026, 11, 8), date(2026, 11, 15)]


def test_backfill_both_calendars_runs_the_cutoffs_in_turn_order(tmp_path, settings_for):
    """Sunday's nightly cutoff (20:00) comes before its weekly one (24:00), which comes before Monday's."""
    got = backfill_cutoffs("both", date(2026, 11, 21), date(2026, 11, 23), settings_for(tmp_path))
    assert got == [("nightly", date(2026, 11, 21)), ("nightly", date(2026, 11, 22)), ("weekly", date(2026, 11, 22)),
                   ("nightly", date(2026, 11, 23))]
    assert backfill_cutoffs("both", date(2026, 11, 17), date(2026, 11, 18), settings_for(tmp_path)) == [
        ("nightly", date(2026, 11, 17)), ("nightly", date(2026, 11, 18))]  # no Sunday: nightly only
    assert backfill_cutoffs("weekly", date(2026, 11, 16), date(2026, 11, 30), settings_for(tmp_path)) == [
        ("weekly", date(2026, 11, 22)), ("weekly", date(2026, 11, 29))]


def test_backfill_both_with_a_late_nightly_cutoff_keeps_turn_order(tmp_path, settings_for):
    """With CUTOFF_NIGHTLY_AT 23:59 Sunday's nightly still comes before its weekly cutoff at 24:00."""
    settings = settings_for(tmp_path, nightly_at="23:59")
    assert backfill_cutoffs("both", date(2026, 11, 22), date(2026, 11, 22), settings) == [
        ("nightly", date(2026, 11, 22)), ("weekly", date(2026, 11, 22))]


@pytest.mark.parametrize("calendar, start, end, words", [
    ("nightly", date(2026, 11, 7), date(2026, 11, 1), "after the last"),
    ("weekly", date(2026, 11, 16), date(2026, 11, 21), "Sunday"),
    ("monthly", date(2026, 11, 1), date(2026, 11, 2), "unknown calendar"),
])
def test_backfill_dates_refuses_an_empty_range_with_a_message(calendar, start, end, words):
    with pytest.raises(UserError, match=words):
        backfill_dates(calendar, start, end)


def test_backfill_refuses_a_range_that_reaches_a_future_cutoff(tmp_path, settings_for):
    settings = settings_for(tmp_path)
    now = local("2026-11-22T06:00:00")
    check_range("nightly", backfill_dates("nightly", date(2026, 11, 19), date(2026, 11, 21)), settings, now)
    with pytest.raises(UserError, match="latest nightly cutoff that has passed is 2026-11-21"):
        check_range("nightly", backfill_dates("nightly", date(2026, 11, 20), date(2026, 11, 22)), settings, now)
    with pytest.raises(UserError, match="data dir"):
        check_range("nightly", [date(2026, 11, 21)], settings_for(tmp_path / "missing"), now)


def test_a_late_run_still_gets_its_own_day():
    """A run scheduled for 20:00 that starts a day late processes the scheduled day, not 'now'."""
    scheduled = local("2026-11-21T20:00:00")
    started = scheduled + timedelta(hours=26)
    assert cutoff_run_name("nightly", None, scheduled) == "nightly 2026-11-21"
    assert cutoff_date_for_instant("nightly", started) == date(2026, 11, 22)  # what now() would have said


@pytest.mark.parametrize("latest, expected", [
    (date(2026, 12, 6), (date(2026, 11, 27), date(2026, 11, 29), date(2026, 11, 30))),  # Sunday: last week's
    (date(2026, 12, 7), (date(2026, 12, 4), date(2026, 12, 6), date(2026, 12, 7))),     # Monday 20:00 passed
    (date(2026, 12, 9), (date(2026, 12, 4), date(2026, 12, 6), date(2026, 12, 7))),
])
def test_the_demo_story_is_of_cutoffs_that_have_passed(latest, expected):
    """The demo's Friday, the presale's Sunday and its buyers' group's Monday: all at or before the
    latest nightly cutoff that has passed."""
    from flows.demo_command import demo_dates
    assert demo_dates(latest) == expected and expected[2] <= latest
