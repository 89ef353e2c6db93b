"""Events announced to families: their answers (RSVP), the day-before reminder for those who
said they would come, and telling people when an event is cancelled or moved.

Who hears of a change is everyone the announcement reached whose family did not say "can't
make it"; every notice is an outbox row keyed by announcement, version and carer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.announcement_messages import event_view, rsvp_keyboard, shown_names
from bot.announcements import KIND, PRIORITY, Recipient, Status, group_names, messages_for
from bot.clock import Clock, as_utc, local_date
from bot.delivery import text_payload
from bot.i18n import DEFAULT_LANGUAGE
from bot.models import Announcement, Carer, Family, OutboxMessage, Rsvp
from bot.outbox import OutboxStatus
from bot.staff import StaffMember, record_action
from bot.texts import Texts
from bot.visits import local_moment

YES = "yes"
NO = "no"
ANSWERS = (YES, NO)


class RsvpOutcome(StrEnum):
    SAVED = "saved"
    NOT_FOUND = "not_found"
    CANCELLED = "cancelled"
    PAST = "past"


@dataclass(frozen=True)
class RsvpResult:
    outcome: RsvpOutcome


@dataclass(frozen=True)
class Attendance:
    coming: list[str]
    not_coming: list[str]
    no_answer: int


async def _reached(session: AsyncSession, announcement_id: int, family_id: int) -> bool:
    row = await session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.announcement_id == announcement_id,
            OutboxMessage.kind == KIND,
            OutboxMessage.family_id == family_id,
        )
    )
    return row is not None


async def answer(
    session: AsyncSession, clock: Clock, carer: Carer, announcement_id: int, choice: str
) -> RsvpResult:
    """Record (or change) the family's answer. Only a family the event was sent to may answer."""
    announcement = await session.get(Announcement, announcement_id)
    if (
        announcement is None
        or not announcement.is_event
        or choice not in ANSWERS
        or not await _reached(session, announcement_id, carer.family_id)
    ):
        return RsvpResult(RsvpOutcome.NOT_FOUND)
    if announcement.event_cancelled_at_utc is not None:
        return RsvpResult(RsvpOutcome.CANCELLED)
    assert announcement.event_starts_at_utc is not None
    if as_utc(announcement.event_starts_at_utc) <= clock.now():
        return RsvpResult(RsvpOutcome.PAST)
    rsvp = await session.get(Rsvp, (announcement_id, carer.family_id))
    if rsvp is None:
        session.add(
            Rsvp(
                announcement_id=announcement_id,
                family_id=carer.family_id,
                answer=choice,
                carer_id=carer.id,
                answered_at_utc=clock.now(),
            )
        )
    else:
        rsvp.answer, rsvp.carer_id, rsvp.answered_at_utc = choice, carer.id, clock.now()
    return RsvpResult(RsvpOutcome.SAVED)


async def attendance(session: AsyncSession, announcement: Announcement) -> Attendance:
    """Who is coming and who is not (children's names), and how many families have not said."""
    answers = list(
        await session.execute(
            select(Family.child_name, Rsvp.answer)
            .join(Family, Family.id == Rsvp.family_id)
            .where(Rsvp.announcement_id == announcement.id, Family.erased_at_utc.is_(None))
            .order_by(Family.child_name)
        )
    )
    reached = set(
        await session.scalars(
            select(OutboxMessage.family_id).where(
                OutboxMessage.announcement_id == announcement.id,
                OutboxMessage.kind == KIND,
                OutboxMessage.status == OutboxStatus.SENT.value,
            )
        )
    )
    answered = len(answers)
    return Attendance(
        coming=[name for name, choice in answers if choice == YES],
        not_coming=[name for name, choice in answers if choice == NO],
        no_answer=max(0, len(reached - {None}) - answered),
    )


async def _told_carers(
    session: AsyncSession, announcement_id: int, *, only_answer: str | None = None
) -> list[Recipient]:
    """Everyone the announcement reached (or is reaching), leaving out families who said no;
    with `only_answer`, only families who answered so."""
    rows = await session.execute(
        select(
            OutboxMessage.carer_id,
            OutboxMessage.chat_id,
            Family.id,
            Family.timezone,
            Rsvp.answer,
            Carer.language,
        )
        .join(Family, Family.id == OutboxMessage.family_id)
        .outerjoin(Carer, Carer.id == OutboxMessage.carer_id)
        .outerjoin(Rsvp, (Rsvp.family_id == Family.id) & (Rsvp.announcement_id == announcement_id))
        .where(
            OutboxMessage.announcement_id == announcement_id,
            OutboxMessage.kind == KIND,
            OutboxMessage.status.in_([OutboxStatus.SENT.value, OutboxStatus.SENDING.value]),
            Family.erased_at_utc.is_(None),
        )
        .order_by(OutboxMessage.carer_id)
    )
    return [
        Recipient(carer_id, chat_id, family_id, timezone, False, language or DEFAULT_LANGUAGE)
        for carer_id, chat_id, family_id, timezone, choice, language in rows
        if choice != NO and (only_answer is None or choice == only_answer)
    ]


async def _notify(
    session: AsyncSession,
    clock: Clock,
    texts: Texts,
    announcement: Announcement,
    *,
    kind: str,
    template: str,
    people: list[Recipient],
    with_buttons: bool,
    chosen: str | None = None,
) -> int:
    names, more = shown_names(await group_names(session, announcement.id))

    def payload_for(timezone: str, language: str) -> dict[str, Any]:
        event = event_view(announcement, timezone)
        in_language = texts.for_language(language)
        text = in_language.render(template, groups=names, more_groups=more, event=event)
        markup = rsvp_keyboard(in_language, announcement.id, chosen) if with_buttons else None
        return text_payload(text, markup)

    version = announcement.event_version
    messages = messages_for(
        people,
        payload_for,
        lambda person: f"{kind}:{announcement.id}:v{version}:carer={person.carer_id}",
    )
    # A change to an event matters more than news: it goes before other announcements.
    return await outbox.enqueue_many(
        session, clock, messages, kind=kind, priority=PRIORITY - 1, announcement_id=announcement.id
    )


def changeable(announcement: Announcement, now: datetime) -> bool:
    """An event that went out, is not cancelled and has not started yet."""
    return (
        announcement.is_event
        and announcement.status in (Status.SENDING, Status.SENT)
        and announcement.event_cancelled_at_utc is None
        and announcement.event_starts_at_utc is not None
        and as_utc(announcement.event_starts_at_utc) > now
    )


async def cancel(
    session: AsyncSession,
    clock: Clock,
    texts: Texts,
    member: StaffMember,
    announcement: Announcement,
) -> int | None:
    """Cancel the event: what has not gone yet is taken back, and everyone it reached who did
    not decline is told. None if it cannot be cancelled (already cancelled, or past)."""
    if not changeable(announcement, clock.now()):
        return None
    announcement.event_cancelled_at_utc = clock.now()
    await outbox.withdraw_unsent(session, announcement.id)
    return await _tell_change(session, clock, texts, member, announcement, "cancelled")


async def move(
    session: AsyncSession,
    clock: Clock,
    texts: Texts,
    member: StaffMember,
    announcement: Announcement,
    starts_at_utc: datetime,
) -> int | None:
    """Move the event to a new time; everyone it reached who did not decline is told, with the
    buttons to change their answer. None if it cannot be moved."""
    if not changeable(announcement, clock.now()) or starts_at_utc <= clock.now():
        return None
    assert announcement.event_starts_at_utc is not None
    if as_utc(announcement.event_starts_at_utc) == starts_at_utc:
        return 0
    announcement.event_starts_at_utc = starts_at_utc
    announcement.event_version += 1
    return await _tell_change(session, clock, texts, member, announcement, "moved")


async def _tell_change(
    session: AsyncSession,
    clock: Clock,
    texts: Texts,
    member: StaffMember,
    announcement: Announcement,
    change: str,
) -> int:
    """Audit the change, then tell everyone the event reached who did not decline; a moved
    event comes with the buttons to answer again."""
    await record_action(
        session, clock, member, action=f"event_{change}", detail=f"announcement {announcement.id}"
    )
    return await _notify(
        session,
        clock,
        texts,
        announcement,
        kind=f"event_{change}",
        template=f"parent/event_{change}.html.j2",
        with_buttons=change == "moved",
        people=await _told_carers(session, announcement.id),
    )


def reminder_moment(event_starts_at_utc: datetime, timezone: str, at: time) -> datetime:
    """`at` o'clock on the family's day before the event."""
    day_before = local_date(event_starts_at_utc, timezone) - timedelta(days=1)
    return local_moment(day_before, at, timezone)


async def queue_reminders(session: AsyncSession, clock: Clock, texts: Texts, *, at: time) -> int:
    """The day before each event, from `at` o'clock in the family's time zone until it starts:
    a reminder for everyone it reached whose family said they would come (before then: a family
    who answered after that moment has just thought about it)."""
    now = clock.now()
    events = await session.scalars(
        select(Announcement).where(
            Announcement.is_event.is_(True),
            Announcement.status.in_([Status.SENDING.value, Status.SENT.value]),
            Announcement.event_cancelled_at_utc.is_(None),
            Announcement.event_starts_at_utc > now,
            Announcement.event_starts_at_utc <= now + timedelta(days=2),
        )
    )
    queued = 0
    for event in list(events):
        assert event.event_starts_at_utc is not None
        starts = as_utc(event.event_starts_at_utc)
        answered_at = dict(
            (
                await session.execute(
                    select(Rsvp.family_id, Rsvp.answered_at_utc).where(
                        Rsvp.announcement_id == event.id, Rsvp.answer == YES
                    )
                )
            ).all()
        )
        due = []
        for person in await _told_carers(session, event.id, only_answer=YES):
            moment = reminder_moment(starts, person.timezone, at)
            if moment <= now and as_utc(answered_at[person.family_id]) < moment:
                due.append(person)
        if due:
            queued += await _notify(
                session,
                clock,
                texts,
                event,
                kind="event_reminder",
                template="parent/event_reminder.html.j2",
                with_buttons=True,
                chosen=YES,
                people=due,
            )
    return queued
