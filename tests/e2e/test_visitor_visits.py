"""A visitor moves, cancels and finishes visits; repeats skip the holidays a manager entered;
a summary on demand for any period. End to end through the fake Bot API, clock in hand."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.models import Visit
from tests.e2e.helpers import add_family, book_visit, family_with_a_diary, sign_in


async def visits_of(bot) -> list[tuple[str, str, int | None]]:
    async with bot.services.sessions() as session:
        rows = await session.scalars(select(Visit).order_by(Visit.id))
        return [
            (visit.starts_at_utc.strftime("%Y-%m-%d %H:%M"), visit.status, visit.repeat_days)
            for visit in rows
        ]


async def test_move_cancel_and_finish_visits_with_holidays_skipped(bot, fake, clock):
    manager = await sign_in(bot, fake, 3001, "Jo", role="manager")
    await manager.send("/holidays 2026-12-21 2027-01-03 Christmas")
    listed = await manager.wait_for(lambda m: "School holidays" in m.plain)
    assert "Christmas: Mon 21 Dec to Sun 3 Jan" in listed.plain
    await manager.send("/holidays someday")
    assert "Nothing was changed" in (await manager.wait_for()).plain

    priya = await sign_in(bot, fake, 2001, "Priya")
    await add_family(priya, "Sam")

    # Booked for Tuesday 1 December at 10:00, weekly; then moved to Wednesday 2nd at 14:30.
    booked = await book_visit(priya, "Tue 1", "10:00", "Every week")
    await priya.tap(booked, button_text="Move")
    await priya.tap(await priya.wait_for(lambda m: "Which day" in m.plain), button_text="Wed 2")
    await priya.tap(await priya.wait_for(lambda m: "what time?" in m.plain), button_text="14:30")
    moved = await priya.wait_for(lambda m: "Moved" in m.plain)
    assert "Next: Wednesday 2 December, 14:30, then weekly" in moved.plain
    assert "Summary to you: Tuesday 1 December, 18:00" in moved.plain
    assert await visits_of(bot) == [("2026-12-02 14:30", "booked", 7)]

    # Once its time has passed the next is booked a week on, at the same local time.
    clock.set(datetime(2026, 12, 2, 15, 0, tzinfo=UTC))
    await bot.tick()
    await priya.send("/visit 1")
    view = await priya.wait_for(lambda m: "Visits with Sam" in m.plain)
    assert "Next: Wednesday 2 December, 14:30" in view.plain  # today's, until marked done
    await priya.tap(view, button_text="✅ Mark as done")
    done = await priya.wait_for(lambda m: "Marked as done" in m.plain)
    assert "Next: Wednesday 9 December, 14:30, then weekly" in done.plain
    assert "Last: Wednesday 2 December, 14:30" in done.plain

    # Cancelling just this one keeps the series; the repeat after it jumps the holidays.
    await priya.tap(done, button_text="Cancel")
    confirm = await priya.wait_for(lambda m: "Cancel the visit with Sam?" in m.plain)
    await priya.tap(confirm, button_text="Cancel this visit")
    await priya.wait_for(lambda m: "Cancelled" in m.plain and "No visit booked" in m.plain)
    clock.set(datetime(2026, 12, 9, 15, 0, tzinfo=UTC))
    await bot.tick()
    clock.set(datetime(2026, 12, 16, 15, 0, tzinfo=UTC))
    await bot.tick()
    assert [row[:2] for row in await visits_of(bot)] == [
        ("2026-12-02 14:30", "done"),
        ("2026-12-09 14:30", "cancelled"),
        ("2026-12-16 14:30", "booked"),
        ("2027-01-06 14:30", "booked"),
    ]

    # Today's visit shows until it is marked done; then the one after the holidays.
    await priya.send("/visit 1")
    view = await priya.wait_for(lambda m: "Next: Wednesday 16 December" in m.plain)
    assert "Last: Wednesday 2 December" in view.plain
    await priya.tap(view, button_text="✅ Mark as done")
    view = await priya.wait_for(lambda m: "Next: Wednesday 6 January" in m.plain)
    assert "Last: Wednesday 16 December" in view.plain

    # Cancelling with "stop repeating" ends the series.
    await priya.tap(view, button_text="Cancel")
    confirm = await priya.wait_for(lambda m: "stop the repeats too" in m.plain)
    await priya.tap(confirm, button_text="Cancel it and stop repeating")
    await priya.wait_for(lambda m: "Cancelled" in m.plain)
    clock.set(datetime(2027, 1, 7, 9, 0, tzinfo=UTC))
    await bot.tick()
    assert [row[1:] for row in await visits_of(bot)] == [
        ("done", 7),
        ("cancelled", 7),
        ("done", 7),
        ("cancelled", None),
    ]


async def test_a_summary_on_demand_for_the_last_days_or_any_period(bot, fake, clock):
    priya, _ = await family_with_a_diary(bot, fake, "Built 3 blocks & clapped <3")

    await priya.send("/summary")
    picker = await priya.wait_for(lambda m: "Whose summary?" in m.plain)
    await priya.tap(picker, button_text="Sam · #1")
    period = await priya.wait_for(lambda m: "which days?" in m.plain)
    await priya.tap(period, button_text="Last 7 days")
    summary = await priya.wait_for(lambda m: m.plain.startswith("📋 Sam: Tue 17 Nov to Mon 23 Nov"))
    assert "Practised on 1 of 1 days with a plan." in summary.plain
    assert "Built 3 blocks & clapped <3" in summary.plain
    await priya.wait_for(lambda m: m.kind == "photo" and "activity chart" in m.plain)

    await priya.send("/summary 1 2026-11-20 2026-11-23")
    summary = await priya.wait_for(lambda m: m.plain.startswith("📋 Sam: Fri 20 Nov to Mon 23 Nov"))
    assert "Mon 23 Nov: ✅ yes" in summary.plain
    await priya.wait_for(lambda m: m.kind == "photo" and "Fri 20 Nov to Mon 23 Nov" in m.plain)
    for bad in ("/summary 1 2026-11-23 2026-11-20", "/summary 1 2026-01-01 2026-11-20",
                "/summary 1 yesterday today"):  # fmt: skip
        await priya.send(bad)
        assert "for any period" in (await priya.wait_for()).plain
