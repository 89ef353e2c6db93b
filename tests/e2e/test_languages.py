"""Parents in their own language, end to end over HTTP through the fake Bot API.

What a parent should read is taken from the shipped catalogs and activity translations (so the
tests hold when a reviewer improves a translation), and each is checked to differ from the
English: a message left in English would fail here.
"""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import BotCommandScopeChat

from bot.activities import ActivityText, load_library
from bot.i18n import LANGUAGES, translations
from bot.texts import CONTENT_DIR, RLM, Texts
from tests.e2e.helpers import add_family
from tests.fake_bot_api import FakeUser, SentMessage

ENGLISH = Texts()
ENGLISH_LIBRARY = load_library(CONTENT_DIR / "activities")


def translated(code: str, english: str) -> str:
    """The catalog's translation of one English message; never the English itself."""
    text = translations(CONTENT_DIR / "locale", code).gettext(english)
    assert text != english, f"{english!r} is not translated into {code}"
    return text


def words(code: str, activity_id: str) -> ActivityText:
    """The activity's words in the language, from the shipped overlay."""
    library_words = ENGLISH_LIBRARY.translation(activity_id, code)
    assert library_words is not None, f"{activity_id} has no {code} words"
    return library_words


async def _enrol(parent: FakeUser, code: str, language: str) -> SentMessage:
    """Tap the language, agree, choose 18:30 every day, all with the buttons in `language`.
    Returns the confirmation."""
    labels = ENGLISH.for_language(language)
    await parent.send(f"/start {code}")
    question = await parent.wait_for(lambda m: "🌐" in m.plain)
    await parent.wait_for_answer(await parent.tap(question, callback_data=f"lg1:{language}"))
    welcome = await parent.wait_for(lambda m: labels.label("consent_yes") in str(m.buttons()))
    assert translated(language, "Is that OK with you?") in welcome.plain
    await parent.wait_for_answer(await parent.tap(welcome, button_text=labels.label("consent_yes")))
    ask_time = await parent.wait_for(lambda m: "18:30" in str(m.buttons()))
    await parent.wait_for_answer(await parent.tap(ask_time, button_text="18:30"))
    ask_days = await parent.wait_for(lambda m: labels.label("days_daily") in str(m.buttons()))
    asked = ask_days.plain
    await parent.wait_for_answer(await parent.tap(ask_days, button_text=labels.label("days_daily")))
    # The question becomes the confirmation.
    return await parent.wait_for(lambda m: m.message_id == ask_days.message_id and m.plain != asked)


async def test_an_urdu_speaking_parent_joins_and_gets_the_reminder_in_urdu(bot, fake, clock):
    family_id = await bot.new_family("Amir")
    await bot.set_plan(family_id, ["com-point-to-toy", "cog-stack-blocks"])
    code = await bot.invite(family_id)
    # Their Telegram app is in Urdu: Urdu is offered first, already ticked.
    parent = fake.user(user_id=1101, first_name="Sana", language_code="ur")

    await parent.send(f"/start {code}")
    question = await parent.wait_for(lambda m: "🌐" in m.plain)
    buttons = [text for row in question.buttons() for text in row]
    assert buttons[0] == "✓ اردو"
    assert sorted(buttons[1:]) == sorted(
        language.own_name for code, language in LANGUAGES.items() if code != "ur"
    )
    # The question itself is already in Urdu, right to left.
    assert translated("ur", "Which language would you like me to use?") in question.plain
    assert question.text.startswith(RLM)
    await parent.wait_for_answer(await parent.tap(question, button_text="✓ اردو"))

    urdu = ENGLISH.for_language("ur")
    welcome = await parent.wait_for(lambda m: urdu.label("consent_yes") in str(m.buttons()))
    assert "Amir" in welcome.plain
    assert translated("ur", "Is that OK with you?") in welcome.plain
    assert "Is that OK with you?" not in welcome.plain
    assert all(line.startswith(RLM) for line in welcome.text.split("\n") if line)
    await parent.wait_for_answer(await parent.tap(welcome, button_text=urdu.label("consent_yes")))
    ask_time = await parent.wait_for(lambda m: "18:30" in str(m.buttons()))
    await parent.wait_for_answer(await parent.tap(ask_time, button_text="18:30"))
    ask_days = await parent.wait_for(lambda m: urdu.label("days_daily") in str(m.buttons()))
    await parent.wait_for_answer(await parent.tap(ask_days, button_text=urdu.label("days_daily")))

    # At 18:30 the reminder comes in Urdu, the activities in their Urdu words.
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    await bot.tick()
    pointing = words("ur", "com-point-to-toy")
    reminder = await parent.wait_for(lambda m: pointing.title in m.plain)
    assert words("ur", "cog-stack-blocks").title in reminder.plain
    assert pointing.steps[0] in reminder.plain and pointing.tip in reminder.plain
    assert "Point to a toy" not in reminder.plain and "Here is today" not in reminder.plain
    answers = [text for text, _ in reminder.button_data()]
    assert f"2️⃣ {urdu.label('answer_yes')}" in answers and urdu.label("add_note") in answers

    # A tap is answered in Urdu; the card says what was saved, in Urdu.
    tap = await parent.tap(reminder, button_text=f"2️⃣ {urdu.label('answer_yes')}")
    assert (await parent.wait_for_answer(tap))["text"] == urdu.label("answer_saved")
    edited = await parent.wait_for(
        lambda m: m.message_id == reminder.message_id and "✓" in str(m.buttons())
    )
    assert translated("ur", "✅ Saved: yes") in edited.plain


async def test_a_polish_parent_chooses_polish_then_switches_to_english(bot, fake, clock):
    family_id = await bot.new_family("Zosia")
    await bot.set_plan(family_id, ["cog-stack-blocks"])
    code = await bot.invite(family_id)
    # Their phone is in English; they choose Polski.
    parent = fake.user(user_id=1201, first_name="Kasia", language_code="en")
    confirmed = await _enrol(parent, code, "pl")
    polish = ENGLISH.for_language("pl")
    assert "18:30" in confirmed.plain
    # The date is Babel's Polish, e.g. "poniedziałek 23 listopada".
    assert "poniedziałek 23 listopada" in confirmed.plain

    # Their own command menu is in Polish.
    menu = await bot.app.bot.get_my_commands(scope=BotCommandScopeChat(parent.id))
    descriptions = {command.command: command.description for command in menu}
    assert descriptions["today"] == polish.label("command_today") != "Today’s activities"
    assert descriptions["language"] == polish.label("command_language")

    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    await bot.tick()
    reminder = await parent.wait_for(lambda m: words("pl", "cog-stack-blocks").title in m.plain)
    assert translated("pl", "Tap how it went. A few minutes is plenty.") in reminder.plain

    # /week in Polish, with Polish plural forms ("1 dzień", not "1 dni").
    yes = f"1️⃣ {polish.label('answer_yes')}"
    await parent.wait_for_answer(await parent.tap(reminder, button_text=yes))
    await parent.send("/week")
    after = reminder.message_id
    week = await parent.wait_for(lambda m: m.message_id > after and "Zosia" in m.plain)
    one_day = translations(CONTENT_DIR / "locale", "pl").ngettext(
        "Practised on %(count)s day.", "Practised on %(count)s days.", 1
    )
    assert one_day % {"count": 1} in week.plain

    # /language: back to English, told so in English; the next reminder is English.
    await parent.send("/language")
    question = await parent.wait_for(
        lambda m: translated("pl", "Which language would you like me to use?") in m.plain
    )
    assert [text for row in question.buttons() for text in row][0] == "✓ Polski"
    await parent.wait_for_answer(await parent.tap(question, button_text="English"))
    await parent.wait_for(lambda m: "I’ll write to you in English from now on" in m.plain)
    clock.set(datetime(2026, 11, 24, 18, 30, tzinfo=UTC))
    await bot.tick()
    await parent.wait_for(lambda m: "Here is today’s practice" in m.plain)
    menu = await bot.app.bot.get_my_commands(scope=BotCommandScopeChat(parent.id))
    assert {command.command: command.description for command in menu}["today"] == (
        "Today’s activities"
    )


async def test_the_default_menus_are_set_in_every_language(bot):
    for code in LANGUAGES:
        if code == "en":
            continue
        menu = await bot.app.bot.get_my_commands(language_code=code)
        expected = ENGLISH.for_language(code).label("command_week")
        assert {command.command: command.description for command in menu}["week"] == expected


async def test_a_visitor_reads_english_and_the_parents_note_as_written(bot, fake, clock):
    # The visitor's own Telegram app is in Polish; staff read the service's language.
    visitor = fake.user(user_id=2101, first_name="Priya", language_code="pl")
    await visitor.send(f"/start {await bot.staff_invite('Priya')}")
    await visitor.wait_for(lambda m: "You are signed in" in m.plain)
    code = await add_family(visitor, "Amir")
    await bot.set_plan(1, ["com-point-to-toy"])
    parent = fake.user(user_id=1301, first_name="Sana", language_code="ur")
    await _enrol(parent, code, "ur")
    note = "امیر نے آج گیند کی طرف اشارہ کیا <3"
    await parent.send(note)
    urdu = ENGLISH.for_language("ur")
    await parent.wait_for(lambda m: urdu.label("note_new_skill") in str(m.buttons()))

    await visitor.send("/summary 1")
    which_days = await visitor.wait_for(lambda m: "which days?" in m.plain)
    await visitor.tap(which_days, button_text="Last 7 days")
    summary = await visitor.wait_for(lambda m: "In the parents’ words" in m.plain)
    assert note in summary.plain
    assert "Point to a toy" in summary.plain
    assert words("ur", "com-point-to-toy").title not in summary.plain


async def test_a_parent_whose_app_is_in_another_language_is_offered_english_first(bot, fake):
    family_id = await bot.new_family("Sam")
    parent = fake.user(user_id=1401, first_name="Ana", language_code="pt-br")
    await parent.send(f"/start {await bot.invite(family_id)}")
    question = await parent.wait_for(lambda m: "🌐" in m.plain)
    assert "Which language would you like me to use?" in question.plain
    assert [text for row in question.buttons() for text in row][0] == "✓ English"
