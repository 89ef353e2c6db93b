"""The bot as a real process against the fake Bot API, through the faults production brings:
kill -9 mid fan-out, SIGTERM, a flaky Telegram, and two instances on one PostgreSQL.

Families are put in the database in bulk with today's reminder a minute ago, so the process's
first tick finds them all due at once, as a county's families whose reminder falls in the same
minute. These tests run on the wall clock: the process is real.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.models import OutboxMessage, SendPace
from tests.bot_process import BotProcess, free_port, objects_set_aside, outbox_counts, wait_for
from tests.bulk import seed_families
from tests.fake_bot_api import FakeBotApi
from tests.harness import most_in_one_second

REMINDER = "Here is today’s practice"
POSTGRES_ONLY = pytest.mark.skipif(
    not os.environ.get("PORTAGE_TEST_DATABASE_URL"),
    reason="two instances share one database only on PostgreSQL (set PORTAGE_TEST_DATABASE_URL)",
)


async def _families_due_now(services, fake: FakeBotApi, count: int) -> list[int]:
    now = datetime.now(UTC)
    local = now.astimezone(ZoneInfo("Europe/London")) - timedelta(minutes=1)
    seeded = await seed_families(
        services,
        count,
        reminder_time=local.time().replace(second=0, microsecond=0),
        enrolled_at=now - timedelta(hours=1),
    )
    for user_id in seeded.user_ids:
        fake.user(user_id, "Parent")
    return seeded.user_ids


def _reminders_per_chat(fake: FakeBotApi) -> Counter[int]:
    return Counter(
        message.chat_id for message in fake.messages() if REMINDER in (message.text or "")
    )


def _bot(fake, database_url: str, tmp_path: Path, name: str = "bot", **settings) -> BotProcess:
    return BotProcess(fake, database_url, tmp_path / name, **settings)


async def test_kill_9_mid_fan_out_then_restart_sends_each_family_one_reminder(
    services, fake, database_url, tmp_path
):
    families = await _families_due_now(services, fake, 2000)
    bot = _bot(fake, database_url, tmp_path, outbox_lease_seconds="5")
    await bot.start()
    try:
        await wait_for(
            lambda: sum(_reminders_per_chat(fake).values()) >= 400,
            within=120,
            what="400 reminders delivered before the kill",
        )
        await bot.kill()
        delivered_at_kill = sum(_reminders_per_chat(fake).values())
        async with services.sessions() as session:
            in_flight = set(
                await session.scalars(
                    select(OutboxMessage.chat_id).where(OutboxMessage.status == "sending")
                )
            )
        assert delivered_at_kill < len(families), "the kill came after the fan-out had finished"

        await bot.start()
        await _every_family_reached(fake, services, families, within=200)
    finally:
        await bot.stop_if_running()
    per_chat = _reminders_per_chat(fake)
    assert set(per_chat) == set(families)
    # Without an idempotency key in the Bot API, only a send in flight at the kill may repeat.
    repeated = {chat for chat, count in per_chat.items() if count > 1}
    assert repeated <= in_flight, (repeated, in_flight)
    assert max(per_chat.values()) <= 2
    assert len(in_flight) <= 30
    assert fake.too_many_requests == 0
    assert (await outbox_counts(services)) == {"sent": len(families)}


async def _drained(services) -> bool:
    counts = await outbox_counts(services)
    return not counts.get("pending") and not counts.get("sending")


async def _every_family_reached(fake, services, families: list[int], *, within: float) -> None:
    """Every family has a reminder, and the outbox has nothing left waiting or in flight."""
    await wait_for(
        lambda: len(_reminders_per_chat(fake)) == len(families),
        within=within,
        what="every family's reminder",
    )
    await wait_for(lambda: _drained(services), within=30, what="the outbox to settle")


async def test_sigterm_mid_fan_out_stops_cleanly_and_loses_nothing(
    services, fake, database_url, tmp_path
):
    families = await _families_due_now(services, fake, 300)
    bot = _bot(fake, database_url, tmp_path, log_level="INFO")
    await bot.start()
    try:
        await wait_for(
            lambda: sum(_reminders_per_chat(fake).values()) >= 60,
            within=60,
            what="60 reminders before SIGTERM",
        )
        # The stop is uvloop's signal handling: `portage-bot run` runs on it.
        assert "bot ready (event loop: uvloop)" in bot.output()
        assert objects_set_aside(bot.output()) > 100_000
        assert await bot.terminate(within=15) == 0, bot.output()
        counts = await outbox_counts(services)
        # Finished or handed back: nothing left claimed by a process that is gone.
        assert counts.get("sending", 0) == 0, counts
        assert counts.get("pending", 0) > 0, "SIGTERM came after the fan-out had finished"
        await bot.start()
        await _every_family_reached(fake, services, families, within=60)
    finally:
        await bot.stop_if_running()
    # A clean stop repeats nothing.
    assert set(_reminders_per_chat(fake).values()) == {1}
    assert (await outbox_counts(services)) == {"sent": len(families)}
    assert "Traceback" not in bot.output()
    # Nor a warning: PortageBot.call_unparsed's calls are deliberate, and said so to Python.
    assert "Warning:" not in bot.output()


async def test_a_flaky_telegram_still_gets_every_message_once(
    services, fake, database_url, tmp_path
):
    families = await _families_due_now(services, fake, 400)
    # One send in ten: a 429 with retry_after, a 500, a 502, or the connection dropped before
    # Telegram took the request.
    fake.fault_rate(0.1, kinds=("429", "500", "502", "drop"), methods=("sendMessage",), seed=7)
    bot = _bot(fake, database_url, tmp_path, outbox_backoff_seconds="1")
    await bot.start()
    try:
        await _every_family_reached(fake, services, families, within=150)
    finally:
        await bot.stop_if_running()
    injected = [call for call in fake.errors if call.injected]
    assert len(injected) >= 20, "the fault rate did not bite"
    assert set(_reminders_per_chat(fake).values()) == {1}
    assert (await outbox_counts(services)) == {"sent": len(families)}
    # Telegram's own limits were never the reason for a refusal.
    assert [call for call in fake.errors if not call.injected] == []


def _sent_by(bot: BotProcess) -> int:
    return sum(int(n) for n in re.findall(r"outbox drained: (\d+) sent", bot.output()))


@POSTGRES_ONLY
async def test_two_instances_share_one_fan_out_without_duplicates_or_flooding(
    services, fake, database_url, tmp_path
):
    families = await _families_due_now(services, fake, 600)
    # Several instances take updates by webhook behind a load balancer (Telegram lets only one
    # client poll getUpdates at a time); each drains the outbox.
    instances = [
        _bot(
            fake,
            database_url,
            tmp_path,
            name,
            webhook_port=str(free_port()),
            webhook_public_url="https://bot.example.org",
            webhook_secret_token="two-instances-secret",
            log_level="INFO",
        )
        for name in ("first", "second")
    ]
    first, second = instances
    await first.start("--webhook")
    await second.start("--webhook")
    try:
        await wait_for(
            lambda: len(_reminders_per_chat(fake)) == len(families),
            within=120,
            what="the fan-out drained by two instances",
        )
        # A drain logs its count once its last outcomes are recorded, a few milliseconds after
        # the last message arrived; the instances are killed only then.
        await wait_for(
            lambda: sum(_sent_by(bot) for bot in instances) == len(families),
            within=10,
            what="both instances' drains logged",
        )
    finally:
        await first.stop_if_running()
        await second.stop_if_running()
    assert set(_reminders_per_chat(fake).values()) == {1}
    # Both took part: each logged sends of its own (the counts are all a log line holds).
    sent_by = [_sent_by(bot) for bot in instances]
    assert all(sent_by) and sum(sent_by) == len(families), sent_by
    assert fake.too_many_requests == 0
    busiest = most_in_one_second([call.at for call in fake.calls_of("sendMessage")])
    assert busiest <= 30, busiest
    # They saw each other taking moments from the pace, so they kept to the shared rate.
    async with services.engine.connect() as connection:
        assert await connection.scalar(select(SendPace.shared_until_us)) > 0
