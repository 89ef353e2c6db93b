"""Every tick: put the daily reminders that are due into the outbox (once per carer per day)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from bot import cards
from bot.context import BotContext, Services
from bot.diary import DayCard, day_card, today_for
from bot.models import Family
from bot.outbox import OutboxStatus, enqueue
from bot.reminders import find_due

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TickReport:
    enqueued: int
    missed: int
    without_plan: int


async def enqueue_due_reminders(services: Services) -> TickReport:
    now = services.clock.now()
    catch_up = timedelta(minutes=services.settings.catch_up_window_minutes)
    enqueued = missed = without_plan = 0
    async with services.sessions.begin() as session:
        due = await find_due(session, now, catch_up=catch_up)
        day_cards: dict[tuple[int, date], DayCard] = {}
        for reminder in due:
            payload: dict = {}
            if not reminder.missed:
                key = (reminder.family_id, reminder.local_date)
                if key not in day_cards:
                    family = await session.get(Family, reminder.family_id)
                    assert family is not None
                    today = today_for(family, services.clock)
                    day_cards[key] = await day_card(session, family, reminder.local_date, today)
                if not day_cards[key].targets:
                    without_plan += 1
                    continue
                payload = cards.day_card(services.texts, day_cards[key], is_reminder=True).payload()
            # A missed one is recorded too, so the day is accounted for and never sent late.
            added = await enqueue(
                session,
                services.clock,
                kind="reminder",
                dedupe_key=reminder.dedupe_key,
                chat_id=reminder.chat_id,
                payload=payload,
                family_id=reminder.family_id,
                carer_id=reminder.carer_id,
                local_date=reminder.local_date,
                status=OutboxStatus.MISSED if reminder.missed else OutboxStatus.PENDING,
                last_error="past the catch-up window" if reminder.missed else None,
            )
            if reminder.missed:
                missed += int(added)
            else:
                enqueued += int(added)
    if enqueued or missed:
        log.info("reminder tick: %s enqueued, %s missed", enqueued, missed)
    return TickReport(enqueued, missed, without_plan)


async def tick(context: BotContext) -> None:
    await enqueue_due_reminders(context.services)
