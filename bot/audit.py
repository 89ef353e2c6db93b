"""The audit log: every visitor and manager action on a family, allowed or refused.

Only ids, an action name and an outcome are kept: never a child's name or anything a parent wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.models import AuditEvent

ALLOWED = "allowed"
REFUSED = "refused"


@dataclass(frozen=True)
class AuditEntry:
    at_utc: datetime
    staff_id: int | None
    telegram_user_id: int | None
    action: str
    family_id: int | None
    outcome: str
    detail: str


async def record(
    session: AsyncSession,
    clock: Clock,
    *,
    action: str,
    outcome: str,
    staff_id: int | None = None,
    telegram_user_id: int | None = None,
    family_id: int | None = None,
    detail: str = "",
) -> None:
    session.add(
        AuditEvent(
            at_utc=clock.now(),
            staff_id=staff_id,
            telegram_user_id=telegram_user_id,
            action=action[:40],
            family_id=family_id,
            outcome=outcome,
            detail=detail[:120],
        )
    )


async def entries(
    session: AsyncSession,
    *,
    staff_id: int | None = None,
    family_id: int | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    query = select(AuditEvent).order_by(AuditEvent.at_utc.desc(), AuditEvent.id.desc())
    if staff_id is not None:
        query = query.where(AuditEvent.staff_id == staff_id)
    if family_id is not None:
        query = query.where(AuditEvent.family_id == family_id)
    if outcome is not None:
        query = query.where(AuditEvent.outcome == outcome)
    if since is not None:
        query = query.where(AuditEvent.at_utc >= since)
    rows = await session.scalars(query.limit(limit))
    return [
        AuditEntry(
            row.at_utc,
            row.staff_id,
            row.telegram_user_id,
            row.action,
            row.family_id,
            row.outcome,
            row.detail,
        )
        for row in rows
    ]
