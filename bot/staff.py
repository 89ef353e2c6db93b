"""Visitors and managers: who may reach which family, their caseloads, and moving a family.

A visitor reaches only the families assigned to them; a manager reaches every family. Every
attempt, allowed or refused, is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import audit
from bot.clock import Clock
from bot.models import Family, Staff
from bot.visits import hand_over_upcoming


@dataclass(frozen=True)
class StaffMember:
    id: int
    name: str
    role: str
    timezone: str
    telegram_user_id: int | None

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


@dataclass(frozen=True)
class VisitorLoad:
    id: int
    name: str
    signed_in: bool
    families: int


def member_of(staff: Staff) -> StaffMember:
    return StaffMember(staff.id, staff.name, staff.role, staff.timezone, staff.telegram_user_id)


async def record_action(
    session: AsyncSession,
    clock: Clock,
    member: StaffMember,
    *,
    action: str,
    allowed: bool = True,
    family_id: int | None = None,
    detail: str = "",
) -> None:
    """A visitor's or manager's action, allowed or refused, in the audit log."""
    await audit.record(
        session,
        clock,
        action=action,
        outcome=audit.ALLOWED if allowed else audit.REFUSED,
        staff_id=member.id,
        telegram_user_id=member.telegram_user_id,
        family_id=family_id,
        detail=detail,
    )


def may_reach(member: StaffMember, family: Family) -> bool:
    return member.is_manager or family.visitor_id == member.id


async def family_for(
    session: AsyncSession, clock: Clock, member: StaffMember, family_id: int, *, action: str
) -> Family | None:
    """The family if this member may act on it; None (and a refusal in the audit log) if not.

    A family that does not exist is refused the same way, so ids cannot be probed."""
    family = await session.get(Family, family_id)
    allowed = family is not None and may_reach(member, family)
    await record_action(session, clock, member, action=action, allowed=allowed, family_id=family_id)
    return family if allowed else None


def caseload_query(member: StaffMember) -> Select[tuple[Family]]:
    """The families this member reaches, by name: to page through, count or narrow down."""
    query = (
        select(Family).where(Family.erased_at_utc.is_(None)).order_by(Family.child_name, Family.id)
    )
    if not member.is_manager:
        query = query.where(Family.visitor_id == member.id)
    return query


async def caseload(session: AsyncSession, member: StaffMember) -> list[Family]:
    """A visitor's own families; for a manager, every family."""
    return list(await session.scalars(caseload_query(member)))


async def visitors(session: AsyncSession) -> list[VisitorLoad]:
    counts = dict(
        (
            await session.execute(
                select(Family.visitor_id, func.count()).group_by(Family.visitor_id)
            )
        ).all()
    )
    rows = await session.scalars(
        select(Staff).where(Staff.role == "visitor").order_by(Staff.name, Staff.id)
    )
    return [
        VisitorLoad(row.id, row.name, row.telegram_user_id is not None, counts.get(row.id, 0))
        for row in rows
    ]


async def move_family(
    session: AsyncSession, clock: Clock, manager: StaffMember, *, family_id: int, visitor_id: int
) -> Family | None:
    """Give a family to another visitor. Managers only; None if refused or either is unknown."""
    visitor = await session.get(Staff, visitor_id)
    family = await session.get(Family, family_id)
    allowed = manager.is_manager and family is not None and visitor is not None
    allowed = allowed and visitor is not None and visitor.role == "visitor"
    await record_action(
        session,
        clock,
        manager,
        action="move_family",
        allowed=allowed,
        family_id=family_id,
        detail=f"to visitor {visitor_id}",
    )
    if not allowed or family is None:
        return None
    family.visitor_id = visitor_id
    await hand_over_upcoming(session, clock, family_id, visitor_id)
    return family
