"""A home visitor's week, end to end over HTTP through the fake Bot API, with the clock in our
hands: sign in, add a family, set a plan with a goal and a target of their own, book a visit, and
receive the family's summary at the lead time, once, with its chart and the parent's photo."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.models import Summary
from tests.e2e.helpers import book_visit, join

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    # November and December in London are GMT, so local time is UTC.
    month = 11 if day >= 20 else 12
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def answer_today(parent, bot, clock, day: int, taps: list[str], seen: set[int]) -> None:
    """The 18:30 reminder arrives (a card not `seen` before); the parent taps each answer."""
    clock.set(at(day, 18, 30))
    await bot.tick()
    reminder = await parent.wait_for(
        lambda m: "Here is today’s practice" in m.plain and m.message_id not in seen
    )
    seen.add(reminder.message_id)
    for label in taps:
        tap = await parent.tap(parent._bot_message(reminder.message_id), button_text=label)
        await parent.wait_for_answer(tap)


async def test_visitor_plans_books_and_gets_the_summary_once(bot, fake, clock):
    # Signing in with the link `portage-bot invite visitor "Priya"` prints.
    visitor = fake.user(user_id=2001, first_name="Priya")
    await visitor.send(f"/start {await bot.staff_invite('Priya')}")
    welcome = await visitor.wait_for(lambda m: "signed in as a home visitor" in m.plain)
    assert "Priya" in welcome.plain

    # /newfamily: the child's first name, then the link and its QR code.
    await visitor.send("/newfamily")
    await visitor.wait_for(lambda m: "first name or nickname" in m.plain)
    await visitor.send("Sam")
    invite = await visitor.wait_for(lambda m: "is added as family" in m.plain)
    code = re.search(r"start=([A-Za-z0-9_-]+)", invite.plain).group(1)
    qr = await visitor.wait_for(lambda m: m.kind == "photo")
    assert qr.file.uploaded and fake.file_bytes(qr.file.stored_file_id).startswith(PNG_MAGIC)

    parent = fake.user(user_id=1001, first_name="Ana")
    await join(bot, parent, code, at="18:30")

    # /plan: a long-term goal, a library target serving it, and a target of the visitor's own.
    await visitor.send("/plan")
    picker = await visitor.wait_for(lambda m: "Whose plan?" in m.plain)
    await visitor.tap(picker, button_text="Sam · #1")
    plan = await visitor.wait_for(lambda m: "Sam’s plan" in m.plain and "No plan yet" in m.plain)
    await visitor.tap(plan, button_text="🎯 Long-term goals")
    goals = await visitor.wait_for(lambda m: "long-term goals" in m.plain and "None yet" in m.plain)
    await visitor.tap(goals, button_text="➕ Add a goal")
    await visitor.wait_for(lambda m: "Type the long-term goal" in m.plain)
    await visitor.send("Asks for things he wants with a word or a sign")
    goals = await visitor.wait_for(lambda m: "1. Asks for things he wants" in m.plain)
    await visitor.tap(goals, button_text="⬅️ Back")
    plan = await visitor.wait_for(lambda m: "Sam’s plan" in m.plain and "0 of 4" in m.plain)
    await visitor.tap(plan, button_text="➕ From the library")
    areas = await visitor.wait_for(lambda m: "which area?" in m.plain)
    await visitor.tap(areas, button_text="Communication and language")
    activities = await visitor.wait_for(lambda m: "Point to a toy" in m.plain)
    await visitor.tap(activities, button_text="Point to a toy")
    which_goal = await visitor.wait_for(lambda m: "Which long-term goal" in m.plain)
    await visitor.tap(which_goal, button_text="🎯 Asks for things he wants with a word or a sign")
    plan = await visitor.wait_for(lambda m: "1 of 4" in m.plain)
    assert "goal: Asks for things" in plan.plain
    await visitor.tap(plan, button_text="✍️ Write my own")
    await visitor.wait_for(lambda m: "What is the small step?" in m.plain)
    await visitor.send("Waves bye-bye when a visitor leaves")
    await visitor.wait_for(lambda m: "What should the parent do?" in m.plain)
    await visitor.send("Wave as you say bye-bye.\nHelp his hand wave, then wait.")
    await visitor.wait_for(lambda m: "A tip for the parent?" in m.plain)
    await visitor.send("Make a big happy face when he waves")
    which_goal = await visitor.wait_for(lambda m: "Which long-term goal" in m.plain)
    await visitor.tap(which_goal, button_text="No particular goal")
    plan = await visitor.wait_for(lambda m: "2 of 4" in m.plain)
    assert "2. Waves bye-bye when a visitor leaves ✍️" in plan.plain
    await visitor.tap(plan, button_text="✅ Save, from tomorrow")
    saved = await visitor.wait_for(lambda m: "new plan" in m.plain and "starts" in m.plain)
    assert "Tuesday 24 November" in saved.plain and "let the parent know" in saved.plain
    told = await parent.wait_for(lambda m: "activities change" in m.plain)
    assert "Point to a toy 🆕" in told.plain and "Tuesday 24 November" in told.plain

    # /visit: Tuesday 1 December at 10:00, every week.
    await visitor.send("/visit")
    picker = await visitor.wait_for(lambda m: "Which family’s visit?" in m.plain)
    await visitor.tap(picker, button_text="Sam · #1")
    assert (
        "No visit booked" in (await visitor.wait_for(lambda m: "Visits with Sam" in m.plain)).plain
    )
    booked = await book_visit(visitor, "Tue 1", "10:00", "Every week")
    assert "Next: Tuesday 1 December, 10:00, then weekly" in booked.plain
    assert "Summary to you: Monday 30 November, 18:00" in booked.plain

    seen: set[int] = set()
    # A week of mixed answers and notes. Pointing: 4 of 5 tries three days running meets its aim.
    await answer_today(parent, bot, clock, 24, ["4/5", "2️⃣ Yes"], seen)
    await parent.send("He pointed at the <ball> & laughed 😀")
    ack = await parent.wait_for(lambda m: "Saved in Sam’s diary" in m.plain)
    await parent.wait_for_answer(await parent.tap(ack, button_text="🌟 Something new"))
    await answer_today(parent, bot, clock, 25, ["5/5", "2️⃣ Not today"], seen)
    await parent.send_photo(file_id="photo-file-1", caption="Waving at Nana")
    await parent.wait_for(lambda m: "Photo saved" in m.plain)
    await answer_today(parent, bot, clock, 26, ["4/5", "2️⃣ Not today"], seen)
    await parent.send("Should we try signing for “more”? <3")
    ack = await parent.wait_for(lambda m: "Saved in Sam’s diary" in m.plain)
    await parent.wait_for_answer(await parent.tap(ack, button_text="❓ Question for my visitor"))
    # Friday to Monday: no answers at all.

    # No weekly summary on Friday (a visit is booked), and none before Monday 18:00.
    for moment in (at(27, 16, 0), at(30, 17, 59)):
        clock.set(moment)
        await bot.tick()
    assert not [m for m in visitor.inbox() if "🗓" in m.plain]

    clock.set(at(30, 18, 0))
    await bot.tick()
    summary = await visitor.wait_for(lambda m: "🗓" in m.plain)
    chart = await visitor.wait_for(lambda m: m.kind == "photo" and "activity chart" in m.plain)
    photo = await visitor.wait_for(lambda m: m.kind == "photo" and "Waving at Nana" in m.plain)
    assert photo.file.file_id == "photo-file-1"
    assert fake.file_bytes(chart.file.stored_file_id).startswith(PNG_MAGIC)

    text = summary.plain
    assert "Sam: Mon 23 Nov to Mon 30 Nov" in text
    assert "Next visit: Tuesday 1 December, 10:00" in text
    assert "Practised on 3 of 7 days with a plan." in text
    assert "1. Point to a toy" in text and "Goal: Asks for things he wants" in text
    assert "Practised 3 of 7 days." in text
    assert "2. Waves bye-bye when a visitor leaves" in text
    assert "Practised 1 of 7 days, “not today” 2." in text
    assert "Tue 24 Nov: 4/5 tries worked\nWed 25 Nov: 5/5 tries worked\n" in text
    assert "Tue 24 Nov: ✅ yes\nWed 25 Nov: ❌ not today\n" in text
    assert "Mon 30 Nov: ▫️ no answer" in text and "Mon 23 Nov:" not in text
    assert "4 days in a row without an answer, from Fri 27 Nov." in text
    assert "Point to a toy: the aim is met, ready for the next step." in text
    assert "A question for you, Thu 26 Nov" in text
    # The parent's words, verbatim and safely escaped.
    assert "He pointed at the <ball> & laughed 😀" in text
    assert "&lt;ball&gt; &amp; laughed" in summary.html
    assert "Should we try signing for “more”? <3" in text

    # Exactly once: more ticks, and a restart, send nothing more.
    sent_to_visitor = len(visitor.inbox())
    await bot.tick()
    await bot.restart()
    clock.set(at(30, 18, 5))
    await bot.tick()
    assert len(visitor.inbox()) == sent_to_visitor
    async with bot.services.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Summary)) == 1

    # The summary offers the library's next step; one tap changes the plan from tomorrow.
    tap = await visitor.tap(summary, button_text="➡️ 1: move on to “Choose one of two”")
    await visitor.wait_for_answer(tap)
    saved = await visitor.wait_for(
        lambda m: "new plan" in m.plain and "Tuesday 1 December" in m.plain
    )
    assert "1. Choose one of two" in saved.plain and "2. Waves bye-bye" in saved.plain
    told = await parent.wait_for(lambda m: "Choose one of two 🆕" in m.plain)
    assert "Tuesday 1 December" in told.plain

    # /families shows the caseload at a glance.
    await visitor.send("/families")
    families = await visitor.wait_for(lambda m: "Your families" in m.plain)
    assert "Sam · #1" in families.plain
    assert "Next visit: Tuesday 1 December, 10:00" in families.plain
