"""Joining by invitation only: kind words for every wrong link, nothing created without one."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.models import Carer
from tests.e2e.helpers import choose_language, join


async def _carers(bot) -> int:
    async with bot.services.sessions() as session:
        return await session.scalar(select(func.count()).select_from(Carer))


async def test_start_without_a_code_explains_how_to_get_an_invitation(bot, fake):
    stranger = fake.user(user_id=2001, first_name="Kim")
    await stranger.send("/start")
    reply = await stranger.wait_for()
    assert "you need an invitation link from your Portage home visitor" in reply.plain
    assert await _carers(bot) == 0


async def test_wrong_used_and_expired_codes_create_nothing(bot, fake, clock):
    family_id = await bot.new_family("Sam")
    stranger = fake.user(user_id=2001, first_name="Kim")
    await stranger.send("/start not-a-real-code")
    assert "couldn’t find that invitation" in (await stranger.wait_for()).plain

    code = await bot.invite(family_id)
    await join(bot, fake.user(user_id=2002, first_name="Ana"), code)
    await stranger.send(f"/start {code}")
    assert "already been used" in (await stranger.wait_for()).plain

    old_code = await bot.invite(family_id)
    clock.advance(days=14, seconds=1)
    await stranger.send(f"/start {old_code}")
    assert "has expired" in (await stranger.wait_for()).plain
    assert await _carers(bot) == 1


async def test_a_code_is_valid_until_just_before_its_expiry(bot, fake, clock):
    family_id = await bot.new_family("Sam")
    code = await bot.invite(family_id)
    clock.advance(days=14, seconds=-1)
    await join(bot, fake.user(user_id=2002, first_name="Ana"), code, at="09:00")
    assert await _carers(bot) == 1


async def test_a_second_carer_joins_with_their_own_link_and_shares_the_diary(bot, fake, clock):
    family_id = await bot.new_family("Sam")
    await bot.set_plan(family_id, ["com-point-to-toy", "cog-stack-blocks"])
    mum = fake.user(user_id=3001, first_name="Ana")
    dad = fake.user(user_id=3002, first_name="Ben")
    await join(bot, mum, await bot.invite(family_id), at="18:30")
    await join(bot, dad, await bot.invite(family_id), at="07:30", days="Weekdays only")

    # Each gets their own reminder at their own time.
    clock.set(datetime(2026, 11, 24, 7, 30, tzinfo=UTC))
    await bot.tick()
    dads = await dad.wait_for(lambda m: "Here is today’s practice" in m.plain)
    clock.set(datetime(2026, 11, 24, 18, 30, tzinfo=UTC))
    await bot.tick()
    mums = await mum.wait_for(lambda m: "Here is today’s practice" in m.plain)

    # Dad taps in the morning; mum's tap in the evening changes the same diary day.
    await dad.wait_for_answer(await dad.tap(dads, button_text="2️⃣ Yes"))
    await mum.wait_for_answer(await mum.tap(mums, button_text="A little"))
    await mum.send("Tower of 4 blocks!")
    await mum.wait_for(lambda m: "Saved in Sam’s diary" in m.plain)
    await dad.send("He knocked it down and laughed")
    await dad.wait_for(lambda m: "Saved in Sam’s diary" in m.plain)
    diary = await bot.diary_of(family_id)
    assert diary.answers == {("Build a tower", "2026-11-24"): ("a_little", None)}
    assert [note[1] for note in diary.notes] == [
        "Tower of 4 blocks!",
        "He knocked it down and laughed",
    ]


async def test_declining_keeps_nothing_and_the_link_works_later(bot, fake):
    family_id = await bot.new_family("Sam")
    code = await bot.invite(family_id)
    parent = fake.user(user_id=4001, first_name="Ana")
    await parent.send(f"/start {code}")
    await choose_language(parent, "en")
    welcome = await parent.wait_for(lambda m: "Is that OK with you?" in m.plain)
    await parent.tap(welcome, button_text="No, thank you")
    declined = await parent.wait_for(lambda m: "haven’t kept anything" in m.plain)
    assert "open the same invitation link again" in declined.plain
    assert await _carers(bot) == 0
    # The consent buttons are gone from the welcome message.
    assert parent.inbox()[0].reply_markup in (None, {"inline_keyboard": []})

    await join(bot, parent, code)
    assert await _carers(bot) == 1


async def test_a_typed_time_and_a_wrong_one(bot, fake, clock):
    family_id = await bot.new_family("Sam")
    parent = fake.user(user_id=5001, first_name="Ana")
    await parent.send(f"/start {await bot.invite(family_id)}")
    await choose_language(parent, "en")
    await parent.tap(
        await parent.wait_for(lambda m: "Is that OK" in m.plain), button_text="Yes, I agree"
    )
    ask_time = await parent.wait_for(lambda m: "daily reminder" in m.plain)
    await parent.tap(ask_time, button_text="Another time…")
    await parent.wait_for(lambda m: "Please type the time" in m.plain)
    await parent.send("half past seven")
    assert "didn’t understand that time" in (await parent.wait_for()).plain
    await parent.send("7.45")
    ask_days = await parent.wait_for(lambda m: "On which days?" in m.plain)
    assert "07:45" in ask_days.plain
    await parent.tap(ask_days, button_text="Every day")
    confirmed = await parent.wait_for(lambda m: "I’ll send" in m.plain)
    assert "You’re all set" in confirmed.plain and "07:45" in confirmed.plain


async def test_start_again_after_joining_says_welcome_back(bot, fake):
    family_id = await bot.new_family("Sam")
    parent = fake.user(user_id=6001, first_name="Ana")
    await join(bot, parent, await bot.invite(family_id))
    await parent.send("/start")
    assert "You’re already set up" in (await parent.wait_for()).plain
    # Another family's link cannot move an enrolled parent.
    other = await bot.new_family("Mia")
    await parent.send(f"/start {await bot.invite(other)}")
    assert "Sam" in (await parent.wait_for()).plain


async def test_guessing_codes_is_stopped_after_five_failures_in_an_hour(bot, fake, clock):
    family_id = await bot.new_family("Sam")
    good_code = await bot.invite(family_id)
    guesser = fake.user(user_id=8001, first_name="Kim")
    for attempt in range(5):
        await guesser.send(f"/start guess{attempt}")
        assert "couldn’t find that invitation" in (await guesser.wait_for()).plain
    # The sixth is refused even though it is a real code: nothing is looked up, nothing made.
    await guesser.send(f"/start {good_code}")
    assert "please wait an hour" in (await guesser.wait_for()).plain
    assert await _carers(bot) == 0
    # Someone else is not affected.
    await join(bot, fake.user(user_id=8002, first_name="Ana"), await bot.invite(family_id))
    # An hour later the guesser's (real) link works.
    clock.advance(hours=1, seconds=1)
    await join(bot, guesser, good_code)
    assert await _carers(bot) == 2
