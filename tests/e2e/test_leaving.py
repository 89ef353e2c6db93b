"""Leaving the service: /stop offers a pause, stopping, or leaving; /forget erases the family's
data after a clear confirmation and tells their visitor; a visitor's discharge stops reminders,
says goodbye, and the retention job erases the diary a year later. Managers handle requests that
come by letter with the CLI, and every step is in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.models import AuditEvent, Carer, DiaryAnswer, DiaryNote, Family, Goal, OutboxMessage, Plan
from tests.e2e.helpers import family_with_a_diary


async def _count(bot, model, *conditions) -> int:
    async with bot.services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*conditions)))


async def test_stop_offers_a_pause_and_forget_erases_after_confirming(bot, fake, clock):
    visitor, parent = await family_with_a_diary(bot, fake, "Sam built a tower <3")

    await parent.send("/stop")
    choices = await parent.wait_for(lambda m: "What would you like to do?" in m.plain)
    assert [row[0] for row in choices.buttons()] == [
        "⏸ Pause for a while",
        "⏹ Stop reminders",
        "🗑 Leave and erase my data",
    ]
    await parent.tap(choices, button_text="⏸ Pause for a while")
    await parent.wait_for(
        lambda m: m.message_id == choices.message_id and "1 week" in str(m.buttons())
    )

    # /forget, then "No": nothing is erased.
    await parent.send("/forget")
    confirm = await parent.wait_for(lambda m: "Erase everything?" in m.plain)
    assert "Sam’s diary" in confirm.plain and "cannot be undone" in confirm.plain
    await parent.tap(confirm, button_text="No, keep my diary")
    await parent.wait_for(lambda m: "Nothing has been erased" in m.plain)
    assert await _count(bot, DiaryNote) == 1

    # /stop, "Leave and erase", "Yes": everything about the family goes but anonymous counts.
    await parent.send("/stop")
    choices = await parent.wait_for(lambda m: "What would you like to do?" in m.plain)
    await parent.tap(choices, button_text="🗑 Leave and erase my data")
    confirm = await parent.wait_for(lambda m: "Erase everything?" in m.plain)
    await parent.tap(confirm, button_text="Yes, erase everything")
    await parent.wait_for(lambda m: "have been erased" in m.plain)
    told = await visitor.wait_for(
        lambda m: "Family #1 asked for their data to be erased" in m.plain
    )
    assert "Sam" not in told.plain

    for model in (Carer, DiaryAnswer, DiaryNote, Plan, Goal):
        assert await _count(bot, model) == 0, model
    assert await _count(bot, OutboxMessage, OutboxMessage.family_id == 1) == 0
    async with bot.services.sessions() as session:
        family = await session.get(Family, 1)
        assert family.child_name == "" and family.erased_at_utc is not None
        assert family.erased_counts == {
            "reason": "parent_request",
            "carers": 1,
            "days_answered": 1,
            "days_practised": 1,
            "notes": 1,
        }
    assert await _count(bot, AuditEvent, AuditEvent.action == "erase_family") == 1

    # The parent is a stranger now; the visitor's caseload no longer lists the family.
    await parent.send("/today")
    assert "invitation link" in (await parent.wait_for()).plain
    await visitor.send("/families")
    assert "no families yet" in (await visitor.wait_for(lambda m: "families" in m.plain)).plain


async def test_discharge_says_goodbye_and_retention_erases_a_year_later(bot, fake, clock):
    visitor, parent = await family_with_a_diary(bot, fake, "Sam built a tower <3")
    await visitor.send("/discharge")
    picker = await visitor.wait_for(lambda m: "leaving the service" in m.plain)
    await visitor.tap(picker, button_text="Sam · #1")
    confirm = await visitor.wait_for(lambda m: "Discharge Sam’s family" in m.plain)
    await visitor.tap(confirm, button_text="Yes, discharge")
    await visitor.wait_for(lambda m: "Sam’s family is discharged" in m.plain)
    farewell = await parent.wait_for(lambda m: "Goodbye from Sam’s Portage diary" in m.plain)
    assert "kept for 12 months" in farewell.plain

    # No more reminders, the diary is kept and the parent can still ask for a copy.
    clock.set(datetime(2026, 11, 24, 18, 30, tzinfo=UTC))
    before = len(parent.inbox())
    await bot.tick()
    assert len(parent.inbox()) == before
    assert await _count(bot, DiaryNote) == 1

    # A year on, the retention job erases it, records the counts and tells the visitor.
    clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC) + timedelta(days=365, minutes=1))
    await bot.tick()
    await bot.tick()
    await visitor.wait_for(lambda m: "Family #1’s diary has been erased" in m.plain)
    await parent.wait_for(lambda m: "The diary has now been erased" in m.plain)
    assert await _count(bot, DiaryNote) == 0 and await _count(bot, Carer) == 0
    async with bot.services.sessions() as session:
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "retention_erase")
        )
    assert event.family_id == 1 and event.detail == "1 carers, 1 days answered, 1 notes"
    assert await _count(bot, AuditEvent, AuditEvent.action == "retention_erase") == 1
