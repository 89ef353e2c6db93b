"""SQLite through aiosqlite with each statement in one trip to the connection's thread.

aiosqlite runs every call on the connection's own thread and hands the result back to the event
loop: a thread woken, then the loop woken, a few system calls each way. SQLAlchemy's adapter makes
four such calls for a SELECT (open a cursor, execute, fetch the rows, close the cursor) and three
for an INSERT or UPDATE, which made those hand-offs a large share of a parent's tap on SQLite.
The connection below gives SQLAlchemy a cursor that does all of that in a single call on the
thread and keeps the rows, the description and the counts for SQLAlchemy to read afterwards.
A commit or rollback with no transaction open makes no trip at all. Everything else (a real
commit or rollback, close, the thread itself) is aiosqlite's own.

SQLAlchemy takes it through `create_async_engine(async_creator=...)`, its documented way of
supplying the driver's connection (`bot.db.make_engine`; the URL's path is used, not its query).
It uses three of aiosqlite's own names (`_execute`, `_conn`, `_thread`, as in aiosqlite 0.22),
as SQLAlchemy's adapter uses `_conn` and `_tx`; tests/test_db.py fails if they change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite


class OneTripCursor:
    """The part of aiosqlite's cursor SQLAlchemy uses; `execute` and `executemany` each run
    whole (execute, fetch, close) in one call on the connection's thread."""

    arraysize = 1

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> OneTripCursor:
        # aiosqlite's own way of running a function on the connection's thread.
        await self._connection._execute(self._run, "execute", sql, parameters or ())
        return self

    async def executemany(self, sql: str, parameters: Sequence[Any]) -> OneTripCursor:
        await self._connection._execute(self._run, "executemany", sql, parameters)
        return self

    def _run(self, method: str, sql: str, parameters: Any) -> None:
        """On the connection's thread: what SQLAlchemy would otherwise ask for call by call."""
        cursor: sqlite3.Cursor = self._connection._conn.cursor()
        try:
            getattr(cursor, method)(sql, parameters)
            self.description = cursor.description
            self._rows = cursor.fetchall() if cursor.description else []
            self.rowcount = cursor.rowcount
            self.lastrowid = cursor.lastrowid
        finally:
            cursor.close()

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = size or self.arraysize
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []


class OneTripConnection:
    """aiosqlite's connection, but for its cursors."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._aiosqlite = connection

    def cursor(self) -> OneTripCursor:
        return OneTripCursor(self._aiosqlite)

    # Python's sqlite3 opens a transaction only before a write, and its commit and rollback do
    # nothing without one. A read-only block (most of a parent's updates start with one), and
    # the pool's rollback of every connection handed back, would still pay a trip to the thread
    # to find that out (about 8% of a short transaction's CPU, for the pool's); SQLite answers
    # it on this thread.
    async def commit(self) -> None:
        if self._aiosqlite._conn.in_transaction:
            await self._aiosqlite.commit()

    async def rollback(self) -> None:
        if self._aiosqlite._conn.in_transaction:
            await self._aiosqlite.rollback()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._aiosqlite, name)


async def connect(database: str, *, busy_timeout_seconds: float) -> OneTripConnection:
    # As SQLAlchemy's aiosqlite dialect connects: the pool hands a connection from task to
    # task (so not tied to the thread that made it), and the thread does not keep the process
    # alive at exit.
    connecting = aiosqlite.connect(database, timeout=busy_timeout_seconds, check_same_thread=False)
    connecting._thread.daemon = True
    return OneTripConnection(await connecting)
