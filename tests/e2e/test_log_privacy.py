"""Logs carry ids only: with every logger at DEBUG from the start, a whole parent's day leaves no
child name, parent name, note, caption, invitation code or bot token in any log record."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from bot.logs import PAYLOAD_LOGGERS
from tests.conftest import TOKEN
from tests.e2e.helpers import join

CHILD = "Zebedee-Quill"
PARENT_FIRST_NAME = "Philippa-Unique"
PARENT_LAST_NAME = "Lastname-Unusual"
PARENT_USERNAME = "philippa_handle_xyz"
NOTE = "Secret note about Marmalade the cat"
EDITED_NOTE = "Secret note about Marmalade the cat, who purred"
CAPTION = "Caption-Private-Words"
DOCUMENT_CAPTION = "Document-Caption-Hidden"
FILE_NAME = "Private-Report-Name.pdf"
TYPED_PAUSE_WORDS = "until Marmalade-Returns"


@pytest.fixture(autouse=True)
def debug_logging(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """DEBUG everywhere before the bot is built, as in a fresh process run with LOG_LEVEL=DEBUG.

    Autouse fixtures are set up before `bot`, so start-up is captured too. The libraries the
    product caps are reset to "not set" (caplog restores them afterwards), so what keeps their
    payloads out is the product's own capping in build_application, not an earlier test.
    """
    caplog.set_level(logging.DEBUG)
    for name in PAYLOAD_LOGGERS:
        caplog.set_level(logging.NOTSET, logger=name)
    caplog.handler.setLevel(logging.NOTSET)
    return caplog


def _leaks(caplog: pytest.LogCaptureFixture, secrets: dict[str, str]) -> list[str]:
    """Every secret found in a record (set-up and test phases) or in caplog.text."""
    found = []
    for record in caplog.get_records("setup") + caplog.records:
        formatted = record.getMessage()
        extra = [record.exc_text or "", record.stack_info or ""]
        for label, secret in secrets.items():
            if any(secret.lower() in text.lower() for text in [formatted, *extra]):
                found.append(f"{label} in {record.name}: {formatted[:300]}")
    for label, secret in secrets.items():
        if secret.lower() in caplog.text.lower():
            found.append(f"{label} in caplog.text")
    return found


async def test_a_whole_day_leaves_no_personal_data_in_the_logs(bot, fake, clock, caplog):
    family_id = await bot.new_family(CHILD)
    await bot.set_plan(family_id, ["com-point-to-toy", "cog-stack-blocks"])
    code = await bot.invite(family_id)
    parent = fake.user(
        user_id=1001,
        first_name=PARENT_FIRST_NAME,
        last_name=PARENT_LAST_NAME,
        username=PARENT_USERNAME,
    )

    # Joining: the invitation code, the privacy notice with the child's name, consent, a time.
    confirmed = await join(bot, parent, code)
    assert CHILD in confirmed.plain

    # The reminder, and taps on it.
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    await bot.tick()
    reminder = await parent.wait_for(lambda m: "Here is today’s practice" in m.plain)
    assert CHILD in reminder.plain
    await parent.wait_for_answer(await parent.tap(reminder, button_text="4/5"))
    card = await parent.wait_for(lambda m: m.message_id == reminder.message_id)
    await parent.wait_for_answer(await parent.tap(card, button_text="2️⃣ Yes"))
    await parent.wait_for(lambda m: m.message_id == reminder.message_id)

    # A note, what it is, and an edit of it.
    sent = await parent.send(NOTE)
    ack = await parent.wait_for(lambda m: f"Saved in {CHILD}’s diary" in m.plain)
    await parent.wait_for_answer(await parent.tap(ack, button_text="🌟 Something new"))
    await parent.wait_for(lambda m: m.message_id == ack.message_id)
    await parent.edit(sent, EDITED_NOTE)
    await parent.wait_for(lambda m: "updated that note" in m.plain)

    # A photo with a caption, a file with a name and a caption, a voice note.
    await parent.send_photo(file_id="photo-file-1", caption=CAPTION)
    await parent.wait_for(lambda m: "Photo saved" in m.plain)
    await parent.send_document(file_id="doc-file-1", file_name=FILE_NAME, caption=DOCUMENT_CAPTION)
    await parent.wait_for(lambda m: "File saved" in m.plain)
    await parent.send_voice(file_id="voice-file-1")
    await parent.wait_for(lambda m: "Voice note saved" in m.plain)

    # /week, /pause (with words it does not understand, then a button) and /resume.
    await parent.send("/week")
    week = await parent.wait_for(lambda m: "week so far" in m.plain)
    assert CHILD in week.plain
    await parent.send(f"/pause {TYPED_PAUSE_WORDS}")
    await parent.wait_for(lambda m: "didn’t understand that date" in m.plain)
    await parent.send("/pause")
    options = await parent.wait_for(lambda m: "How long should I pause" in m.plain)
    await parent.tap(options, button_text="1 week")
    await parent.wait_for(lambda m: "paused until" in m.plain)
    await parent.send("/resume")
    await parent.wait_for(lambda m: "Reminders are back on" in m.plain)

    # A typed reminder time.
    await parent.send("/time")
    ask = await parent.wait_for(lambda m: "daily reminder now" in m.plain)
    await parent.tap(ask, button_text="Another time…")
    await parent.wait_for(lambda m: m.message_id == ask.message_id and m.edited)
    await parent.send("19:45")
    days = await parent.wait_for(lambda m: "On which days?" in m.plain)
    await parent.tap(days, button_text="Every day")
    await parent.wait_for(lambda m: "19:45" in m.plain and m.message_id == days.message_id)

    # Things the diary does not keep, and an unknown command with private words in it.
    await parent.send_sticker()
    await parent.wait_for(lambda m: "stickers" in m.plain)
    await parent.send(f"/foo {NOTE}")
    await parent.wait_for(lambda m: "don’t know that command" in m.plain)
    await fake.wait_idle()

    diary = await bot.diary_of(family_id)
    assert [note[1] for note in diary.notes] == [EDITED_NOTE, CAPTION, DOCUMENT_CAPTION, None]

    # The run was really logged at DEBUG, and the bot's own handlers logged what they did.
    names = {record.name for record in caplog.records}
    for name in ("bot", "handlers", "jobs"):
        assert logging.getLogger(name).isEnabledFor(logging.DEBUG)
    assert any(record.levelno == logging.DEBUG for record in caplog.get_records("setup"))
    assert {"handlers.enrolment", "handlers.diary_notes", "handlers.pause"} <= names
    assert any(
        record.name == "handlers.diary_notes" and "note" in record.getMessage()
        for record in caplog.records
    )

    secrets = {
        "child name": CHILD,
        "parent first name": PARENT_FIRST_NAME,
        "parent last name": PARENT_LAST_NAME,
        "parent username": PARENT_USERNAME,
        "note": NOTE,
        "note word": "Marmalade",
        "caption": CAPTION,
        "document caption": DOCUMENT_CAPTION,
        "file name": FILE_NAME,
        "invite code": code,
        "bot token": TOKEN.split(":", 1)[1],
    }
    assert _leaks(caplog, secrets) == []


async def test_a_failed_reply_is_logged_by_ids_only(bot, fake, caplog):
    family_id = await bot.new_family(CHILD)
    await bot.set_plan(family_id, ["com-point-to-toy", "cog-stack-blocks"])
    code = await bot.invite(family_id)
    parent = fake.user(user_id=1001, first_name=PARENT_FIRST_NAME)
    await join(bot, parent, code)

    # Telegram refuses the acknowledgement: the error handler logs the failure and says sorry.
    fake.fail_next("sendMessage", 500, "Internal Server Error")
    await parent.send(NOTE)
    await parent.wait_for(lambda m: "something went wrong" in m.plain)
    await fake.wait_idle()

    failures = [record for record in caplog.records if record.name == "handlers.errors"]
    assert failures, "the error handler logged nothing"
    assert (await bot.diary_of(family_id)).notes[0][1] == NOTE
    secrets = {
        "child name": CHILD,
        "parent first name": PARENT_FIRST_NAME,
        "note": NOTE,
        "invite code": code,
    }
    assert _leaks(caplog, secrets) == []


VISITOR_NAME = "Visitor-Hermione-Unusual"
GOAL = "Goal-Words-Private"
CUSTOM_STEP = "Custom-Step-Private-Words"


async def test_a_visitors_week_leaves_no_personal_data_in_the_logs(bot, fake, clock, caplog):
    visitor = fake.user(user_id=2001, first_name=VISITOR_NAME)
    staff_code = await bot.staff_invite(VISITOR_NAME)
    await visitor.send(f"/start {staff_code}")
    await visitor.wait_for(lambda m: "You are signed in" in m.plain)
    await visitor.send(f"/newfamily {CHILD}")
    invite = await visitor.wait_for(lambda m: "is added as family" in m.plain)
    code = invite.plain.split("start=")[1].split()[0]
    parent = fake.user(user_id=1001, first_name=PARENT_FIRST_NAME)
    await join(bot, parent, code)

    await visitor.send("/plan 1")
    plan = await visitor.wait_for(lambda m: "No plan yet" in m.plain)
    await visitor.tap(plan, button_text="🎯 Long-term goals")
    await visitor.tap(
        await visitor.wait_for(lambda m: "None yet" in m.plain), button_text="➕ Add a goal"
    )
    await visitor.wait_for(lambda m: "Type the long-term goal" in m.plain)
    await visitor.send(GOAL)
    await visitor.tap(await visitor.wait_for(lambda m: GOAL in m.plain), button_text="⬅️ Back")
    plan = await visitor.wait_for(lambda m: "0 of 4" in m.plain)
    await visitor.tap(plan, button_text="✍️ Write my own")
    await visitor.send(CUSTOM_STEP)
    await visitor.wait_for(lambda m: "What should the parent do?" in m.plain)
    await visitor.send("Show him. Help him.")
    await visitor.wait_for(lambda m: "A tip" in m.plain)
    await visitor.send("-")
    await visitor.tap(
        await visitor.wait_for(lambda m: "Which long-term" in m.plain),
        button_text="No particular goal",
    )
    await visitor.tap(
        await visitor.wait_for(lambda m: "1 of 4" in m.plain), button_text="Save, from today"
    )
    await visitor.wait_for(lambda m: "new plan" in m.plain)
    await parent.send(NOTE)
    await parent.wait_for(lambda m: "Saved in" in m.plain)

    await visitor.send("/summary 1 2026-11-20 2026-11-23")
    summary = await visitor.wait_for(lambda m: NOTE in m.plain)
    assert CHILD in summary.plain and CUSTOM_STEP in summary.plain
    await visitor.wait_for(lambda m: m.kind == "photo")
    await visitor.send("/families")
    await visitor.wait_for(lambda m: "Your families" in m.plain)

    leaks = _leaks(
        caplog,
        {
            "visitor name": VISITOR_NAME,
            "child name": CHILD,
            "parent name": PARENT_FIRST_NAME,
            "note": NOTE,
            "goal": GOAL,
            "custom target": CUSTOM_STEP,
            "staff invitation code": staff_code,
            "family invitation code": code,
            "token": TOKEN.split(":")[1],
        },
    )
    assert leaks == []
