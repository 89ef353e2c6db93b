"""Reminders at the parent's wall-clock time across both Europe/London clock changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.helpers import join

REMINDER = "Here is today’s practice"


async def _reminder_times_over(bot, fake, clock, first_day: datetime, days: int) -> list[datetime]:
    """Join the day before `first_day`, then tick every 10 minutes for `days` days."""
    clock.set(first_day - timedelta(hours=12))
    family_id = await bot.new_family("Sam")
    await bot.set_plan(family_id, ["com-point-to-toy"])
    parent = fake.user(user_id=1001, first_name="Ana")
    await join(bot, parent, await bot.invite(family_id), at="07:30")
    seen: list[datetime] = []
    clock.set(first_day)
    while clock.now() < first_day + timedelta(days=days):
        await bot.tick()
        count = sum(1 for message in parent.inbox() if REMINDER in message.plain)
        if count > len(seen):
            seen.append(clock.now())
        clock.advance(minutes=10)
    return seen


async def test_spring_forward(bot, fake, clock):
    seen = await _reminder_times_over(
        bot, fake, clock, datetime(2026, 3, 28, 0, 0, tzinfo=UTC), days=3
    )
    # 07:30 GMT on Saturday, then 07:30 BST (06:30 UTC) on Sunday and Monday.
    assert seen == [
        datetime(2026, 3, 28, 7, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 6, 30, tzinfo=UTC),
        datetime(2026, 3, 30, 6, 30, tzinfo=UTC),
    ]


async def test_fall_back(bot, fake, clock):
    seen = await _reminder_times_over(
        bot, fake, clock, datetime(2026, 10, 24, 0, 0, tzinfo=UTC), days=3
    )
    assert seen == [
        datetime(2026, 10, 24, 6, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 7, 30, tzinfo=UTC),
        datetime(2026, 10, 26, 7, 30, tzinfo=UTC),
    ]
