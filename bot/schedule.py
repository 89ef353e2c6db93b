"""A carer's reminder schedule: time of day, which days, pause, resume and stop."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock, as_utc
from bot.models import Carer

REMINDER_DAYS = ("daily", "weekdays")
# Pauses are for term breaks and illness; a date further off is more likely a slip
# (20/11 typed on 23/11 would otherwise mean next November).
LONGEST_PAUSE = timedelta(days=183)
# Offered as buttons; any other time can be typed as HH:MM.
COMMON_REMINDER_TIMES = (
    time(7, 30),
    time(9, 0),
    time(12, 30),
    time(15, 30),
    time(18, 30),
    time(19, 30),
)

_TYPED_TIME = re.compile(r"^\s*(\d{1,2})\s*[:.h]\s*(\d{2})\s*$")
_TYPED_DATE_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_TYPED_DATE_UK = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\s*$")


def parse_typed_time(text: str) -> time | None:
    """`18:30`, `7.30`, `9h00` -> a time; anything else -> None."""
    match = _TYPED_TIME.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_typed_date(text: str, today: date) -> date | None:
    """`2026-12-01`, `1/12`, `01/12/2026` (UK order) -> a date; a day/month without a year is
    the next such day from today."""
    try:
        if match := _TYPED_DATE_ISO.match(text):
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := _TYPED_DATE_UK.match(text):
            day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
            if year is None:
                candidate = date(today.year, month, day)
                return candidate if candidate >= today else date(today.year + 1, month, day)
            full_year = int(year) + 2000 if len(year) == 2 else int(year)
            return date(full_year, month, day)
    except ValueError:
        return None
    return None


def valid_pause_end(day: date | None, today: date) -> bool:
    """A pause ends after today and within LONGEST_PAUSE."""
    return day is not None and today < day <= today + LONGEST_PAUSE


def set_reminder_time(clock: Clock, carer: Carer, reminder_time: time) -> None:
    carer.reminder_time_local = reminder_time
    carer.schedule_changed_at_utc = clock.now()


def set_reminder_days(clock: Clock, carer: Carer, days: str) -> None:
    if days not in REMINDER_DAYS:
        raise ValueError(f"unknown reminder days {days!r}")
    carer.reminder_days = days
    carer.schedule_changed_at_utc = clock.now()


def pause(carer: Carer, until: date | None) -> None:
    """Reminders stop; they start again on `until` (or at /resume when None)."""
    carer.paused = True
    carer.paused_until = until


def resume(clock: Clock, carer: Carer) -> None:
    carer.paused = False
    carer.paused_until = None
    carer.stopped_at_utc = None
    # Resuming late in the day should not fire the day's reminder at once.
    carer.schedule_changed_at_utc = clock.now()


def stop(clock: Clock, carer: Carer) -> None:
    carer.stopped_at_utc = clock.now()


@dataclass(frozen=True)
class ScheduledReminder:
    local_date: date
    scheduled_at_utc: datetime


def is_paused_on(carer: Carer, day: date) -> bool:
    return carer.paused and (carer.paused_until is None or day < carer.paused_until)


def reminders_on(carer: Carer) -> bool:
    """Whether this carer gets reminders: consented, a time chosen, not stopped or blocked."""
    return (
        carer.consent_at_utc is not None
        and carer.reminder_time_local is not None
        and carer.stopped_at_utc is None
        and carer.unreachable_at_utc is None
    )


def scheduled_reminder(carer: Carer, timezone: str, day: date) -> ScheduledReminder | None:
    """The instant the reminder for local `day` falls, or None if there is none that day.

    A wall-clock time skipped by the spring clock change resolves to the hour after; a time that
    happens twice in autumn resolves to the first, and the outbox key makes it the only one.
    """
    if not reminders_on(carer) or is_paused_on(carer, day):
        return None
    if carer.reminder_days == "weekdays" and day.weekday() >= 5:
        return None
    assert carer.reminder_time_local is not None
    local = datetime.combine(day, carer.reminder_time_local, tzinfo=ZoneInfo(timezone))
    at_utc = as_utc(local)
    if carer.schedule_changed_at_utc is not None and at_utc < as_utc(carer.schedule_changed_at_utc):
        return None
    return ScheduledReminder(local_date=day, scheduled_at_utc=at_utc)


def next_reminder(carer: Carer, timezone: str, now_utc: datetime) -> ScheduledReminder | None:
    """The next reminder after now (for confirmations like "next reminder: Tuesday 18:30")."""
    if carer.paused and carer.paused_until is None:
        return None  # until /resume, there is no next one
    today = now_utc.astimezone(ZoneInfo(timezone)).date()
    for offset in range(0, 400):
        candidate = scheduled_reminder(carer, timezone, today + timedelta(days=offset))
        if candidate is not None and candidate.scheduled_at_utc > now_utc:
            return candidate
    return None
