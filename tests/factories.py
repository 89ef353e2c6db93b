"""Small builders for service-level tests: an enrolled carer with a plan, or outbox rows, put in the
database."""

from __future__ import annotations

from datetime import date, time

from bot import outbox
from bot.clock import ManualClock
from bot.context import Services
from bot.enrolment import create_family, record_consent
from bot.models import Carer
from bot.plans import set_plan, specs_from_ids
from bot.schedule import set_reminder_days, set_reminder_time

DEFAULT_ACTIVITIES = ["com-point-to-toy", "cog-stack-blocks"]


async def enrolled_carer(
    services: Services,
    clock: ManualClock,
    *,
    telegram_user_id: int = 1001,
    reminder_time: time = time(18, 30),
    days: str = "daily",
    timezone: str = "Europe/London",
    activities: list[str] | None = None,
    plan_from: date | None = None,
) -> Carer:
    async with services.sessions.begin() as session:
        family = await create_family(session, clock, child_name="Sam", timezone=timezone)
        await set_plan(
            session,
            clock,
            family_id=family.id,
            targets=specs_from_ids(services.library, activities or DEFAULT_ACTIVITIES),
            starts_on=plan_from or date(2020, 1, 1),
        )
        carer = _new_carer(clock, family.id, telegram_user_id)
        session.add(carer)
        await record_consent(session, clock, carer)
        set_reminder_time(clock, carer, reminder_time)
        set_reminder_days(clock, carer, days)
        await session.flush()
        return carer


async def another_carer(
    services: Services, clock: ManualClock, family_id: int, *, telegram_user_id: int
) -> int:
    """A second carer of the family (a parent, a grandparent), not yet consented; their id."""
    async with services.sessions.begin() as session:
        carer = _new_carer(clock, family_id, telegram_user_id)
        session.add(carer)
        await session.flush()
        return carer.id


def _new_carer(clock: ManualClock, family_id: int, telegram_user_id: int) -> Carer:
    """A carer just enrolled: no consent, time or days chosen yet."""
    return Carer(
        family_id=family_id,
        telegram_user_id=telegram_user_id,
        chat_id=telegram_user_id,
        enrolled_at_utc=clock.now(),
        reminder_days="daily",
        paused=False,
    )


async def queued_messages(services: Services, clock: ManualClock, count: int) -> None:
    """`count` reminders in the outbox, pending, one a chat (chats 0, 1, ...)."""
    async with services.sessions.begin() as session:
        for index in range(count):
            await outbox.enqueue(
                session,
                clock,
                kind="reminder",
                dedupe_key=f"reminder:carer={index}:2026-11-23",
                chat_id=index,
                payload={"text": "hi"},
                local_date=date(2026, 11, 23),
            )
