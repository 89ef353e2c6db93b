"""Database models: families, carers, plans and targets, the diary, invites and the outbox.

Every timestamp is stored in UTC (columns end in `_utc`); local dates are the family's own calendar
days (columns named `local_date` or `*_on`), computed with zoneinfo from the family's time zone.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    type_annotation_map = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Staff(Base):
    """A home visitor or a service manager."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), default="visitor")
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    created_at_utc: Mapped[datetime]


class Family(Base):
    """A child and the carers who practise with them. We keep a first name or nickname only."""

    __tablename__ = "families"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_name: Mapped[str] = mapped_column(String(60))
    visitor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at_utc: Mapped[datetime]
    # Discharged: the child moved on to nursery or school, or the family left. Reminders stop;
    # the diary is erased after the retention period.
    discharged_at_utc: Mapped[datetime | None]
    # Erased at the family's request or after retention: only anonymous counts stay.
    erased_at_utc: Mapped[datetime | None]
    erased_counts: Mapped[dict[str, Any] | None]
    # On the waiting list: group announcements only, until a visitor sets a plan.
    announcements_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    carers: Mapped[list[Carer]] = relationship(back_populates="family")


class Invite(Base):
    """A single-use enrolment link; only a hash of its code is kept."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="family")
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"))
    created_at_utc: Mapped[datetime]
    expires_at_utc: Mapped[datetime]
    # A visitor's or manager's invite names the staff row it signs in.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    used_at_utc: Mapped[datetime | None]
    used_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)


class InviteAttempt(Base):
    """A /start with a code that did not work, kept for an hour so codes cannot be guessed."""

    __tablename__ = "invite_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    attempted_at_utc: Mapped[datetime]


class Carer(Base):
    """A parent or carer enrolled in a family's diary; one Telegram user each."""

    __tablename__ = "carers"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    enrolled_at_utc: Mapped[datetime]
    consent_at_utc: Mapped[datetime | None]
    consent_version: Mapped[str | None] = mapped_column(String(32))
    reminder_time_local: Mapped[time | None] = mapped_column(Time)
    reminder_days: Mapped[str] = mapped_column(String(16), default="daily")
    # When the reminder schedule last changed: reminders scheduled before it are never back-filled.
    schedule_changed_at_utc: Mapped[datetime | None]
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_until: Mapped[date | None] = mapped_column(Date)
    stopped_at_utc: Mapped[datetime | None]
    unreachable_at_utc: Mapped[datetime | None]
    # Group news switched off in /settings; daily reminders carry on.
    announcements_muted: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # The parent's language (bot.i18n.LANGUAGES), chosen at enrolment or with /language.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # The latest day whose reminder is in the outbox (sent, waiting or missed), kept with the
    # outbox row. Only a shortcut for the reminder tick: the outbox's key is what stops doubles.
    reminder_queued_for: Mapped[date | None] = mapped_column(Date)

    family: Mapped[Family] = relationship(back_populates="carers")


class Plan(Base):
    """The targets agreed at a visit, from `starts_on` until a newer plan starts."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    created_at_utc: Mapped[datetime]

    targets: Mapped[list[Target]] = relationship(
        back_populates="plan", order_by="Target.position", cascade="all, delete-orphan"
    )


class Goal(Base):
    """A long-term goal agreed with the family, reviewed about every six months; targets are the
    small steps towards it."""

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    text: Mapped[str] = mapped_column(String(200))
    set_on: Mapped[date] = mapped_column(Date)
    review_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at_utc: Mapped[datetime]


class Target(Base):
    """One small-step teaching target, copied from the library or written by the visitor.

    The wording is copied into the row so that the diary's history keeps what was agreed even
    when the library changes; `activity_id` keeps the link for next-step suggestions.
    """

    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    activity_id: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(80))
    target_text: Mapped[str] = mapped_column(String(300))
    criterion_text: Mapped[str] = mapped_column(String(120))
    criterion_tries: Mapped[int | None] = mapped_column(Integer)
    criterion_successes: Mapped[int | None] = mapped_column(Integer)
    criterion_days: Mapped[int] = mapped_column(Integer, default=1)
    why: Mapped[str] = mapped_column(String(300), default="")
    steps: Mapped[list[str]] = mapped_column(default=list)
    materials: Mapped[list[str]] = mapped_column(default=list)
    tip: Mapped[str] = mapped_column(String(300), default="")
    goal_id: Mapped[int | None] = mapped_column(ForeignKey("goals.id"))

    plan: Mapped[Plan] = relationship(back_populates="targets")


class DiaryAnswer(Base):
    """How practice went for one target on one day; any carer may change it that day."""

    __tablename__ = "diary_answers"
    __table_args__ = (UniqueConstraint("target_id", "local_date", name="uq_answer_target_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    local_date: Mapped[date] = mapped_column(Date)
    answer: Mapped[str] = mapped_column(String(16))
    tries_succeeded: Mapped[int | None] = mapped_column(Integer)
    answered_by_carer_id: Mapped[int] = mapped_column(ForeignKey("carers.id"))
    answered_at_utc: Mapped[datetime]


class DiaryNote(Base):
    """Something a carer sent for the diary: words, a photo or a voice note (by file id)."""

    __tablename__ = "diary_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    carer_id: Mapped[int] = mapped_column(ForeignKey("carers.id"))
    local_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    telegram_file_id: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(16))
    # The carer's own Telegram message, so an edit of it updates the note instead of adding one.
    source_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at_utc: Mapped[datetime]


class ChatState(Base):
    """What the bot is waiting for from a user (a typed time, a date...), kept across restarts."""

    __tablename__ = "chat_states"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    awaiting: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at_utc: Mapped[datetime]


class OutboxMessage(Base):
    """A message the bot starts (not a reply), sent by the outbox sender.

    `dedupe_key` is unique, so enqueueing the same message twice is impossible: a reminder's key is
    (kind, carer, local date). A row is marked `sending` and committed before the API call, so a
    crash can repeat at most the messages in flight (or answered a few milliseconds before, their
    outcome not yet committed).
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"), index=True)
    carer_id: Mapped[int | None] = mapped_column(ForeignKey("carers.id"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    local_date: Mapped[date | None] = mapped_column(Date)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before_utc: Mapped[datetime]
    lease_until_utc: Mapped[datetime | None]
    created_at_utc: Mapped[datetime]
    sent_at_utc: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(String(300))
    # Lower goes first: a person's own messages before a service-wide announcement.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    announcement_id: Mapped[int | None] = mapped_column(
        ForeignKey("announcements.id", name="fk_outbox_announcement"), index=True
    )

    # The reminder tick asks "is this carer's reminder for that day here yet?" for every carer.
    __table_args__ = (Index("ix_outbox_carer_day", "carer_id", "local_date"),)


class Group(Base):
    """A drop-in or play group families hear about: a manager's for the whole service, or a
    visitor's for their own families."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    owner_staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", name="fk_group_owner"))
    created_at_utc: Mapped[datetime]


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", name="fk_group_member_group"), primary_key=True
    )
    family_id: Mapped[int] = mapped_column(
        ForeignKey("families.id", name="fk_group_member_family"), primary_key=True, index=True
    )
    added_at_utc: Mapped[datetime]


class Announcement(Base):
    """News for one or more groups, written in the chat: a draft, then scheduled, sending and
    sent. An event (a day, time and place) carries RSVP buttons and can be cancelled or moved;
    `event_version` counts the moves, so each version gets its own day-before reminder."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", name="fk_announcement_author"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    photo_file_id: Mapped[str | None] = mapped_column(String(255))
    is_event: Mapped[bool] = mapped_column(Boolean, default=False)
    event_starts_at_utc: Mapped[datetime | None]
    event_place: Mapped[str | None] = mapped_column(String(200))
    event_version: Mapped[int] = mapped_column(Integer, default=1)
    event_cancelled_at_utc: Mapped[datetime | None]
    send_at_utc: Mapped[datetime | None]
    created_at_utc: Mapped[datetime]
    fanned_out_at_utc: Mapped[datetime | None]
    finished_at_utc: Mapped[datetime | None]
    # The sender's message that shows the progress, edited as the fan-out goes.
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_text: Mapped[str | None] = mapped_column(Text)


class AnnouncementGroup(Base):
    __tablename__ = "announcement_groups"

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", name="fk_announcement_group_announcement"),
        primary_key=True,
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", name="fk_announcement_group_group"), primary_key=True
    )


class Rsvp(Base):
    """A family's answer to an event: any carer may give or change it."""

    __tablename__ = "rsvps"

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", name="fk_rsvp_announcement"), primary_key=True
    )
    family_id: Mapped[int] = mapped_column(
        ForeignKey("families.id", name="fk_rsvp_family"), primary_key=True, index=True
    )
    answer: Mapped[str] = mapped_column(String(8))
    carer_id: Mapped[int | None] = mapped_column(ForeignKey("carers.id", name="fk_rsvp_carer"))
    answered_at_utc: Mapped[datetime]


class Visit(Base):
    """A home visit: booked, then done or cancelled. A repeating visit books its successor once
    its time has passed (`follows_visit_id` is unique, so every instance may try)."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    starts_at_utc: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="booked", index=True)
    repeat_days: Mapped[int | None] = mapped_column(Integer)
    follows_visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), unique=True)
    created_at_utc: Mapped[datetime]
    done_at_utc: Mapped[datetime | None]
    cancelled_at_utc: Mapped[datetime | None]


class SchoolHoliday(Base):
    """Days a repeating visit skips, entered by a manager."""

    __tablename__ = "school_holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class Summary(Base):
    """A summary sent to a visitor: one per visit or per week (`key` is unique), and the period it
    covered, so the next one starts where this one ended."""

    __tablename__ = "summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    visitor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    created_at_utc: Mapped[datetime]


class AuditEvent(Base):
    """Who did what to which family, and whether it was allowed. Never any message content.

    Plain ids without foreign keys, so the record outlives an erased family.
    """

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at_utc: Mapped[datetime] = mapped_column(index=True)
    staff_id: Mapped[int | None] = mapped_column(Integer, index=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    family_id: Mapped[int | None] = mapped_column(Integer, index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(120), default="")


class SendPace(Base):
    """When the next outbox send may start, shared by every instance (a single row), so the bot's
    total rate stays within Telegram's limit however many instances drain the outbox."""

    __tablename__ = "send_pace"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Microseconds since the Unix epoch, on the senders' wall clocks (kept in step by NTP).
    next_send_us: Mapped[int] = mapped_column(BigInteger)
    # Which sender took moments last, and when: a take by another within a few seconds means
    # more than one instance is sending, and the pace keeps to the shared rate until
    # `shared_until_us` (bot/send_pace.py says why one instance alone may go faster).
    taken_by: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    taken_at_us: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    shared_until_us: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
