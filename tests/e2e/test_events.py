"""Events: the day-before reminder for families who said they would come (with the injected
clock), and cancelling or moving an event, told to everyone it reached who did not decline."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e.helpers import (
    enrolled_families,
    make_group,
    settle_past_chat_pacing,
    sign_in,
    write_announcement,
)

GROUP = "Monday drop-in, Coalville"
NEWS = "Drop-in with stories and songs."
REMINDER = "Tomorrow: Monday drop-in"


async def _event_with_answers(bot, fake):
    """Three families get an event on Wednesday 25 November at 10:00: Child 1 is coming,
    Child 2 cannot, Child 3 has not said."""
    families = await enrolled_families(bot, fake, 3)
    manager = await sign_in(bot, fake, 2001, "Maya", role="manager")
    await make_group(manager, GROUP, ["Child 1", "Child 2", "Child 3"])
    _, controls = await write_announcement(
        manager, [GROUP], NEWS, event=("Wed 25", "10:00", "Coalville Library")
    )
    await manager.tap(controls, button_text="📤 Send now")
    await manager.wait_for(lambda m: "Going out now" in m.plain)
    await bot.tick()
    parents = [parent for _, parent in families]
    for parent, answer in zip(parents, ("👍 I’ll come", "Can’t make it", None), strict=True):
        news = await parent.wait_for(lambda m: NEWS in m.plain)
        if answer:
            await parent.wait_for_answer(await parent.tap(news, button_text=answer))
    await bot.tick()
    return manager, parents


async def _open_details(manager, coming: int = 1):
    """/announcements, then the latest: its details and who is coming."""
    await manager.send("/announcements")
    listing = await manager.wait_for(lambda m: "Announcements" in m.plain)
    await manager.tap(listing, button_text=next(t for t, _ in listing.button_data()))
    return await manager.wait_for(lambda m: f"Coming: {coming}" in m.plain)


def _count(parent, words: str) -> int:
    return sum(words in message.plain for message in parent.inbox())


async def test_the_day_before_only_those_coming_are_reminded_once(bot, fake, clock):
    _, (coming, not_coming, silent) = await _event_with_answers(bot, fake)
    clock.set(datetime(2026, 11, 24, 16, 59, tzinfo=UTC))
    await bot.tick()
    assert _count(coming, REMINDER) == 0
    clock.set(datetime(2026, 11, 24, 17, 0, tzinfo=UTC))
    await bot.tick()
    reminder = await coming.wait_for(lambda m: REMINDER in m.plain)
    assert (
        "Wednesday 25 November, 10:00" in reminder.plain and "Coalville Library" in reminder.plain
    )
    # Their answer is ticked, so "can't make it after all" is one tap.
    assert [text for text, _ in reminder.button_data()] == ["✓ 👍 I’ll come", "Can’t make it"]
    for minutes in (1, 30, 600):
        clock.set(datetime(2026, 11, 24, 17, 0, tzinfo=UTC))
        clock.advance(minutes=minutes)
        await bot.tick()
    await bot.restart()
    await bot.tick()
    assert _count(coming, REMINDER) == 1
    assert _count(not_coming, REMINDER) == 0 and _count(silent, REMINDER) == 0


async def test_cancelling_tells_everyone_who_did_not_decline(bot, fake, clock):
    manager, (coming, not_coming, silent) = await _event_with_answers(bot, fake)
    details = await _open_details(manager)
    assert "No answer yet: 1" in details.plain
    await manager.tap(details, button_text="❌ Cancel the event")
    confirm = await manager.wait_for(lambda m: "Cancel this event?" in m.plain)
    await manager.tap(confirm, button_text="Yes, cancel it")
    done = await manager.wait_for(lambda m: "Cancelled: 2 people were told" in m.plain)
    assert "❌ Cancel the event" not in [text for text, _ in done.button_data()]
    await bot.tick()
    for parent in (coming, silent):
        notice = await parent.wait_for(lambda m: "Cancelled: Monday drop-in" in m.plain)
        assert "Wednesday 25 November, 10:00" in notice.plain
    assert _count(not_coming, "Cancelled") == 0
    # No reminder for a cancelled event, and its buttons say so.
    clock.set(datetime(2026, 11, 24, 17, 30, tzinfo=UTC))
    await bot.tick()
    assert _count(coming, REMINDER) == 0
    news = next(m for m in coming.inbox() if NEWS in m.plain)
    answer = await coming.wait_for_answer(await coming.tap(news, button_text="Can’t make it"))
    assert answer["text"] == "This session was cancelled, sorry. Nothing was changed."


async def test_moving_tells_them_and_the_reminder_follows_the_new_day(bot, fake, clock):
    manager, (coming, not_coming, silent) = await _event_with_answers(bot, fake)
    details = await _open_details(manager)
    await manager.tap(details, button_text="🔁 Move it")
    await manager.tap(
        await manager.wait_for(lambda m: "Which day does it move to?" in m.plain),
        button_text="Fri 27",
    )
    await manager.tap(
        await manager.wait_for(lambda m: "what is the new start time?" in m.plain),
        button_text="13:30",
    )
    await manager.wait_for(lambda m: "Moved: 2 people were told" in m.plain)
    await bot.tick()
    for parent in (coming, silent):
        moved = await parent.wait_for(lambda m: "New time: Monday drop-in" in m.plain)
        assert "Friday 27 November, 13:30" in moved.plain
        assert [text for text, _ in moved.button_data()] == ["👍 I’ll come", "Can’t make it"]
    assert _count(not_coming, "New time") == 0
    # The old day's reminder does not come; the new day's does.
    clock.set(datetime(2026, 11, 24, 17, 30, tzinfo=UTC))
    await bot.tick()
    assert _count(coming, REMINDER) == 0
    clock.set(datetime(2026, 11, 26, 17, 0, tzinfo=UTC))
    await bot.tick()
    reminder = await coming.wait_for(lambda m: REMINDER in m.plain)
    assert "Friday 27 November, 13:30" in reminder.plain


async def test_an_answer_on_news_deleted_meanwhile_still_counts(bot, fake):
    manager, parents = await _event_with_answers(bot, fake)
    undecided = parents[2]
    news = next(m for m in undecided.inbox() if NEWS in m.plain)
    messages_before = len(undecided.inbox())
    # The parent taps, then deletes the news before the bot can mark their answer on it.
    fake.fail_next("editMessageReplyMarkup", 400, "Bad Request: message to edit not found")
    answer = await undecided.wait_for_answer(await undecided.tap(news, button_text="👍 I’ll come"))
    assert answer["text"] == "Thank you! See you there."
    # Nothing "went wrong", and the manager counts them in.
    await settle_past_chat_pacing(fake)
    assert len(undecided.inbox()) == messages_before
    await _open_details(manager, coming=2)
