"""What the bot is waiting for from a user, kept in the database so a restart or another
instance picks the conversation up where it was."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, as_utc
from bot.models import ChatState

# A question the bot asked ("which time?") is forgotten after this, so a later note is never
# mistaken for an answer to it.
AWAITING_EXPIRES = timedelta(minutes=30)


@dataclass(frozen=True)
class Awaiting:
    what: str
    data: dict[str, Any]


async def awaiting(session: AsyncSession, telegram_user_id: int) -> Awaiting | None:
    state = await session.get(ChatState, telegram_user_id)
    return Awaiting(state.awaiting, dict(state.data or {})) if state else None


async def expect(
    session: AsyncSession,
    clock: Clock,
    telegram_user_id: int,
    what: str,
    data: dict[str, Any] | None = None,
) -> None:
    state = await session.get(ChatState, telegram_user_id)
    if state is None:
        session.add(
            ChatState(
                telegram_user_id=telegram_user_id,
                awaiting=what,
                data=data or {},
                updated_at_utc=clock.now(),
            )
        )
    else:
        state.awaiting = what
        state.data = data or {}
        state.updated_at_utc = clock.now()


async def clear(session: AsyncSession, telegram_user_id: int) -> None:
    await session.execute(delete(ChatState).where(ChatState.telegram_user_id == telegram_user_id))


def is_stale(state: ChatState | None, now: datetime, *, is_command: bool) -> bool:
    """A question the bot asked that the user's next update no longer answers: a command
    changes the subject, and an old question is forgotten."""
    return state is not None and (
        is_command or now - as_utc(state.updated_at_utc) > AWAITING_EXPIRES
    )
