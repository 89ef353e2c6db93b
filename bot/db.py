"""Database engine and sessions (SQLAlchemy 2 async; SQLite by default, PostgreSQL in prod)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot import sqlite_driver


def make_engine(database_url: str) -> AsyncEngine:
    if database_url.startswith("sqlite"):
        database = make_url(database_url).database or ":memory:"
        engine = create_async_engine(
            database_url,
            # aiosqlite's connection, with each statement in one trip to its thread.
            async_creator=lambda: sqlite_driver.connect(database, busy_timeout_seconds=30),
            hide_parameters=True,
        )
        # The pool rolls back every connection handed back, even one whose transaction was just
        # committed; the driver's rollback makes no trip to its thread when none is open.

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            # WAL lets the sender write while handlers read; foreign keys are off by default.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # hide_parameters: a failing statement must not put a parent's note into the logs.
    return create_async_engine(database_url, pool_pre_ping=True, hide_parameters=True)


def dialect_name(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def insert_for(dialect: str, table: Any) -> Any:
    """An INSERT that can take ON CONFLICT, for PostgreSQL or SQLite: the two dialects spell it
    the same way, but through their own `insert`."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def insert_or_merge(session: AsyncSession, table: Any) -> Any:
    """`insert_for` the session's database."""
    return insert_for(dialect_name(session), table)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
