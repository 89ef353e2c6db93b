"""Outbox sends at `rate` a second, across every instance of the bot together, in small bursts.

Telegram's 30 messages a second is per bot, not per process: two instances each keeping to it
would together break it. The schedule lives in the database as a single row holding the earliest
moment the next send may start (the "virtual scheduling" form of a token bucket, GCRA). A sender
takes the next BURST sends' worth of time with one UPDATE ... RETURNING, which the row lock makes
atomic on PostgreSQL and SQLite alike, and starts those sends together at its beginning: a burst
of five every 5/rate seconds rather than one every 1/rate. Telegram counts messages in any
second, not their spacing, and one wake-up for five sends (the sender's, the database thread's,
Telegram's connection's) cost about a quarter less CPU a message than five wake-ups. A 429 moves
the row on for everyone.

The moment is waited for as late as possible: inside the bot's rate limiter, after the chat's own
pacing, just before the request goes out (`rate_limit.TelegramLimits`). A send that waited for
its moment first and then for something else would go out late and close up on the next
instance's.

Two rates. One instance sending alone may go close to Telegram's 30: its own window
(`rate_limit.SlidingWindow`) counts each message until a second after Telegram answered it, and
Telegram counts a message somewhere between the request and the answer, so no 31 of them can fall
in one of Telegram's seconds however the sends bunch on the way. Instances do not see each
other's windows, so while more than one is sending only the pace keeps the total, and it keeps
to a lower shared rate: a send that reaches Telegram a little late (a busy machine, the network)
then still leaves the next 30 messages (of every instance) within the limit. The row notes
who took moments last; a take by another sender within SHARED_IF_WITHIN_US switches everyone to
the shared rate until SHARED_HOLD_US after the last such take.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import secrets
import time

from sqlalchemy import BigInteger, and_, bindparam, case, or_, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.models import SendPace

# Sends started together, taken with one round trip: a sixth of a second at Telegram's rate.
BURST = 5
MICROSECONDS = 1_000_000
# A moment this late is let go rather than used: a late send followed by an on-time one would
# bunch two sends closer than the rate allows (Telegram counts any sliding second).
LATE_US = 5_000


# Another sender took moments this recently: more than one instance is sending (a draining
# sender takes moments every sixth of a second).
SHARED_IF_WITHIN_US = 2 * MICROSECONDS
# ...and the shared rate holds until this long after the last take that showed it.
SHARED_HOLD_US = 10 * MICROSECONDS

# Taken on a plain connection with a statement built once: the ORM session's bookkeeping and
# building the statement anew cost more than the round trip, once a burst.
_PACE = SendPace.__table__
_NOW = bindparam("now", type_=BigInteger)
_ME = bindparam("me", type_=BigInteger)
# In an UPDATE every column on the right-hand side is the row's value before it.
_ANOTHER_JUST_TOOK = and_(_PACE.c.taken_by != _ME, _PACE.c.taken_at_us > _NOW - SHARED_IF_WITHIN_US)
_SHARED = or_(_ANOTHER_JUST_TOOK, _PACE.c.shared_until_us > _NOW)
_TAKE = (
    update(_PACE)
    .where(_PACE.c.id == 1)
    .values(
        next_send_us=case((_PACE.c.next_send_us > _NOW, _PACE.c.next_send_us), else_=_NOW)
        + case(
            (_SHARED, bindparam("shared_span", type_=BigInteger)),
            else_=bindparam("span", type_=BigInteger),
        ),
        taken_by=_ME,
        taken_at_us=_NOW,
        shared_until_us=case(
            (_ANOTHER_JUST_TOOK, _NOW + SHARED_HOLD_US), else_=_PACE.c.shared_until_us
        ),
    )
    # The new shared_until_us is after now exactly when the shared span was taken.
    .returning(_PACE.c.next_send_us, _PACE.c.shared_until_us)
)
_UNTIL = bindparam("until", type_=BigInteger)
_HOLD_OFF = (
    update(_PACE).where(_PACE.c.id == 1, _PACE.c.next_send_us < _UNTIL).values(next_send_us=_UNTIL)
)


def wall_us() -> int:
    return int(time.time() * MICROSECONDS)


class SendReleased(Exception):
    """The sender is closing: this send was not made and its message goes back to the outbox."""


class SharedPace:
    """`per_second` while this instance sends alone, `shared_per_second` (by default the same)
    while others are sending too."""

    def __init__(
        self, engine: AsyncEngine, per_second: float, *, shared_per_second: float | None = None
    ) -> None:
        self.engine = engine
        self.interval_us = _interval_us(per_second)
        self.shared_interval_us = _interval_us(shared_per_second or per_second)
        # This sender's name in the pace row (0 is the row's "nobody yet").
        self.sender_id = secrets.randbits(62) + 1
        self._moments: collections.deque[int] = collections.deque()
        self._lock = asyncio.Lock()
        self._closing = asyncio.Event()

    @property
    def closed(self) -> bool:
        return self._closing.is_set()

    def close(self) -> None:
        """Wake every waiting sender: `wait_turn` raises SendReleased and nothing more is sent."""
        self._closing.set()

    async def wait_turn(self) -> int:
        """Wait for this process's next moment to send and return it (wall-clock microseconds).
        Raises SendReleased if the sender is closing."""
        while not self._closing.is_set():
            async with self._lock:
                now = wall_us()
                while self._moments and self._moments[0] < now - LATE_US:
                    self._moments.popleft()
                if not self._moments:
                    self._moments.extend(await self._take(BURST, now))
                moment = self._moments.popleft()
            delay = (moment - wall_us()) / MICROSECONDS
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), delay)
            # Woken too late (a busy event loop): that moment is gone, take the next.
            if self.on_time(moment) and not self._closing.is_set():
                return moment
        raise SendReleased

    @staticmethod
    def on_time(moment: int) -> bool:
        """Whether a send starting now still keeps to `moment`."""
        return wall_us() - moment <= LATE_US

    async def hold_off(self, seconds: float) -> None:
        """Telegram said 429: no instance sends again for `seconds`."""
        until = wall_us() + int(seconds * MICROSECONDS)
        async with self._lock:
            self._moments.clear()
            async with self.engine.begin() as connection:
                await connection.execute(_HOLD_OFF, {"until": until})

    async def _take(self, count: int, now: int) -> list[int]:
        async with self.engine.begin() as connection:
            result = await connection.execute(
                _TAKE,
                {
                    "now": now,
                    "me": self.sender_id,
                    "span": count * self.interval_us,
                    "shared_span": count * self.shared_interval_us,
                },
            )
            row = result.one_or_none()
        if row is None:
            raise RuntimeError("the send_pace row is missing: run `portage-bot db upgrade`")
        last, shared_until = row
        interval = self.shared_interval_us if shared_until > now else self.interval_us
        return [last - count * interval] * count


def _interval_us(per_second: float) -> int:
    return max(1, round(MICROSECONDS / per_second))
