"""Every tick: book the next of each repeating visit, then queue the summaries that are due."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.context import BotContext, Services
from bot.summary_schedule import due_summaries, queue_summary
from bot.visits import book_repeats
from jobs import now_and_then

log = logging.getLogger(__name__)

RECENT_REPEATS = timedelta(days=1)
LOOK_AT_ALL_REPEATS_EVERY = timedelta(hours=1)


async def queue_due_summaries(
    services: Services, *, repeats_passed_since: datetime | None = None
) -> int:
    settings = services.settings
    async with services.sessions.begin() as session:
        await book_repeats(session, services.clock, passed_since=repeats_passed_since)
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
    # A repeating visit is followed at the first tick after its time, so a tick looks at the
    # last day of visits only; at start and every hour it looks at them all (after downtime).
    with now_and_then(context, "all_repeats", LOOK_AT_ALL_REPEATS_EVERY) as all_of_them:
        since = None if all_of_them else context.services.clock.now() - RECENT_REPEATS
        await queue_due_summaries(context.services, repeats_passed_since=since)
