"""Erase the diaries of families discharged longer ago than the retention period, and record each
erasure (with its anonymous counts) in the audit log. Runs every six hours: erasing is keyed on
the family, so running often, or on several instances, is harmless."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot import audit
from bot.context import BotContext, Services
from bot.erasure import erase_family, past_retention
from bot.leaving_notices import tell_about_erasure

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 6 * 3600


async def erase_past_retention(services: Services) -> int:
    retention = timedelta(days=services.settings.retention_days)
    async with services.sessions() as session:
        due = await past_retention(session, services.clock.now(), retention)
    erased = 0
    for family_id in due:
        async with services.sessions.begin() as session:
            erasure = await erase_family(session, services.clock, family_id, reason="retention")
            if erasure is None:
                continue  # another instance got there first
            counts = erasure.counts
            await audit.record(
                session,
                services.clock,
                action="retention_erase",
                outcome=audit.ALLOWED,
                family_id=family_id,
                detail=(
                    f"{counts['carers']} carers, {counts['days_answered']} days answered, "
                    f"{counts['notes']} notes"
                ),
            )
            await tell_about_erasure(session, services.clock, services.texts, erasure)
            erased += 1
    if erased:
        log.info("retention: %s families erased", erased)
    return erased


async def tick(context: BotContext) -> None:
    await erase_past_retention(context.services)
