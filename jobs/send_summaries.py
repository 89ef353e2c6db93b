"""Every tick: book the next of each repeating visit, then queue the summaries that are due."""

from __future__ import annotations

import logging

from bot.context import BotContext, Services
from bot.summary_schedule import due_summaries, queue_summary
from bot.visits import book_repeats

log = logging.getLogger(__name__)


async def queue_due_summaries(services: Services) -> int:
    settings = services.settings
    async with services.sessions.begin() as session:
        await book_repeats(session, services.clock)
    async with services.sessions() as session:
        due = await due_summaries(
            session,
            services.clock.now(),
            lead_time=settings.summary_lead_time,
            weekly_weekday=settings.weekly_summary_weekday,
            weekly_time=settings.weekly_summary_time,
        )
    queued = 0
    for summary in due:
        # One transaction each: a summary that cannot be built does not hold up the others.
        async with services.sessions.begin() as session:
            queued += await queue_summary(
                session,
                services.clock,
                services.texts,
                services.library,
                summary,
                max_days=settings.summary_max_days,
            )
    if queued:
        log.info("summary tick: %s queued", queued)
    return queued


async def tick(context: BotContext) -> None:
    await queue_due_summaries(context.services)
