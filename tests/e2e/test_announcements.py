"""Group announcements end to end: a manager makes a group, writes an event, previews it exactly
as families will see it and sends it; families answer, change their answer, mute group news, or
join from the waiting list; a visitor reaches only their own families."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.models import Family, GroupMember, Rsvp
from tests.e2e.helpers import (
    choose_language,
    enrolled_families,
    make_group,
    sign_in,
    write_announcement,
)

GROUP = "Monday drop-in, Coalville"
NEWS = "Messy play & songs <for> little ones 🎨. Bring a towel!"
# Wednesday 25 November: the day picker's buttons read "Wed 25".
EVENT = ("Wed 25", "10:00", "Coalville Family Hub, Market St")


async def _sent_to_families(bot, manager, children: list[str]):
    await make_group(manager, GROUP, children)
    preview, controls = await write_announcement(manager, [GROUP], NEWS, event=EVENT)
    # The message is edited into the progress: keep what it said before.
    said_before = controls.plain
    await manager.tap(controls, button_text="📤 Send now")
    await manager.wait_for(lambda m: "Going out now" in m.plain)
    await bot.tick()
    return preview, said_before


async def test_an_event_reaches_the_group_exactly_as_previewed_and_families_answer(bot, fake):
    families = await enrolled_families(bot, fake, 3)
    outsider = await enrolled_families(bot, fake, 1, first_user_id=6001)
    manager = await sign_in(bot, fake, 2001, "Maya", role="manager")
    preview, controls = await _sent_to_families(bot, manager, ["Child 1", "Child 2"])

    assert "It goes to 2 families (2 people)" in controls
    received = []
    for _, parent in families[:2]:
        received.append(await parent.wait_for(lambda m: "📣" in m.plain))
    for message in received:
        # The same words, escaping and buttons as the sender's preview.
        assert message.text == preview.text and message.entities == preview.entities
        assert message.button_data() == preview.button_data()
    assert "Messy play & songs <for> little ones 🎨" in received[0].plain
    assert "Wednesday 25 November, 10:00" in received[0].plain
    assert "Coalville Family Hub, Market St" in received[0].plain
    # Not in the group: nothing.
    assert families[2][1].inbox() == [] and outsider[0][1].inbox() == []

    ana = families[0][1]
    tapped = await ana.tap(received[0], button_text="👍 I’ll come")
    assert (await ana.wait_for_answer(tapped))["text"] == "Thank you! See you there."
    ticked = await ana.wait_for(
        lambda m: ("✓ 👍 I’ll come", m.button_data()[0][1]) in m.button_data()
    )
    # Changing the answer: the other button, ticked in its turn.
    tapped = await ana.tap(ticked, button_text="Can’t make it")
    assert (await ana.wait_for_answer(tapped))["text"] == "Thank you for letting us know."
    await ana.wait_for(lambda m: any(text == "✓ Can’t make it" for text, _ in m.button_data()))
    bo = families[1][1]
    await bo.wait_for_answer(await bo.tap(received[1], button_text="👍 I’ll come"))

    async with bot.services.sessions() as session:
        answers = {(row.family_id, row.answer) for row in await session.scalars(select(Rsvp))}
    assert answers == {(families[0][0], "no"), (families[1][0], "yes")}

    # The sender sees who is coming, from the progress message's button.
    await bot.show_progress()
    progress = await manager.wait_for(lambda m: "Done." in m.plain)
    assert "Sent: 2" in progress.plain and "Could not be delivered: 0" in progress.plain
    await manager.tap(progress, button_text="👀 Details and who is coming")
    details = await manager.wait_for(lambda m: "Coming: 1" in m.plain)
    assert "Coming: 1: Child 2" in details.plain
    assert "Can’t make it: 1: Child 1" in details.plain and "No answer yet: 0" in details.plain


async def test_the_preview_buttons_do_nothing_and_a_second_send_tap_sends_nothing(bot, fake):
    families = await enrolled_families(bot, fake, 2)
    manager = await sign_in(bot, fake, 2001, "Maya", role="manager")
    await make_group(manager, GROUP, ["Child 1", "Child 2"])
    preview, controls = await write_announcement(manager, [GROUP], NEWS, event=EVENT)
    answer = await manager.wait_for_answer(await manager.tap(preview, button_text="👍 I’ll come"))
    assert "preview" in answer["text"]
    # A double tap: both taps arrive before the bot has answered either.
    first = await manager.tap(controls, button_text="📤 Send now")
    second = await manager.tap(controls, button_text="📤 Send now")
    await manager.wait_for_answer(first)
    await manager.wait_for_answer(second)
    await bot.tick()
    await bot.tick()
    for _, parent in families:
        await parent.wait_for(lambda m: "📣" in m.plain)
        assert sum("📣" in m.plain for m in parent.inbox()) == 1
    async with bot.services.sessions() as session:
        assert list(await session.scalars(select(Rsvp))) == []


async def test_a_muted_parent_gets_no_news_but_still_gets_reminders(bot, fake, clock):
    families = await enrolled_families(bot, fake, 2)
    await bot.set_plan(families[0][0], ["com-point-to-toy"])
    muted = families[0][1]
    await muted.send("/settings")
    settings = await muted.wait_for(lambda m: "Your settings" in m.plain)
    assert "News of groups and drop-ins: on" in settings.plain
    answer = await muted.wait_for_answer(
        await muted.tap(settings, button_text="🔕 Stop news of groups")
    )
    assert answer["text"] == "Done: no more group news. Your reminders carry on."
    shown = await muted.wait_for(lambda m: "News of groups and drop-ins: off" in m.plain)
    assert [text for text, _ in shown.button_data()] == ["🔔 Get news of groups"]

    manager = await sign_in(bot, fake, 2001, "Maya", role="manager")
    _, controls = await _sent_to_families(bot, manager, ["Child 1", "Child 2"])
    assert "It goes to 1 family (1 person)" in controls
    await families[1][1].wait_for(lambda m: "📣" in m.plain)
    assert not any("Messy play" in m.plain for m in muted.inbox())
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    await bot.tick()
    await muted.wait_for(lambda m: "Here is today’s practice" in m.plain)


async def test_a_waiting_list_family_gets_news_only_until_a_plan_is_set(bot, fake):
    visitor = await sign_in(bot, fake, 2001, "Priya")
    await visitor.send("/waitinglist Zara")
    invite = await visitor.wait_for(lambda m: "Zara is added as family" in m.plain)
    assert "on the waiting list" in invite.plain
    code = invite.plain.split("start=")[1].split()[0]
    parent = fake.user(user_id=1001, first_name="Ana")
    await parent.send(f"/start {code}")
    await choose_language(parent, "en")
    welcome = await parent.wait_for(lambda m: "Is that OK with you?" in m.plain)
    assert "news of our groups" in welcome.plain
    await parent.tap(welcome, button_text="Yes, I agree")
    done = await parent.wait_for(lambda m: "You’re on the list" in m.plain)
    # No reminder time to choose: a note or a command is not held back by one.
    assert "daily reminder" not in done.plain
    await parent.send("/settings")
    await parent.wait_for(lambda m: "they start when your home visits begin" in m.plain)
    await parent.send("/help")
    help_text = (await parent.wait_for(lambda m: "What I can do" in m.plain)).plain
    assert "waiting list" in help_text and "/today" not in help_text

    await make_group(visitor, "Sensory play, Hinckley", ["Zara"])
    _, controls = await write_announcement(visitor, ["Sensory play, Hinckley"], NEWS)
    await visitor.tap(controls, button_text="📤 Send now")
    await visitor.wait_for(lambda m: "Going out now" in m.plain)
    await bot.tick()
    news = await parent.wait_for(lambda m: "📣" in m.plain)
    assert news.button_data() == []  # news, not an event: nothing to answer

    # A plan ends the waiting list; the parent is asked for a reminder time.
    await bot.set_plan(1, ["com-point-to-toy"])
    async with bot.services.sessions() as session:
        assert (await session.get(Family, 1)).announcements_only is False
    await parent.send("/today")
    await parent.wait_for(lambda m: "reminder" in m.plain.lower())


async def test_a_visitor_announces_to_their_own_families_only(bot, fake):
    manager = await sign_in(bot, fake, 2001, "Maya", role="manager")
    priya = await sign_in(bot, fake, 2002, "Priya")
    await sign_in(bot, fake, 2003, "Tom")
    families = await enrolled_families(bot, fake, 2)
    async with bot.services.sessions.begin() as session:
        (await session.get(Family, families[0][0])).visitor_id = 2  # Priya
        (await session.get(Family, families[1][0])).visitor_id = 3  # Tom
    # The manager's group has both families; Priya sees it, with her family only.
    await make_group(manager, GROUP, ["Child 1", "Child 2"])
    await priya.send("/groups")
    listing = await priya.wait_for(lambda m: "Groups" in m.plain)
    await priya.tap(listing, button_text=f"👥 {GROUP} (1)")
    page = await priya.wait_for(lambda m: "Tap a family" in m.plain)
    assert [text for text, _ in page.button_data()][:-1] == ["✓ Child 1 · #1"]
    # She cannot announce to the service's group, only to her own.
    await priya.send("/announce")
    await priya.wait_for(lambda m: "first make a group" in m.plain)
    # A forged tap on Tom's family, or on the manager's announcement controls, is refused.
    forged = await priya.tap_forged(page.message_id, f"gr1:1:tog:{families[1][0]}:0")
    assert (await priya.wait_for_answer(forged))["show_alert"] is True
    async with bot.services.sessions() as session:
        members = {row.family_id for row in await session.scalars(select(GroupMember))}
    assert members == {families[0][0], families[1][0]}


async def test_bad_input_gets_a_kind_reply_and_changes_nothing(bot, fake):
    await enrolled_families(bot, fake, 1)
    manager = await sign_in(bot, fake, 2001, "Maya", role="manager")
    await make_group(manager, GROUP, ["Child 1"])
    await manager.send("/groups")
    listing = await manager.wait_for(lambda m: "Groups" in m.plain)
    await manager.tap(listing, button_text="➕ New group")
    await manager.wait_for(lambda m: "What is the group called?" in m.plain)
    await manager.send("x" * 81)
    await manager.wait_for(lambda m: "1 to 80 characters" in m.plain)

    await manager.send("/announce")
    pick = await manager.wait_for(lambda m: "Who is it for?" in m.plain)
    answer = await manager.wait_for_answer(await manager.tap(pick, button_text="Next ➡️"))
    assert answer["text"] == "Please tap at least one group first."
    await manager.tap(pick, button_text=GROUP)
    pick = await manager.wait_for(lambda m: "It would reach 1 family (1 person)" in m.plain)
    await manager.tap(pick, button_text="Next ➡️")
    await manager.wait_for(lambda m: "Now type the announcement" in m.plain)
    await manager.send("word " * 600)
    await manager.wait_for(lambda m: "keep it under 2500 characters" in m.plain)
    # Still waiting for the words: a shorter text is taken.
    await manager.send(NEWS)
    await manager.wait_for(lambda m: "Is this an event" in m.plain)
