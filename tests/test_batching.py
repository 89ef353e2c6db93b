"""Work many updates ask for at once is done at once (bot/batching.py): answer taps arriving
together are recorded in one transaction, each coming back with its own outcome, in order, and
one bad tap does not sink the others; the carers behind updates arriving together are found in
one query."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.batching import Batcher
from bot.diary import AnswerOutcome, Tap, record_answers, today_for
from bot.enrolment import find_carers_at_home
from bot.models import DiaryAnswer, Family, Plan, Target
from tests.factories import another_carer, enrolled_carer


async def _families(services, clock, count):
    """`count` enrolled families: (carer id, family, first target id) each."""
    enrolled = []
    for index in range(count):
        carer = await enrolled_carer(
            services, clock, telegram_user_id=2000 + index, activities=["com-point-to-toy"]
        )
        async with services.sessions() as session:
            family = await session.get(Family, carer.family_id)
            target_id = await session.scalar(
                select(Target.id)
                .join(Plan, Plan.id == Target.plan_id)
                .where(Plan.family_id == family.id)
            )
        enrolled.append((carer.id, family, target_id))
    return enrolled


def _commits(services) -> list[int]:
    """A list that grows by one at every commit on the services' engine."""
    commits: list[int] = []
    event.listen(services.engine.sync_engine, "commit", lambda _conn: commits.append(1))
    return commits


def _recorder(services, clock) -> Batcher[Tap, object]:
    async def record(session, taps):
        return await record_answers(session, clock, taps)

    return Batcher(services.sessions, record, name="answers")


def _writers() -> list[asyncio.Task]:
    return [task for task in asyncio.all_tasks() if task.get_name() == "answers"]


async def _answers(services) -> dict[int, tuple[str, int]]:
    async with services.sessions() as session:
        rows = await session.scalars(select(DiaryAnswer))
        return {row.target_id: (row.answer, row.answered_by_carer_id) for row in rows}


async def test_taps_arriving_together_are_written_in_one_transaction(services, clock):
    families = await _families(services, clock, 5)
    recorder = _recorder(services, clock)
    commits = _commits(services)

    answered = await asyncio.gather(
        *(
            recorder.run(Tap(carer_id, family, target_id, today_for(family, clock), code))
            for (carer_id, family, target_id), code in zip(families, "yynly", strict=True)
        )
    )

    assert [a.outcome for a in answered] == [AnswerOutcome.SAVED] * 5
    # Each tap's card shows its own answer.
    assert [a.card.targets[0].answer for a in answered] == [
        "yes", "yes", "not_today", "a_little", "yes"
    ]  # fmt: skip
    assert len(commits) == 1
    assert await _answers(services) == {
        target_id: (answer, carer_id)
        for (carer_id, _family, target_id), answer in zip(
            families, ["yes", "yes", "not_today", "a_little", "yes"], strict=True
        )
    }


async def test_a_tap_on_its_own_is_written_at_once(services, clock):
    [(carer_id, family, target_id)] = await _families(services, clock, 1)
    recorder = _recorder(services, clock)

    answered = await recorder.run(Tap(carer_id, family, target_id, today_for(family, clock), "l"))

    assert answered.outcome is AnswerOutcome.SAVED
    assert await _answers(services) == {target_id: ("a_little", carer_id)}
    # Nothing is left running between taps.
    assert _writers() == []


async def test_refusals_in_a_batch_come_back_in_order_beside_the_saved(services, clock):
    (carer_a, family_a, target_a), (carer_b, family_b, target_b) = await _families(
        services, clock, 2
    )
    recorder = _recorder(services, clock)
    today = today_for(family_a, clock)
    taps = [
        Tap(carer_a, family_a, target_b, today, "y"),  # the other family's target
        Tap(carer_a, family_a, target_a, today - timedelta(days=5), "y"),  # a closed day
        Tap(carer_b, family_b, target_b, today, "7"),  # no such answer
        Tap(carer_b, family_b, target_b, today, "n"),
    ]

    answered = await asyncio.gather(*(recorder.run(tap) for tap in taps))

    assert [a.outcome for a in answered] == [
        AnswerOutcome.NOT_YOURS,
        AnswerOutcome.DAY_CLOSED,
        AnswerOutcome.INVALID,
        AnswerOutcome.SAVED,
    ]
    assert [a.card is not None for a in answered] == [False, False, False, True]
    assert await _answers(services) == {target_b: ("not_today", carer_b)}


async def test_two_carers_tapping_the_same_target_in_one_batch_keep_the_later(services, clock):
    # As when they tap a moment apart (test_diary_answers): the later answer is the one kept,
    # and each card shows its own tap's.
    [(first_carer, family, target_id)] = await _families(services, clock, 1)
    second_carer = await another_carer(services, clock, family.id, telegram_user_id=3001)
    recorder = _recorder(services, clock)
    today = today_for(family, clock)

    first, later = await asyncio.gather(
        recorder.run(Tap(first_carer, family, target_id, today, "y")),
        recorder.run(Tap(second_carer, family, target_id, today, "n")),
    )

    assert (first.outcome, later.outcome) == (AnswerOutcome.SAVED, AnswerOutcome.SAVED)
    assert first.card.targets[0].answer == "yes"
    assert later.card.targets[0].answer == "not_today"
    assert await _answers(services) == {target_id: ("not_today", second_carer)}


async def test_a_tap_that_cannot_be_written_fails_alone(services, clock):
    families = await _families(services, clock, 3)
    recorder = _recorder(services, clock)
    commits = _commits(services)
    taps = [
        Tap(carer_id, family, target_id, today_for(family, clock), "y")
        for carer_id, family, target_id in families
    ]
    # A carer who is not there: the answer's foreign key refuses it, and the batch with it.
    taps[1] = Tap(999_999, taps[1].family, taps[1].target_id, taps[1].day, "y")

    answered = await asyncio.gather(*(recorder.run(tap) for tap in taps), return_exceptions=True)

    assert isinstance(answered[1], IntegrityError)
    assert [answered[0].outcome, answered[2].outcome] == [AnswerOutcome.SAVED] * 2
    saved = await _answers(services)
    assert set(saved) == {families[0][2], families[2][2]}
    # The batch, rolled back, then each tap alone: two of them committed.
    assert len(commits) == 2


async def test_taps_waiting_when_the_loop_shuts_down_are_cancelled_not_left_waiting(
    services, clock
):
    families = await _families(services, clock, 2)
    recorder = _recorder(services, clock)
    waiting = [
        asyncio.create_task(
            recorder.run(Tap(carer_id, family, target_id, today_for(family, clock), "y"))
        )
        for carer_id, family, target_id in families
    ]
    await asyncio.sleep(0)  # both taps are queued and the writer is started
    [writer] = _writers()

    # As asyncio.run does to the tasks still running when the bot's loop ends.
    writer.cancel()

    for task in waiting:
        with pytest.raises(asyncio.CancelledError):
            await task
    assert _writers() == []


async def test_the_carers_behind_updates_arriving_together_are_found_in_one_query(services, clock):
    families = await _families(services, clock, 3)
    finder = Batcher(services.sessions, find_carers_at_home, name="carers at home")
    queries: list[str] = []
    event.listen(
        services.engine.sync_engine,
        "before_cursor_execute",
        lambda _conn, _cursor, statement, *_: queries.append(statement),
    )

    found = await asyncio.gather(*(finder.run(user_id) for user_id in (2002, 999, 2000)))

    # In the order asked, None for someone who is not a carer.
    assert [at_home and at_home.carer.id for at_home in found] == [
        families[2][0],
        None,
        families[0][0],
    ]
    assert [at_home and at_home.family.id for at_home in found] == [
        families[2][1].id,
        None,
        families[0][1].id,
    ]
    assert len([q for q in queries if q.lstrip().upper().startswith("SELECT")]) == 1


async def test_a_batch_that_fails_for_every_item_fails_at_once_without_retries(services, clock):
    # As when the database is away: the failure is not any one item's, so nothing is tried
    # again item by item (each would wait for the same failure).
    calls: list[int] = []

    async def broken(session, items):
        calls.append(len(items))
        await session.execute(text("SELECT * FROM no_such_table"))
        return items

    batcher = Batcher(services.sessions, broken, name="broken")

    outcomes = await asyncio.gather(*(batcher.run(n) for n in range(3)), return_exceptions=True)

    assert all(isinstance(outcome, DBAPIError) for outcome in outcomes)
    assert calls == [3]
