"""What Telegram answers a send decides what happens next: wait, back off, stop, or give up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot import outbox
from bot.context import BotContext
from bot.models import Carer, OutboxMessage
from jobs import enqueue_reminders
from jobs.enqueue_reminders import enqueue_due_reminders
from tests.e2e.helpers import join

REMINDER = "Here is today’s practice"
AT_REMINDER = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)


async def _joined(bot, fake, user_id: int = 1001):
    family_id = await bot.new_family("Sam")
    await bot.set_plan(family_id, ["com-point-to-toy"])
    parent = fake.user(user_id=user_id, first_name="Ana")
    await join(bot, parent, await bot.invite(family_id))
    return parent


async def _outbox(bot) -> list[OutboxMessage]:
    async with bot.services.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _reminders(parent) -> int:
    return sum(1 for message in parent.inbox() if REMINDER in message.plain)


async def test_429_waits_retry_after_then_sends_once(bot, fake, clock):
    parent = await _joined(bot, fake)
    # Too long to wait in place: the outbox reschedules the row for after retry_after.
    fake.fail_next("sendMessage", 429, retry_after=7)
    clock.set(AT_REMINDER)
    _, drained = await bot.tick()
    assert drained.retried == 1 and _reminders(parent) == 0
    [row] = await _outbox(bot)
    assert row.status == "pending" and row.last_error == "429 too many requests"
    clock.advance(seconds=6)
    await bot.tick()
    assert _reminders(parent) == 0
    clock.advance(seconds=2)
    await bot.tick()
    await parent.wait_for(lambda m: REMINDER in m.plain)
    assert _reminders(parent) == 1
    assert [row.status for row in await _outbox(bot)] == ["sent"]


async def test_server_errors_back_off_and_give_up_after_five_attempts(bot, fake, clock):
    parent = await _joined(bot, fake)
    fake.fail_next("sendMessage", 500, "Internal Server Error", count=5)
    clock.set(AT_REMINDER)
    for _ in range(5):
        await bot.tick()
        clock.advance(minutes=30)
    [row] = await _outbox(bot)
    assert row.status == "failed" and row.attempts == 5
    assert "gave up" in row.last_error
    assert _reminders(parent) == 0


async def test_a_sent_row_keeps_the_id_telegram_gave_the_message(bot, fake, clock):
    parent = await _joined(bot, fake)
    clock.set(AT_REMINDER)
    await bot.tick()
    reminder = await parent.wait_for(lambda m: REMINDER in m.plain)
    # Telegram's answer is read as JSON, not as PTB's Message: the id still comes through.
    [row] = await _outbox(bot)
    assert row.status == "sent"
    assert row.telegram_message_id == reminder.message_id
    assert [m.message_id for m in parent.inbox()].count(reminder.message_id) == 1


async def test_only_the_calls_named_for_it_skip_parsing_telegrams_answer(bot):
    with pytest.raises(ValueError, match="send_photo"):
        await bot.app.bot.call_unparsed("send_photo", {"chat_id": 1, "photo": "x"})


async def test_a_server_error_then_success_sends_exactly_once(bot, fake, clock):
    parent = await _joined(bot, fake)
    fake.fail_next("sendMessage", 502, "Bad Gateway")
    clock.set(AT_REMINDER)
    await bot.tick()
    assert _reminders(parent) == 0
    clock.advance(seconds=4)  # the first backoff is 5 seconds
    await bot.tick()
    assert _reminders(parent) == 0
    clock.advance(seconds=2)
    await bot.tick()
    await parent.wait_for(lambda m: REMINDER in m.plain)
    assert _reminders(parent) == 1


async def test_a_blocked_parent_is_marked_unreachable_and_not_retried(bot, fake, clock):
    parent = await _joined(bot, fake)
    await fake.block(parent, notify=False)  # as if the update about it was lost
    clock.set(AT_REMINDER)
    _, drained = await bot.tick()
    assert drained.unreachable == 1
    [row] = await _outbox(bot)
    assert row.status == "unreachable" and row.last_error.startswith("403")
    async with bot.services.sessions() as session:
        carer = await session.scalar(select(Carer))
        assert carer.unreachable_at_utc is not None
    # The next day nothing is even tried.
    clock.advance(days=1)
    await bot.tick()
    assert len(await _outbox(bot)) == 1
    assert (
        len(fake.calls_of("sendMessage"))
        == len([call for call in fake.calls_of("sendMessage") if call.status == 200]) + 1
    )


async def test_an_unreachable_parent_who_writes_again_gets_reminders_again(bot, fake, clock):
    parent = await _joined(bot, fake)
    # Blocked and unblocked, and the updates about both lost: only a 403 told the bot.
    await fake.block(parent, notify=False)
    clock.set(AT_REMINDER)
    await bot.tick()
    await fake.unblock(parent, notify=False)
    await parent.send("/today")
    await parent.wait_for(lambda m: "Today’s practice" in m.plain)
    async with bot.services.sessions() as session:
        carer = await session.scalar(select(Carer))
        assert carer.unreachable_at_utc is None
    clock.advance(days=1)
    await bot.tick()
    await parent.wait_for(lambda m: REMINDER in m.plain)


async def test_blocking_and_coming_back_through_my_chat_member(bot, fake, clock):
    parent = await _joined(bot, fake)
    await fake.block(parent)
    await fake.wait_idle()
    clock.set(AT_REMINDER)
    await bot.tick()
    assert await _outbox(bot) == []  # known blocked: nothing tried
    await fake.unblock(parent)
    await parent.send("/today")
    await parent.wait_for(lambda m: "Today’s practice" in m.plain)
    clock.advance(days=1)
    await bot.tick()
    await parent.wait_for(lambda m: REMINDER in m.plain)


async def test_a_permanent_400_is_recorded_as_failed_with_its_reason(bot, fake, clock):
    parent = await _joined(bot, fake)
    fake.fail_next("sendMessage", 400, "Bad Request: chat not found")
    clock.set(AT_REMINDER)
    _, drained = await bot.tick()
    assert drained.failed == 1
    [row] = await _outbox(bot)
    assert row.status == "failed" and "chat not found" in row.last_error.lower()
    clock.advance(hours=1)
    await bot.tick()
    assert _reminders(parent) == 0 and (await _outbox(bot))[0].attempts == 1


async def test_a_send_in_flight_when_the_process_died_is_sent_after_its_lease(bot, fake, clock):
    parent = await _joined(bot, fake)
    clock.set(AT_REMINDER)
    await enqueue_due_reminders(bot.services)
    async with bot.services.sessions() as session:
        claimed = await outbox.claim(session, clock, limit=10)
    assert len(claimed) == 1  # claimed, and then the process died before sending
    await bot.restart()
    await bot.tick()
    assert _reminders(parent) == 0  # the lease still holds: another instance may be sending
    clock.advance(seconds=outbox.LEASE.total_seconds() + 1)
    await bot.tick()
    await parent.wait_for(lambda m: REMINDER in m.plain)
    assert _reminders(parent) == 1
    clock.advance(minutes=5)
    await bot.tick()
    assert _reminders(parent) == 1


async def test_the_reminder_tick_starts_sending_as_soon_as_it_has_queued(bot, fake, clock):
    """The tick that queues a reminder starts the sender itself: the first reminders of a
    minute go at once, not at the outbox's next drain tick (the harness has none)."""
    parent = await _joined(bot, fake)
    clock.set(AT_REMINDER)
    assert bot.app is not None
    await enqueue_reminders.tick(BotContext(bot.app))
    await parent.wait_for(lambda m: REMINDER in m.plain, timeout=2)
    assert _reminders(parent) == 1
