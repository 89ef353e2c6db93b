"""Visits, repeats over school holidays, when summaries fall due, and what a summary counts.

Service level, on the real database, with the clock injected."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.caseload import caseload_rows
from bot.clock import local_date
from bot.enrolment import add_visitor, create_family
from bot.models import Carer, DiaryAnswer, DiaryNote, Family, OutboxMessage, Summary, Target, Visit
from bot.plans import set_plan, specs_from_ids
from bot.staff import StaffMember
from bot.summaries import (
    SUMMARY_BATCH,
    build_summaries,
    build_summary,
    criterion_met,
    period_start_for,
    period_starts,
)
from bot.summary_schedule import (
    DueSummary,
    due_summaries,
    queue_summaries,
    queue_summary,
    summary_due_at,
)
from bot.visits import (
    VisitError,
    VisitStatus,
    add_holiday,
    book,
    book_repeats,
    following_start,
)
from jobs.send_summaries import queue_due_summaries
from tests.bulk import seed_diary, seed_families, seed_visitors

LEAD = time(18, 0)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_summary_is_due_the_working_day_before_at_the_lead_time():
    # Tuesday's visit: Monday 18:00. Monday's visit: the Friday before.
    assert summary_due_at(utc(2026, 12, 1, 10), "Europe/London", LEAD) == utc(2026, 11, 30, 18)
    assert summary_due_at(utc(2026, 11, 30, 10), "Europe/London", LEAD) == utc(2026, 11, 27, 18)
    # In British Summer Time 18:00 in London is 17:00 UTC.
    assert summary_due_at(utc(2026, 6, 10, 9), "Europe/London", LEAD) == utc(2026, 6, 9, 17)


def test_a_repeat_keeps_the_wall_clock_time_and_skips_holidays():
    class Holiday:
        starts_on, ends_on = date(2026, 12, 21), date(2027, 1, 3)

    weekly = following_start(utc(2026, 12, 15, 10), 7, "Europe/London", [Holiday()])
    assert weekly == utc(2027, 1, 5, 10)
    # Across the clocks going forward, 10:00 stays 10:00 local (09:00 UTC).
    assert following_start(utc(2027, 3, 23, 10), 7, "Europe/London", []) == utc(2027, 3, 30, 9)


async def _family_with_visitor(services, clock, *, joined: bool = True):
    async with services.sessions.begin() as session:
        visitor = await add_visitor(session, clock, name="Priya", timezone="Europe/London")
        visitor.telegram_user_id = 2001
        family = await create_family(
            session, clock, child_name="Sam", timezone="Europe/London", visitor_id=visitor.id
        )
        if joined:
            session.add(
                Carer(
                    family_id=family.id,
                    telegram_user_id=1001,
                    chat_id=1001,
                    enrolled_at_utc=clock.now(),
                    consent_at_utc=clock.now(),
                    consent_version="x",
                    reminder_days="daily",
                    paused=False,
                )
            )
        return visitor.id, family.id


async def _book(services, clock, visitor_id, family_id, starts_at_utc, repeat_days=None) -> int:
    async with services.sessions.begin() as session:
        visit = await book(
            session,
            clock,
            family_id=family_id,
            visitor_id=visitor_id,
            starts_at_utc=starts_at_utc,
            repeat_days=repeat_days,
        )
        return visit.id


async def test_repeating_visits_book_their_successor_once(services, clock):
    visitor_id, family_id = await _family_with_visitor(services, clock)
    async with services.sessions.begin() as session:
        await add_holiday(
            session, name="Christmas", starts_on=date(2026, 12, 21), ends_on=date(2027, 1, 3)
        )
        first = await book(
            session,
            clock,
            family_id=family_id,
            visitor_id=visitor_id,
            starts_at_utc=utc(2026, 12, 15, 10),
            repeat_days=7,
        )
        first_id = first.id
    clock.set(utc(2026, 12, 15, 11))
    # Two instances ticking at once book one successor between them.
    async with services.sessions.begin() as session:
        assert await book_repeats(session, clock) == 1
    async with services.sessions.begin() as session:
        assert await book_repeats(session, clock) == 0
        successors = list(
            await session.scalars(select(Visit).where(Visit.follows_visit_id == first_id))
        )
    assert [as_naive(v.starts_at_utc) for v in successors] == [datetime(2027, 1, 5, 10)]


async def test_a_tick_looks_at_recent_visits_and_a_full_look_catches_up_after_downtime(
    services, clock
):
    visitor_id, family_id = await _family_with_visitor(services, clock)
    first_id = await _book(services, clock, visitor_id, family_id, utc(2026, 12, 1, 10), 14)
    # The bot was down for three days past the visit: the last day holds nothing to follow...
    clock.set(utc(2026, 12, 4, 11))
    async with services.sessions.begin() as session:
        recent = await book_repeats(session, clock, passed_since=clock.now() - timedelta(days=1))
        assert recent == 0
    # ...and the hourly look at every visit books the successor.
    async with services.sessions.begin() as session:
        assert await book_repeats(session, clock) == 1
        successor = await session.scalar(select(Visit).where(Visit.follows_visit_id == first_id))
    assert successor is not None and as_naive(successor.starts_at_utc) == datetime(2026, 12, 15, 10)
    # Its own time passing is seen by the next tick's look at the last day.
    clock.set(utc(2026, 12, 15, 10, 1))
    async with services.sessions.begin() as session:
        recent = await book_repeats(session, clock, passed_since=clock.now() - timedelta(days=1))
        assert recent == 1


async def test_a_visit_cannot_be_booked_in_the_past_or_with_an_odd_repeat(services, clock):
    visitor_id, family_id = await _family_with_visitor(services, clock)
    async with services.sessions.begin() as session:
        for start, repeat in ((clock.now() - timedelta(minutes=1), None), (utc(2026, 12, 1), 3)):
            with pytest.raises(VisitError):
                await book(
                    session,
                    clock,
                    family_id=family_id,
                    visitor_id=visitor_id,
                    starts_at_utc=start,
                    repeat_days=repeat,
                )


async def test_summaries_fall_due_at_the_lead_time_or_at_a_late_booking(services, clock):
    visitor_id, family_id = await _family_with_visitor(services, clock)
    await _book(services, clock, visitor_id, family_id, utc(2026, 12, 1, 10))

    async def due_keys() -> list[str]:
        async with services.sessions() as session:
            due = await due_summaries(
                session, clock.now(), lead_time=LEAD, weekly_weekday=4, weekly_time=time(16)
            )
            return [summary.key for summary in due]

    clock.set(utc(2026, 11, 27, 16, 30))  # Friday: a visit is booked, so no weekly summary
    assert await due_keys() == []
    clock.set(utc(2026, 11, 30, 17, 59))
    assert await due_keys() == []
    clock.set(utc(2026, 11, 30, 18, 0))
    assert await due_keys() == ["visit:1"]

    # Booked at 20:00 for tomorrow morning: due at once.
    clock.set(utc(2026, 12, 1, 20, 0))
    async with services.sessions.begin() as session:
        visit = await session.get(Visit, 1)
        visit.status = "done"
        await book(
            session,
            clock,
            family_id=family_id,
            visitor_id=visitor_id,
            starts_at_utc=utc(2026, 12, 2, 9),
        )
    assert await due_keys() == ["visit:2"]


async def test_a_family_without_a_visit_gets_a_weekly_summary_once(services, clock):
    await _family_with_visitor(services, clock)
    async with services.sessions() as session:
        assert (
            await due_summaries(
                session,
                utc(2026, 11, 27, 15, 59),
                lead_time=LEAD,
                weekly_weekday=4,
                weekly_time=time(16),
            )
            == []
        )
    clock.set(utc(2026, 11, 27, 16, 0))
    async with services.sessions.begin() as session:
        due = await due_summaries(
            session, clock.now(), lead_time=LEAD, weekly_weekday=4, weekly_time=time(16)
        )
        assert [summary.key for summary in due] == ["week:1:2026-W48"]
        assert await queue_summary(
            session, clock, services.texts, services.library, due[0], max_days=28
        )
        assert not await queue_summary(
            session, clock, services.texts, services.library, due[0], max_days=28
        )
    async with services.sessions() as session:
        assert (
            await due_summaries(
                session, clock.now(), lead_time=LEAD, weekly_weekday=4, weekly_time=time(16)
            )
            == []
        )


async def test_this_mornings_visit_not_yet_marked_done_still_stands_for_the_weekly_summary(
    services, clock
):
    clock.set(utc(2026, 11, 26, 12))
    visitor_id, family_id = await _family_with_visitor(services, clock)
    await _book(services, clock, visitor_id, family_id, utc(2026, 11, 27, 9))

    async def due_keys(now: datetime) -> list[str]:
        async with services.sessions() as session:
            due = await due_summaries(
                session, now, lead_time=LEAD, weekly_weekday=4, weekly_time=time(16)
            )
            return [summary.key for summary in due]

    # Friday 16:00, the visit at 09:00 still "booked": no weekly summary on top of the visit's.
    assert await due_keys(utc(2026, 11, 27, 16)) == []
    # Left booked for more than half a day, it no longer counts as the next visit.
    assert await due_keys(utc(2026, 11, 27, 21, 1)) == ["week:1:2026-W48"]


async def test_a_family_nobody_has_joined_gets_no_weekly_summary(services, clock):
    await _family_with_visitor(services, clock, joined=False)
    async with services.sessions() as session:
        assert (
            await due_summaries(
                session,
                utc(2026, 11, 27, 17),
                lead_time=LEAD,
                weekly_weekday=4,
                weekly_time=time(16),
            )
            == []
        )


def _target(tries=None, successes=None, days=3) -> Target:
    return Target(criterion_tries=tries, criterion_successes=successes, criterion_days=days)


def _answer(day: int, answer: str, tries: int | None = None) -> DiaryAnswer:
    return DiaryAnswer(local_date=date(2026, 11, day), answer=answer, tries_succeeded=tries)


def test_the_success_criterion_needs_its_days_running():
    counted = _target(tries=5, successes=4)
    assert criterion_met(
        counted, [_answer(24, "tries", 4), _answer(25, "tries", 5), _answer(26, "tries", 4)]
    )
    # A gap, or one day short of the successes, breaks the run.
    assert not criterion_met(
        counted, [_answer(24, "tries", 4), _answer(25, "tries", 5), _answer(27, "tries", 4)]
    )
    assert not criterion_met(
        counted, [_answer(24, "tries", 4), _answer(25, "tries", 3), _answer(26, "tries", 4)]
    )
    plain = _target()
    assert criterion_met(plain, [_answer(d, "yes") for d in (24, 25, 26)])
    assert not criterion_met(
        plain, [_answer(24, "yes"), _answer(25, "a_little"), _answer(26, "yes")]
    )


async def test_a_summary_counts_days_and_marks_days_off_the_plan(services, clock):
    _, family_id = await _family_with_visitor(services, clock)
    async with services.sessions.begin() as session:
        plan = await set_plan(
            session,
            clock,
            family_id=family_id,
            targets=specs_from_ids(services.library, ["com-point-to-toy"]),
            starts_on=date(2026, 11, 24),
        )
        target_id = plan.targets[0].id
        carer_id = await session.scalar(select(Carer.id))
        for day, answer, tries in (
            (24, "tries", 4),
            (25, "not_today", None),
            (26, "not_today", None),
        ):
            session.add(
                DiaryAnswer(
                    family_id=family_id,
                    target_id=target_id,
                    local_date=date(2026, 11, day),
                    answer=answer,
                    tries_succeeded=tries,
                    answered_by_carer_id=carer_id,
                    answered_at_utc=clock.now(),
                )
            )
    async with services.sessions() as session:
        data = await build_summary(
            session,
            await session.get(Family, family_id),
            services.library,
            period_start=date(2026, 11, 23),
            period_end=date(2026, 11, 29),
        )
    (target,) = data.targets
    assert target.cells == ["off", "tries:4/5", "not_today", "not_today", "none", "none", "none"]
    assert (target.practised, target.not_today, target.days_in_plan) == (1, 2, 6)
    assert data.days_with_plan == 6 and data.days_practised == 1
    kinds = [(flag.kind, flag.count) for flag in data.flags]
    assert ("quiet_days", 3) in kinds
    assert ("mostly_not_today", 2) not in kinds  # 2 of 6 is not most days
    assert not target.ready


def as_naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


async def test_a_summary_starts_at_the_last_visit_held_or_after_the_last_summary(services, clock):
    visitor_id, family_id = await _family_with_visitor(services, clock)  # joined Mon 23 Nov
    await _book(services, clock, visitor_id, family_id, utc(2026, 11, 24, 10))
    clock.set(utc(2026, 11, 24, 23))  # past the grace in which a visit is still "next"
    cancelled = await _book(services, clock, visitor_id, family_id, utc(2026, 11, 26, 10))
    async with services.sessions.begin() as session:
        visit = await session.get(Visit, cancelled)
        assert visit is not None
        visit.status = VisitStatus.CANCELLED.value
    await _book(services, clock, visitor_id, family_id, utc(2026, 12, 2, 10))  # still to come
    clock.set(utc(2026, 12, 1, 12))

    async def start(max_days: int = 14) -> date:
        async with services.sessions() as session:
            family = await session.get(Family, family_id)
            return await period_start_for(
                session,
                family,
                period_end=date(2026, 12, 1),
                before_utc=clock.now(),
                max_days=max_days,
            )

    # The cancelled visit on the 26th did not happen; the one on the 24th did.
    assert await start() == date(2026, 11, 24)
    # Never further back than max_days.
    assert await start(max_days=3) == date(2026, 11, 29)

    async with services.sessions.begin() as session:
        for key, ended in (("earlier", date(2026, 11, 27)), ("today", date(2026, 12, 1))):
            session.add(
                Summary(
                    key=key,
                    family_id=family_id,
                    visitor_id=visitor_id,
                    visit_id=None,
                    period_start=date(2026, 11, 24),
                    period_end=ended,
                    created_at_utc=clock.now(),
                )
            )
    # The day after the last summary that ended before this one's last day.
    assert await start() == date(2026, 11, 28)


async def _many_kinds_of_family(services, clock) -> tuple[int, list[int], list[int], int]:
    """Families whose summaries differ in every way a batch could mix up: two time zones, a
    visit held, one cancelled, earlier summaries, a plan changed mid-period, a carer who
    blocked the bot, and a family that joined in the period with no plan yet. On Friday
    27 November 2026, 16:00 UTC (Saturday 05:00 in Auckland). Returns the visitor's id, the
    London and Auckland families' ids and the new family's id."""
    (visitor_id,) = await seed_visitors(services, 1)
    london = (
        await seed_families(services, 6, reminder_time=None, visitor_id=visitor_id)
    ).family_ids
    auckland = (
        await seed_families(
            services,
            2,
            reminder_time=None,
            visitor_id=visitor_id,
            timezone="Pacific/Auckland",
            first_user_id=200_000,
        )
    ).family_ids
    await seed_diary(services, london + auckland, end=date(2026, 11, 27), days=21)
    await _book(services, clock, visitor_id, london[0], utc(2026, 11, 24, 10))
    cancelled = await _book(services, clock, visitor_id, london[1], utc(2026, 11, 25, 10))
    clock.set(utc(2026, 11, 25, 12))
    async with services.sessions.begin() as session:
        (await session.get(Visit, cancelled)).status = VisitStatus.CANCELLED.value
        for family_id, ended in ((london[2], 20), (london[3], 27), (auckland[0], 27)):
            session.add(
                Summary(
                    key=f"earlier:{family_id}",
                    family_id=family_id,
                    visitor_id=visitor_id,
                    visit_id=None,
                    period_start=date(2026, 11, 1),
                    period_end=date(2026, 11, ended),
                    created_at_utc=clock.now(),
                )
            )
        await set_plan(
            session,
            clock,
            family_id=london[4],
            targets=specs_from_ids(services.library, ["com-point-to-toy"]),
            starts_on=date(2026, 11, 22),
        )
        carer = await session.scalar(select(Carer).where(Carer.family_id == london[5]))
        carer.unreachable_at_utc = clock.now()
        newcomer = await create_family(
            session, clock, child_name="Ada", timezone="Europe/London", visitor_id=visitor_id
        )
    clock.set(utc(2026, 11, 27, 16))
    return visitor_id, london, auckland, newcomer.id


async def test_summaries_built_together_are_each_familys_own(services, clock):
    _, london, auckland, newcomer = await _many_kinds_of_family(services, clock)
    async with services.sessions() as session:
        families = list(await session.scalars(select(Family).order_by(Family.id)))
        ends = {family.id: local_date(clock.now(), family.timezone) for family in families}
        starts = await period_starts(
            session, families, period_ends=ends, before_utc=clock.now(), max_days=14
        )
        periods = {family.id: (starts[family.id], ends[family.id]) for family in families}
        together = await build_summaries(session, families, services.library, periods=periods)
        one_at_a_time = {
            family.id: await build_summary(
                session,
                family,
                services.library,
                period_start=starts[family.id],
                period_end=ends[family.id],
            )
            for family in families
        }
        notes_in_period: dict[int, set[int]] = {family.id: set() for family in families}
        for note_id, family_id, day in await session.execute(
            select(DiaryNote.id, DiaryNote.family_id, DiaryNote.local_date)
        ):
            if starts[family_id] <= day <= ends[family_id]:
                notes_in_period[family_id].add(note_id)
    assert ends[london[0]] == date(2026, 11, 27) and ends[auckland[0]] == date(2026, 11, 28)
    assert starts == {
        london[0]: date(2026, 11, 24),  # the visit held
        london[1]: date(2026, 11, 14),  # cancelled: 14 days back
        london[2]: date(2026, 11, 21),  # the day after the last summary
        london[3]: date(2026, 11, 14),  # a summary ending today is not an earlier one
        london[4]: date(2026, 11, 14),
        london[5]: date(2026, 11, 14),
        auckland[0]: date(2026, 11, 28),  # ended the 27th, before Auckland's Saturday
        auckland[1]: date(2026, 11, 15),
        newcomer: date(2026, 11, 25),  # joined then
    }
    assert together == one_at_a_time
    # Each family's own days and notes, not a neighbour's.
    for family_id, data in together.items():
        assert data.family_id == family_id
        assert all(len(target.cells) == len(data.days) for target in data.targets)
        assert {note.note_id for note in data.notes} == notes_in_period[family_id]
    mid_plan = together[london[4]]
    assert [len(target.cells) for target in mid_plan.targets] == [14, 14, 14]
    assert mid_plan.targets[0].cells[:8].count("off") == 0
    assert mid_plan.targets[2].cells[:8] == ["off"] * 8  # the new plan from the 22nd
    assert [flag.kind for flag in together[newcomer].flags] == ["no_plan"]
    assert ("unreachable", 1) in [(flag.kind, flag.count) for flag in together[london[5]].flags]
    assert not any(flag.kind == "unreachable" for flag in together[london[4]].flags)
    assert sum(len(data.notes) for data in together.values()) >= 6


async def test_summaries_queued_together_each_go_once_in_order(services, clock):
    visitor_id, london, auckland, newcomer = await _many_kinds_of_family(services, clock)
    families = [*london, *auckland, newcomer]
    dues = [
        DueSummary(f"week:{family_id}:W48", family_id, visitor_id, None) for family_id in families
    ]
    async with services.sessions.begin() as session:
        assert await queue_summary(
            session, clock, services.texts, services.library, dues[1], max_days=14
        )
    async with services.sessions.begin() as session:
        queued = await queue_summaries(
            session, clock, services.texts, services.library, dues, max_days=14
        )
        again = await queue_summaries(
            session, clock, services.texts, services.library, dues, max_days=14
        )
    assert (queued, again) == (len(families) - 1, 0)
    async with services.sessions() as session:
        rows = (
            await session.execute(
                select(OutboxMessage.dedupe_key, OutboxMessage.family_id, OutboxMessage.chat_id)
                .where(OutboxMessage.kind == "summary")
                .order_by(OutboxMessage.id)
            )
        ).all()
        summaries = set(await session.scalars(select(Summary.key)))
    assert {due.key for due in dues} <= summaries
    by_summary: dict[str, list[int]] = {}
    for key, family_id, chat_id in rows:
        _, week, owner, _, part = key.split(":")
        assert (int(owner), chat_id) == (family_id, 900_000)
        by_summary.setdefault(f"{week}:{owner}", []).append(int(part))
    # Every family's summary, each once, its parts in order (the chart last).
    assert len(by_summary) == len(families)
    assert all(parts == list(range(1, len(parts) + 1)) for parts in by_summary.values())


async def test_a_summary_that_cannot_be_built_does_not_hold_up_the_others(services, clock, caplog):
    _, london, auckland, newcomer = await _many_kinds_of_family(services, clock)
    async with services.sessions.begin() as session:
        # As if a row were damaged: no zone of that name.
        (await session.get(Family, london[2])).timezone = "Nowhere/Atlantis"
    # Due: the eight families someone has joined (not the newcomer), less the damaged one.
    assert await queue_due_summaries(services) == 7
    async with services.sessions() as session:
        summarised = set(
            await session.scalars(select(Summary.family_id).where(Summary.key.like("week:%")))
        )
    assert summarised == {*london, *auckland} - {london[2]}
    assert f"summary week:{london[2]}:2026-W48 could not be built" in caplog.text


async def test_a_caseload_larger_than_a_batch_lists_every_family_with_its_own_days(services, clock):
    visitor_id, london, auckland, newcomer = await _many_kinds_of_family(services, clock)
    more = await seed_families(
        services, SUMMARY_BATCH, reminder_time=None, visitor_id=visitor_id, first_user_id=300_000
    )
    await seed_diary(services, more.family_ids, end=date(2026, 11, 27), days=3)
    manager = StaffMember(999, "Manager", "manager", "Europe/London", None)
    async with services.sessions() as session:
        rows = await caseload_rows(
            session, manager, services.library, now_utc=clock.now(), max_days=14
        )
    by_family = {row.family_id: row for row in rows}
    assert len(rows) == len(by_family) == 9 + SUMMARY_BATCH
    assert by_family[london[0]].since == date(2026, 11, 24)
    assert by_family[auckland[0]].since == date(2026, 11, 28)
    assert by_family[newcomer].flags == ["no_plan", "not_joined"]
    assert "unreachable" in by_family[london[5]].flags
    # Every family's own diary, the second batch's included: days practised, from the rows.
    async with services.sessions() as session:
        practised: dict[int, set[date]] = {}
        for family_id, day in await session.execute(
            select(DiaryAnswer.family_id, DiaryAnswer.local_date).where(
                DiaryAnswer.answer.in_(["yes", "a_little", "tries"])
            )
        ):
            if by_family[family_id].since <= day:
                practised.setdefault(family_id, set()).add(day)
    # (Not the family whose plan changed: its old plan's answers after the change are off.)
    same_plan = [row for row in rows if row.family_id != london[4]]
    assert {row.family_id: row.days_practised for row in same_plan} == {
        row.family_id: len(practised.get(row.family_id, ())) for row in same_plan
    }
    assert sum(row.days_practised for row in rows if row.family_id in more.family_ids) > 0
