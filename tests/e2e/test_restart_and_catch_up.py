"""The database decides what is due: a restart never doubles a reminder or loses one still in its
catch-up window, and a half-finished conversation carries on after a restart."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from bot.models import ChatState, OutboxMessage
from tests.e2e.helpers import join

REMINDER = "Here is today’s practice"


async def _joined(bot, fake, *, at: str = "18:30"):
    family_id = await bot.new_family("Sam")
    await bot.set_plan(family_id, ["com-point-to-toy"])
    parent = fake.user(user_id=1001, first_name="Ana")
    await join(bot, parent, await bot.invite(family_id), at=at)
    return family_id, parent


async def _asked_for_a_typed_time(parent) -> None:
    """/time, then "Another time…": the bot waits for a typed time."""
    await parent.send("/time")
    ask = await parent.wait_for(lambda m: "daily reminder now" in m.plain)
    await parent.tap(ask, button_text="Another time…")
    await parent.wait_for(lambda m: "Please type the time" in m.plain)


def _reminders(parent) -> list:
    return [message for message in parent.inbox() if REMINDER in message.plain]


async def test_restart_after_the_reminder_sends_no_second_one(bot, fake, clock):
    _, parent = await _joined(bot, fake)
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    await bot.tick()
    await parent.wait_for(lambda m: REMINDER in m.plain)
    await bot.restart()
    for minutes in (0, 1, 30, 120):
        clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
        clock.advance(minutes=minutes)
        await bot.tick()
    assert len(_reminders(parent)) == 1
    # The next day brings the next one.
    clock.set(datetime(2026, 11, 24, 18, 30, tzinfo=UTC))
    await bot.tick()
    await parent.wait_for(lambda m: REMINDER in m.plain)
    assert len(_reminders(parent)) == 2


async def test_a_crash_between_claim_and_send_repeats_only_that_message(bot, fake, clock):
    _, parent = await _joined(bot, fake)
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    # The tick enqueued it, then "the process died" before the sender ran.
    from jobs.enqueue_reminders import enqueue_due_reminders

    await enqueue_due_reminders(bot.services)
    await bot.restart()
    await bot.tick()
    await parent.wait_for(lambda m: REMINDER in m.plain)
    assert len(_reminders(parent)) == 1


async def test_down_at_reminder_time_but_back_within_the_window(bot, fake, clock):
    _, parent = await _joined(bot, fake)
    await bot.outage(until=datetime(2026, 11, 23, 21, 15, tzinfo=UTC))  # 2 h 45; window 3 h
    await bot.tick()
    late = await parent.wait_for(lambda m: REMINDER in m.plain)
    assert "Point to a toy" in late.plain


async def test_down_past_the_window_the_day_is_recorded_as_missed(bot, fake, clock):
    _, parent = await _joined(bot, fake)
    await bot.outage(until=datetime(2026, 11, 23, 21, 45, tzinfo=UTC))
    await bot.tick()
    assert _reminders(parent) == []
    async with bot.services.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage)))
    assert [(row.local_date, row.status) for row in rows] == [(date(2026, 11, 23), "missed")]


async def test_a_question_asked_before_a_restart_is_answered_after_it(bot, fake, clock):
    _, parent = await _joined(bot, fake)
    await _asked_for_a_typed_time(parent)
    await bot.restart()
    await parent.send("20:15")
    ask_days = await parent.wait_for(lambda m: "On which days?" in m.plain)
    assert "20:15" in ask_days.plain
    await parent.tap(ask_days, button_text="Weekdays only")
    done = await parent.wait_for(lambda m: "Monday to Friday" in m.plain)
    assert "20:15" in done.plain


async def test_a_question_left_unanswered_for_half_an_hour_is_forgotten(bot, fake, clock):
    _, parent = await _joined(bot, fake)
    await _asked_for_a_typed_time(parent)
    clock.advance(minutes=31)
    # Typed long after: a note for the diary, not the answer to a question asked long ago.
    await parent.send("20:15")
    await parent.wait_for(lambda m: "Saved in Sam’s diary" in m.plain)
    assert not any("On which days?" in m.plain for m in parent.inbox())
    async with bot.services.sessions() as session:
        assert await session.scalar(select(ChatState)) is None
