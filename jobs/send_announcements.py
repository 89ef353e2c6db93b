"""Every tick: fan out the announcements whose time has come (scheduled ones; "Send now" fans
out at once). Each in its own transaction, which only one instance can win."""

from __future__ import annotations

import logging

from bot import announcements
from bot.context import BotContext, Services
from jobs import send_outbox

log = logging.getLogger(__name__)


async def fan_out_due(services: Services) -> int:
    async with services.sessions() as session:
        due = await announcements.due_for_fan_out(session, services.clock.now())
    queued = 0
    for announcement_id in due:
        async with services.sessions.begin() as session:
            count = await announcements.fan_out(
                session, services.clock, services.texts, announcement_id
            )
        if count is not None:
            log.info("announcement %s: %s messages queued", announcement_id, count)
            queued += count
    return queued


async def tick(context: BotContext) -> None:
    if await fan_out_due(context.services):
        # Start sending now rather than at the outbox's next tick.
        await send_outbox.drain(context)
