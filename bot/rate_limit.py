"""Keeping within Telegram's flood limits before Telegram has to say 429.

Telegram's documentation: avoid more than one message a second in a chat, and no more than 30
messages a second in all. PTB's AIORateLimiter paces groups but not private chats, so this limiter
paces each chat itself; it applies to every message the bot sends (replies and the outbox alike),
but not to edits, callback answers or chat actions, which are not new messages.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.send_pace import SharedPace

log = logging.getLogger(__name__)

# Telegram counts a message when it arrives, which is some time between the bot starting the
# request and getting the answer; counting from the answer never undercounts, so the margin only
# covers timer rounding. (10 ms left too little room for a burst of the outbox's sends at 29.5 a
# second to clear the window a second later.)
MARGIN_SECONDS = 0.002
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVoice",
        "sendAudio",
        "sendVideo",
        "sendVideoNote",
        "sendAnimation",
        "sendSticker",
        "sendMediaGroup",
        "sendLocation",
        "sendContact",
        "sendPoll",
        "copyMessage",
        "forwardMessage",
    }
)


class SlidingWindow:
    """At most `limit` requests in any `period` seconds (wall clock): those in flight plus those
    answered within the last period. Use as `async with window:` around a request, or
    `acquire(bulk=True)` / `release()` for bulk sends, which wait while anyone else does: a
    parent's reply takes the next free slot ahead of the outbox."""

    def __init__(self, limit: float, period: float = 1.0) -> None:
        self.limit = max(1, int(limit))
        self.period = period + MARGIN_SECONDS
        self._answered: collections.deque[float] = collections.deque()
        self._in_flight = 0
        self._replies_waiting = 0
        self._changed = asyncio.Condition()

    async def acquire(self, *, bulk: bool = False) -> None:
        loop = asyncio.get_running_loop()
        async with self._changed:
            if not bulk:
                self._replies_waiting += 1
            try:
                while True:
                    now = loop.time()
                    while self._answered and now - self._answered[0] >= self.period:
                        self._answered.popleft()
                    free = len(self._answered) + self._in_flight < self.limit
                    if free and not (bulk and self._replies_waiting):
                        self._in_flight += 1
                        return
                    timeout = self._answered[0] + self.period - now if self._answered else None
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), timeout)
            finally:
                if not bulk:
                    self._replies_waiting -= 1
                    self._changed.notify_all()

    async def release(self, *, sent: bool = True) -> None:
        """The request is answered; `sent=False` gives back a slot that was never used."""
        async with self._changed:
            self._in_flight -= 1
            if sent:
                self._answered.append(asyncio.get_running_loop().time())
            self._changed.notify_all()

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.release()


class ChatPacing:
    """One message a second per private chat and one every three seconds per group (Telegram's
    20 a minute), counted from the previous answer; chats not heard from for a while are
    forgotten."""

    def __init__(self, interval: float = 1.0, group_interval: float = 3.0) -> None:
        self.interval = interval + MARGIN_SECONDS
        self.group_interval = group_interval + MARGIN_SECONDS
        self._last_answered: dict[int | str, float] = {}
        self._locks: dict[int | str, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def turn(self, chat_id: int | str) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            interval = self.group_interval if _is_group(chat_id) else self.interval
            wait = self._last_answered.get(chat_id, float("-inf")) + interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last_answered[chat_id] = loop.time()
        if len(self._last_answered) > 10_000:
            self._forget_quiet_chats(loop.time())

    def _forget_quiet_chats(self, now: float) -> None:
        for chat_id, answered_at in list(self._last_answered.items()):
            lock = self._locks.get(chat_id)
            if now - answered_at > self.group_interval and (lock is None or not lock.locked()):
                self._last_answered.pop(chat_id, None)
                self._locks.pop(chat_id, None)


def _is_group(chat_id: int | str) -> bool:
    # Groups and channels have negative ids (or an @username); people have positive ones.
    return isinstance(chat_id, str) or chat_id < 0


def bulk_send(pace: SharedPace) -> dict[str, Any]:
    """`rate_limit_args` for an outbox send: any person's reply goes first, and the send keeps
    to `pace`, the rate shared by every instance of the bot."""
    return {"pace": pace}


class TelegramLimits(BaseRateLimiter[dict[str, Any]]):
    """The bot's rate limiter: per-chat pacing, an overall cap, one retry after a short 429.
    The outbox passes `rate_limit_args=bulk_send(pace)`, so a person's reply is never queued
    behind it."""

    def __init__(
        self,
        *,
        overall_per_second: float = 30,
        max_retries: int = 1,
        longest_wait_seconds: float = 2.0,
    ) -> None:
        self.overall = SlidingWindow(overall_per_second)
        self.chats = ChatPacing()
        self.max_retries = max_retries
        # A longer retry_after is not waited out here: the outbox reschedules its row, and a
        # reply that far behind is better replaced by the kind "try again" message.
        self.longest_wait_seconds = longest_wait_seconds

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        paced = endpoint in MESSAGE_METHODS and chat_id is not None
        # Only the outbox passes a pace, and it is the bulk that gives way to replies.
        pace: SharedPace | None = rate_limit_args.get("pace") if rate_limit_args else None
        for attempt in range(self.max_retries + 1):
            try:
                if not paced:
                    return await callback(*args, **kwargs)
                async with self.chats.turn(chat_id):
                    await self._take_slot(pace)
                    try:
                        return await callback(*args, **kwargs)
                    finally:
                        await self.overall.release()
            except RetryAfter as error:
                delay = error.retry_after
                seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
                if attempt == self.max_retries or seconds > self.longest_wait_seconds:
                    raise
                log.info("429 on %s: waiting %.1f s before the retry", endpoint, seconds)
                await asyncio.sleep(seconds + 0.1)
        raise AssertionError("unreachable")

    async def _take_slot(self, pace: SharedPace | None) -> None:
        """A free place in this process's overall window and, for the outbox, the shared pace's
        moment. The moment comes first, so no window place is held while sleeping towards it;
        if the window then kept the send past its moment, the moment is let go for the next."""
        while True:
            moment = await pace.wait_turn() if pace else None
            await self.overall.acquire(bulk=pace is not None)
            if moment is None or SharedPace.on_time(moment):
                return
            await self.overall.release(sent=False)
