from datetime import date, datetime, time, timedelta, timezone

import pytest

from transforms.windows import CalendarError, iso_week_bounds, iso_week_of, window_for

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
