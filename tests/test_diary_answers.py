"""Recording a tap: one answer a target a day, whoever taps, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from sqlalchemy import select

from bot.clock import as_utc
from bot.diary import AnswerOutcome, Tap, record_answers, today_for
from bot.models import DiaryAnswer, Family, Target
from tests.factories import another_carer, enrolled_carer


async def test_two_carers_tapping_the_same_target_keep_the_later_answer(services, clock):
    first = await enrolled_carer(services, clock, activities=["com-point-to-toy"])
    second_id = await another_carer(services, clock, first.family_id, telegram_user_id=1002)
    async with services.sessions() as session:
        target_id = await session.scalar(select(Target.id))
        family = await session.get(Family, first.family_id)
    assert family is not None and target_id is not None
    day = today_for(family, clock)

    async with services.sessions.begin() as session:
        [answered] = await record_answers(
            session, clock, [Tap(first.id, family, target_id, day, "5")]
        )
    assert answered.outcome is AnswerOutcome.SAVED
    clock.advance(minutes=3)
    async with services.sessions.begin() as session:
        [answered] = await record_answers(
            session, clock, [Tap(second_id, family, target_id, day, "2")]
        )
    assert answered.outcome is AnswerOutcome.SAVED
    assert answered.card is not None
    assert [(t.answer, t.tries_succeeded) for t in answered.card.targets] == [("tries", 2)]

    async with services.sessions() as session:
        rows = list(await session.scalars(select(DiaryAnswer)))
    assert [
        (
            row.family_id,
            row.target_id,
            row.local_date,
            row.answer,
            row.tries_succeeded,
            row.answered_by_carer_id,
            as_utc(row.answered_at_utc),
        )
        for row in rows
    ] == [(family.id, target_id, day, "tries", 2, second_id, clock.now())]
