"""A changed privacy notice is agreed to again before the diary goes on; saying no stops the
reminders and keeps what the diary holds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot import enrolment
from bot.models import Carer
from tests.e2e.helpers import join

CHANGED = "Our privacy notice has changed"


@pytest.fixture
async def joined(bot, fake):
    family_id = await bot.new_family("Sam")
    await bot.set_plan(family_id, ["com-point-to-toy"])
    parent = fake.user(user_id=1001, first_name="Ana")
    await join(bot, parent, await bot.invite(family_id))
    await parent.send("First note")
    await parent.wait_for(lambda m: "Saved in Sam’s diary" in m.plain)
    return family_id, parent


async def _carer(bot) -> Carer:
    async with bot.services.sessions() as session:
        return await session.scalar(select(Carer))


async def test_a_changed_notice_is_agreed_to_again(bot, fake, joined, monkeypatch):
    family_id, parent = joined
    monkeypatch.setattr(enrolment, "PRIVACY_NOTICE_VERSION", "2027-01-v2")
    await parent.send("A note after the change")
    assert CHANGED in (await parent.wait_for()).plain
    assert len((await bot.diary_of(family_id)).notes) == 1  # not kept before agreeing

    await parent.send("/start")
    notice = await parent.wait_for(lambda m: "We’ve updated" in m.plain)
    assert "About your information" in notice.plain
    await parent.tap(notice, button_text="Yes, I agree")
    await parent.wait_for(lambda m: m.plain.startswith("Thank you"))
    assert (await _carer(bot)).consent_version == "2027-01-v2"
    await parent.send("A note after agreeing")
    await parent.wait_for(lambda m: "Saved in Sam’s diary" in m.plain)
    assert len((await bot.diary_of(family_id)).notes) == 2


async def test_no_to_a_changed_notice_stops_reminders_and_keeps_the_diary(
    bot, fake, clock, joined, monkeypatch
):
    family_id, parent = joined
    monkeypatch.setattr(enrolment, "PRIVACY_NOTICE_VERSION", "2027-01-v2")
    await parent.send("/start")
    notice = await parent.wait_for(lambda m: "We’ve updated" in m.plain)
    await parent.tap(notice, button_text="No, thank you")
    declined = await parent.wait_for(lambda m: "stopped the daily reminders" in m.plain)
    assert "kept as it was" in declined.plain
    carer = await _carer(bot)
    assert carer.stopped_at_utc is not None
    assert len((await bot.diary_of(family_id)).notes) == 1
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    await bot.tick()
    assert not any("Here is today’s practice" in m.plain for m in parent.inbox())

    # Saying no keeps their rights: the notice, a copy of the data, and erasure. Nothing else.
    await parent.send("/today")
    assert "privacy notice has changed" in (await parent.wait_for()).plain
    await parent.send("/privacy")
    assert "About your information" in (await parent.wait_for()).plain
    await parent.send("/mydata")
    await parent.wait_for(lambda m: m.kind == "document")
    await parent.send("/forget")
    confirm = await parent.wait_for(lambda m: "Erase everything?" in m.plain)
    await parent.tap(confirm, button_text="Yes, erase everything")
    await parent.wait_for(lambda m: "have been erased" in m.plain)
    assert (await bot.diary_of(family_id)).notes == []
