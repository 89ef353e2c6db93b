"""The migrations build exactly the schema the models describe, and can be walked back."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Connection, inspect

from bot.migrate import alembic_config, upgrade_to_head


def _on(connection: Connection, url: str, action) -> None:  # type: ignore[no-untyped-def]
    config = alembic_config(url)
    config.attributes["connection"] = connection
    action(config)


async def test_models_and_migrations_agree(services):
    url = str(services.engine.url)
    async with services.engine.begin() as connection:
        # Raises if autogenerate would find anything to add: a model changed without a migration.
        await connection.run_sync(_on, url, command.check)


async def test_downgrade_to_nothing_and_up_again(services):
    url = str(services.engine.url)
    async with services.engine.begin() as connection:
        await connection.run_sync(_on, url, lambda config: command.downgrade(config, "base"))
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    assert set(tables) <= {"alembic_version"}
    await upgrade_to_head(services.engine)
    async with services.engine.begin() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    assert {"carers", "outbox", "diary_notes", "invite_attempts"} <= set(tables)
