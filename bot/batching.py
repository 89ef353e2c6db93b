"""Work that many updates ask for at the same moment, done for all of them at once.

Each update a parent sends starts by finding who they are, and a tap goes on to record an
answer. Done one update at a time, each pays for its own transaction, and on SQLite most of a
tap's CPU went there: a session, a connection from the pool, a trip through SQLAlchemy and the
driver's thread for each query. A `Batcher` puts what arrives while it is busy into its next
batch: one transaction and one set of queries for all of it (`bot.diary.record_answers`,
`bot.enrolment.find_carers_at_home`). With one update at a time nothing waits, so a quiet bot
answers as fast as before; a busy one does more in each transaction the busier it is (the
"group commit" of databases).

A batch the database refuses for what an item holds (an integrity or data error: a target
deleted that instant) is tried again one item at a time, so that error is the item's alone. Any
other failure (the database away) is every item's at once, with no retries. One chat's updates
are never in the same batch: the update processor (bot/updates.py) hands a chat its next update
only when the last is done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

# At most this many items in a transaction: the update processor runs 64 updates at once, so a
# batch is rarely larger, and a bounded one keeps SQLite's write lock short.
MAX_BATCH = 64


class Batcher(Generic[Item, Result]):
    """`work(session, items)` returns one result per item, in order; `run(item)` is its result
    for one item, done with whichever others are waiting."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        work: Callable[[AsyncSession, list[Item]], Awaitable[list[Result]]],
        *,
        name: str,
    ) -> None:
        self._sessions = sessions
        self._work = work
        self.name = name
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._working: list[tuple[Item, asyncio.Future[Result]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def run(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._worker is None:
            self._worker = asyncio.create_task(self._work_through(), name=self.name)
            self._worker.add_done_callback(self._worker_stopped)
        return await future

    async def _work_through(self) -> None:
        while self._waiting:
            self._working = self._waiting[:MAX_BATCH]
            del self._waiting[:MAX_BATCH]
            await self._do(self._working)
            self._working = []
        self._worker = None

    def _worker_stopped(self, worker: asyncio.Task[None]) -> None:
        if self._worker is not worker:
            return  # it did everything asked of it
        # Cancelled before it was done, as the loop ends: nobody is left waiting forever.
        self._worker = None
        for _item, future in [*self._working, *self._waiting]:
            future.cancel()
        self._working, self._waiting = [], []

    async def _do(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        waiting = [(item, future) for item, future in batch if not future.cancelled()]
        if not waiting:
            return
        try:
            async with self._sessions.begin() as session:
                results = await self._work(session, [item for item, _ in waiting])
        except (IntegrityError, DataError) as error:
            if len(waiting) == 1:
                _fail(waiting, error)
                return
            # Refused for what one item holds (a target deleted that instant): each alone.
            log.warning("%s: a batch of %d was refused; each alone", self.name, len(waiting))
            for one in waiting:
                await self._do([one])
            return
        except Exception as error:
            # The database away or failing: the same for every item, so no item is tried again
            # (one at a time, each would wait for the same failure).
            _fail(waiting, error)
            return
        for (_item, future), result in zip(waiting, results, strict=True):
            if not future.done():
                future.set_result(result)


def _fail(waiting: list[tuple[Item, asyncio.Future[Result]]], error: Exception) -> None:
    for _item, future in waiting:
        if not future.done():
            future.set_exception(error)
