"""Which daily reminders are due now: the database decides, the scheduler only asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import local_date
from bot.models import Carer, Family
from bot.outbox import existing_keys, reminder_key
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

    @property
    def dedupe_key(self) -> str:
        return reminder_key(self.carer_id, self.local_date)


async def find_due(
    session: AsyncSession, now_utc: datetime, *, catch_up: timedelta
) -> list[DueReminder]:
    """Reminders whose time has come (today's, or yesterday's after a night-time outage) and that
    are not yet in the outbox."""
    rows = await session.execute(
        select(Carer, Family.timezone)
        .join(Family, Family.id == Carer.family_id)
        .where(
            Carer.consent_at_utc.is_not(None),
            Carer.reminder_time_local.is_not(None),
            Carer.stopped_at_utc.is_(None),
            Carer.unreachable_at_utc.is_(None),
            Family.discharged_at_utc.is_(None),
        )
    )
    candidates: list[DueReminder] = []
    for carer, timezone in rows:
        today = local_date(now_utc, timezone)
        for day in (today - timedelta(days=1), today):
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
                )
            )
    done = await existing_keys(session, [due.dedupe_key for due in candidates])
    return [due for due in candidates if due.dedupe_key not in done]
