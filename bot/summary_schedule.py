"""When summaries are due, and queueing one exactly once.

A visit's summary is due at the lead time (default 18:00 on the working day before the visit, in
the visitor's zone), or at booking when the visit was booked later than that. A family with no
booked visit gets a weekly summary instead. The `summaries` row and the outbox rows are written
in one transaction under a unique key, so any number of ticks and instances queue it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, String, cast, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.activities import ActivityLibrary
from bot.clock import Clock, as_utc, local_date, to_local
from bot.db import insert_or_merge
from bot.models import Carer, Family, Staff, Summary, Visit
from bot.outbox import NewMessage, enqueue_many
from bot.summaries import build_summaries, period_starts
from bot.summary_messages import summary_messages
from bot.texts import Texts
from bot.visits import NEXT_VISIT_GRACE, VisitStatus, local_moment

# summary_due_at is on the working day before the visit: from a Monday visit, back to Friday.
LONGEST_LEAD = timedelta(days=4)


@dataclass(frozen=True)
class DueSummary:
    key: str
    family_id: int
    visitor_id: int
    visit_id: int | None


def summary_due_at(visit_start_utc: datetime, timezone: str, lead_time: time) -> datetime:
    """The lead time on the working day (Monday to Friday) before the visit."""
    day = to_local(visit_start_utc, timezone).date() - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return local_moment(day, lead_time, timezone)


def visit_summary_at(visit: Visit, timezone: str, lead_time: time) -> datetime:
    """When this visit's summary goes: the lead time, or at booking if that was later."""
    return max(
        summary_due_at(as_utc(visit.starts_at_utc), timezone, lead_time),
        as_utc(visit.created_at_utc),
    )


# A summary's key, in Python and as SQL (so a query can ask whether it is written yet).
def visit_key(visit_id: int) -> str:
    return f"visit:{visit_id}"


_VISIT_KEY_IN_SQL = literal("visit:") + cast(Visit.id, String)


def week_key(family_id: int, day: date) -> str:
    return f"week:{family_id}:{_iso_week(day)}"


def _week_key_in_sql(day: date) -> ColumnElement[str]:
    return literal("week:") + cast(Family.id, String) + literal(f":{_iso_week(day)}")


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


async def due_summaries(
    session: AsyncSession,
    now_utc: datetime,
    *,
    lead_time: time,
    weekly_weekday: int,
    weekly_time: time,
) -> list[DueSummary]:
    visitors = {
        staff.id: staff
        for staff in await session.scalars(select(Staff).where(Staff.telegram_user_id.is_not(None)))
    }
    candidates: list[DueSummary] = []
    visits = await session.scalars(
        select(Visit).where(
            Visit.status == VisitStatus.BOOKED.value,
            Visit.starts_at_utc > now_utc,
            # A summary falls due at most a long weekend before its visit: later visits wait.
            Visit.starts_at_utc <= now_utc + LONGEST_LEAD,
            Visit.visitor_id.in_(list(visitors)),
            ~select(Summary.id).where(Summary.key == _VISIT_KEY_IN_SQL).exists(),
        )
    )
    for visit in visits:
        timezone = visitors[visit.visitor_id].timezone
        if visit_summary_at(visit, timezone, lead_time) <= now_utc:
            candidates.append(
                DueSummary(visit_key(visit.id), visit.family_id, visit.visitor_id, visit.id)
            )
    weekly = _weekly_due_days(visitors.values(), now_utc, weekly_weekday, weekly_time)
    for due_day, visitor_ids in weekly.items():
        candidates.extend(await _weekly_due(session, now_utc, due_day, visitor_ids))
    return candidates


def _weekly_due_days(
    visitors: Iterable[Staff], now_utc: datetime, weekly_weekday: int, weekly_time: time
) -> dict[date, list[int]]:
    """The visitors whose weekly summary moment has come this week, by that week's due day."""
    due: dict[date, list[int]] = {}
    for visitor in visitors:
        local_now = to_local(now_utc, visitor.timezone)
        monday = local_now.date() - timedelta(days=local_now.weekday())
        due_day = monday + timedelta(days=weekly_weekday)
        moment = local_moment(due_day, weekly_time, visitor.timezone)
        if local_now >= to_local(moment, visitor.timezone):
            due.setdefault(due_day, []).append(visitor.id)
    return due


async def _weekly_due(
    session: AsyncSession, now_utc: datetime, due_day: date, visitor_ids: list[int]
) -> list[DueSummary]:
    """These visitors' families owed a weekly summary for the week of `due_day`: joined, not
    discharged, no visit booked, and not summarised that week. Asked in SQL, so once a week's
    summaries are queued a tick reads next to nothing, however many families there are."""
    visit_booked = select(Visit.id).where(
        Visit.family_id == Family.id,
        Visit.status == VisitStatus.BOOKED.value,
        # As next_visit: one booked for earlier today and not yet marked done still counts.
        Visit.starts_at_utc > now_utc - NEXT_VISIT_GRACE,
    )
    rows = await session.execute(
        select(Family.id, Family.visitor_id).where(
            Family.visitor_id.in_(visitor_ids),
            # A family none of whose carers has joined has nothing to summarise yet.
            Family.id.in_(select(Carer.family_id)),
            Family.discharged_at_utc.is_(None),
            ~visit_booked.exists(),
            ~select(Summary.id).where(Summary.key == _week_key_in_sql(due_day)).exists(),
        )
    )
    return [
        DueSummary(week_key(family_id, due_day), family_id, visitor_id, None)
        for family_id, visitor_id in rows
        if visitor_id is not None
    ]


async def queue_summary(
    session: AsyncSession,
    clock: Clock,
    texts: Texts,
    library: ActivityLibrary,
    due: DueSummary,
    *,
    max_days: int,
) -> bool:
    """Build the summary and put its messages in the outbox. False if it was queued before
    (by this instance or another: the summary's key is unique)."""
    return bool(await queue_summaries(session, clock, texts, library, [due], max_days=max_days))


async def queue_summaries(
    session: AsyncSession,
    clock: Clock,
    texts: Texts,
    library: ActivityLibrary,
    dues: Sequence[DueSummary],
    *,
    max_days: int,
) -> int:
    """`queue_summary` for many at once (up to SUMMARY_BATCH), in the caller's transaction: about
    ten statements however many there are. Returns how many were queued."""
    families = {
        family.id: family
        for family in await session.scalars(
            select(Family).where(Family.id.in_({due.family_id for due in dues}))
        )
    }
    visitors = {
        visitor.id: visitor
        for visitor in await session.scalars(
            select(Staff).where(
                Staff.id.in_({due.visitor_id for due in dues}),
                Staff.telegram_user_id.is_not(None),
            )
        )
    }
    # A family no longer there, or a visitor with no Telegram account linked: nothing to send.
    queueable = [due for due in dues if due.family_id in families and due.visitor_id in visitors]
    if not queueable:
        return 0
    visit_ids = [due.visit_id for due in queueable if due.visit_id is not None]
    visits = (
        {
            visit.id: visit
            for visit in await session.scalars(select(Visit).where(Visit.id.in_(visit_ids)))
        }
        if visit_ids
        else {}
    )
    now = clock.now()
    # A family is summarised once, however many of its summaries are due (two visits booked).
    summarised = list({due.family_id: families[due.family_id] for due in queueable}.values())
    period_ends = {family.id: local_date(now, family.timezone) for family in summarised}
    period_starts_of = await period_starts(
        session, summarised, period_ends=period_ends, before_utc=now, max_days=max_days
    )
    periods = {
        family_id: (period_starts_of[family_id], period_end)
        for family_id, period_end in period_ends.items()
    }
    data = await build_summaries(session, summarised, library, periods=periods)
    # Written last: on SQLite the write lock is held from the first write to the commit, and
    # another instance (or worker) building summaries meanwhile need not wait for this one.
    inserted = set(
        await session.scalars(
            insert_or_merge(session, Summary)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Summary.key),
            [
                {
                    "key": due.key,
                    "family_id": due.family_id,
                    "visitor_id": due.visitor_id,
                    "visit_id": due.visit_id,
                    "period_start": periods[due.family_id][0],
                    "period_end": periods[due.family_id][1],
                    "created_at_utc": now,
                }
                for due in queueable
            ],
        )
    )
    messages = []
    for due in queueable:
        if due.key not in inserted:
            continue  # queued before
        visitor = visitors[due.visitor_id]
        visit = visits.get(due.visit_id) if due.visit_id is not None else None
        next_at = to_local(as_utc(visit.starts_at_utc), visitor.timezone) if visit else None
        payloads = summary_messages(
            texts, data[due.family_id], next_visit_at=next_at, on_demand=False
        )
        messages.extend(
            NewMessage(
                f"summary:{due.key}:{index}",
                visitor.telegram_user_id,
                payload,
                family_id=due.family_id,
            )
            for index, payload in enumerate(payloads, start=1)
        )
    # One statement for every summary's parts and chart, in order (the ids keep it).
    await enqueue_many(session, clock, messages, kind="summary")
    return len(inserted)
