"""Home visits: booking, moving, cancelling and marking done; repeating visits skip holidays.

Times are chosen as wall-clock times in the visitor's time zone and stored in UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.clock import Clock, as_utc, to_local
from bot.db import insert_or_merge
from bot.models import SchoolHoliday, Staff, Visit

REPEATS = (7, 14)
# A repeating visit looks this many repeats ahead for a date outside the school holidays.
MAX_SKIPPED = 8
# A visit booked for earlier today and not yet marked done is still the next one.
NEXT_VISIT_GRACE = timedelta(hours=12)


class VisitStatus(StrEnum):
    BOOKED = "booked"
    DONE = "done"
    CANCELLED = "cancelled"


class VisitError(ValueError):
    """The visit cannot be booked or changed as asked."""


@dataclass(frozen=True)
class VisitView:
    id: int
    family_id: int
    starts_at_local: datetime
    status: str
    repeat_days: int | None


def view(visit: Visit, timezone: str) -> VisitView:
    return VisitView(
        visit.id,
        visit.family_id,
        to_local(as_utc(visit.starts_at_utc), timezone),
        visit.status,
        visit.repeat_days,
    )


def local_moment(day: date, at: time, timezone: str) -> datetime:
    """A wall-clock time in `timezone` as UTC (a time skipped by the clocks going forward moves
    on by the gap, as zoneinfo's fold=0 does)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone)).astimezone(ZoneInfo("UTC"))


async def book(
    session: AsyncSession,
    clock: Clock,
    *,
    family_id: int,
    visitor_id: int,
    starts_at_utc: datetime,
    repeat_days: int | None = None,
) -> Visit:
    if starts_at_utc <= clock.now():
        raise VisitError("a visit is booked in the future")
    if repeat_days is not None and repeat_days not in REPEATS:
        raise VisitError("a visit repeats weekly or fortnightly")
    if await next_visit(session, family_id, clock.now()) is not None:
        raise VisitError("the family's next visit is already booked")
    visit = Visit(
        family_id=family_id,
        visitor_id=visitor_id,
        starts_at_utc=starts_at_utc,
        status=VisitStatus.BOOKED.value,
        repeat_days=repeat_days,
        created_at_utc=clock.now(),
    )
    session.add(visit)
    await session.flush()
    return visit


async def move(session: AsyncSession, clock: Clock, visit: Visit, starts_at_utc: datetime) -> None:
    if visit.status != VisitStatus.BOOKED.value:
        raise VisitError("only a booked visit can be moved")
    if starts_at_utc <= clock.now():
        raise VisitError("a visit is moved to a time in the future")
    visit.starts_at_utc = starts_at_utc


async def cancel(
    session: AsyncSession, clock: Clock, visit: Visit, *, stop_repeating: bool
) -> None:
    if visit.status != VisitStatus.BOOKED.value:
        raise VisitError("only a booked visit can be cancelled")
    visit.status = VisitStatus.CANCELLED.value
    visit.cancelled_at_utc = clock.now()
    if stop_repeating:
        visit.repeat_days = None


async def mark_done(session: AsyncSession, clock: Clock, visit: Visit) -> None:
    if visit.status == VisitStatus.CANCELLED.value:
        raise VisitError("a cancelled visit cannot be marked done")
    visit.status = VisitStatus.DONE.value
    visit.done_at_utc = visit.done_at_utc or clock.now()


def _upcoming(family_id: int, now_utc: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Visit.family_id == family_id,
        Visit.status == VisitStatus.BOOKED.value,
        Visit.starts_at_utc > now_utc,
    )


async def cancel_upcoming(session: AsyncSession, clock: Clock, family_id: int) -> None:
    """The family is leaving: booked visits to come are cancelled and no series repeats."""
    now = clock.now()
    await session.execute(
        update(Visit)
        .where(*_upcoming(family_id, now))
        .values(status=VisitStatus.CANCELLED.value, cancelled_at_utc=now)
    )
    await session.execute(
        update(Visit).where(Visit.family_id == family_id).values(repeat_days=None)
    )


async def hand_over_upcoming(
    session: AsyncSession, clock: Clock, family_id: int, visitor_id: int
) -> None:
    """The family moved to another visitor: the visits to come (and their summaries) go too."""
    await session.execute(
        update(Visit).where(*_upcoming(family_id, clock.now())).values(visitor_id=visitor_id)
    )


async def next_visit(session: AsyncSession, family_id: int, now_utc: datetime) -> Visit | None:
    """The next booked visit, or one booked for earlier today that is not yet marked done."""
    return await session.scalar(
        select(Visit)
        .where(
            Visit.family_id == family_id,
            Visit.status == VisitStatus.BOOKED.value,
            Visit.starts_at_utc > now_utc - NEXT_VISIT_GRACE,
        )
        .order_by(Visit.starts_at_utc)
        .limit(1)
    )


async def last_visit_before(
    session: AsyncSession, family_id: int, moment: datetime
) -> Visit | None:
    """The latest visit before `moment` that was not cancelled (a visitor may forget to mark a
    visit done; it still happened as far as the diary is concerned)."""
    return await session.scalar(
        select(Visit)
        .where(Visit.family_id == family_id, *_happened_before(moment))
        .order_by(Visit.starts_at_utc.desc())
        .limit(1)
    )


async def last_visit_starts_before(
    session: AsyncSession, family_ids: Sequence[int], moment: datetime
) -> dict[int, datetime]:
    """When each family's `last_visit_before` started, in one statement (families that have had
    no visit are left out)."""
    rows = await session.execute(
        select(Visit.family_id, func.max(Visit.starts_at_utc))
        .where(Visit.family_id.in_(family_ids), *_happened_before(moment))
        .group_by(Visit.family_id)
    )
    return {family_id: as_utc(started) for family_id, started in rows}


def _happened_before(moment: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Visit.status != VisitStatus.CANCELLED.value,
        Visit.starts_at_utc < moment,
    )


async def holidays(session: AsyncSession) -> list[SchoolHoliday]:
    return list(await session.scalars(select(SchoolHoliday).order_by(SchoolHoliday.starts_on)))


async def add_holiday(session: AsyncSession, *, name: str, starts_on: date, ends_on: date) -> None:
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise VisitError("a holiday's name must be 1 to 80 characters")
    if ends_on < starts_on:
        raise VisitError("a holiday ends on or after the day it starts")
    session.add(SchoolHoliday(name=name, starts_on=starts_on, ends_on=ends_on))


def _in_holiday(day: date, breaks: list[SchoolHoliday]) -> bool:
    return any(holiday.starts_on <= day <= holiday.ends_on for holiday in breaks)


def following_start(
    previous_utc: datetime, repeat_days: int, timezone: str, breaks: list[SchoolHoliday]
) -> datetime | None:
    """The next repeat's start: the same wall-clock time `repeat_days` on, skipping holidays."""
    local = to_local(previous_utc, timezone)
    for step in range(1, MAX_SKIPPED + 1):
        day = local.date() + timedelta(days=repeat_days * step)
        if not _in_holiday(day, breaks):
            return local_moment(day, local.time().replace(tzinfo=None), timezone)
    return None


# The visit that follows another; made once, as building an alias showed in an idle bot's profile.
_SUCCESSOR = aliased(Visit)


async def book_repeats(
    session: AsyncSession, clock: Clock, *, passed_since: datetime | None = None
) -> int:
    """Book the successor of every repeating visit whose time has passed (since `passed_since`,
    when given: a tick need not read the whole history). Keyed on `follows_visit_id`, so any
    number of instances may run it. Returns how many were booked."""
    now = clock.now()
    query = select(Visit).where(
        Visit.repeat_days.is_not(None),
        Visit.starts_at_utc <= now,
        ~select(_SUCCESSOR.id).where(_SUCCESSOR.follows_visit_id == Visit.id).exists(),
    )
    if passed_since is not None:
        query = query.where(Visit.starts_at_utc > passed_since)
    due = await session.scalars(query)
    breaks = await holidays(session)
    booked = 0
    for visit in list(due):
        visitor = await session.get(Staff, visit.visitor_id)
        # The visitor's zone decides the wall-clock time the series keeps.
        timezone = visitor.timezone if visitor else "UTC"
        assert visit.repeat_days is not None
        start = following_start(as_utc(visit.starts_at_utc), visit.repeat_days, timezone, breaks)
        while start is not None and start <= now:
            # Down for longer than a repeat: the series resumes from the next date to come.
            start = following_start(start, visit.repeat_days, timezone, breaks)
        if start is None:
            continue
        statement = (
            insert_or_merge(session, Visit)
            .values(
                family_id=visit.family_id,
                visitor_id=visit.visitor_id,
                starts_at_utc=start,
                status=VisitStatus.BOOKED.value,
                repeat_days=visit.repeat_days,
                follows_visit_id=visit.id,
                created_at_utc=now,
            )
            .on_conflict_do_nothing(index_elements=["follows_visit_id"])
        )
        booked += (await session.execute(statement)).rowcount or 0
    return booked
