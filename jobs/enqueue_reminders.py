"""Every tick: put the daily reminders that are due into the outbox (once per carer per day)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import cards
from bot.context import BotContext, Services
from bot.diary import day_cards, today_for
from bot.models import Family
from bot.outbox import NewMessage, OutboxStatus, enqueue_many
from bot.reminders import DueReminder, find_due, mark_queued
from jobs import now_and_then, send_outbox

log = logging.getLogger(__name__)


CHUNK = 500
FULL_LOOK_EVERY = timedelta(minutes=1)
# Cards rendered between two turns of the event loop: about 8 ms of work (a card takes 0.4 ms),
# so a send on the shared pace is never late for a chunk of rendering.
RENDER_BETWEEN_YIELDS = 20


@dataclass(frozen=True)
class TickReport:
    enqueued: int
    missed: int
    without_plan: int

    def __add__(self, other: TickReport) -> TickReport:
        return TickReport(
            self.enqueued + other.enqueued,
            self.missed + other.missed,
            self.without_plan + other.without_plan,
        )


async def enqueue_due_reminders(
    services: Services,
    *,
    recent_only: bool = False,
    on_queued: Callable[[], None] | None = None,
) -> TickReport:
    """Queue what is due; `on_queued` is called after each chunk that queued something."""
    now = services.clock.now()
    catch_up = timedelta(minutes=services.settings.catch_up_window_minutes)
    async with services.sessions() as session:
        due = await find_due(session, now, catch_up=catch_up, recent_only=recent_only)
    report = TickReport(0, 0, 0)
    # Each chunk is committed on its own, so the sender starts on the first families while the
    # rest of a county's reminders are still being written.
    for start in range(0, len(due), CHUNK):
        async with services.sessions.begin() as session:
            chunk = await _enqueue_chunk(session, services, due[start : start + CHUNK])
        report += chunk
        if chunk.enqueued and on_queued is not None:
            on_queued()
    if report.enqueued or report.missed:
        log.info("reminder tick: %s enqueued, %s missed", report.enqueued, report.missed)
    return report


async def _enqueue_chunk(
    session: AsyncSession, services: Services, due: list[DueReminder]
) -> TickReport:
    families = {
        family.id: family
        for family in await session.scalars(
            select(Family).where(Family.id.in_({reminder.family_id for reminder in due}))
        )
    }
    to_send = [reminder for reminder in due if not reminder.missed]
    day_card_of = await day_cards(
        session,
        [
            (
                families[reminder.family_id],
                reminder.local_date,
                today_for(families[reminder.family_id], services.clock),
            )
            for reminder in to_send
        ],
    )
    pending: list[NewMessage] = []
    without_plan = 0
    for number, reminder in enumerate(to_send, start=1):
        if not number % RENDER_BETWEEN_YIELDS:
            # Let the sender and the handlers run: a chunk's cards take a fifth of a second.
            await asyncio.sleep(0)
        card = day_card_of[(reminder.family_id, reminder.local_date)]
        if not card.targets:
            without_plan += 1
            continue
        texts = services.texts.for_language(reminder.language)
        payload = cards.day_card(texts, card, is_reminder=True).payload()
        pending.append(_message(reminder, payload, OutboxStatus.PENDING, None))
    # A missed one is recorded too, so the day is accounted for and never sent late.
    missed = [
        _message(reminder, {}, OutboxStatus.MISSED, "past the catch-up window")
        for reminder in due
        if reminder.missed
    ]
    clock = services.clock
    report = TickReport(
        enqueued=await enqueue_many(session, clock, pending, kind="reminder"),
        missed=await enqueue_many(session, clock, missed, kind="reminder"),
        without_plan=without_plan,
    )
    await mark_queued(session, [*pending, *missed])
    return report


def _message(
    reminder: DueReminder, payload: dict, status: OutboxStatus, last_error: str | None
) -> NewMessage:
    return NewMessage(
        dedupe_key=reminder.dedupe_key,
        chat_id=reminder.chat_id,
        payload=payload,
        family_id=reminder.family_id,
        carer_id=reminder.carer_id,
        local_date=reminder.local_date,
        status=status,
        last_error=last_error,
    )


async def tick(context: BotContext) -> None:
    # Every tick sends what just fell due; a full look (yesterday's after a night-time outage,
    # and recording the missed) at start and once a minute, as it reads every carer.
    with now_and_then(context, "reminders_full_look", FULL_LOOK_EVERY) as full:
        await enqueue_due_reminders(
            context.services,
            recent_only=not full,
            # The first reminders go as soon as they are committed, not at the next drain tick.
            on_queued=lambda: send_outbox.start_drain(context.application),
        )
