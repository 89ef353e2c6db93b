"""Erase the diaries of families discharged longer ago than the retention period, and record each
erasure (with its anonymous counts) in the audit log; put aside announcement drafts nobody
finished. Runs every six hours: erasing is keyed on the family, so running often, or on several
instances, is harmless."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.announcements import drop_stale_drafts
from bot.context import BotContext, Services
from bot.erasure import past_retention
from bot.leaving import erase_and_tell

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 6 * 3600


async def erase_past_retention(services: Services) -> int:
    retention = timedelta(days=services.settings.retention_days)
    async with services.sessions() as session:
        due = await past_retention(session, services.clock.now(), retention)
    erased = 0
    for family_id in due:
        async with services.sessions.begin() as session:
            erasure = await erase_and_tell(
                session,
                services.clock,
                services.texts,
                family_id,
                reason="retention",
                action="retention_erase",
            )
        # None: another instance got there first.
        erased += erasure is not None
    async with services.sessions.begin() as session:
        dropped = await drop_stale_drafts(session, services.clock.now())
    if erased or dropped:
        log.info("retention: %s families erased, %s stale drafts put aside", erased, dropped)
    return erased


async def tick(context: BotContext) -> None:
    await erase_past_retention(context.services)
