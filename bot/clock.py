"""The one clock every service reads: UTC now, injectable so tests move time without sleeping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock the tests set and advance."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = moment.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


class UnknownTimeZone(ValueError):
    pass


def checked_timezone(name: str) -> str:
    """The IANA name if zoneinfo knows it; a clear error otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise UnknownTimeZone(f"unknown time zone {name!r}") from error
    return name


def local_date(moment_utc: datetime, timezone: str) -> date:
    return moment_utc.astimezone(ZoneInfo(timezone)).date()


def to_local(moment_utc: datetime, timezone: str) -> datetime:
    return moment_utc.astimezone(ZoneInfo(timezone))


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC, so mark it so."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def next_tick_at(after: datetime, every_seconds: float, offset_seconds: float) -> datetime:
    """The first moment from `after` on that is a whole multiple of `every_seconds` of the Unix
    clock plus `offset_seconds`: with 30 s ticks, hh:mm:00 and hh:mm:30 (plus the offset)."""
    step = round(every_seconds * 1_000_000)
    offset = round(offset_seconds * 1_000_000)
    since_epoch = after - EPOCH
    microseconds = since_epoch // timedelta(microseconds=1)
    # Ceiling division, in whole microseconds so no float rounding moves a boundary.
    boundary = -(-(microseconds - offset) // step) * step + offset
    return EPOCH + timedelta(microseconds=boundary)
