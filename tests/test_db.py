"""The SQLite engine's economies keep SQLAlchemy's meaning: each statement makes one trip to
aiosqlite's thread yet returns what SQLAlchemy's own adapter would, a block that only read
commits without a trip, and the pool skips the rollback after a committed transaction but still
rolls back an open one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.db import make_engine


async def test_a_connection_handed_back_mid_transaction_is_rolled_back(tmp_path: Path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE counter (value INTEGER)"))
            await connection.execute(text("INSERT INTO counter VALUES (0)"))
        # A transaction left open below SQLAlchemy (as after a driver error): only the pool's
        # reset can end it.
        connection = await engine.connect()
        driver = (await connection.get_raw_connection()).driver_connection
        await driver.execute("UPDATE counter SET value = 1")
        assert driver.in_transaction
        await connection.close()

        async with engine.connect() as connection:
            again = (await connection.get_raw_connection()).driver_connection
            # The pool's one idle connection: the same one, handed back clean.
            assert again is driver
            assert not again.in_transaction
            assert (await connection.scalar(text("SELECT value FROM counter"))) == 0
        # And committed work stays committed through the skipped reset.
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE counter SET value = 2"))
        async with engine.connect() as connection:
            assert (await connection.scalar(text("SELECT value FROM counter"))) == 2
    finally:
        await engine.dispose()


async def test_each_statement_is_one_trip_to_the_connections_thread_with_sqlalchemys_results(
    tmp_path: Path,
):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'trips.db'}")
    metadata = MetaData()
    notes = Table(
        "notes",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("text", String, unique=True),
    )
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            trips = _count_trips(driver)

            inserted = await connection.execute(
                notes.insert().returning(notes.c.id), [{"text": "a"}, {"text": "b & <c>"}]
            )
            assert inserted.scalars().all() == [1, 2]
            single = await connection.execute(notes.insert().values(text="d"))
            assert single.inserted_primary_key == (3,)
            changed = await connection.execute(
                update(notes).where(notes.c.id > 1).values(text=notes.c.text + "!")
            )
            assert changed.rowcount == 2
            trips.clear()
            rows = (await connection.execute(select(notes).order_by(notes.c.id))).all()
            assert [tuple(row) for row in rows] == [(1, "a"), (2, "b & <c>!"), (3, "d!")]
            # A SELECT: one call on the thread, where SQLAlchemy's own adapter makes four.
            assert trips == ["execute"]
            with pytest.raises(IntegrityError):
                await connection.execute(notes.insert().values(text="a"))
            await connection.rollback()
            assert (await connection.scalar(select(func.count()).select_from(notes))) == 0
    finally:
        await engine.dispose()


async def test_a_block_that_only_read_commits_without_a_trip_and_one_that_wrote_with_one(
    tmp_path: Path,
):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'commits.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE counter (value INTEGER)"))
            await connection.execute(text("INSERT INTO counter VALUES (0)"))
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
        trips = _count_trips(driver)

        async with engine.begin() as connection:
            assert (await connection.scalar(text("SELECT value FROM counter"))) == 0
        # The SELECT only: SQLite had no transaction open, so there was nothing to commit.
        assert trips == ["execute"]

        trips.clear()
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE counter SET value = 1"))
        assert trips == ["execute", "commit"]
        trips.clear()
        async with engine.connect() as connection:
            await connection.execute(text("UPDATE counter SET value = 2"))
            await connection.rollback()
        assert trips == ["execute", "rollback"]
        # Read on a fresh connection, not the one above: the first write was committed, the
        # second rolled back.
        other = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'commits.db'}")
        try:
            async with other.connect() as connection:
                assert (await connection.scalar(text("SELECT value FROM counter"))) == 1
        finally:
            await other.dispose()
    finally:
        await engine.dispose()


def _count_trips(driver: object) -> list[str]:
    """The names of the calls made on the connection's thread from now on."""
    trips: list[str] = []
    connection = getattr(driver, "_aiosqlite", driver)
    run_on_thread = connection._execute

    async def counted(function, *args, **kwargs):  # type: ignore[no-untyped-def]
        trips.append(args[0] if args and isinstance(args[0], str) else function.__name__)
        return await run_on_thread(function, *args, **kwargs)

    connection._execute = counted
    return trips
