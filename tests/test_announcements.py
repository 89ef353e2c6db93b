"""The announcement services on their own: who a fan-out reaches, that it happens once, answers
only from families it reached, and that erasing a family takes its groups and answers too."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from bot import announcements, events, groups
from bot.data_export import export_for_service
from bot.enrolment import PRIVACY_NOTICE_VERSION, add_staff, create_family
from bot.erasure import erase_family
from bot.models import Announcement, Carer, GroupMember, OutboxMessage, Rsvp
from bot.staff import member_of


async def _family(session, clock, name: str, visitor_id: int | None, user_id: int) -> Carer:
    family = await create_family(
        session, clock, child_name=name, timezone="Europe/London", visitor_id=visitor_id
    )
    carer = Carer(
        family_id=family.id,
        telegram_user_id=user_id,
        chat_id=user_id,
        enrolled_at_utc=clock.now(),
        consent_at_utc=clock.now(),
        consent_version=PRIVACY_NOTICE_VERSION,
        reminder_days="daily",
        paused=False,
    )
    session.add(carer)
    await session.flush()
    return carer


async def _queued(session) -> set[int]:
    return set(
        await session.scalars(
            select(OutboxMessage.chat_id).where(OutboxMessage.kind == announcements.KIND)
        )
    )


async def test_a_visitors_announcement_reaches_their_own_families_only(services, clock):
    async with services.sessions.begin() as session:
        priya = member_of(await add_staff(session, clock, name="Priya", timezone="Europe/London"))
        tom = member_of(await add_staff(session, clock, name="Tom", timezone="Europe/London"))
        manager = member_of(
            await add_staff(session, clock, name="Jo", timezone="Europe/London", role="manager")
        )
        hers = await _family(session, clock, "Ada", priya.id, 101)
        his = await _family(session, clock, "Ben", tom.id, 102)
        group = await groups.create_group(session, clock, priya, "Priya's play group")
        # A manager put Tom's family in Priya's group too.
        assert await groups.toggle_family(session, clock, manager, group.id, hers.family_id)
        assert await groups.toggle_family(session, clock, manager, group.id, his.family_id)
        # Priya cannot add or remove Tom's family herself.
        assert await groups.toggle_family(session, clock, priya, group.id, his.family_id) is None
        draft = await announcements.start_draft(session, clock, priya)
        assert await announcements.toggle_group(session, priya, draft, group.id)
        announcements.set_content(draft, "Play group on Friday")
        assert await announcements.send_at(session, clock, priya, draft, clock.now())
        assert await announcements.fan_out(session, clock, services.texts, draft.id) == 1
        # A second tick, tap or instance finds nothing left to do.
        assert await announcements.fan_out(session, clock, services.texts, draft.id) is None
        assert not await announcements.send_at(session, clock, priya, draft, clock.now())
        assert await _queued(session) == {101}


async def test_answers_come_only_from_families_the_event_reached(services, clock):
    async with services.sessions.begin() as session:
        manager = member_of(
            await add_staff(session, clock, name="Jo", timezone="Europe/London", role="manager")
        )
        reached = await _family(session, clock, "Ada", None, 101)
        outside = await _family(session, clock, "Ben", None, 102)
        group = await groups.create_group(session, clock, manager, "Drop-in")
        await groups.add_families(session, clock, group.id, [reached.family_id])
        draft = await announcements.start_draft(session, clock, manager)
        await announcements.toggle_group(session, manager, draft, group.id)
        announcements.set_content(draft, "Drop-in on Wednesday")
        announcements.set_event(
            draft, clock, starts_at_utc=clock.now() + timedelta(days=2), place="Library"
        )
        await announcements.send_at(session, clock, manager, draft, clock.now())
        await announcements.fan_out(session, clock, services.texts, draft.id)
        refused = await events.answer(session, clock, outside, draft.id, events.YES)
        saved = await events.answer(session, clock, reached, draft.id, events.YES)
        changed = await events.answer(session, clock, reached, draft.id, events.NO)
    assert refused.outcome is events.RsvpOutcome.NOT_FOUND
    assert saved.outcome is changed.outcome is events.RsvpOutcome.SAVED
    async with services.sessions() as session:
        assert [(row.family_id, row.answer) for row in await session.scalars(select(Rsvp))] == [
            (reached.family_id, "no")
        ]
        exported = json.loads(
            (await export_for_service(session, clock, reached.family_id)).json_bytes
        )
    assert exported["groups"] == ["Drop-in"]
    assert [answer["answer"] for answer in exported["event_answers"]] == ["can't make it"]
    async with services.sessions.begin() as session:
        await erase_family(session, clock, reached.family_id, reason="parent_request")
    async with services.sessions() as session:
        for table in (Rsvp, GroupMember):
            assert await session.scalar(select(func.count()).select_from(table)) == 0


async def test_drafts_nobody_finished_are_put_aside_after_a_week(services, clock):
    async with services.sessions.begin() as session:
        member = member_of(await add_staff(session, clock, name="Jo", timezone="Europe/London"))
        old = await announcements.start_draft(session, clock, member)
        announcements.set_content(old, "Half written")
        clock.advance(days=7, seconds=1)
        fresh = await announcements.start_draft(session, clock, member)
        assert await announcements.drop_stale_drafts(session, clock.now()) == 1
    async with services.sessions() as session:
        rows = {
            row.id: (row.status, row.text) for row in await session.scalars(select(Announcement))
        }
    assert rows == {old.id: ("discarded", ""), fresh.id: ("draft", "")}
