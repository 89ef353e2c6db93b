"""The parent's commands: /today, /week, /time, /pause, /resume, /stop, /help, and late answers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.models import DiaryNote
from tests.e2e.helpers import join
from tests.harness import BotHarness

REMINDER = "Here is today’s practice"


async def _joined(bot, fake, *, at: str = "18:30"):
    family_id = await bot.new_family("Sam")
    await bot.set_plan(family_id, ["com-point-to-toy", "cog-stack-blocks"])
    parent = fake.user(user_id=1001, first_name="Ana")
    await join(bot, parent, await bot.invite(family_id), at=at)
    return family_id, parent


async def _reminder_count_over_days(bot, clock, parent, days: list[int]) -> int:
    for day in days:
        clock.set(datetime(2026, 11, day, 18, 30, tzinfo=UTC))
        await bot.tick()
    return sum(1 for message in parent.inbox() if REMINDER in message.plain)


async def test_commands_are_registered_and_help_lists_them(bot, fake):
    _, parent = await _joined(bot, fake)
    assert {command["command"] for command in fake.commands} == {
        "today",
        "week",
        "time",
        "settings",
        "pause",
        "resume",
        "stop",
        "privacy",
        "mydata",
        "forget",
        "language",
        "help",
    }
    await parent.send("/help")
    help_text = (await parent.wait_for()).plain
    for command in (
        "/today",
        "/week",
        "/time",
        "/settings",
        "/pause",
        "/resume",
        "/stop",
        "/privacy",
        "/forget",
    ):
        assert command in help_text
    await parent.send("/privacy")
    notice = (await parent.wait_for()).plain
    assert "About your information" in notice and "home visitor" in notice


async def test_today_shows_the_activities_with_answers_so_far(bot, fake, clock):
    _, parent = await _joined(bot, fake)
    await parent.send("/today")
    today = await parent.wait_for(lambda m: "Today’s practice with Sam" in m.plain)
    await parent.wait_for_answer(await parent.tap(today, button_text="A little"))
    await parent.send("/today")
    again = await parent.wait_for(lambda m: "Today’s practice with Sam" in m.plain)
    assert "Saved: a little" in again.plain
    assert "✓ A little" in [text for text, _ in again.button_data()]


async def test_yesterdays_buttons_work_and_older_days_have_closed(bot, fake, clock):
    family_id, parent = await _joined(bot, fake)
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    await bot.tick()
    monday = await parent.wait_for(lambda m: REMINDER in m.plain)

    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=UTC))  # Tuesday morning
    answer = await parent.wait_for_answer(await parent.tap(monday, button_text="2️⃣ Yes"))
    assert answer["text"] == "Saved. Thank you!"
    edited = await parent.wait_for(lambda m: m.message_id == monday.message_id)
    assert "Practice with Sam on Monday 23 November" in edited.plain

    # "Add a note" on Monday's card puts the next note on Monday.
    await parent.tap(edited, button_text="✏️ Add a note, photo or voice")
    prompt = await parent.wait_for(lambda m: "Send your note now" in m.plain)
    assert "Monday 23 November" in prompt.plain
    await parent.send("Did it after tea")
    await parent.wait_for(lambda m: "Saved in Sam’s diary" in m.plain)

    clock.set(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))  # Wednesday: Monday has closed
    closed = await parent.wait_for_answer(await parent.tap(edited, button_text="A little"))
    assert "That day has closed" in closed["text"]

    diary = await bot.diary_of(family_id)
    assert diary.answers == {("Build a tower", "2026-11-23"): ("yes", None)}
    assert diary.notes == [("text", "Did it after tea", None, None)]
    async with bot.services.sessions() as session:
        notes = await session.scalars(select(DiaryNote))
        assert [note.local_date.isoformat() for note in notes] == ["2026-11-23"]


async def test_change_the_time_with_time(bot, fake, clock):
    _, parent = await _joined(bot, fake)
    await parent.send("/time")
    ask = await parent.wait_for(lambda m: "daily reminder now" in m.plain)
    assert "(Now: 18:30)" in ask.plain
    await parent.tap(ask, button_text="07:30")
    await parent.tap(
        await parent.wait_for(lambda m: "On which days" in m.plain), button_text="Every day"
    )
    await parent.wait_for(lambda m: "Done." in m.plain)
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    await bot.tick()
    clock.set(datetime(2026, 11, 24, 7, 30, tzinfo=UTC))
    await bot.tick()
    reminders = [m for m in parent.inbox() if REMINDER in m.plain]
    assert len(reminders) == 1


async def test_pause_for_a_week_then_reminders_come_back_by_themselves(bot, fake, clock):
    _, parent = await _joined(bot, fake)
    await parent.send("/pause")
    options = await parent.wait_for(lambda m: "How long should I pause" in m.plain)
    await parent.tap(options, button_text="1 week")
    paused = await parent.wait_for(lambda m: "paused until" in m.plain)
    assert "Monday 30 November" in paused.plain
    assert await _reminder_count_over_days(bot, clock, parent, [23, 24, 29]) == 0
    assert await _reminder_count_over_days(bot, clock, parent, [30]) == 1


async def test_a_pause_chosen_on_a_message_deleted_meanwhile_is_confirmed_anew(bot, fake):
    _, parent = await _joined(bot, fake)
    await parent.send("/pause")
    options = await parent.wait_for(lambda m: "How long should I pause" in m.plain)
    # The parent taps, then deletes the message before the bot can turn it into the answer.
    fake.fail_next("editMessageText", 400, "Bad Request: message to edit not found")
    await parent.tap(options, button_text="1 week")
    paused = await parent.wait_for(lambda m: "paused until" in m.plain)
    assert paused.message_id != options.message_id
    assert "Monday 30 November" in paused.plain
    assert not any("went wrong" in message.plain for message in parent.inbox())


async def test_pause_until_a_typed_date_and_resume_early(bot, fake, clock):
    _, parent = await _joined(bot, fake)
    await parent.send("/pause")
    await parent.tap(
        await parent.wait_for(lambda m: "pause" in m.plain), button_text="Until a date…"
    )
    await parent.wait_for(lambda m: "Until which date?" in m.plain)
    await parent.send("yesterday")
    assert "didn’t understand that date" in (await parent.wait_for()).plain
    await parent.send("20/11")  # a slip for a past day, not a pause until next November
    assert "didn’t understand that date" in (await parent.wait_for()).plain
    await parent.send("/pause 1/12")
    assert "paused until Tuesday 1 December" in (await parent.wait_for()).plain
    assert await _reminder_count_over_days(bot, clock, parent, [23, 24]) == 0
    await parent.send("/resume")
    resumed = await parent.wait_for(lambda m: "Reminders are back on" in m.plain)
    assert "18:30" in resumed.plain
    assert await _reminder_count_over_days(bot, clock, parent, [25]) == 1
    await parent.send("/resume")
    assert "already on" in (await parent.wait_for()).plain


async def test_stop_means_no_reminders_and_nothing_deleted(bot, fake, clock):
    family_id, parent = await _joined(bot, fake)
    await parent.send("Sam said ball today")
    await parent.wait_for(lambda m: "Saved in Sam’s diary" in m.plain)
    await parent.send("/stop")
    choices = await parent.wait_for(lambda m: "What would you like to do?" in m.plain)
    await parent.tap(choices, button_text="⏹ Stop reminders")
    stopped = await parent.wait_for(lambda m: "stopped the daily reminders" in m.plain)
    assert "Nothing has been deleted" in stopped.plain
    assert await _reminder_count_over_days(bot, clock, parent, [23, 24, 25]) == 0
    assert len((await bot.diary_of(family_id)).notes) == 1
    # Notes still work while stopped.
    await parent.send("Still practising")
    await parent.wait_for(lambda m: "Saved in Sam’s diary" in m.plain)
    await parent.send("/resume")
    await parent.wait_for(lambda m: "Reminders are back on" in m.plain)
    assert await _reminder_count_over_days(bot, clock, parent, [26]) == 1


async def test_weekdays_only_has_a_quiet_weekend(bot, fake, clock):
    family_id = await bot.new_family("Sam")
    await bot.set_plan(family_id, ["com-point-to-toy"])
    parent = fake.user(user_id=1001, first_name="Ana")
    await join(bot, parent, await bot.invite(family_id), days="Weekdays only")
    assert await _reminder_count_over_days(bot, clock, parent, [27, 28, 29, 30]) == 2


async def test_the_bot_serves_parents_even_if_the_command_menu_is_refused(settings, clock, fake):
    fake.fail_next("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID")
    harness = BotHarness(
        settings.model_copy(update={"telegram_api_base_url": fake.base_url}), clock, fake
    )
    await harness.start()
    try:
        stranger = fake.user(user_id=9001, first_name="Kim")
        await stranger.send("/start")
        assert "invitation link" in (await stranger.wait_for()).plain
        assert fake.commands is None
    finally:
        await harness.stop()
