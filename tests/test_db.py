"""The engine's connection pool on SQLite: it skips the rollback after a committed transaction
(a round trip to aiosqlite's thread each time), so it must still roll back an open one."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

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
