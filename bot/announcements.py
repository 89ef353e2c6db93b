"""Announcements: written in the chat as a draft, sent now or at a set time, fanned out through
the outbox to every carer in the chosen groups.

The fan-out is one transaction: the status moves from `scheduled` to `sending` (only one
instance, and only one tap, can make that move) and every carer's row is queued with a key of
its own, so a double tap, a second instance or a restart can never send anyone a second copy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import outbox
from bot.announcement_messages import announcement_payload, progress_payload
from bot.clock import Clock, as_utc
from bot.groups import may_announce_to
from bot.models import (
    Announcement,
    AnnouncementGroup,
    Carer,
    Family,
    Group,
    GroupMember,
    OutboxMessage,
    Staff,
)
from bot.outbox import NewMessage, OutboxStatus
from bot.staff import StaffMember, record_action
from bot.texts import Texts

TEXT_LIMIT = 2500
# With a photo the words go in its caption, where Telegram allows 1024 characters in all.
CAPTION_TEXT_LIMIT = 450
PLACE_LIMIT = 150
# After the family's own messages (reminders, notices) in the outbox.
PRIORITY = 5
KIND = "announcement"
DRAFT_LIFETIME = timedelta(days=7)
PROGRESS_KIND = "announcement_progress"


class Status(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    DISCARDED = "discarded"


class AnnouncementError(ValueError):
    """The draft cannot take what was given: too long, empty, a time in the past."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Recipient:
    carer_id: int
    chat_id: int
    family_id: int
    timezone: str
    unreachable: bool
    language: str = "en"


@dataclass(frozen=True)
class Audience:
    families: int
    people: int
    # Of the people, those known to have blocked the bot: counted, never sent to.
    unreachable: int = 0


def audience_of(people: list[Recipient]) -> Audience:
    return Audience(
        len({person.family_id for person in people}),
        len(people),
        sum(person.unreachable for person in people),
    )


@dataclass(frozen=True)
class Progress:
    sent: int
    waiting: int
    undelivered: int
    withdrawn: int

    @property
    def total(self) -> int:
        return self.sent + self.waiting + self.undelivered + self.withdrawn

    @property
    def done(self) -> bool:
        return self.waiting == 0


def progress_key(announcement_id: int) -> str:
    """The outbox key of a scheduled announcement's progress message."""
    return f"announcement_progress:{announcement_id}"


async def start_draft(session: AsyncSession, clock: Clock, member: StaffMember) -> Announcement:
    draft = Announcement(
        author_staff_id=member.id, status=Status.DRAFT.value, created_at_utc=clock.now()
    )
    session.add(draft)
    await session.flush()
    return draft


async def own_announcement(
    session: AsyncSession, clock: Clock, member: StaffMember, announcement_id: int, *, action: str
) -> Announcement | None:
    """The announcement if this member wrote it (or is a manager); None, audited, if not."""
    announcement = await session.get(Announcement, announcement_id)
    allowed = announcement is not None and (
        member.is_manager or announcement.author_staff_id == member.id
    )
    await record_action(
        session,
        clock,
        member,
        action=action,
        allowed=allowed,
        detail=f"announcement {announcement_id}",
    )
    return announcement if allowed else None


async def group_ids(session: AsyncSession, announcement_id: int) -> list[int]:
    return list(
        await session.scalars(
            select(AnnouncementGroup.group_id).where(
                AnnouncementGroup.announcement_id == announcement_id
            )
        )
    )


async def group_names(session: AsyncSession, announcement_id: int) -> list[str]:
    return list(
        await session.scalars(
            select(Group.name)
            .join(AnnouncementGroup, AnnouncementGroup.group_id == Group.id)
            .where(AnnouncementGroup.announcement_id == announcement_id)
            .order_by(Group.name)
        )
    )


async def toggle_group(
    session: AsyncSession, member: StaffMember, draft: Announcement, group_id: int
) -> bool:
    """Choose a group for the draft, or unchoose it. False if the member may not announce to it."""
    if draft.status != Status.DRAFT or not await may_announce_to(session, member, [group_id]):
        return False
    existing = await session.get(AnnouncementGroup, (draft.id, group_id))
    if existing is not None:
        await session.delete(existing)
    else:
        session.add(AnnouncementGroup(announcement_id=draft.id, group_id=group_id))
    await session.flush()
    return True


def set_content(draft: Announcement, text: str, photo_file_id: str | None = None) -> None:
    text = text.strip()
    limit = CAPTION_TEXT_LIMIT if photo_file_id else TEXT_LIMIT
    if not text:
        raise AnnouncementError("empty")
    if len(text) > limit:
        raise AnnouncementError("too_long")
    draft.text = text
    draft.photo_file_id = photo_file_id


def set_event(
    draft: Announcement, clock: Clock, *, starts_at_utc: datetime | None, place: str | None = None
) -> None:
    """An event needs a time in the future (and later a place); None makes it plain news."""
    if starts_at_utc is None:
        draft.is_event = False
        draft.event_starts_at_utc = None
        draft.event_place = None
        return
    if starts_at_utc <= clock.now():
        raise AnnouncementError("past")
    draft.is_event = True
    draft.event_starts_at_utc = starts_at_utc
    if place is not None:
        set_place(draft, place)


def set_place(draft: Announcement, place: str) -> None:
    place = " ".join(place.split())
    if not place:
        raise AnnouncementError("empty")
    if len(place) > PLACE_LIMIT:
        raise AnnouncementError("too_long")
    draft.event_place = place


def _audience_query(announcement: Announcement, author: Staff):  # type: ignore[no-untyped-def]
    families = select(GroupMember.family_id).where(
        GroupMember.group_id.in_(
            select(AnnouncementGroup.group_id).where(
                AnnouncementGroup.announcement_id == announcement.id
            )
        )
    )
    query = (
        select(
            Carer.id,
            Carer.chat_id,
            Carer.family_id,
            Carer.unreachable_at_utc,
            Family.timezone,
            Carer.language,
        )
        .join(Family, Family.id == Carer.family_id)
        .where(
            Family.id.in_(families),
            Family.erased_at_utc.is_(None),
            Family.discharged_at_utc.is_(None),
            Carer.consent_at_utc.is_not(None),
            Carer.stopped_at_utc.is_(None),
            Carer.announcements_muted.is_(False),
        )
        .order_by(Carer.id)
    )
    # A visitor's announcement reaches their own caseload, whoever else is in the group.
    if author.role != "manager":
        query = query.where(Family.visitor_id == author.id)
    return query


async def recipients(session: AsyncSession, announcement: Announcement) -> list[Recipient]:
    author = await session.get(Staff, announcement.author_staff_id)
    assert author is not None
    rows = await session.execute(_audience_query(announcement, author))
    return [
        Recipient(carer_id, chat_id, family_id, timezone, unreachable is not None, language)
        for carer_id, chat_id, family_id, unreachable, timezone, language in rows
    ]


async def audience(session: AsyncSession, announcement: Announcement) -> Audience:
    return audience_of(await recipients(session, announcement))


def ready(announcement: Announcement) -> bool:
    """Everything a draft needs before it can be previewed and sent."""
    return bool(announcement.text) and (
        not announcement.is_event
        or (announcement.event_starts_at_utc is not None and bool(announcement.event_place))
    )


async def send_at(
    session: AsyncSession, clock: Clock, member: StaffMember, draft: Announcement, when: datetime
) -> bool:
    """Schedule the draft (`when` now or later). False if it was no longer a draft (a double
    tap, or already sent): only the first tap moves it on."""
    if not ready(draft) or not await group_ids(session, draft.id):
        raise AnnouncementError("not_ready")
    if draft.is_event and draft.event_starts_at_utc and as_utc(draft.event_starts_at_utc) <= when:
        raise AnnouncementError("event_first")
    moved = await session.execute(
        update(Announcement)
        .where(Announcement.id == draft.id, Announcement.status == Status.DRAFT.value)
        .values(status=Status.SCHEDULED.value, send_at_utc=max(when, clock.now()))
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return False
    await record_action(
        session, clock, member, action="announce", detail=f"announcement {draft.id}"
    )
    await session.refresh(draft)
    return True


async def schedule(
    session: AsyncSession, clock: Clock, member: StaffMember, draft: Announcement, later: datetime
) -> bool:
    """`send_at` a chosen later time: one that has already passed is a slip, not "send now"."""
    if later <= clock.now():
        raise AnnouncementError("past")
    return await send_at(session, clock, member, draft, later)


async def due_for_fan_out(session: AsyncSession, now: datetime) -> list[int]:
    return list(
        await session.scalars(
            select(Announcement.id)
            .where(
                Announcement.status == Status.SCHEDULED.value,
                Announcement.send_at_utc <= now,
            )
            .order_by(Announcement.send_at_utc, Announcement.id)
        )
    )


async def fan_out(
    session: AsyncSession, clock: Clock, texts: Texts, announcement_id: int
) -> int | None:
    """Queue a message for every recipient, in the caller's transaction. None if another tick,
    tap or instance did it already."""
    moved = await session.execute(
        update(Announcement)
        .where(Announcement.id == announcement_id, Announcement.status == Status.SCHEDULED.value)
        .values(status=Status.SENDING.value, fanned_out_at_utc=clock.now())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        return None
    announcement = await session.get(Announcement, announcement_id, populate_existing=True)
    assert announcement is not None
    names = await group_names(session, announcement_id)
    messages = messages_for(
        await recipients(session, announcement),
        lambda timezone, language: announcement_payload(
            texts.for_language(language), announcement, names, timezone
        ),
        lambda person: f"announcement:{announcement_id}:carer={person.carer_id}",
    )
    await outbox.enqueue_many(
        session, clock, messages, kind=KIND, priority=PRIORITY, announcement_id=announcement_id
    )
    if announcement.progress_message_id is None:
        # Scheduled for later: the sender may be elsewhere, so the progress starts as a new
        # message, which the progress job then edits.
        author = await session.get(Staff, announcement.author_staff_id)
        if author is not None and author.telegram_user_id is not None:
            await outbox.enqueue(
                session,
                clock,
                kind=PROGRESS_KIND,
                dedupe_key=progress_key(announcement_id),
                chat_id=author.telegram_user_id,
                payload=progress_payload(texts, announcement, names, None),
                announcement_id=announcement_id,
            )
    return len(messages)


def messages_for(
    people: list[Recipient],
    payload_for: Callable[[str, str], dict[str, Any]],
    key_for: Callable[[Recipient], str],
) -> list[NewMessage]:
    """One outbox row per person, the message rendered once per time zone and language.
    Someone known to have blocked the bot is queued as unreachable: counted as not delivered,
    never tried."""
    payloads: dict[tuple[str, str], dict[str, Any]] = {}
    messages = []
    for person in people:
        version = (person.timezone, person.language)
        if version not in payloads:
            payloads[version] = payload_for(*version)
        messages.append(
            NewMessage(
                dedupe_key=key_for(person),
                chat_id=person.chat_id,
                payload=payloads[version],
                family_id=person.family_id,
                carer_id=person.carer_id,
                status=OutboxStatus.UNREACHABLE if person.unreachable else OutboxStatus.PENDING,
                last_error="blocked the bot earlier" if person.unreachable else None,
            )
        )
    return messages


async def progress(session: AsyncSession, announcement_id: int) -> Progress:
    counts = dict(
        (
            await session.execute(
                select(OutboxMessage.status, func.count())
                .where(
                    OutboxMessage.announcement_id == announcement_id,
                    OutboxMessage.kind == KIND,
                )
                .group_by(OutboxMessage.status)
            )
        ).all()
    )
    sent = counts.get(OutboxStatus.SENT.value, 0)
    waiting = counts.get(OutboxStatus.PENDING.value, 0) + counts.get(OutboxStatus.SENDING.value, 0)
    undelivered = counts.get(OutboxStatus.FAILED.value, 0) + counts.get(
        OutboxStatus.UNREACHABLE.value, 0
    )
    withdrawn = counts.get(OutboxStatus.WITHDRAWN.value, 0)
    return Progress(sent, waiting, undelivered, withdrawn)


async def settle(session: AsyncSession, clock: Clock, announcement: Announcement) -> Progress:
    """The announcement's progress; once nothing waits, it is marked sent."""
    counted = await progress(session, announcement.id)
    if counted.done and announcement.status == Status.SENDING:
        announcement.status = Status.SENT.value
        announcement.finished_at_utc = clock.now()
    return counted


async def in_progress(session: AsyncSession) -> list[Announcement]:
    return list(
        await session.scalars(
            select(Announcement)
            .where(Announcement.status == Status.SENDING.value)
            .order_by(Announcement.id)
        )
    )


async def progress_message(
    session: AsyncSession, announcement: Announcement
) -> tuple[int, int] | None:
    """Where the sender's progress message is: set by "Send now", or the message the fan-out
    queued for a scheduled announcement once it has gone."""
    if announcement.progress_message_id is not None and announcement.progress_chat_id is not None:
        return announcement.progress_chat_id, announcement.progress_message_id
    row = await session.scalar(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == progress_key(announcement.id))
    )
    if row is None or row.telegram_message_id is None:
        return None
    announcement.progress_chat_id = row.chat_id
    announcement.progress_message_id = row.telegram_message_id
    return row.chat_id, row.telegram_message_id


async def recent(session: AsyncSession, member: StaffMember, limit: int = 10) -> list[Announcement]:
    """The latest announcements this member may see: their own, or for a manager, all."""
    query = (
        select(Announcement)
        .where(
            Announcement.status.in_(
                [Status.SCHEDULED.value, Status.SENDING.value, Status.SENT.value]
            )
        )
        .order_by(Announcement.created_at_utc.desc(), Announcement.id.desc())
        .limit(limit)
    )
    if not member.is_manager:
        query = query.where(Announcement.author_staff_id == member.id)
    return list(await session.scalars(query))


async def drop_stale_drafts(session: AsyncSession, now: datetime) -> int:
    """Drafts nobody finished within DRAFT_LIFETIME: put aside, so the database does not keep
    half-written words for ever."""
    result = await session.execute(
        update(Announcement)
        .where(
            Announcement.status == Status.DRAFT.value,
            Announcement.created_at_utc < now - DRAFT_LIFETIME,
        )
        .values(status=Status.DISCARDED.value, text="", photo_file_id=None, event_place=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


async def discard(session: AsyncSession, announcement_id: int) -> bool:
    """Put a draft or a scheduled announcement aside. False if it is already going (or gone):
    the same conditional move as the fan-out's, so the two cannot both win."""
    result = await session.execute(
        update(Announcement)
        .where(
            Announcement.id == announcement_id,
            Announcement.status.in_([Status.DRAFT.value, Status.SCHEDULED.value]),
        )
        .values(status=Status.DISCARDED.value)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
