"""Is the bot healthy? The database answers, and how far behind the outbox is (counts only)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy import func, select, text

from bot.clock import as_utc
from bot.context import Services
from bot.models import OutboxMessage
from bot.outbox import OutboxStatus

log = logging.getLogger(__name__)

# A health check that hangs is worse than one that says "no": load balancers time out too.
DATABASE_TIMEOUT_SECONDS = 2.0
BACKLOG_STATUSES = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


@dataclass(frozen=True)
class Health:
    """What /healthz reports; None where the database could not be asked."""

    database_ok: bool
    outbox_backlog: int | None = None
    # How long the longest-waiting due message has been due; 0 when nothing is waiting.
    oldest_pending_seconds: float | None = None


async def check(services: Services, *, timeout: float = DATABASE_TIMEOUT_SECONDS) -> Health:  # noqa: ASYNC109 (the caller's budget)
    try:
        return await asyncio.wait_for(_ask_database(services), timeout)
    except Exception as error:  # any failure means "unreachable": a check never raises
        # The class name only: driver messages can carry the database URL.
        log.warning("health check: database unreachable (%s)", type(error).__name__)
        return Health(database_ok=False)


async def _ask_database(services: Services) -> Health:
    now = services.clock.now()
    async with services.sessions() as session:
        await session.execute(text("SELECT 1"))
        backlog = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_(BACKLOG_STATUSES))
        )
        oldest_due = await session.scalar(
            select(func.min(OutboxMessage.not_before_utc)).where(
                OutboxMessage.status == OutboxStatus.PENDING.value,
                OutboxMessage.not_before_utc <= now,
            )
        )
    waited = (now - as_utc(oldest_due)).total_seconds() if oldest_due is not None else 0.0
    return Health(
        database_ok=True, outbox_backlog=int(backlog or 0), oldest_pending_seconds=max(waited, 0.0)
    )
