"""The outbox: every message the bot starts is a row first, then a send.

Enqueueing is keyed (`dedupe_key` is unique), so ticks on any number of instances cannot double a
message. A row is claimed with a lease and committed as `sending` before the API call; if the
process dies mid-send, the lease runs out and the row is sent again: only what was in flight (or
answered in the few milliseconds before its outcome is committed) can repeat, which is about the
best the Bot API allows without an idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.clock import Clock, as_utc
from bot.db import insert_or_merge
from bot.models import Carer, OutboxMessage

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
GIVE_UP_AFTER = timedelta(days=1)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    MISSED = "missed"
    # Taken back before it went: its announcement was cancelled mid fan-out.
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class ClaimedMessage:
    id: int
    kind: str
    chat_id: int
    carer_id: int | None
    payload: dict[str, Any]
    attempts: int
    created_at_utc: datetime


def reminder_key(carer_id: int, local_date: date) -> str:
    return f"reminder:carer={carer_id}:{local_date.isoformat()}"


@dataclass(frozen=True)
class NewMessage:
    """One outbox row to add, for `enqueue_many`."""

    dedupe_key: str
    chat_id: int
    payload: dict[str, Any]
    family_id: int | None = None
    carer_id: int | None = None
    local_date: date | None = None
    status: OutboxStatus = OutboxStatus.PENDING
    last_error: str | None = None


async def enqueue(
    session: AsyncSession,
    clock: Clock,
    *,
    kind: str,
    dedupe_key: str,
    chat_id: int,
    payload: dict[str, Any],
    family_id: int | None = None,
    carer_id: int | None = None,
    local_date: date | None = None,
    status: OutboxStatus = OutboxStatus.PENDING,
    last_error: str | None = None,
    priority: int = 0,
    announcement_id: int | None = None,
) -> bool:
    """Add a message unless one with the same key exists. Returns whether a row was added."""
    message = NewMessage(
        dedupe_key, chat_id, payload, family_id, carer_id, local_date, status, last_error
    )
    added = await enqueue_many(
        session, clock, [message], kind=kind, priority=priority, announcement_id=announcement_id
    )
    return bool(added)


async def enqueue_many(
    session: AsyncSession,
    clock: Clock,
    messages: list[NewMessage],
    *,
    kind: str,
    priority: int = 0,
    announcement_id: int | None = None,
) -> int:
    """Add many messages at once (thousands); keys already there are skipped.
    Returns how many rows were added."""
    now = clock.now()
    rows = [
        {
            "kind": kind,
            "dedupe_key": message.dedupe_key,
            "chat_id": message.chat_id,
            "payload": message.payload,
            "family_id": message.family_id,
            "carer_id": message.carer_id,
            "local_date": message.local_date,
            "status": message.status.value,
            "attempts": 0,
            "not_before_utc": now,
            "created_at_utc": now,
            "last_error": message.last_error,
            "priority": priority,
            "announcement_id": announcement_id,
        }
        for message in messages
    ]
    if not rows:
        return 0
    # One statement with a list of rows: SQLAlchemy batches it ("insertmanyvalues") and caches
    # its compiled form, and RETURNING counts only the rows that were new.
    statement = (
        insert_or_merge(session, OutboxMessage)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    )
    result = await session.execute(statement, rows)
    return len(result.all())


async def claim(
    session: AsyncSession, clock: Clock, *, limit: int, lease: timedelta = LEASE
) -> list[ClaimedMessage]:
    """Take up to `limit` due rows for sending, and commit the claim before any send."""
    now = clock.now()
    due = (
        select(OutboxMessage)
        .where(
            or_(
                (OutboxMessage.status == OutboxStatus.PENDING.value)
                & (OutboxMessage.not_before_utc <= now),
                (OutboxMessage.status == OutboxStatus.SENDING.value)
                & (OutboxMessage.lease_until_utc < now),
            )
        )
        .order_by(OutboxMessage.priority, OutboxMessage.not_before_utc, OutboxMessage.id)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    rows = list(await session.scalars(due))
    claimed: list[ClaimedMessage] = []
    for row in rows:
        row.status = OutboxStatus.SENDING.value
        row.attempts += 1
        row.lease_until_utc = now + lease
        claimed.append(
            ClaimedMessage(
                row.id,
                row.kind,
                row.chat_id,
                row.carer_id,
                row.payload,
                row.attempts,
                as_utc(row.created_at_utc),
            )
        )
    await session.commit()
    return claimed


# The sender records outcomes as soon as Telegram answers (a burst's together), on a plain
# connection: an ORM session's bookkeeping (and its bulk-update work, looking for loaded rows to
# keep in step) cost more than the UPDATE itself in the fan-out's profile.
_OUTBOX = OutboxMessage.__table__
_MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("message_id"))
    .values(
        status=OutboxStatus.SENT.value,
        sent_at_utc=bindparam("sent_at"),
        telegram_message_id=bindparam("sent_message_id"),
        lease_until_utc=None,
        last_error=None,
    )
)


async def mark_sent(
    connection: AsyncConnection, clock: Clock, sent: list[tuple[int, int | None]]
) -> None:
    """Record sends Telegram accepted: (outbox id, Telegram's message id) pairs, one statement."""
    now = clock.now()
    await connection.execute(
        _MARK_SENT,
        [
            {"message_id": message_id, "sent_at": now, "sent_message_id": telegram_message_id}
            for message_id, telegram_message_id in sent
        ],
    )


async def mark_retry(
    connection: AsyncConnection,
    clock: Clock,
    message: ClaimedMessage,
    *,
    delay: timedelta,
    reason: str,
    counts_as_attempt: bool = True,
) -> None:
    """Send again after `delay`; after MAX_ATTEMPTS real failures, or a day of being told "not
    now", the row is failed for good: nothing is retried forever."""
    if counts_as_attempt and message.attempts >= MAX_ATTEMPTS:
        await mark_failed(
            connection, message.id, reason=f"gave up after {message.attempts}: {reason}"
        )
        return
    if clock.now() - message.created_at_utc > GIVE_UP_AFTER:
        await mark_failed(connection, message.id, reason=f"gave up after a day: {reason}")
        return
    values: dict[str, Any] = {
        "status": OutboxStatus.PENDING.value,
        "not_before_utc": clock.now() + delay,
        "lease_until_utc": None,
        "last_error": reason[:300],
    }
    if not counts_as_attempt:
        # A 429 says "not now", not "this message is broken".
        values["attempts"] = max(message.attempts - 1, 0)
    await connection.execute(
        update(OutboxMessage).where(OutboxMessage.id == message.id).values(**values)
    )


async def release(connection: AsyncConnection, message_id: int) -> None:
    """Claimed but never sent (the process is stopping): pending again, the attempt not counted."""
    await connection.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            status=OutboxStatus.PENDING.value,
            lease_until_utc=None,
            attempts=OutboxMessage.attempts - 1,
        )
    )


async def mark_failed(connection: AsyncConnection, message_id: int, *, reason: str) -> None:
    await connection.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=OutboxStatus.FAILED.value, lease_until_utc=None, last_error=reason[:300])
    )


async def mark_unreachable(
    connection: AsyncConnection, clock: Clock, message: ClaimedMessage, *, reason: str
) -> None:
    """The user blocked the bot: stop sending to them rather than retry forever."""
    await connection.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(status=OutboxStatus.UNREACHABLE.value, lease_until_utc=None, last_error=reason)
    )
    if message.carer_id is not None:
        await connection.execute(
            update(Carer).where(Carer.id == message.carer_id).values(unreachable_at_utc=clock.now())
        )


async def withdraw_unsent(session: AsyncSession, announcement_id: int) -> int:
    """Take back an announcement's messages that have not gone yet (not those in flight)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.announcement_id == announcement_id,
            OutboxMessage.status == OutboxStatus.PENDING.value,
        )
        .values(status=OutboxStatus.WITHDRAWN.value)
    )
    return int(result.rowcount or 0)
