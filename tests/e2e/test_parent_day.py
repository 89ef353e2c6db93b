"""A parent's day, end to end over HTTP through the fake Bot API, with the clock in our hands."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e.helpers import choose_language, join, settle_past_chat_pacing

TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


async def test_a_parent_joins_practises_and_keeps_a_diary(bot, fake, clock):
    family_id = await bot.new_family("Sam")
    # Pointing counts tries (4 of 5); building a tower is yes / a little / not today.
    await bot.set_plan(family_id, ["com-point-to-toy", "cog-stack-blocks"])
    code = await bot.invite(family_id)
    parent = fake.user(user_id=1001, first_name="Ana")

    # The parent opens the invitation, reads the privacy notice, agrees, picks 18:30.
    await parent.send(f"/start {code}")
    await choose_language(parent, "en")
    welcome = await parent.wait_for(lambda m: "Is that OK with you?" in m.plain)
    assert "Sam" in welcome.plain and "About your information" in welcome.plain
    await parent.tap(welcome, button_text="Yes, I agree")
    ask_time = await parent.wait_for(lambda m: "daily reminder" in m.plain)
    assert [row for row in ask_time.buttons()][0] == ["07:30", "09:00", "12:30"]
    await parent.tap(ask_time, button_text="18:30")
    ask_days = await parent.wait_for(lambda m: "On which days?" in m.plain)
    await parent.tap(ask_days, button_text="Every day")
    confirmed = await parent.wait_for(lambda m: "I’ll send" in m.plain)
    assert "18:30" in confirmed.plain and "every day" in confirmed.plain
    assert "Monday 23 November, 18:30" in confirmed.plain

    # Nothing at 18:29; at 18:30 (GMT in November) the reminder arrives, once.
    before = len(parent.inbox())
    clock.set(datetime(2026, 11, 23, 18, 29, tzinfo=UTC))
    await bot.tick()
    assert len(parent.inbox()) == before
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    await bot.tick()
    reminder = await parent.wait_for(lambda m: "Here is today’s practice" in m.plain)
    assert "Point to a toy" in reminder.plain and "Build a tower" in reminder.plain
    assert "You need:" in reminder.plain and "💡" in reminder.plain
    await bot.tick()
    assert len(parent.inbox()) == before + 1

    # They tap how many of the five tries worked, and "Yes" for the tower.
    tap = await parent.tap(reminder, button_text="4/5")
    assert (await parent.wait_for_answer(tap))["text"] == "Saved. Thank you!"
    edited = await parent.wait_for(lambda m: m.message_id == reminder.message_id)
    assert "Saved: 4 of 5 tries worked" in edited.plain
    assert "✓ 4/5" in [text for text, _ in edited.button_data()]
    tap = await parent.tap(edited, button_text="2️⃣ Yes")
    await parent.wait_for_answer(tap)
    edited = await parent.wait_for(lambda m: m.message_id == reminder.message_id)
    assert "Saved: yes" in edited.plain

    # Changed their mind the same day: "A little" for the tower.
    tap = await parent.tap(edited, button_text="A little")
    await parent.wait_for_answer(tap)
    edited = await parent.wait_for(lambda m: m.message_id == reminder.message_id)
    assert "Saved: a little" in edited.plain and "Saved: yes" not in edited.plain

    # A note with HTML-like text and emoji, then what it is.
    await parent.send("He pointed at the <ball> & laughed 😀 <3")
    ack = await parent.wait_for(lambda m: "Saved in Sam’s diary" in m.plain)
    tap = await parent.tap(ack, button_text="🌟 Something new")
    await parent.wait_for_answer(tap)
    categorised = await parent.wait_for(lambda m: m.message_id == ack.message_id)
    assert "something new Sam did" in categorised.plain

    # A photo and a voice note go in the diary too, by their Telegram file ids.
    await parent.send_photo(file_id="photo-file-1", caption="Stacking <cups>")
    await parent.wait_for(lambda m: "Photo saved" in m.plain)
    await parent.send_voice(file_id="voice-file-1", duration=6)
    await parent.wait_for(lambda m: "Voice note saved" in m.plain)

    # /week celebrates what was done.
    await parent.send("/week")
    week = await parent.wait_for(lambda m: "week so far" in m.plain)
    assert "Practised on 1 day." in week.plain
    assert "3 diary notes this week, including 1 new thing Sam did" in week.plain

    # What the diary holds is exactly what the parent sent.
    diary = await bot.diary_of(family_id)
    assert diary.answers == {
        ("Point to a toy", "2026-11-23"): ("tries", 4),
        ("Build a tower", "2026-11-23"): ("a_little", None),
    }
    assert diary.notes == [
        ("text", "He pointed at the <ball> & laughed 😀 <3", None, "new_skill"),
        ("photo", "Stacking <cups>", "photo-file-1", None),
        ("voice", None, "voice-file-1", None),
    ]


async def _joined_with_todays_reminder(bot, fake, clock):
    """A parent who joined (18:30, every day) and has Monday 23 November's reminder."""
    family_id = await bot.new_family("Sam")
    await bot.set_plan(family_id, ["com-point-to-toy", "cog-stack-blocks"])
    parent = fake.user(user_id=1001, first_name="Ana")
    await join(bot, parent, await bot.invite(family_id))
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    await bot.tick()
    reminder = await parent.wait_for(lambda m: "Here is today’s practice" in m.plain)
    return family_id, parent, reminder


async def test_a_tap_answered_too_late_for_telegram_is_still_saved_and_shown(bot, fake, clock):
    family_id, parent, reminder = await _joined_with_todays_reminder(bot, fake, clock)
    messages_before = len(parent.inbox())

    # The bot comes to the tap only after Telegram has stopped taking an answer to it (a
    # restart, a busy minute): the parent's app has already stopped its spinner.
    fake.fail_next("answerCallbackQuery", 400, TOO_OLD)
    await parent.tap(reminder, button_text="4/5")
    edited = await parent.wait_for(
        lambda m: m.message_id == reminder.message_id and "Saved: 4 of 5 tries worked" in m.plain
    )
    assert "✓ 4/5" in [text for text, _ in edited.button_data()]
    assert (await bot.diary_of(family_id)).answers == {
        ("Point to a toy", "2026-11-23"): ("tries", 4)
    }
    assert fake.callback_queries[-1].answer is None
    # Saved and shown, so no "something went wrong" after it.
    await settle_past_chat_pacing(fake)
    assert len(parent.inbox()) == messages_before


async def test_a_card_deleted_before_its_tap_is_answered_still_keeps_the_answer(bot, fake, clock):
    family_id, parent, reminder = await _joined_with_todays_reminder(bot, fake, clock)
    messages_before = len(parent.inbox())

    # The parent taps, then deletes the card before the bot can update it.
    fake.fail_next("editMessageText", 400, "Bad Request: message to edit not found")
    tap = await parent.tap(reminder, button_text="4/5")
    assert (await parent.wait_for_answer(tap))["text"] == "Saved. Thank you!"
    await settle_past_chat_pacing(fake)
    assert (await bot.diary_of(family_id)).answers == {
        ("Point to a toy", "2026-11-23"): ("tries", 4)
    }
    # A card they deleted is not sent again, and nothing "went wrong".
    assert len(parent.inbox()) == messages_before
