"""Telegram's flood limits for sending messages, on the wall clock.

Telegram documents two limits (https://core.telegram.org/bots/faq): avoid more
than one message per second in a single chat, and no more than about 30
messages per second in total. Telegram tolerates short bursts in one chat, so
the per-chat limit is modelled as a token bucket:

* per chat: capacity ``per_chat_burst`` (default 3) tokens, refilled at
  ``per_chat_rate`` (default 1) token per second; a message takes one token;
* overall: at most ``global_rate`` (default 30) messages in any sliding
  one-second window;
* per group (a negative chat id): at most ``per_group_per_minute`` (default 20)
  messages in any sliding minute, Telegram's "20 messages per minute to the
  same group".

A refused message consumes nothing. ``retry_after`` is the whole number of
seconds (at least 1) until the message would be accepted, which is what
Telegram's 429 answer carries.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Decides whether a message to a chat may be sent now."""

    def __init__(
        self,
        global_rate: int = 30,
        per_chat_rate: float = 1.0,
        per_chat_burst: int = 3,
        clock: Callable[[], float] = time.monotonic,
        per_group_per_minute: int = 20,
    ) -> None:
        self.per_group_per_minute = per_group_per_minute
        self._group_sends: dict[int, deque[float]] = {}
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.per_chat_burst = per_chat_burst
        self._clock = clock
        self._recent: deque[float] = deque()  # send times within the last second
        self._buckets: dict[int, _Bucket] = {}

    def acquire(self, chat_id: int) -> int | None:
        """Take a slot for one message; return None, or retry_after seconds if refused."""
        now = self._clock()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        bucket = self._buckets.setdefault(chat_id, _Bucket(self.per_chat_burst, now))
        bucket.tokens = min(
            self.per_chat_burst, bucket.tokens + (now - bucket.updated) * self.per_chat_rate
        )
        bucket.updated = now

        wait = 0.0
        if len(self._recent) >= self.global_rate:
            wait = max(wait, self._recent[0] + 1.0 - now)
        if bucket.tokens < 1.0:
            wait = max(wait, (1.0 - bucket.tokens) / self.per_chat_rate)
        group = self._group_sends.setdefault(chat_id, deque()) if chat_id < 0 else None
        if group is not None:
            while group and now - group[0] >= 60.0:
                group.popleft()
            if len(group) >= self.per_group_per_minute:
                wait = max(wait, group[0] + 60.0 - now)
        if wait > 0:
            return max(1, math.ceil(wait))
        bucket.tokens -= 1.0
        self._recent.append(now)
        if group is not None:
            group.append(now)
        return None
