"""The database goes away for a while: the bot keeps answering people kindly, does not crash, and
catches up with what fell due once the database is back (PostgreSQL, behind a TCP proxy the test
cuts and restores)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from tests.e2e.helpers import join
from tests.harness import BotHarness
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.skipif(
    not os.environ.get("PORTAGE_TEST_DATABASE_URL"),
    reason="cuts a PostgreSQL connection through a TCP proxy (set PORTAGE_TEST_DATABASE_URL)",
)
REMINDER = "Here is today’s practice"
TRY_AGAIN = "can’t reach my records just now"


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[TcpProxy]:
    address = urlsplit(database_url)
    server = TcpProxy(address.hostname or "127.0.0.1", address.port or 5432)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot_via_proxy(settings, clock, fake, proxy, services) -> AsyncIterator[BotHarness]:
    # `services` has migrated the database directly; the bot reaches it only through the proxy.
    address = urlsplit(settings.database_url)
    proxied = address._replace(netloc=f"{address.username}@127.0.0.1:{proxy.port}").geturl()
    harness = BotHarness(
        settings.model_copy(
            update={"telegram_api_base_url": fake.base_url, "database_url": proxied}
        ),
        clock,
        fake,
    )
    await harness.start()
    yield harness
    await harness.stop()


async def test_while_the_database_is_away_people_are_told_kindly_and_nothing_crashes(
    bot_via_proxy, fake, proxy, clock
):
    bot = bot_via_proxy
    family_id = await bot.new_family("Sam")
    await bot.set_plan(family_id, ["com-point-to-toy"])
    parent = fake.user(user_id=1001, first_name="Ana")
    await join(bot, parent, await bot.invite(family_id), at="18:30")
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    await bot.tick()
    reminder = await parent.wait_for(lambda m: REMINDER in m.plain)

    await proxy.cut()
    await parent.send("Sam pointed at the dog today!")
    sorry = await parent.wait_for(lambda m: TRY_AGAIN in m.plain)
    assert "send it again" in sorry.plain
    tap = await parent.tap(reminder, button_text="4/5")
    assert TRY_AGAIN in (await parent.wait_for_answer(tap))["text"]
    await parent.send("/week")
    await parent.wait_for(lambda m: TRY_AGAIN in m.plain and m.message_id > sorry.message_id)
    # The scheduled work fails quietly meanwhile (the JobQueue would log it and tick again).
    with pytest.raises(Exception):  # noqa: B017,PT011 (any database error will do)
        await bot.tick()

    # Tomorrow's reminder falls due while the database is still away.
    clock.set(datetime(2026, 11, 24, 18, 30, tzinfo=UTC))
    await proxy.restore()
    clock.set(datetime(2026, 11, 24, 19, 0, tzinfo=UTC))
    await bot.tick()
    await parent.wait_for(
        lambda m: REMINDER in m.plain and m.message_id > reminder.message_id, timeout=10
    )
    # And the parent's words, sent again, are kept.
    await parent.send("Sam pointed at the dog today!")
    await parent.wait_for(lambda m: "Saved in Sam’s diary" in m.plain, timeout=10)
    diary = await bot.diary_of(family_id)
    assert [note[1] for note in diary.notes] == ["Sam pointed at the dog today!"]
    # One kind word for each thing sent during the outage, and never "something went wrong".
    during = [m.plain for m in fake.messages(parent.id) if TRY_AGAIN in m.plain]
    assert len(during) == 2
    assert not [m for m in fake.messages(parent.id) if "something went wrong" in m.plain]
