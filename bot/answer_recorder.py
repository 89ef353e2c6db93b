"""Parents' answer taps that arrive together are recorded together (a group commit).

A tap is the update parents send most, and at a busy moment (the evening after a reminder
fan-out) hundreds come in a second. Recorded one by one, each pays for its own transaction:
reading the card (two queries), writing the answer, committing, each a trip through SQLAlchemy
and the database driver. On SQLite that was most of a tap's CPU. Here a tap waits while the
batch before it is written, and then goes with every tap that arrived meanwhile: one
transaction, two queries for all their cards, one statement for all their answers
(`bot.diary.record_answers`). With one tap at a time nothing waits, so a quiet bot answers as
fast as before; a busy one writes more taps per transaction the busier it is.

A failing batch is tried again one tap at a time, so one tap's error (a target deleted that
instant) is that tap's alone. One chat's taps are never in the same batch: the update processor
hands a chat its next update only when the last is done.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.diary import Answered, Tap, record_answers

log = logging.getLogger(__name__)

# At most this many taps in a transaction: the update processor runs 64 updates at once, so a
# batch is rarely larger, and a bounded one keeps SQLite's write lock short.
MAX_BATCH = 64

_Waiting = tuple[Tap, "asyncio.Future[Answered]"]


class AnswerRecorder:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._waiting: list[_Waiting] = []
        self._writing: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, tap: Tap) -> Answered:
        """Record the tap with whichever others are waiting; what it came to."""
        future: asyncio.Future[Answered] = asyncio.get_running_loop().create_future()
        self._waiting.append((tap, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all(), name="answer recorder")
            self._writer.add_done_callback(self._writer_stopped)
        return await future

    async def _write_all(self) -> None:
        while self._waiting:
            self._writing = self._waiting[:MAX_BATCH]
            del self._waiting[:MAX_BATCH]
            await self._write(self._writing)
            self._writing = []
        self._writer = None

    def _writer_stopped(self, writer: asyncio.Task[None]) -> None:
        if self._writer is not writer:
            return  # it wrote every tap and was done
        # Cancelled before it was done, as the loop ends: nobody is left waiting forever.
        self._writer = None
        for _tap, future in [*self._writing, *self._waiting]:
            future.cancel()
        self._writing, self._waiting = [], []

    async def _write(self, batch: list[_Waiting]) -> None:
        waiting = [(tap, future) for tap, future in batch if not future.cancelled()]
        if not waiting:
            return
        try:
            async with self._sessions.begin() as session:
                results = await record_answers(session, self._clock, [tap for tap, _ in waiting])
        except Exception as error:
            if len(waiting) > 1:
                log.warning("a batch of %d answers failed; recording each alone", len(waiting))
                for one in waiting:
                    await self._write([one])
                return
            _tap, future = waiting[0]
            if not future.done():
                future.set_exception(error)
            return
        for (_tap, future), result in zip(waiting, results, strict=True):
            if not future.done():
                future.set_result(result)
