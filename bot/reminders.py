"""Which daily reminders are due now: the database decides, the scheduler only asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Exists, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Carer, Family, OutboxMessage
from bot.outbox import NewMessage, reminder_key
from bot.schedule import scheduled_reminder


@dataclass(frozen=True)
class DueReminder:
    carer_id: int
    chat_id: int
    family_id: int
    local_date: date
    scheduled_at_utc: datetime
    # Past the catch-up window: recorded as missed, not sent.
    missed: bool
    language: str = "en"

    @property
    def dedupe_key(self) -> str:
        return reminder_key(self.carer_id, self.local_date)


async def find_due(
    session: AsyncSession, now_utc: datetime, *, catch_up: timedelta, recent_only: bool = False
) -> list[DueReminder]:
    """Reminders whose time has come (today's, or yesterday's after a night-time outage) and that
    are not yet in the outbox. `recent_only`: just today's whose time came within the catch-up
    window, the ones still to send (what every tick needs; a full look, now and then, also
    records the missed ones and yesterday's).

    Asked per time zone, so SQL leaves out every carer whose reminder for that day is already in
    the outbox or whose time has not come: once a county's reminders are queued, a tick reads next
    to nothing. Python then applies the schedule (days, pauses, clock changes) to the rest.
    """
    active = (
        Carer.consent_at_utc.is_not(None),
        Carer.reminder_time_local.is_not(None),
        Carer.stopped_at_utc.is_(None),
        Carer.unreachable_at_utc.is_(None),
        Family.discharged_at_utc.is_(None),
    )
    zones = await session.scalars(
        select(Family.timezone).join(Carer, Carer.family_id == Family.id).where(*active).distinct()
    )
    candidates: list[DueReminder] = []
    for timezone in list(zones):
        local_now = now_utc.astimezone(ZoneInfo(timezone))
        today = local_now.date()
        days = (today,) if recent_only else (today - timedelta(days=1), today)
        # The quick look: an hour more than the window, for the hour a clock change adds or
        # takes away (a window reaching back past midnight takes all of today).
        earliest = local_now - catch_up - timedelta(hours=1)
        since = earliest.time() if recent_only and earliest.date() == today else None
        for day in days:
            query = (
                select(Carer)
                .join(Family, Family.id == Carer.family_id)
                .where(*active, Family.timezone == timezone, _not_queued(day))
            )
            if day == today:
                # A wall-clock comparison; scheduled_reminder settles clock-change days exactly.
                query = query.where(Carer.reminder_time_local <= local_now.time())
            if since is not None:
                query = query.where(Carer.reminder_time_local > since)
            for carer in await session.scalars(query):
                scheduled = scheduled_reminder(carer, timezone, day)
                if scheduled is None or scheduled.scheduled_at_utc > now_utc:
                    continue
                candidates.append(
                    DueReminder(
                        carer_id=carer.id,
                        chat_id=carer.chat_id,
                        family_id=carer.family_id,
                        local_date=day,
                        scheduled_at_utc=scheduled.scheduled_at_utc,
                        missed=now_utc - scheduled.scheduled_at_utc > catch_up,
                        language=carer.language,
                    )
                )
    return candidates


async def mark_queued(session: AsyncSession, reminders: list[NewMessage]) -> None:
    """Move each carer's `reminder_queued_for` on to the day of their reminder just put in the
    outbox (pending or missed), in the same transaction. Rows another instance queued first are
    in the outbox too, so they count."""
    carers_by_day: dict[date, list[int]] = {}
    for reminder in reminders:
        assert reminder.local_date is not None and reminder.carer_id is not None
        carers_by_day.setdefault(reminder.local_date, []).append(reminder.carer_id)
    for day, carer_ids in sorted(carers_by_day.items()):
        await session.execute(
            update(Carer)
            .where(
                Carer.id.in_(carer_ids),
                or_(Carer.reminder_queued_for.is_(None), Carer.reminder_queued_for < day),
            )
            .values(reminder_queued_for=day)
            .execution_options(synchronize_session=False)
        )


def _not_queued(day: date) -> ColumnElement[bool]:
    """The carer's reminder for `day` is not in the outbox. The carer's own `reminder_queued_for`
    answers for the latest day queued (during a county's reminder minute every tick asks about
    thousands of carers whose reminder is already queued); the outbox is looked in only for
    the others."""
    return and_(
        or_(Carer.reminder_queued_for.is_(None), Carer.reminder_queued_for != day),
        ~_in_outbox(day),
    )


def _in_outbox(day: date) -> Exists:
    """The carer's reminder for `day` is already in the outbox (sent, waiting or missed)."""
    return (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.carer_id == Carer.id,
            OutboxMessage.local_date == day,
            OutboxMessage.kind == "reminder",
        )
        .exists()
    )
