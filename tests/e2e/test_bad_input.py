"""Whatever a parent, a stranger or a modified client sends: a kind reply, and the diary holds only
what a consenting parent meant to keep."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from bot.models import Carer, ChatState, DiaryAnswer, DiaryNote, Invite, Plan, Target
from tests.e2e.helpers import choose_language, join
from tests.fake_bot_api import FakeUser
from tests.harness import BotHarness

SAVED = "Saved in Sam’s diary"
NOT_ENROLLED_REPLY = "you need an invitation link from your Portage home visitor"
NOT_ENROLLED_TAP = "I can’t find your diary. Please use the invitation link from your home visitor."
TAP_STALE = "That button has expired. Nothing was changed."
TAP_INVALID = "That button is out of date, so nothing was changed. Send /today for today’s."
TAP_NOT_YOURS = "That button isn’t for your diary, so nothing was changed."
TAP_DAY_CLOSED = "That day has closed now, so it can’t be changed. Today’s buttons still work."
FINISH_CONSENT = "please tap Yes, I agree or No, thank you on the message above"


@dataclass
class Joined:
    family_id: int
    code: str
    parent: FakeUser


@pytest.fixture
async def family(bot: BotHarness, fake) -> Joined:
    family_id = await bot.new_family("Sam")
    await bot.set_plan(family_id, ["com-point-to-toy", "cog-stack-blocks"])
    code = await bot.invite(family_id)
    parent = fake.user(user_id=1001, first_name="Ana")
    await join(bot, parent, code)
    return Joined(family_id, code, parent)


async def _row_counts(bot: BotHarness) -> dict[str, int]:
    """Rows in every table a message or a tap could write to."""
    counts = {}
    async with bot.services.sessions() as session:
        for model in (Carer, DiaryNote, DiaryAnswer, ChatState):
            counts[model.__tablename__] = await session.scalar(
                select(func.count()).select_from(model)
            )
        counts["used invites"] = await session.scalar(
            select(func.count()).select_from(Invite).where(Invite.used_at_utc.is_not(None))
        )
    return counts


async def _target_ids(bot: BotHarness, family_id: int) -> dict[str, int]:
    async with bot.services.sessions() as session:
        rows = await session.execute(
            select(Target.title, Target.id)
            .join(Plan, Plan.id == Target.plan_id)
            .where(Plan.family_id == family_id)
        )
        return dict(rows.all())


async def _note_ids(bot: BotHarness, family_id: int) -> list[int]:
    async with bot.services.sessions() as session:
        return list(
            await session.scalars(
                select(DiaryNote.id).where(DiaryNote.family_id == family_id).order_by(DiaryNote.id)
            )
        )


async def _carer(bot: BotHarness, telegram_user_id: int) -> Carer | None:
    async with bot.services.sessions() as session:
        return await session.scalar(select(Carer).where(Carer.telegram_user_id == telegram_user_id))


# ----- things the diary does not keep ----------------------------------------------------------


async def test_a_sticker_gets_a_kind_reply_and_is_not_kept(bot, family):
    before = await _row_counts(bot)
    await family.parent.send_sticker(file_id="sticker-file-1", emoji="😀")
    reply = await family.parent.wait_for(lambda m: "sticker" in m.plain)
    assert "Thank you!" in reply.plain and "can’t keep stickers" in reply.plain
    assert (await bot.diary_of(family.family_id)).notes == []
    assert await _row_counts(bot) == before


async def test_a_location_and_a_contact_are_not_kept(bot, family):
    before = await _row_counts(bot)
    await family.parent.send_location(51.5072, -0.1276)
    reply = await family.parent.wait_for(lambda m: "location" in m.plain)
    assert "I haven’t kept it" in reply.plain
    await family.parent.send_contact("+447700900123", "Nursery", user_id=555)
    reply = await family.parent.wait_for(lambda m: "contact details" in m.plain)
    assert "I don’t keep contact details, so I haven’t saved it" in reply.plain
    diary = await bot.diary_of(family.family_id)
    assert diary.notes == [] and diary.answers == {}
    assert await _row_counts(bot) == before


# ----- everything else goes in the diary -------------------------------------------------------


async def test_documents_videos_voice_notes_and_photos_are_kept_by_file_id(bot, family):
    parent = family.parent
    await parent.send_document(
        file_id="doc-file-1", file_name="nursery-report.pdf", caption="From nursery"
    )
    await parent.wait_for(lambda m: "File saved in Sam’s diary" in m.plain)
    await parent.send_video(file_id="video-file-1")
    await parent.wait_for(lambda m: "Video saved in Sam’s diary" in m.plain)
    await parent.send_voice(file_id="voice-file-1", duration=9)
    await parent.wait_for(lambda m: "Voice note saved in Sam’s diary" in m.plain)
    await parent.send_photo(file_id="photo-file-1", caption="Tower of <3> & more")
    photo_ack = await parent.wait_for(lambda m: "Photo saved in Sam’s diary" in m.plain)
    assert "What is it?" in photo_ack.plain

    assert (await bot.diary_of(family.family_id)).notes == [
        ("document", "From nursery", "doc-file-1", None),
        ("video", None, "video-file-1", None),
        ("voice", None, "voice-file-1", None),
        ("photo", "Tower of <3> & more", "photo-file-1", None),
    ]


async def test_a_forwarded_text_is_kept_as_a_note(bot, fake, family):
    await family.parent.forward(
        "Sam did really well at nursery today", from_user_id=4242, from_first_name="Nursery"
    )
    await family.parent.wait_for(lambda m: SAVED in m.plain)
    assert (await bot.diary_of(family.family_id)).notes == [
        ("text", "Sam did really well at nursery today", None, None)
    ]


async def test_an_edited_note_is_updated_not_added_again(bot, family):
    parent = family.parent
    sent = await parent.send("Sam stacked 2 blocks")
    await parent.wait_for(lambda m: SAVED in m.plain)
    await parent.edit(sent, "Sam stacked 3 blocks <all by himself>")
    updated = await parent.wait_for(lambda m: "updated that note" in m.plain)
    assert "I’ve updated that note in the diary" in updated.plain
    assert (await bot.diary_of(family.family_id)).notes == [
        ("text", "Sam stacked 3 blocks <all by himself>", None, None)
    ]


# ----- commands --------------------------------------------------------------------------------


async def test_an_unknown_command_lists_what_the_bot_can_do_and_keeps_nothing(bot, family):
    before = await _row_counts(bot)
    await family.parent.send("/foo")
    reply = await family.parent.wait_for(lambda m: "don’t know that command" in m.plain)
    for command in ("/today", "/week", "/time", "/pause", "/resume", "/stop"):
        assert command in reply.plain
    await family.parent.send("/foo bar <baz>")
    await family.parent.wait_for(lambda m: "don’t know that command" in m.plain)
    assert (await bot.diary_of(family.family_id)).notes == []
    assert await _row_counts(bot) == before


async def test_commands_with_odd_arguments_still_work(bot, family):
    before = await _row_counts(bot)
    parent = family.parent
    await parent.send("/today extra words <here>")
    today = await parent.wait_for(lambda m: "Today’s practice with Sam" in m.plain)
    assert "Point to a toy" in today.plain and "Build a tower" in today.plain
    await parent.send("/week 123")
    week = await parent.wait_for(lambda m: "Sam’s week so far" in m.plain)
    assert "Not practised yet this week." in week.plain
    await parent.send("/today@portage_test_bot")
    await parent.wait_for(lambda m: "Today’s practice with Sam" in m.plain)
    await parent.send("/help me please")
    await parent.wait_for(lambda m: "What I can do" in m.plain)
    assert (await bot.diary_of(family.family_id)).notes == []
    assert await _row_counts(bot) == before


# ----- what the parent types is kept exactly ---------------------------------------------------


async def test_html_like_text_emoji_and_right_to_left_script_are_kept_exactly(bot, fake, family):
    texts = [
        "<3 & >",
        "<b>bold</b>",
        "&amp;",
        "</i>",
        "😀👍🏽 👨‍👩‍👧 he laughed!",
        "بہت اچھا",
        "Sam said بہت اچھا <3 & clapped 👏",
        'quotes "double" and \'single\' & <a href="x">link</a>',
    ]
    for text in texts:
        await family.parent.send(text)
        ack = await family.parent.wait_for(lambda m: SAVED in m.plain)
        assert "What is it?" in ack.plain
    assert (await bot.diary_of(family.family_id)).notes == [
        ("text", text, None, None) for text in texts
    ]
    # Every acknowledgement was valid HTML within limits (the fixture checks the rest).
    assert [call for call in fake.errors if not call.injected] == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(("Sam <3 & blocks > ball. " * 200)[:4096], id="ascii-with-html-characters"),
        pytest.param("😀" * 2048, id="emoji-4096-utf16-units"),
    ],
)
async def test_a_text_of_the_longest_length_telegram_allows_is_kept_in_full(bot, family, text):
    await family.parent.send(text)
    await family.parent.wait_for(lambda m: SAVED in m.plain)
    notes = (await bot.diary_of(family.family_id)).notes
    assert notes == [("text", text, None, None)]
    assert len(notes[0][1].encode("utf-16-le")) // 2 == 4096


# ----- strangers -------------------------------------------------------------------------------


async def test_a_stranger_gets_kind_replies_and_nothing_is_stored(bot, fake, family):
    before = await _row_counts(bot)
    stranger = fake.user(user_id=2001, first_name="Kim")

    await stranger.send("Hello, is this the nursery?")
    reply = await stranger.wait_for(lambda m: NOT_ENROLLED_REPLY in m.plain)
    await stranger.send_photo(file_id="stranger-photo")
    await stranger.wait_for(lambda m: NOT_ENROLLED_REPLY in m.plain)
    await stranger.send_voice(file_id="stranger-voice")
    await stranger.wait_for(lambda m: NOT_ENROLLED_REPLY in m.plain)
    await stranger.send("/today")
    await stranger.wait_for(lambda m: NOT_ENROLLED_REPLY in m.plain)
    await stranger.send("/week")
    await stranger.wait_for(lambda m: NOT_ENROLLED_REPLY in m.plain)

    targets = await _target_ids(bot, family.family_id)
    for data in (
        f"a1:{targets['Build a tower']}:20261123:y",
        "c1:y",
        "t1:0930",
        "zzz",
    ):
        tap = await stranger.tap_forged(reply.message_id, data)
        assert (await stranger.wait_for_answer(tap))["text"] == NOT_ENROLLED_TAP

    # The parent's own invitation, already used, does not let the stranger in either.
    await stranger.send(f"/start {family.code}")
    await stranger.wait_for(lambda m: "already been used" in m.plain)

    diary = await bot.diary_of(family.family_id)
    assert diary.notes == [] and diary.answers == {}
    assert await _row_counts(bot) == before
    assert await _carer(bot, stranger.id) is None


# ----- forged buttons --------------------------------------------------------------------------


async def test_forged_button_data_is_answered_and_changes_nothing(bot, fake, family):
    parent = family.parent
    # A second family with its own plan, carer and note.
    other_id = await bot.new_family("Mo")
    await bot.set_plan(other_id, ["com-point-to-toy", "cog-stack-blocks"])
    other_parent = fake.user(user_id=1002, first_name="Bea")
    await join(bot, other_parent, await bot.invite(other_id))
    await other_parent.send("Mo waved bye-bye")
    await other_parent.wait_for(lambda m: "Saved in Mo’s diary" in m.plain)

    # One note of our own, not yet categorised, so a category tap would show.
    await parent.send("Our note")
    await parent.wait_for(lambda m: SAVED in m.plain)
    await parent.send("/today")
    card = await parent.wait_for(lambda m: "Today’s practice with Sam" in m.plain)

    ours = await _target_ids(bot, family.family_id)
    theirs = await _target_ids(bot, other_id)
    (their_note,) = await _note_ids(bot, other_id)
    pointing, tower = ours["Point to a toy"], ours["Build a tower"]
    assert set(ours.values()).isdisjoint(theirs.values())

    our_diary, their_diary = await bot.diary_of(family.family_id), await bot.diary_of(other_id)
    our_carer_before = await _carer(bot, parent.id)
    counts_before = await _row_counts(bot)
    edits_before = len(fake.calls_of("editMessageText"))

    forged = [
        ("zzz", TAP_STALE),
        ("", TAP_STALE),
        ("a1:999:20261123:y", TAP_INVALID),
        (f"a1:{theirs['Build a tower']}:20261123:y", TAP_NOT_YOURS),
        (f"a1:{theirs['Point to a toy']}:20261123:3", TAP_NOT_YOURS),
        (f"a1:{pointing}:20261123:9", TAP_INVALID),  # 9 of 5 tries
        (f"a1:{tower}:20261123:3", TAP_INVALID),  # a number for a yes / a little target
        (f"a1:{tower}:20261124:y", TAP_INVALID),  # tomorrow
        (f"a1:{tower}:20261122:y", TAP_INVALID),  # yesterday: open, but the plan starts today
        (f"a1:{tower}:29991231:y", TAP_INVALID),
        (f"a1:{tower}:20261341:y", TAP_INVALID),  # no such date
        (f"a1:{tower}:20261123:x", TAP_INVALID),
        (f"a1:{tower}:20200101:y", TAP_DAY_CLOSED),
        (f"n1:{their_note}:s", TAP_NOT_YOURS),
        ("n1:999999:q", TAP_NOT_YOURS),
        ("an1:20200101", TAP_DAY_CLOSED),
        ("an1:20261124", TAP_DAY_CLOSED),  # tomorrow
        ("c1:n", TAP_STALE),  # consent was given: a forged "no" must not remove the carer
        ("c1:maybe", TAP_STALE),
        ("t1:9999", TAP_STALE),
        ("d1:monthly", TAP_STALE),
        ("p1:365", TAP_STALE),
    ]
    answers = []
    for data, _ in forged:
        tap = await parent.tap_forged(card.message_id, data)
        answers.append((data, (await parent.wait_for_answer(tap))["text"]))
    assert answers == [(data, expected) for data, expected in forged]

    # A forged tap on a message that does not exist (Telegram sends it with date 0).
    tap = await parent.tap_forged(999_999, f"a1:{theirs['Build a tower']}:20261123:y")
    assert (await parent.wait_for_answer(tap))["text"] == TAP_NOT_YOURS

    assert await bot.diary_of(family.family_id) == our_diary
    assert await bot.diary_of(other_id) == their_diary
    assert their_diary.notes == [("text", "Mo waved bye-bye", None, None)]
    assert await _row_counts(bot) == counts_before
    assert len(fake.calls_of("editMessageText")) == edits_before
    our_carer = await _carer(bot, parent.id)
    assert our_carer is not None
    assert (
        our_carer.consent_at_utc,
        our_carer.reminder_time_local,
        our_carer.reminder_days,
        our_carer.paused,
        our_carer.paused_until,
        our_carer.stopped_at_utc,
    ) == (
        our_carer_before.consent_at_utc,
        our_carer_before.reminder_time_local,
        our_carer_before.reminder_days,
        our_carer_before.paused,
        our_carer_before.paused_until,
        our_carer_before.stopped_at_utc,
    )

    # The real buttons still work afterwards.
    tap = await parent.tap(card, button_text="A little")
    assert (await parent.wait_for_answer(tap))["text"] == "Saved. Thank you!"
    assert (await bot.diary_of(family.family_id)).answers == {
        ("Build a tower", "2026-11-23"): ("a_little", None)
    }
    assert await bot.diary_of(other_id) == their_diary


async def test_a_valid_tap_on_a_message_the_bot_cannot_see_is_answered_once_without_errors(
    bot, fake, family
):
    """A modified client (or a message Telegram no longer shows the bot) sends the callback with
    an inaccessible message (date 0). The tap is answered once and no request fails."""
    parent = family.parent
    tower = (await _target_ids(bot, family.family_id))["Build a tower"]
    tap = await parent.tap_forged(999_999, f"a1:{tower}:20261123:y")
    query_id = tap["callback_query"]["id"]
    answer = await parent.wait_for_answer(tap)
    assert answer["text"] in ("Saved. Thank you!", TAP_STALE, TAP_INVALID)
    await fake.wait_idle()
    answers = [
        call.status
        for call in fake.calls_of("answerCallbackQuery")
        if str(call.params.get("callback_query_id")) == query_id
    ]
    failed = [(call.method, call.description) for call in fake.errors if not call.injected]
    assert (answers, failed) == ([200], [])


# ----- consent ---------------------------------------------------------------------------------


async def test_a_parent_who_has_not_consented_is_asked_to_finish_and_nothing_is_kept(bot, fake):
    family_id = await bot.new_family("Sam")
    await bot.set_plan(family_id, ["com-point-to-toy", "cog-stack-blocks"])
    code = await bot.invite(family_id)
    parent = fake.user(user_id=1003, first_name="Cai")
    await parent.send(f"/start {code}")
    await choose_language(parent, "en")
    welcome = await parent.wait_for(lambda m: "Is that OK with you?" in m.plain)

    await parent.send("Sam pointed at the dog")
    reply = await parent.wait_for(lambda m: FINISH_CONSENT in m.plain)
    assert "Send /start to see it again" in reply.plain
    await parent.send_photo(file_id="early-photo", caption="Look!")
    await parent.wait_for(lambda m: FINISH_CONSENT in m.plain)
    await parent.send("/today")
    await parent.wait_for(lambda m: FINISH_CONSENT in m.plain)
    tap = await parent.tap_forged(welcome.message_id, "a1:1:20261123:y")
    assert (await parent.wait_for_answer(tap))["text"] == TAP_STALE

    diary = await bot.diary_of(family_id)
    assert diary.notes == [] and diary.answers == {}
    carer = await _carer(bot, parent.id)
    assert carer is not None and carer.consent_at_utc is None

    # /start shows the notice again, and agreeing then works.
    await parent.send("/start")
    again = await parent.wait_for(lambda m: "Is that OK with you?" in m.plain)
    await parent.tap(again, button_text="Yes, I agree")
    await parent.wait_for(lambda m: "daily reminder" in m.plain)


async def test_a_parent_who_declines_is_removed_and_can_use_the_same_link_later(bot, fake):
    family_id = await bot.new_family("Sam")
    await bot.set_plan(family_id, ["com-point-to-toy", "cog-stack-blocks"])
    code = await bot.invite(family_id)
    parent = fake.user(user_id=1004, first_name="Dee")
    await parent.send(f"/start {code}")
    await choose_language(parent, "en")
    welcome = await parent.wait_for(lambda m: "Is that OK with you?" in m.plain)
    assert await _carer(bot, parent.id) is not None

    tap = await parent.tap(welcome, button_text="No, thank you")
    await parent.wait_for_answer(tap)
    declined = await parent.wait_for(lambda m: "I haven’t kept anything about you" in m.plain)
    assert "open the same invitation link again" in declined.plain
    assert await _carer(bot, parent.id) is None
    assert (await _row_counts(bot))["used invites"] == 0

    # Now they are a stranger: a message is answered, and kept nowhere.
    await parent.send("Sorry, wrong button")
    await parent.wait_for(lambda m: NOT_ENROLLED_REPLY in m.plain)
    assert (await bot.diary_of(family_id)).notes == []
    assert await _carer(bot, parent.id) is None

    # They change their mind: the same link works.
    confirmed = await join(bot, parent, code)
    assert "18:30" in confirmed.plain
    carer = await _carer(bot, parent.id)
    assert carer is not None and carer.family_id == family_id
    assert carer.consent_at_utc is not None
    await parent.send("Back again")
    await parent.wait_for(lambda m: SAVED in m.plain)
    assert (await bot.diary_of(family_id)).notes == [("text", "Back again", None, None)]


async def test_a_typed_time_before_choosing_one_is_not_filed_as_a_diary_note(bot, fake):
    """After agreeing, the bot asks for a reminder time. A parent who types "18:45" instead of
    tapping a button must not find it filed in the diary with their reminders still unset."""
    family_id = await bot.new_family("Sam")
    await bot.set_plan(family_id, ["com-point-to-toy", "cog-stack-blocks"])
    parent = fake.user(user_id=1005, first_name="Eve")
    await parent.send(f"/start {await bot.invite(family_id)}")
    await choose_language(parent, "en")
    welcome = await parent.wait_for(lambda m: "Is that OK with you?" in m.plain)
    await parent.tap(welcome, button_text="Yes, I agree")
    await parent.wait_for(lambda m: "daily reminder" in m.plain)

    # A sticker is answered with how to finish.
    await parent.send_sticker()
    await parent.wait_for(lambda m: "Nearly there" in m.plain)

    await parent.send("18:45")
    reply = await parent.wait_for()
    carer = await _carer(bot, parent.id)
    assert carer is not None
    # Either the time is understood (and the days are asked next) or the parent is told how to
    # finish; in neither case is "18:45" a diary note.
    assert "On which days?" in reply.plain or "Nearly there" in reply.plain, reply.plain
    assert (await bot.diary_of(family_id)).notes == []


# Group chats: the fake Bot API's users talk to the bot only in private chats (FakeUser has no
# group chat), so "a message in a group is ignored" is not covered here.
