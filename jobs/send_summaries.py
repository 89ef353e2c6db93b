"""Every tick: book the next of each repeating visit, then queue the summaries that are due."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError

from bot.context import BotContext, Services
from bot.summaries import SUMMARY_BATCH
from bot.summary_schedule import DueSummary, due_summaries, queue_summaries
from bot.visits import book_repeats
from jobs import now_and_then

log = logging.getLogger(__name__)

RECENT_REPEATS = timedelta(days=1)
LOOK_AT_ALL_REPEATS_EVERY = timedelta(hours=1)
# The database failing, not a summary: no use trying the batch's summaries one by one.
UNAVAILABLE = (DBAPIError, OSError)


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
    # In batches, one transaction each (a Friday's weekly summaries fall due together).
    for start in range(0, len(due), SUMMARY_BATCH):
        batch = due[start : start + SUMMARY_BATCH]
        try:
            queued += await _queue(services, batch)
        except UNAVAILABLE:
            raise  # the database itself: the next tick tries them all again
        except Exception:
            queued += await _queue_one_by_one(services, batch)
    if queued:
        log.info("summary tick: %s queued", queued)
    return queued


async def _queue(services: Services, dues: list[DueSummary]) -> int:
    async with services.sessions.begin() as session:
        return await queue_summaries(
            session,
            services.clock,
            services.texts,
            services.library,
            dues,
            max_days=services.settings.summary_max_days,
        )


async def _queue_one_by_one(services: Services, batch: list[DueSummary]) -> int:
    """After a batch failed: one summary that cannot be built must not hold up the others."""
    queued = 0
    for summary in batch:
        try:
            queued += await _queue(services, [summary])
        except UNAVAILABLE:
            raise
        except Exception:
            log.exception("summary %s could not be built", summary.key)
    return queued


async def tick(context: BotContext) -> None:
    # A repeating visit is followed at the first tick after its time, so a tick looks at the
    # last day of visits only; at start and every hour it looks at them all (after downtime).
    with now_and_then(context, "all_repeats", LOOK_AT_ALL_REPEATS_EVERY) as all_of_them:
        since = None if all_of_them else context.services.clock.now() - RECENT_REPEATS
        await queue_due_summaries(context.services, repeats_passed_since=since)
