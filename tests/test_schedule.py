"""When a reminder falls: the family's own clock, both Europe/London changes, pauses, weekdays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.models import Carer
from bot.schedule import (
    next_reminder,
    parse_typed_date,
    parse_typed_time,
    scheduled_reminder,
)


def _carer(reminder_time: time, *, days: str = "daily", **extra: object) -> Carer:
    carer = Carer(
        family_id=1,
        telegram_user_id=1,
        chat_id=1,
        enrolled_at_utc=datetime(2026, 1, 1, tzinfo=UTC),
        consent_at_utc=datetime(2026, 1, 1, tzinfo=UTC),
        reminder_time_local=reminder_time,
        reminder_days=days,
        schedule_changed_at_utc=datetime(2026, 1, 1, tzinfo=UTC),
        paused=False,
    )
    for name, value in extra.items():
        setattr(carer, name, value)
    return carer


@pytest.mark.parametrize(
    ("day", "expected_utc"),
    [
        (date(2026, 3, 28), datetime(2026, 3, 28, 18, 30, tzinfo=UTC)),  # GMT
        (date(2026, 3, 29), datetime(2026, 3, 29, 17, 30, tzinfo=UTC)),  # BST from 01:00 UTC
        (date(2026, 10, 24), datetime(2026, 10, 24, 17, 30, tzinfo=UTC)),  # BST
        (date(2026, 10, 25), datetime(2026, 10, 25, 18, 30, tzinfo=UTC)),  # GMT again
    ],
)
def test_reminder_follows_london_wall_clock_across_both_changes(day, expected_utc):
    scheduled = scheduled_reminder(_carer(time(18, 30)), "Europe/London", day)
    assert scheduled is not None
    assert scheduled.scheduled_at_utc == expected_utc


def test_time_skipped_in_spring_falls_in_the_hour_after():
    scheduled = scheduled_reminder(_carer(time(1, 30)), "Europe/London", date(2026, 3, 29))
    assert scheduled is not None
    # 01:30 does not exist that night; it is sent at 02:30 BST (01:30 UTC).
    assert scheduled.scheduled_at_utc == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_time_repeated_in_autumn_is_the_first_one():
    scheduled = scheduled_reminder(_carer(time(1, 30)), "Europe/London", date(2026, 10, 25))
    assert scheduled is not None
    assert scheduled.scheduled_at_utc == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_another_time_zone_is_its_own_clock():
    scheduled = scheduled_reminder(_carer(time(18, 30)), "Asia/Karachi", date(2026, 11, 23))
    assert scheduled is not None
    assert scheduled.scheduled_at_utc == datetime(2026, 11, 23, 13, 30, tzinfo=UTC)


def test_weekdays_only_skips_the_weekend():
    carer = _carer(time(9, 0), days="weekdays")
    assert scheduled_reminder(carer, "Europe/London", date(2026, 11, 27)) is not None  # Friday
    assert scheduled_reminder(carer, "Europe/London", date(2026, 11, 28)) is None  # Saturday
    assert scheduled_reminder(carer, "Europe/London", date(2026, 11, 29)) is None  # Sunday


def test_pause_until_a_date_starts_again_that_day():
    carer = _carer(time(9, 0), paused=True, paused_until=date(2026, 12, 1))
    assert scheduled_reminder(carer, "Europe/London", date(2026, 11, 30)) is None
    assert scheduled_reminder(carer, "Europe/London", date(2026, 12, 1)) is not None


def test_open_pause_stopped_and_unconsented_get_nothing():
    day = date(2026, 11, 23)
    assert scheduled_reminder(_carer(time(9, 0), paused=True), "Europe/London", day) is None
    stopped = _carer(time(9, 0), stopped_at_utc=datetime(2026, 2, 1, tzinfo=UTC))
    assert scheduled_reminder(stopped, "Europe/London", day) is None
    assert scheduled_reminder(_carer(time(9, 0), consent_at_utc=None), "Europe/London", day) is None


def test_a_reminder_before_the_schedule_was_set_is_not_back_filled():
    carer = _carer(time(9, 0), schedule_changed_at_utc=datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    assert scheduled_reminder(carer, "Europe/London", date(2026, 11, 23)) is None
    assert scheduled_reminder(carer, "Europe/London", date(2026, 11, 24)) is not None


def test_next_reminder_skips_to_monday_for_weekdays():
    carer = _carer(time(9, 0), days="weekdays")
    upcoming = next_reminder(carer, "Europe/London", datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    assert upcoming is not None and upcoming.local_date == date(2026, 11, 30)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("18:30", time(18, 30)), ("7.05", time(7, 5)), (" 9h00 ", time(9, 0)), ("00:00", time(0, 0))],
)
def test_typed_times(typed, expected):
    assert parse_typed_time(typed) == expected


@pytest.mark.parametrize("typed", ["24:00", "18:60", "half six", "", "1830", "<b>18:30</b>"])
def test_typed_times_that_are_not_times(typed):
    assert parse_typed_time(typed) is None


def test_typed_dates_in_uk_order():
    today = date(2026, 11, 23)
    assert parse_typed_date("1/12", today) == date(2026, 12, 1)
    assert parse_typed_date("01/12/2026", today) == date(2026, 12, 1)
    assert parse_typed_date("2027-01-05", today) == date(2027, 1, 5)
    assert parse_typed_date("5/1", today) == date(2027, 1, 5)  # January comes after November
    assert parse_typed_date("31/02/2027", today) is None
    assert parse_typed_date("next tuesday", today) is None
