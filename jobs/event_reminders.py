"""Every tick: the day-before reminder for families who said they would come to an event."""

from __future__ import annotations

import logging

from bot import events
from bot.context import BotContext, Services

log = logging.getLogger(__name__)


async def queue_event_reminders(services: Services) -> int:
    async with services.sessions.begin() as session:
        queued = await events.queue_reminders(
            session, services.clock, services.texts, at=services.settings.event_reminder_time
        )
    if queued:
        log.info("event reminders: %s queued", queued)
    return queued


async def tick(context: BotContext) -> None:
    await queue_event_reminders(context.services)
