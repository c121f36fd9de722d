from datetime import date, datetime, time, timedelta, timezone

import pytest

from transforms.windows import (
    CalendarError,
    cutoff_date_for_instant,
    iso_week_bounds,
    iso_week_of,
    parse_clock,
    window_for,
)

CST = timezone(timedelta(hours=8))


def test_nightly_window_is_previous_evening_to_this_evening():
    window = window_for("nightly", date(2026, 11, 21))
    assert window.start == datetime(2026, 11, 20, 20, 0, tzinfo=CST)
    assert window.end == datetime(2026, 11, 21, 20, 0, tzinfo=CST)
    assert window.start.isoformat() == "2026-11-20T20:00:00+08:00"


def test_nightly_window_is_open_at_start_closed_at_end():
    window = window_for("nightly", date(2026, 11, 21))
    assert not window.contains(datetime(2026, 11, 20, 20, 0, tzinfo=CST))
    assert window.contains(datetime(2026, 11, 20, 20, 0, 1, tzinfo=CST))
    assert window.contains(datetime(2026, 11, 21, 20, 0, tzinfo=CST))
    assert not window.contains(datetime(2026, 11, 21, 20, 0, 0, 1, tzinfo=CST))


def test_nightly_time_is_a_setting():
    window = window_for("nightly", date(2026, 11, 21), nightly_at=time(21, 30))
    assert window.end == datetime(2026, 11, 21, 21, 30, tzinfo=CST)


def test_weekly_window_is_the_week_to_sunday_midnight():
    window = window_for("weekly", date(2026, 11, 22))  # a Sunday
    assert window.start == datetime(2026, 11, 16, 0, 0, tzinfo=CST)   # (D-7 24:00
    assert window.end == datetime(2026, 11, 23, 0, 0, tzinfo=CST)     # D 24:00]


@pytest.mark.parametrize("day", [date(2026, 11, 21), date(2026, 11, 23)])
def test_weekly_refuses_a_date_that_is_not_a_sunday(day):
    with pytest.raises(CalendarError, match="Sunday"):
        window_for("weekly", day)


def test_unknown_calendar():
    with pytest.raises(CalendarError, match="unknown calendar"):
        window_for("monthly", date(2026, 11, 21))


def test_iso_weeks():
    assert iso_week_of(date(2026, 11, 22)) == "2026-W47"
    assert iso_week_bounds("2026-W47") == (date(2026, 11, 16), date(2026, 11, 22))
    with pytest.raises(CalendarError):
        iso_week_bounds("2026-47")


# -- the cutoff a scheduled run processes, at the edges of its instant ------------------------------

UTC = timezone.utc


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CST)


@pytest.mark.parametrize("instant, cutoff", [
    (shanghai("2026-11-21 19:59:59.999"), date(2026, 11, 20)),   # a millisecond before: the previous cutoff
    (shanghai("2026-11-21 20:00:00"), date(2026, 11, 21)),       # the cutoff instant itself
    (shanghai("2026-11-21 20:00:00.001"), date(2026, 11, 21)),
    (shanghai("2026-11-21 23:59:59"), date(2026, 11, 21)),
    (shanghai("2026-11-22 00:00:00"), date(2026, 11, 21)),       # past midnight: still the evening's cutoff
    (shanghai("2026-11-22 19:59:59"), date(2026, 11, 21)),
    (datetime(2026, 11, 21, 12, 0, tzinfo=UTC), date(2026, 11, 21)),              # 20:00 Shanghai, given in UTC
    (datetime(2026, 11, 21, 11, 59, 59, 999000, tzinfo=UTC), date(2026, 11, 20)),
    (datetime(2026, 11, 21, 16, 30, tzinfo=UTC), date(2026, 11, 21)),              # 00:30 on the 22nd local
])
def test_nightly_cutoff_of_an_instant(instant, cutoff):
    assert cutoff_date_for_instant("nightly", instant) == cutoff


@pytest.mark.parametrize("instant, cutoff", [
    (shanghai("2026-11-22 23:59:59.999"), date(2026, 11, 15)),   # Sunday night, not yet 24:00
    (shanghai("2026-11-23 00:00:00"), date(2026, 11, 22)),       # Sunday 24:00 = Monday 00:00
    (shanghai("2026-11-23 00:00:00.001"), date(2026, 11, 22)),
    (shanghai("2026-11-26 12:00:00"), date(2026, 11, 22)),       # midweek
    (shanghai("2026-11-29 23:59:59"), date(2026, 11, 22)),       # the next Sunday, before its 24:00
    (shanghai("2026-11-30 00:00:00"), date(2026, 11, 29)),
    (datetime(2026, 11, 22, 16, 0, tzinfo=UTC), date(2026, 11, 22)),  # Monday 00:00 Shanghai, given in UTC
])
def test_weekly_cutoff_of_an_instant_is_the_last_sunday_24_00(instant, cutoff):
    assert cutoff_date_for_instant("weekly", instant) == cutoff
    assert cutoff.weekday() == 6
    end = window_for("weekly", cutoff).end  # the latest weekly cutoff instant at or before the instant
    assert end <= instant < end + timedelta(days=7)


@pytest.mark.parametrize("utc_instant, cutoff", [
    # Los Angeles on 2026-11-21 is on PST (UTC-8): 20:00 local = 04:00Z the next day
    (datetime(2026, 11, 22, 3, 59, 59, 999000, tzinfo=UTC), date(2026, 11, 20)),
    (datetime(2026, 11, 22, 4, 0, tzinfo=UTC), date(2026, 11, 21)),
    # in July, PDT (UTC-7): 20:00 local = 03:00Z
    (datetime(2026, 7, 16, 2, 59, 59, tzinfo=UTC), date(2026, 7, 14)),
    (datetime(2026, 7, 16, 3, 0, tzinfo=UTC), date(2026, 7, 15)),
])
def test_the_cutoff_of_an_instant_in_another_time_zone(utc_instant, cutoff):
    assert cutoff_date_for_instant("nightly", utc_instant, "America/Los_Angeles") == cutoff
    end = window_for("nightly", cutoff, timezone="America/Los_Angeles").end
    assert end <= utc_instant < end + timedelta(days=1)


def test_weekly_in_another_time_zone_is_its_own_sunday_midnight():
    berlin_monday = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # Monday 00:00 in Berlin (UTC+1)
    assert cutoff_date_for_instant("weekly", berlin_monday, "Europe/Berlin") == date(2026, 11, 22)
    assert cutoff_date_for_instant("weekly", berlin_monday - timedelta(milliseconds=1), "Europe/Berlin") \
        == date(2026, 11, 15)


@pytest.mark.parametrize("instant, cutoff", [
    (shanghai("2026-11-21 21:29:59.999"), date(2026, 11, 20)),
    (shanghai("2026-11-21 21:30:00"), date(2026, 11, 21)),
])
def test_the_nightly_cutoff_time_is_a_setting(instant, cutoff):
    assert cutoff_date_for_instant("nightly", instant, nightly_at=time(21, 30)) == cutoff


def test_the_cutoff_of_an_instant_agrees_with_the_window():
    for minutes in range(-3, 4):
        instant = shanghai("2026-11-21 20:00:00") + timedelta(minutes=minutes)
        window = window_for("nightly", cutoff_date_for_instant("nightly", instant))
        assert window.end <= instant < window.end + timedelta(days=1)


def test_the_cutoff_of_an_instant_on_an_unknown_calendar_is_refused():
    with pytest.raises(CalendarError, match="unknown calendar 'monthly': use one of nightly, weekly"):
        cutoff_date_for_instant("monthly", shanghai("2026-11-21 20:00:00"))


@pytest.mark.parametrize("text, clock", [
    ("20:00", time(20, 0)), ("21:30", time(21, 30)), (" 09:05 ", time(9, 5)), ("7", time(7, 0)),
    ("0:00", time(0, 0)), ("23:59", time(23, 59)),
])
def test_parse_clock(text, clock):
    assert parse_clock(text) == clock


@pytest.mark.parametrize("text", ["24:00", "20:60", "8pm", ""])
def test_parse_clock_refuses_what_is_no_time_of_day(text):
    with pytest.raises(ValueError):
        parse_clock(text)


def test_a_window_in_another_time_zone():
    window = window_for("nightly", date(2026, 11, 21), timezone="America/Los_Angeles")
    assert window.end.isoformat() == "2026-11-21T20:00:00-08:00"
    assert window.start.isoformat() == "2026-11-20T20:00:00-08:00"
    assert (window.timezone, window.label) == ("America/Los_Angeles", "nightly 2026-11-21")


def test_unknown_calendar_message_names_the_calendars():
    with pytest.raises(CalendarError, match="unknown calendar 'monthly': use one of nightly, weekly"):
        window_for("monthly", date(2026, 11, 21))


def test_weekly_refusal_names_the_day():
    with pytest.raises(CalendarError) as err:
        window_for("weekly", date(2026, 11, 21))
    assert str(err.value) == ("the weekly cutoff is on Sundays (Sunday 24:00); 2026-11-21 is a Saturday. "
                              "Give the Sunday that ends the presale week.")


@pytest.mark.parametrize("week, bounds", [
    ("2026-W47", (date(2026, 11, 16), date(2026, 11, 22))),
    ("2026-w01", (date(2025, 12, 29), date(2026, 1, 4))),
    ("2026-W53", (date(2026, 12, 28), date(2027, 1, 3))),
])
def test_iso_week_bounds(week, bounds):
    assert iso_week_bounds(week) == bounds
    assert iso_week_of(bounds[0]) == iso_week_of(bounds[1]) == week.upper()


@pytest.mark.parametrize("week", ["2026-47", "2026-W54", "W47", "2026-Wxx"])
def test_a_bad_iso_week_is_refused_with_an_example(week):
    with pytest.raises(CalendarError, match=f"bad ISO week '{week}': write it like 2026-W47"):
        iso_week_bounds(week)


def test_iso_week_of_pads_the_week_number():
    assert iso_week_of(date(2026, 1, 5)) == "2026-W02"
    assert iso_week_of(date(2027, 1, 1)) == "2026-W53"
