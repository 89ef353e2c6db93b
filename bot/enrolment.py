"""Enrolment by invitation: issuing single-use invite codes, redeeming them, recording consent
and the carer's language."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, UnknownTimeZone, as_utc, checked_timezone
from bot.i18n import DEFAULT_LANGUAGE
from bot.models import Carer, ChatState, Family, Invite, InviteAttempt, Staff

# A user whose codes failed this often in the window is asked to wait: 192-bit codes cannot be
# guessed anyway, but this keeps anyone from trying.
MAX_FAILED_CODES = 5
FAILED_CODE_WINDOW = timedelta(hours=1)

# Bumped whenever content/templates/parent/privacy_notice.html.j2 changes in substance.
PRIVACY_NOTICE_VERSION = "2026-11-v2"


class RedeemStatus(StrEnum):
    ENROLLED = "enrolled"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ALREADY_ENROLLED = "already_enrolled"
    TOO_MANY_TRIES = "too_many_tries"
    STAFF_JOINED = "staff_joined"
    ALREADY_STAFF = "already_staff"


STAFF_ROLES = ("visitor", "manager")


@dataclass(frozen=True)
class IssuedInvite:
    code: str
    expires_at_utc: datetime
    family_id: int | None = None
    staff_id: int | None = None


@dataclass(frozen=True)
class RedeemResult:
    status: RedeemStatus
    carer_id: int | None = None
    child_name: str | None = None
    staff_id: int | None = None


def invite_link(bot_username: str, code: str) -> str:
    """The deep link that opens the bot with /start <code>."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def new_code() -> str:
    # 24 random bytes = 192 bits; base64url fits Telegram's start parameter ([A-Za-z0-9_-], <= 64).
    return secrets.token_urlsafe(24)


class EnrolmentError(ValueError):
    """An invite cannot be issued as asked (unknown visitor or family, bad name)."""


def _check_zone(timezone: str) -> None:
    try:
        checked_timezone(timezone)
    except UnknownTimeZone as error:
        raise EnrolmentError(str(error)) from error


async def create_family(
    session: AsyncSession,
    clock: Clock,
    *,
    child_name: str,
    timezone: str,
    visitor_id: int | None = None,
    announcements_only: bool = False,
) -> Family:
    """A new family; `announcements_only` puts it on the waiting list (news of groups only,
    until a plan is set)."""
    child_name = child_name.strip()
    if not 1 <= len(child_name) <= 60:
        raise EnrolmentError("the child's first name or nickname must be 1 to 60 characters")
    _check_zone(timezone)
    if visitor_id is not None:
        visitor = await session.get(Staff, visitor_id)
        if visitor is None or visitor.role != "visitor":
            raise EnrolmentError(f"there is no home visitor with id {visitor_id}")
    family = Family(
        child_name=child_name,
        visitor_id=visitor_id,
        timezone=timezone,
        created_at_utc=clock.now(),
        announcements_only=announcements_only,
    )
    session.add(family)
    await session.flush()
    return family


async def add_staff(
    session: AsyncSession, clock: Clock, *, name: str, timezone: str, role: str = "visitor"
) -> Staff:
    name = name.strip()
    if not 1 <= len(name) <= 120:
        raise EnrolmentError("a name must be 1 to 120 characters")
    if role not in STAFF_ROLES:
        raise EnrolmentError(f"a role is one of {', '.join(STAFF_ROLES)}")
    _check_zone(timezone)
    member = Staff(name=name, role=role, timezone=timezone, created_at_utc=clock.now())
    session.add(member)
    await session.flush()
    return member


async def add_visitor(session: AsyncSession, clock: Clock, *, name: str, timezone: str) -> Staff:
    return await add_staff(session, clock, name=name, timezone=timezone, role="visitor")


async def issue_staff_invite(
    session: AsyncSession, clock: Clock, *, staff_id: int, ttl_days: int
) -> IssuedInvite:
    """A sign-in link for a visitor or manager who has no Telegram account linked yet."""
    member = await session.get(Staff, staff_id)
    if member is None:
        raise EnrolmentError(f"there is no visitor or manager with id {staff_id}")
    if member.telegram_user_id is not None:
        raise EnrolmentError(f"{member.role} {staff_id} has already signed in")
    code = new_code()
    now = clock.now()
    invite = Invite(
        code_sha256=hash_code(code),
        role=member.role,
        staff_id=member.id,
        created_at_utc=now,
        expires_at_utc=now + timedelta(days=ttl_days),
    )
    session.add(invite)
    await session.flush()
    return IssuedInvite(code=code, staff_id=member.id, expires_at_utc=invite.expires_at_utc)


async def issue_family_invite(
    session: AsyncSession, clock: Clock, *, family_id: int, ttl_days: int
) -> IssuedInvite:
    """One invite per carer: a second carer of the same child gets an invite of their own."""
    if await session.get(Family, family_id) is None:
        raise EnrolmentError(f"there is no family with id {family_id}")
    code = new_code()
    now = clock.now()
    invite = Invite(
        code_sha256=hash_code(code),
        role="family",
        family_id=family_id,
        created_at_utc=now,
        expires_at_utc=now + timedelta(days=ttl_days),
    )
    session.add(invite)
    await session.flush()
    return IssuedInvite(code=code, family_id=family_id, expires_at_utc=invite.expires_at_utc)


async def find_staff(session: AsyncSession, telegram_user_id: int) -> Staff | None:
    return await session.scalar(select(Staff).where(Staff.telegram_user_id == telegram_user_id))


async def find_carer(session: AsyncSession, telegram_user_id: int) -> Carer | None:
    return await session.scalar(select(Carer).where(Carer.telegram_user_id == telegram_user_id))


@dataclass(frozen=True)
class CarerAtHome:
    carer: Carer
    family: Family
    # What the bot is waiting for from them, if anything.
    awaiting: ChatState | None
    # Redeeming an invite keeps staff and carers apart, so this is None; were it ever not, the
    # staff side would come first.
    staff_id: int | None


# Built once, with a parameter: every update a parent sends starts with it.
_CARERS_AT_HOME = (
    select(Carer, Family, ChatState, Staff.id)
    .join(Family, Family.id == Carer.family_id)
    .outerjoin(ChatState, ChatState.telegram_user_id == Carer.telegram_user_id)
    .outerjoin(Staff, Staff.telegram_user_id == Carer.telegram_user_id)
    .where(Carer.telegram_user_id.in_(bindparam("telegram_user_ids", expanding=True)))
)


async def find_carers_at_home(
    session: AsyncSession, telegram_user_ids: list[int]
) -> list[CarerAtHome | None]:
    """For each Telegram user, in order: the carer with their family and any open question, and
    whether they are also staff; None for a user who is not a carer. One query for them all:
    every update a parent sends starts here, and many arrive together (bot/batching.py)."""
    result = await session.execute(_CARERS_AT_HOME, {"telegram_user_ids": telegram_user_ids})
    found = {row[0].telegram_user_id: CarerAtHome(*row) for row in result}
    return [found.get(telegram_user_id) for telegram_user_id in telegram_user_ids]


async def mark_reachable(session: AsyncSession, carer_id: int) -> None:
    """The carer is talking to the bot again (they unblocked it): messages go to them again."""
    await session.execute(update(Carer).where(Carer.id == carer_id).values(unreachable_at_utc=None))


async def redeem_invite(
    session: AsyncSession,
    clock: Clock,
    *,
    code: str,
    telegram_user_id: int,
    chat_id: int,
    language: str = DEFAULT_LANGUAGE,
) -> RedeemResult:
    """Use an invite: a family's creates the carer (consent still to come) reading `language`
    until they choose; a visitor's or manager's links this Telegram user to their staff row.
    Bad codes create nothing."""
    if await find_staff(session, telegram_user_id) is not None:
        return RedeemResult(RedeemStatus.ALREADY_STAFF)
    existing = await find_carer(session, telegram_user_id)
    if existing is not None:
        family = await session.get(Family, existing.family_id)
        return RedeemResult(
            RedeemStatus.ALREADY_ENROLLED,
            carer_id=existing.id,
            child_name=family.child_name if family else None,
        )
    now = clock.now()
    if await _recent_failures(session, telegram_user_id, now) >= MAX_FAILED_CODES:
        return RedeemResult(RedeemStatus.TOO_MANY_TRIES)
    invite = await session.scalar(select(Invite).where(Invite.code_sha256 == hash_code(code)))
    failure = None
    if invite is None or (invite.family_id is None and invite.staff_id is None):
        failure = RedeemStatus.UNKNOWN
    elif invite.used_at_utc is not None:
        failure = RedeemStatus.USED
    elif as_utc(invite.expires_at_utc) <= now:
        failure = RedeemStatus.EXPIRED
    if failure is not None:
        session.add(InviteAttempt(telegram_user_id=telegram_user_id, attempted_at_utc=now))
        return RedeemResult(failure)
    assert invite is not None
    invite.used_at_utc = now
    invite.used_by_telegram_id = telegram_user_id
    if invite.staff_id is not None:
        member = await session.get(Staff, invite.staff_id)
        assert member is not None
        if member.telegram_user_id is not None:
            # Signed in already with another of their links: one Telegram account per person.
            return RedeemResult(RedeemStatus.USED)
        member.telegram_user_id = telegram_user_id
        return RedeemResult(RedeemStatus.STAFF_JOINED, staff_id=member.id)
    family = await session.get(Family, invite.family_id)
    assert family is not None
    carer = Carer(
        family_id=family.id,
        telegram_user_id=telegram_user_id,
        chat_id=chat_id,
        enrolled_at_utc=now,
        reminder_days="daily",
        paused=False,
        language=language,
    )
    session.add(carer)
    await session.flush()
    return RedeemResult(RedeemStatus.ENROLLED, carer_id=carer.id, child_name=family.child_name)


async def _recent_failures(session: AsyncSession, telegram_user_id: int, now: datetime) -> int:
    # Attempts older than the window no longer count, and are not worth keeping.
    await session.execute(
        delete(InviteAttempt).where(
            InviteAttempt.telegram_user_id == telegram_user_id,
            InviteAttempt.attempted_at_utc < now - FAILED_CODE_WINDOW,
        )
    )
    count = await session.scalar(
        select(func.count())
        .select_from(InviteAttempt)
        .where(InviteAttempt.telegram_user_id == telegram_user_id)
    )
    return int(count or 0)


def consent_needed(carer: Carer) -> bool:
    """Never agreed, or agreed to an earlier version of the notice: ask (again) before going on."""
    return carer.consent_version != PRIVACY_NOTICE_VERSION


@dataclass(frozen=True)
class LanguageChosen:
    """Where a carer is after choosing their language, so the next question can follow."""

    child_name: str
    announcements_only: bool
    # The privacy notice and consent are still to come.
    enrolling: bool
    # Consented but no reminder time yet (a waiting-list family needs none).
    needs_time: bool


async def choose_language(
    session: AsyncSession, carer: Carer, language: str
) -> LanguageChosen | None:
    """`language` is one of bot.i18n.LANGUAGES. None if the family is gone."""
    family = await session.get(Family, carer.family_id)
    if family is None:
        return None
    carer.language = language
    return LanguageChosen(
        child_name=family.child_name,
        announcements_only=family.announcements_only,
        enrolling=carer.consent_at_utc is None,
        needs_time=carer.reminder_time_local is None and not family.announcements_only,
    )


async def record_consent(session: AsyncSession, clock: Clock, carer: Carer) -> None:
    carer.consent_at_utc = clock.now()
    carer.consent_version = PRIVACY_NOTICE_VERSION


async def decline_consent(session: AsyncSession, clock: Clock, carer: Carer) -> bool:
    """Returns True if the carer was removed (a first "no"), False if reminders were stopped.

    A first "no" keeps nothing: the carer row goes, and the invite works again if they change
    their mind. A "no" to a changed notice stops the reminders; what the diary already holds is
    kept until the family asks for it to be erased.
    """
    if carer.consent_at_utc is not None:
        carer.stopped_at_utc = clock.now()
        return False
    invite = await session.scalar(
        select(Invite).where(Invite.used_by_telegram_id == carer.telegram_user_id)
    )
    if invite is not None:
        invite.used_at_utc = None
        invite.used_by_telegram_id = None
    await session.delete(carer)
    return True
