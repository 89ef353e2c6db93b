"""Erasing a family's personal data: at their request (/forget, or a letter to the service), or
when the retention period after discharge has run out.

What goes: the child's name, the carers (their Telegram ids), the diary's answers and notes,
the plans, goals, groups and answers to events, and anything still waiting in the outbox
for them. What stays: the family's row
with its id and dates, its visits and summaries' dates, and anonymous counts the service reports
on. The caller writes the audit record and tells the people who need to know.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.diary import PRACTISED
from bot.models import (
    Carer,
    ChatState,
    DiaryAnswer,
    DiaryNote,
    Family,
    Goal,
    GroupMember,
    Invite,
    OutboxMessage,
    Plan,
    Rsvp,
    Target,
)
from bot.visits import cancel_upcoming


class CarerChat(NamedTuple):
    """Where to say goodbye to a carer, and in which language."""

    chat_id: int
    language: str


@dataclass(frozen=True)
class Erasure:
    family_id: int
    visitor_id: int | None
    # Chats of the carers who were enrolled, to say goodbye to (ids only, kept nowhere).
    carer_chats: list[CarerChat]
    counts: dict[str, Any]


async def erase_family(
    session: AsyncSession, clock: Clock, family_id: int, *, reason: str
) -> Erasure | None:
    """Erase the family's personal data. None if there is no such family or it is erased."""
    family = await session.get(Family, family_id)
    if family is None or family.erased_at_utc is not None:
        return None
    carers = list(await session.scalars(select(Carer).where(Carer.family_id == family_id)))
    answers = list(
        await session.execute(
            select(DiaryAnswer.local_date, DiaryAnswer.answer).where(
                DiaryAnswer.family_id == family_id
            )
        )
    )
    notes = await session.scalar(
        select(func.count()).select_from(DiaryNote).where(DiaryNote.family_id == family_id)
    )
    counts = {
        "reason": reason,
        "carers": len(carers),
        "days_answered": len({day for day, _ in answers}),
        "days_practised": len({day for day, answer in answers if answer in PRACTISED}),
        "notes": int(notes or 0),
    }
    plan_ids = select(Plan.id).where(Plan.family_id == family_id)
    await session.execute(delete(DiaryAnswer).where(DiaryAnswer.family_id == family_id))
    await session.execute(delete(DiaryNote).where(DiaryNote.family_id == family_id))
    await session.execute(delete(OutboxMessage).where(OutboxMessage.family_id == family_id))
    await session.execute(delete(Target).where(Target.plan_id.in_(plan_ids)))
    await session.execute(delete(Plan).where(Plan.family_id == family_id))
    await session.execute(delete(Goal).where(Goal.family_id == family_id))
    await session.execute(delete(Rsvp).where(Rsvp.family_id == family_id))
    await session.execute(delete(GroupMember).where(GroupMember.family_id == family_id))
    await session.execute(delete(Invite).where(Invite.family_id == family_id))
    user_ids = [carer.telegram_user_id for carer in carers]
    if user_ids:
        await session.execute(delete(ChatState).where(ChatState.telegram_user_id.in_(user_ids)))
    await session.execute(delete(Carer).where(Carer.family_id == family_id))
    await cancel_upcoming(session, clock, family_id)
    family.child_name = ""
    family.erased_at_utc = clock.now()
    family.erased_counts = counts
    chats = [CarerChat(carer.chat_id, carer.language) for carer in carers]
    return Erasure(family_id, family.visitor_id, chats, counts)


async def discharge(session: AsyncSession, clock: Clock, family_id: int) -> list[CarerChat] | None:
    """The family leaves the service: reminders stop, future visits are cancelled, the diary is
    kept for the retention period. Returns the carers' chats to say goodbye to (None if the
    family is unknown, already discharged or erased)."""
    family = await session.get(Family, family_id)
    if family is None or family.discharged_at_utc or family.erased_at_utc:
        return None
    family.discharged_at_utc = clock.now()
    await cancel_upcoming(session, clock, family_id)
    carers = await session.execute(
        select(Carer.chat_id, Carer.language).where(
            Carer.family_id == family_id,
            Carer.consent_at_utc.is_not(None),
            Carer.unreachable_at_utc.is_(None),
        )
    )
    return [CarerChat(chat_id, language) for chat_id, language in carers]


async def past_retention(session: AsyncSession, now: datetime, retention: timedelta) -> list[int]:
    """Families discharged longer ago than the retention period and not yet erased."""
    return list(
        await session.scalars(
            select(Family.id).where(
                Family.discharged_at_utc.is_not(None),
                Family.discharged_at_utc <= now - retention,
                Family.erased_at_utc.is_(None),
            )
        )
    )
