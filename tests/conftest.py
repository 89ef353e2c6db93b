"""Shared fixtures: a migrated database, a manual clock, the services, and the whole bot driven
through the project's fake Bot API server over real HTTP."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import build_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import Services
from bot.migrate import upgrade_to_head
from tests.fake_bot_api import FakeBotApi
from tests.harness import BotHarness

TOKEN = "123456:TEST-TOKEN"
# Set to a postgresql+asyncpg:// URL to run the suite on PostgreSQL (as .ci/run does).
POSTGRES_URL = os.environ.get("PORTAGE_TEST_DATABASE_URL", "")

# Monday 23 November 2026, 09:00 in London (GMT, so also 09:00 UTC).
MONDAY_MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def _fresh_postgres_schema(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    if POSTGRES_URL:
        await _fresh_postgres_schema(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite+aiosqlite:///{tmp_path / 'portage.db'}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY_MORNING)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_bot_username="portage_test_bot",
        database_url=database_url,
        default_timezone="Europe/London",
    )


@pytest.fixture
async def services(settings: Settings, clock: ManualClock) -> AsyncIterator[Services]:
    built = build_services(settings, clock)
    await upgrade_to_head(built.engine)
    yield built
    await built.engine.dispose()


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    # As strict as Telegram's documentation: one message a second per chat, no bursts.
    server = FakeBotApi(
        token=TOKEN, bot_username="portage_test_bot", bot_id=123456, per_chat_burst=1
    )
    # The fake shares the test runner's process. Late in a suite a full garbage collection of
    # the runner's heap pauses it for a few hundred milliseconds, and the sends that arrive
    # meanwhile are stamped together when it resumes: a burst no bot made, which the strict
    # limits answer with 429. Telegram is not paused by our collector, so what the test had
    # made before the fake starts is set aside for the collector until it stops.
    gc.freeze()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        gc.unfreeze()


@pytest.fixture
async def bot(
    settings: Settings, clock: ManualClock, fake: FakeBotApi
) -> AsyncIterator[BotHarness]:
    harness = BotHarness(
        settings.model_copy(update={"telegram_api_base_url": fake.base_url}), clock, fake
    )
    await harness.start()
    yield harness
    await harness.stop()
    # Every request the bot made was one Telegram would have accepted: errors a test injected,
    # and 403s from users a test made block the bot, are the only ones allowed.
    unexpected = [call for call in fake.errors if not call.injected and call.status != 403]
    assert unexpected == [], [(call.method, call.response) for call in unexpected]
