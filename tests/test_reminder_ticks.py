"""Ticks only ask the database what is due: one reminder per carer per local day, whatever
the number of ticks, the clock changes, or a restart; late ones caught up or recorded as missed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from bot.app import build_application
from bot.clock import as_utc, next_tick_at
from bot.context import BotContext
from bot.models import Carer, OutboxMessage
from bot.outbox import OutboxStatus
from jobs import now_and_then
from jobs.enqueue_reminders import enqueue_due_reminders
from tests.factories import enrolled_carer
from tests.fake_bot_api import FakeBotApi


async def _rows(services) -> list[OutboxMessage]:
    async with services.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def _tick_every_5_minutes(services, clock, end: datetime) -> None:
    # As the bot does: most ticks look only at what just fell due, a full look now and then
    # (here every hour; a reminder sent late by a tick that missed it would show in the hours).
    tick = 0
    while clock.now() < end:
        await enqueue_due_reminders(services, recent_only=tick % 12 != 0)
        clock.advance(minutes=5)
        tick += 1


async def test_nothing_before_the_time_then_exactly_one(services, clock):
    await enrolled_carer(services, clock, reminder_time=time(18, 30))
    clock.set(datetime(2026, 11, 23, 18, 29, tzinfo=UTC))
    assert (await enqueue_due_reminders(services)).enqueued == 0
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    assert (await enqueue_due_reminders(services)).enqueued == 1
    for _ in range(5):
        clock.advance(minutes=7)
        assert (await enqueue_due_reminders(services)).enqueued == 0
    rows = await _rows(services)
    assert [(row.kind, row.local_date, row.status) for row in rows] == [
        ("reminder", date(2026, 11, 23), "pending")
    ]
    assert "Sam" in rows[0].payload["text"]
    assert rows[0].payload["reply_markup"]["inline_keyboard"]


async def test_one_a_day_for_three_days_of_ticks(services, clock):
    clock.set(datetime(2026, 11, 23, 0, 0, tzinfo=UTC))
    await enrolled_carer(services, clock, reminder_time=time(7, 30))
    await _tick_every_5_minutes(services, clock, datetime(2026, 11, 26, 0, 0, tzinfo=UTC))
    assert [row.local_date for row in await _rows(services)] == [
        date(2026, 11, 23),
        date(2026, 11, 24),
        date(2026, 11, 25),
    ]


async def _one_per_day_across(services, clock, change_day: date, reminder: time) -> list[datetime]:
    start = datetime.combine(change_day - timedelta(days=1), time(0, 0), tzinfo=UTC)
    clock.set(start)
    await enrolled_carer(services, clock, reminder_time=reminder)
    await _tick_every_5_minutes(services, clock, start + timedelta(days=3))
    rows = await _rows(services)
    assert [row.local_date for row in rows] == [
        change_day - timedelta(days=1),
        change_day,
        change_day + timedelta(days=1),
    ]
    return [as_utc(row.created_at_utc) for row in rows]


async def test_spring_forward_one_reminder_a_day_at_local_time(services, clock):
    sent = await _one_per_day_across(services, clock, date(2026, 3, 29), time(18, 30))
    assert [moment.hour for moment in sent] == [18, 17, 17]


async def test_autumn_back_one_reminder_a_day_even_at_a_repeated_hour(services, clock):
    # 01:30 happens twice on 25 October: still only one reminder that day.
    sent = await _one_per_day_across(services, clock, date(2026, 10, 25), time(1, 30))
    assert [(moment.day, moment.hour) for moment in sent] == [(24, 0), (25, 0), (26, 1)]


async def test_after_an_outage_within_the_window_the_reminder_is_sent(services, clock):
    await enrolled_carer(services, clock, reminder_time=time(18, 30))
    clock.set(datetime(2026, 11, 23, 21, 0, tzinfo=UTC))  # 2h30 late, window is 3h
    report = await enqueue_due_reminders(services)
    assert (report.enqueued, report.missed) == (1, 0)


async def test_after_a_long_outage_the_reminder_is_recorded_as_missed(services, clock):
    await enrolled_carer(services, clock, reminder_time=time(18, 30))
    clock.set(datetime(2026, 11, 23, 21, 31, tzinfo=UTC))
    report = await enqueue_due_reminders(services)
    assert (report.enqueued, report.missed) == (0, 1)
    [row] = await _rows(services)
    assert row.status == OutboxStatus.MISSED.value
    # And it stays missed: a later tick does not send it.
    clock.advance(minutes=30)
    assert (await enqueue_due_reminders(services)).enqueued == 0


async def test_an_outage_over_midnight_still_catches_up_yesterdays(services, clock):
    await enrolled_carer(services, clock, reminder_time=time(22, 30))
    clock.set(datetime(2026, 11, 24, 0, 15, tzinfo=UTC))
    assert (await enqueue_due_reminders(services)).enqueued == 1
    [row] = await _rows(services)
    assert row.local_date == date(2026, 11, 23)


async def test_a_ticks_quick_look_sends_what_just_fell_due_and_leaves_the_missed(services, clock):
    await enrolled_carer(services, clock, telegram_user_id=1, reminder_time=time(18, 30))
    await enrolled_carer(services, clock, telegram_user_id=2, reminder_time=time(12, 0))
    clock.set(datetime(2026, 11, 23, 18, 31, tzinfo=UTC))
    # 12:00 is past the 3 hour window: only a full look records it as missed.
    report = await enqueue_due_reminders(services, recent_only=True)
    assert (report.enqueued, report.missed) == (1, 0)
    report = await enqueue_due_reminders(services)
    assert (report.enqueued, report.missed) == (0, 1)


async def _queued_for(services) -> dict[int, date | None]:
    async with services.sessions() as session:
        rows = await session.execute(select(Carer.telegram_user_id, Carer.reminder_queued_for))
        return {user_id: day for user_id, day in rows}


async def test_the_day_queued_is_kept_on_the_carer_and_the_outbox_still_counts_without_it(
    services, clock
):
    for user_id, at in ((1, time(18, 30)), (2, time(18, 30)), (3, time(12, 0))):
        await enrolled_carer(services, clock, telegram_user_id=user_id, reminder_time=at)
    clock.set(datetime(2026, 11, 23, 18, 30, tzinfo=UTC))
    report = await enqueue_due_reminders(services)
    assert (report.enqueued, report.missed) == (2, 1)  # 12:00 is past the window: missed
    monday = date(2026, 11, 23)
    assert await _queued_for(services) == {1: monday, 2: monday, 3: monday}

    # Rows queued before the carer kept the day (or by a version that did not) still count.
    async with services.sessions.begin() as session:
        await session.execute(
            update(Carer).where(Carer.telegram_user_id == 2).values(reminder_queued_for=None)
        )
    for recent_only in (True, False):
        clock.advance(minutes=5)
        report = await enqueue_due_reminders(services, recent_only=recent_only)
        assert (report.enqueued, report.missed) == (0, 0)
    assert len(await _rows(services)) == 3

    clock.set(datetime(2026, 11, 24, 18, 30, tzinfo=UTC))
    assert (await enqueue_due_reminders(services)).enqueued == 2
    tuesday = date(2026, 11, 24)
    assert await _queued_for(services) == {1: tuesday, 2: tuesday, 3: tuesday}


async def test_each_carer_of_a_child_gets_their_own(services, clock):
    await enrolled_carer(services, clock, telegram_user_id=1, reminder_time=time(9, 0))
    await enrolled_carer(services, clock, telegram_user_id=2, reminder_time=time(9, 0))
    clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    assert (await enqueue_due_reminders(services)).enqueued == 2


async def test_no_plan_yet_means_no_reminder(services, clock):
    await enrolled_carer(services, clock, reminder_time=time(9, 0), plan_from=date(2026, 12, 1))
    clock.set(datetime(2026, 11, 23, 9, 5, tzinfo=UTC))
    report = await enqueue_due_reminders(services)
    assert (report.enqueued, report.without_plan) == (0, 1)


async def test_a_thorough_pass_comes_first_then_once_a_minute_and_again_after_a_failure(
    settings, clock
):
    context = BotContext(build_application(settings, clock=clock, run_jobs=False))
    every = timedelta(minutes=1)

    def thorough() -> bool:
        with now_and_then(context, "pass", every) as due:
            return due

    assert thorough()
    clock.advance(seconds=59)
    assert not thorough()
    clock.advance(seconds=1)
    assert thorough()
    clock.advance(minutes=1)
    # A thorough pass that fails is not counted: the next tick tries it again.
    with pytest.raises(RuntimeError), now_and_then(context, "pass", every) as due:
        assert due
        raise RuntimeError("the database is away")
    assert thorough()


def test_ticks_fall_on_the_wall_clocks_multiples_of_the_tick_plus_an_offset():
    at = datetime(2026, 12, 7, 12, 0, 17, 300_000, tzinfo=UTC)
    half_past = datetime(2026, 12, 7, 12, 0, 30, 100_000, tzinfo=UTC)
    assert next_tick_at(at, 30, 0.1) == half_past
    assert next_tick_at(half_past, 30, 0.1) == half_past
    assert next_tick_at(half_past + timedelta(microseconds=1), 30, 0.1) == datetime(
        2026, 12, 7, 12, 1, 0, 100_000, tzinfo=UTC
    )
    assert next_tick_at(at, 1, 0.7) == datetime(2026, 12, 7, 12, 0, 17, 700_000, tzinfo=UTC)
    assert next_tick_at(at, 60, 0) == datetime(2026, 12, 7, 12, 1, tzinfo=UTC)


async def test_with_30_s_ticks_each_tick_runs_just_after_start_then_on_the_half_minute(
    settings, clock, fake: FakeBotApi
):
    """With production's 30 s ticks, each tick runs once just after start (to catch up after a
    restart), then at hh:mm:00 and hh:mm:30 plus its offset, so a reminder set for 08:00 is
    queued a tenth of a second into 08:00."""
    app = build_application(
        settings.model_copy(update={"telegram_api_base_url": fake.base_url, "tick_seconds": 30}),
        clock=clock,
        run_jobs=True,
    )
    await app.initialize()
    assert app.post_init is not None and app.job_queue is not None
    await app.post_init(app)
    await app.job_queue.start()
    try:
        jobs = {job.name: job for job in app.job_queue.jobs()}
        started = datetime.now(UTC)
        for name, offset in (
            ("enqueue_reminders", 0.1),
            ("send_announcements", 0.2),
            ("send_summaries", 0.5),
            ("event_reminders", 0.7),
        ):
            soon = jobs[f"{name} (start)"].next_t
            assert soon is not None and soon - started < timedelta(seconds=2)
            first = jobs[name].next_t
            assert first is not None
            assert (first.second, first.microsecond) in {
                (0, round(offset * 1e6)),
                (30, round(offset * 1e6)),
            }
            assert timedelta(seconds=1) < first - started <= timedelta(seconds=33)
    finally:
        await app.job_queue.stop(wait=False)
        await app.shutdown()
