"""A fan-out to hundreds of families through the fake Bot API enforcing Telegram's limits: no
429s, one progress message edited in place, blocked families counted (not retried), and a
restart in the middle that sends nobody a second copy."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from bot.groups import add_families, create_group
from bot.models import Carer, OutboxMessage, Staff
from bot.staff import member_of
from tests.e2e.helpers import enrolled_families, sign_in, write_announcement

NEWS = "Sensory play group this Friday: soft play, bubbles and music."


async def _group_of_everyone(bot, owner_id: int, families) -> None:
    """`portage-bot group create` and `group add`, as a service loads its lists."""
    async with bot.services.sessions.begin() as session:
        owner = member_of(await session.get(Staff, owner_id))
        group = await create_group(session, bot.clock, owner, "Everyone")
        await add_families(session, bot.clock, group.id, [family_id for family_id, _ in families])


async def _announce_now(manager) -> str:
    """News for the "Everyone" group, sent now. Returns what the controls said before."""
    _, controls = await write_announcement(manager, ["Everyone"], NEWS)
    said = controls.plain
    await manager.tap(controls, button_text="📤 Send now")
    await manager.wait_for(lambda m: "Going out now" in m.plain)
    return said


def _copies(parent) -> int:
    return sum(NEWS in message.plain for message in parent.inbox())


def _delivered(families) -> int:
    return sum(_copies(parent) for _, parent in families)


async def test_several_hundred_families_within_telegrams_limits(bot, fake):
    families = await enrolled_families(bot, fake, 300)
    manager = await sign_in(bot, fake, 2001, "Maya", role="manager")
    await _group_of_everyone(bot, 1, families)
    # Two blocked the bot since they joined; one of them the bot already knows about.
    await fake.block(families[10][1], notify=False)
    await fake.block(families[20][1], notify=False)
    async with bot.services.sessions.begin() as session:
        await session.execute(
            update(Carer)
            .where(Carer.telegram_user_id == families[20][1].id)
            .values(unreachable_at_utc=bot.clock.now())
        )
    said = await _announce_now(manager)
    assert "It goes to 300 families (300 people); 1 of them blocked the bot" in said
    calls_before = len(fake.calls)
    await bot.tick()
    # While it drains (about 12 s at 25 a second), the progress job runs now and then.
    edits = 0
    for _ in range(120):
        if _delivered(families) >= 298:
            break
        edits += await bot.show_progress()
        await asyncio.sleep(0.5)
    await bot.tick()
    await bot.show_progress()

    assert fake.too_many_requests == 0
    for index, (_, parent) in enumerate(families):
        assert _copies(parent) == (0 if index in (10, 20) else 1), index
    # Only the known-blocked family was never tried; the other's 403 marked it unreachable.
    sends = [call for call in fake.calls[calls_before:] if call.method == "sendMessage"]
    assert not any(str(call.params.get("chat_id")) == str(families[20][1].id) for call in sends)
    async with bot.services.sessions() as session:
        unreachable = await session.scalar(
            select(func.count()).select_from(Carer).where(Carer.unreachable_at_utc.is_not(None))
        )
        statuses = dict(
            (
                await session.execute(
                    select(OutboxMessage.status, func.count())
                    .where(OutboxMessage.kind == "announcement")
                    .group_by(OutboxMessage.status)
                )
            ).all()
        )
    assert unreachable == 2 and statuses == {"sent": 298, "unreachable": 2}
    # One progress message, edited as it went, not a flood.
    progress = [m for m in manager.inbox() if "Everyone" in m.plain and "Sent:" in m.plain]
    assert len(progress) == 1
    assert "Done. 300 messages" in progress[0].plain
    assert "Sent: 298" in progress[0].plain and "Could not be delivered: 2" in progress[0].plain
    assert progress[0].edited >= 2 and edits >= 1


async def test_a_restart_in_the_middle_sends_nobody_a_second_copy(bot, fake):
    families = await enrolled_families(bot, fake, 150)
    manager = await sign_in(bot, fake, 2001, "Maya", role="manager")
    await _group_of_everyone(bot, 1, families)
    await _announce_now(manager)
    await fake.wait_until(lambda: sum(_copies(p) for _, p in families) >= 30, timeout=10)
    # The bot stops mid fan-out (the sender finishes the batch in flight) and starts again.
    await bot.restart()
    halfway = _delivered(families)
    assert 30 <= halfway < 150
    await bot.tick()
    await bot.tick()
    assert _delivered(families) == 150
    assert all(_copies(parent) == 1 for _, parent in families)
    await bot.show_progress()
    progress = [m for m in manager.inbox() if "Sent:" in m.plain]
    assert len(progress) == 1 and "Sent: 150" in progress[0].plain


async def test_a_scheduled_announcement_goes_at_its_time_with_its_own_progress(bot, fake, clock):
    families = await enrolled_families(bot, fake, 3)
    manager = await sign_in(bot, fake, 2001, "Maya", role="manager")
    await _group_of_everyone(bot, 1, families)
    preview, controls = await write_announcement(manager, ["Everyone"], NEWS, with_photo=True)
    assert preview.kind == "photo"
    assert NEWS in preview.plain
    await manager.tap(controls, button_text="🕒 Send later…")
    await manager.tap(
        await manager.wait_for(lambda m: "Which day should it go out?" in m.plain),
        button_text="Mon 23",
    )
    # 08:00 today has passed (it is 09:00): said so, and the times are offered again.
    await manager.tap(
        await manager.wait_for(lambda m: "at what time should it go out?" in m.plain),
        button_text="08:00",
    )
    again = await manager.wait_for(lambda m: "That time has passed" in m.plain)
    await manager.tap(again, button_text="17:30")
    await manager.wait_for(
        lambda m: "Scheduled: it goes out on Monday 23 November, 17:30" in m.plain
    )
    clock.set(datetime(2026, 11, 23, 17, 29, tzinfo=UTC))
    await bot.tick()
    assert all(parent.inbox() == [] for _, parent in families)
    clock.set(datetime(2026, 11, 23, 17, 30, tzinfo=UTC))
    await bot.tick()
    for _, parent in families:
        photo = await parent.wait_for(lambda m: m.kind == "photo")
        assert photo.plain == preview.plain
    await bot.tick()
    progress = await manager.wait_for(lambda m: "Done. 3 messages" in m.plain)
    assert "Sent: 3" in progress.plain
