"""A visitor reaches only their own caseload: another visitor's family cannot be seen or changed
by command, by typed id or by forged button data; every refusal is in the audit log."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import func, select

from bot import callbacks
from bot.models import AuditEvent, Family, Goal, Plan, Target, Visit
from tests.e2e.helpers import add_family, book_visit, join, sign_in

NOT_YOURS = "That family is not on your caseload. Nothing was changed."


async def test_a_visitor_cannot_reach_another_visitors_family(bot, fake):
    priya = await sign_in(bot, fake, 2001, "Priya")
    tom = await sign_in(bot, fake, 2002, "Tom")
    code = await add_family(priya, "Sam")
    parent = fake.user(user_id=1001, first_name="Ana")
    await join(bot, parent, code)
    await bot.set_plan(1, ["com-point-to-toy"])
    async with bot.services.sessions() as session:
        target_id = await session.scalar(select(Target.id).limit(1))
    audit_before = await _count(bot, AuditEvent, AuditEvent.outcome == "refused")

    # Tom's own lists do not show Sam.
    await tom.send("/families")
    assert "no families yet" in (await tom.wait_for(lambda m: "families" in m.plain)).plain
    await tom.send("/plan")
    await tom.wait_for(lambda m: "no families yet" in m.plain)

    # Typed ids.
    for command in (
        "/plan 1",
        "/visit 1",
        "/summary 1",
        "/summary 1 2026-11-01 2026-11-20",
        "/invite 1",
        "/plan 999",
        "/plan 1abc",
    ):
        await tom.send(command)
        reply = await tom.wait_for()
        assert "not on your caseload" in reply.plain, (command, reply.plain)
        assert "Sam" not in reply.plain

    # Forged button data on one of Tom's own messages.
    own = tom.inbox()[-1]
    forged = [
        callbacks.pick_family("plan", 1),
        callbacks.pick_family("visit", 1),
        callbacks.pick_family("summary", 1),
        callbacks.plan(1, "show"),
        callbacks.plan(1, "area", "physical"),
        callbacks.plan(1, "act", "phys-pincer"),
        callbacks.plan(1, "save", "today"),
        callbacks.plan(1, "addgoal"),
        callbacks.visit("book", 1),
        callbacks.visit("rep", 1, date(2026, 12, 1), time(10, 0), 7),
        callbacks.summary(1, "7"),
        callbacks.next_step(target_id, "com-choose-two"),
    ]
    for data in forged:
        tap = await tom.tap_forged(own.message_id, data)
        answer = await tom.wait_for_answer(tap)
        assert answer["text"] == NOT_YOURS, (data, answer)
        assert answer.get("show_alert") is True

    tap = await tom.tap_forged(own.message_id, callbacks.move_to(1, 2))
    assert "service managers" in (await tom.wait_for_answer(tap))["text"]

    # A visit booked by Priya cannot be moved, cancelled or marked done by Tom.
    await book_visit(priya, "Tue 1", "10:00", "Just once")
    for op in ("move", "cancel", "cancelok", "done"):
        tap = await tom.tap_forged(own.message_id, callbacks.visit(op, 1))
        assert (await tom.wait_for_answer(tap))["text"] == NOT_YOURS

    # Nothing changed, and every refusal was written down (ids only).
    assert await _count(bot, Plan) == 1
    assert await _count(bot, Goal) == 0
    assert await _count(bot, Visit, Visit.status == "booked") == 1
    async with bot.services.sessions() as session:
        family = await session.get(Family, 1)
        assert family.visitor_id == 1
        refused = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.outcome == "refused", AuditEvent.staff_id == 2)
            )
        )
    assert len(refused) - audit_before >= 7 + len(forged) + 4 - 1
    assert all(event.telegram_user_id == 2002 for event in refused)
    assert {event.family_id for event in refused if event.action != "move_family"} <= {1, 999, None}

    # Manager-only commands are refused to a visitor.
    for command in (
        "/visitors",
        "/move",
        "/invitevisitor Sneaky",
        "/holidays 2026-12-21 2027-01-03 X",
    ):
        await tom.send(command)
        assert "for service managers" in (await tom.wait_for()).plain
    assert await _count(bot, AuditEvent, AuditEvent.detail == "managers only") == 5


async def test_a_manager_moves_a_family_and_the_new_visitor_takes_over(bot, fake):
    priya = await sign_in(bot, fake, 2001, "Priya")
    tom = await sign_in(bot, fake, 2002, "Tom")
    manager = await sign_in(bot, fake, 3001, "Jo", role="manager")
    await add_family(priya, "Sam")

    await book_visit(priya, "Tue 1", "10:00", "Every week")
    await manager.send("/visitors")
    listed = await manager.wait_for(lambda m: "Home visitors" in m.plain)
    assert "Priya (#1): 1 family" in listed.plain and "Tom (#2): 0 families" in listed.plain
    await manager.send("/move")
    picker = await manager.wait_for(lambda m: "Which family?" in m.plain)
    await manager.tap(picker, button_text="Sam · #1")
    to_whom = await manager.wait_for(lambda m: "Which visitor should" in m.plain)
    assert [row[0] for row in to_whom.buttons()] == ["Tom (0)"]
    await manager.tap(to_whom, button_text="Tom (0)")
    await manager.wait_for(lambda m: "Tom (#2): 1 family" in m.plain)

    await tom.send("/families")
    assert "Sam · #1" in (await tom.wait_for(lambda m: "Your families" in m.plain)).plain
    # The booked visit went with the family: its summary is Tom's now.
    assert await _count(bot, Visit, Visit.visitor_id == 2) == 1
    await priya.send("/plan 1")
    assert "not on your caseload" in (await priya.wait_for(lambda m: "caseload" in m.plain)).plain

    # A family a manager adds waits unassigned until it is moved to a visitor.
    await add_family(manager, "Mia")
    await manager.send("/move")
    picker = await manager.wait_for(lambda m: "Which family?" in m.plain)
    await manager.tap(picker, button_text="Mia · #2")
    to_whom = await manager.wait_for(lambda m: "Which visitor should Mia" in m.plain)
    await manager.tap(to_whom, button_text="Priya (0)")
    await manager.wait_for(lambda m: "Priya (#1): 1 family" in m.plain)

    # A manager can invite a visitor from the chat too.
    await manager.send("/invitevisitor Lee Chan")
    invite = await manager.wait_for(lambda m: "Lee Chan is added as visitor #4" in m.plain)
    code = invite.plain.split("start=")[1].split()[0]
    lee = fake.user(user_id=2003, first_name="Lee")
    await lee.send(f"/start {code}")
    await lee.wait_for(lambda m: "signed in as a home visitor" in m.plain)


async def _count(bot, model, *conditions) -> int:
    async with bot.services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*conditions)))
