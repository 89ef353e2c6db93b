"""Groups families hear about through announcements: drop-in sessions, play groups.

A manager's groups are the service's: every manager and visitor sees them. A visitor's groups
are their own. Anyone who sees a group may add or remove the families they reach (a visitor
their caseload, a manager any family); a visitor sees only their own families in any group.
Only a group's owner, or a manager, may announce to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.models import Family, Group, GroupMember, Staff
from bot.staff import StaffMember, caseload_query, may_reach, record_action

NAME_LIMIT = 80
PAGE_SIZE = 8


class GroupError(ValueError):
    """A group cannot be made as asked (an empty or too long name)."""


@dataclass(frozen=True)
class GroupView:
    id: int
    name: str
    owner_name: str
    service_wide: bool
    # The families in it that the viewer reaches.
    families: int


@dataclass(frozen=True)
class FamilyChoice:
    family_id: int
    child_name: str
    in_group: bool
    waiting_list: bool


@dataclass(frozen=True)
class FamilyPage:
    group: GroupView
    choices: list[FamilyChoice]
    page: int
    pages: int


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= NAME_LIMIT:
        raise GroupError(f"a group's name is 1 to {NAME_LIMIT} characters")
    return name


async def create_group(
    session: AsyncSession, clock: Clock, member: StaffMember, name: str
) -> GroupView:
    group = Group(name=_clean_name(name), owner_staff_id=member.id, created_at_utc=clock.now())
    session.add(group)
    await session.flush()
    await record_action(session, clock, member, action="group_create", detail=f"group {group.id}")
    return GroupView(group.id, group.name, member.name, member.is_manager, 0)


def _reachable_ids(member: StaffMember):  # type: ignore[no-untyped-def]
    return caseload_query(member).with_only_columns(Family.id).order_by(None)


def _visible(member: StaffMember):  # type: ignore[no-untyped-def]
    query = select(Group, Staff).join(Staff, Staff.id == Group.owner_staff_id)
    if not member.is_manager:
        query = query.where((Group.owner_staff_id == member.id) | (Staff.role == "manager"))
    return query


async def _views(session: AsyncSession, member: StaffMember, rows: list) -> list[GroupView]:  # type: ignore[type-arg]
    ids = [group.id for group, _ in rows]
    counts = dict(
        (
            await session.execute(
                select(GroupMember.group_id, func.count())
                .where(
                    GroupMember.group_id.in_(ids),
                    GroupMember.family_id.in_(_reachable_ids(member)),
                )
                .group_by(GroupMember.group_id)
            )
        ).all()
    )
    return [
        GroupView(
            group.id, group.name, owner.name, owner.role == "manager", counts.get(group.id, 0)
        )
        for group, owner in rows
    ]


async def visible_groups(session: AsyncSession, member: StaffMember) -> list[GroupView]:
    rows = list(await session.execute(_visible(member).order_by(Group.name, Group.id)))
    return await _views(session, member, rows)


async def announceable_groups(session: AsyncSession, member: StaffMember) -> list[GroupView]:
    """The groups this member may announce to: a manager's, all; a visitor's, their own."""
    query = _visible(member).order_by(Group.name, Group.id)
    if not member.is_manager:
        query = query.where(Group.owner_staff_id == member.id)
    return await _views(session, member, list(await session.execute(query)))


async def _seen_group(
    session: AsyncSession, member: StaffMember, group_id: int
) -> GroupView | None:
    rows = list(await session.execute(_visible(member).where(Group.id == group_id)))
    return (await _views(session, member, rows))[0] if rows else None


async def group_view(
    session: AsyncSession, clock: Clock, member: StaffMember, group_id: int, *, action: str
) -> GroupView | None:
    """The group if this member sees it; None (and a refusal in the audit log) if not."""
    group = await _seen_group(session, member, group_id)
    await record_action(
        session,
        clock,
        member,
        action=action,
        allowed=group is not None,
        detail=f"group {group_id}",
    )
    return group


async def may_announce_to(session: AsyncSession, member: StaffMember, group_ids: list[int]) -> bool:
    allowed = {group.id for group in await announceable_groups(session, member)}
    return bool(group_ids) and set(group_ids) <= allowed


async def family_page(
    session: AsyncSession, member: StaffMember, group: GroupView, page: int
) -> FamilyPage:
    """The families this member reaches, a page at a time, ticked when they are in the group."""
    total = await session.scalar(
        select(func.count()).select_from(_reachable_ids(member).subquery())
    )
    pages = max(1, -(-int(total or 0) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    families = await session.scalars(
        caseload_query(member).offset(page * PAGE_SIZE).limit(PAGE_SIZE)
    )
    members = set(
        await session.scalars(select(GroupMember.family_id).where(GroupMember.group_id == group.id))
    )
    choices = [
        FamilyChoice(family.id, family.child_name, family.id in members, family.announcements_only)
        for family in families
    ]
    return FamilyPage(group, choices, page, pages)


async def toggle_family(
    session: AsyncSession, clock: Clock, member: StaffMember, group_id: int, family_id: int
) -> bool | None:
    """Add the family to the group, or take it out. Returns whether it is now in the group;
    None if the member may not (the group or the family is out of their reach)."""
    # One audit record for the whole attempt: the group and the family are both checked here.
    group = await _seen_group(session, member, group_id)
    family = await session.get(Family, family_id)
    allowed = (
        group is not None
        and family is not None
        and family.erased_at_utc is None
        and may_reach(member, family)
    )
    await record_action(
        session,
        clock,
        member,
        action="group_family",
        allowed=allowed,
        family_id=family_id,
        detail=f"group {group_id}",
    )
    if not allowed:
        return None
    existing = await session.get(GroupMember, (group_id, family_id))
    if existing is not None:
        await session.delete(existing)
        return False
    session.add(GroupMember(group_id=group_id, family_id=family_id, added_at_utc=clock.now()))
    return True


async def add_families(
    session: AsyncSession, clock: Clock, group_id: int, family_ids: list[int]
) -> int:
    """For the CLI (the service's own records): add families by id; returns how many were new."""
    if await session.get(Group, group_id) is None:
        raise GroupError(f"there is no group with id {group_id}")
    added = 0
    for family_id in family_ids:
        family = await session.get(Family, family_id)
        if family is None or family.erased_at_utc is not None:
            raise GroupError(f"there is no family with id {family_id}")
        if await session.get(GroupMember, (group_id, family_id)) is None:
            session.add(
                GroupMember(group_id=group_id, family_id=family_id, added_at_utc=clock.now())
            )
            added += 1
    return added
