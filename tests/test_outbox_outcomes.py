"""Recording what Telegram answered: a burst's outcomes in one transaction, each sender going on
only once its own is committed."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot import outbox
from bot.models import OutboxMessage
from jobs.send_outbox import GATHER_SECONDS, OutcomeRecorder, SendResult
from tests.factories import queued_messages

Outcomes = list[tuple[outbox.ClaimedMessage, SendResult]]


async def _claimed(services, clock, count: int) -> list[outbox.ClaimedMessage]:
    await queued_messages(services, clock, count)
    async with services.sessions() as session:
        return await outbox.claim(session, clock, limit=count)


async def _status(services, message_id: int) -> str:
    async with services.sessions() as session:
        return await session.scalar(
            select(OutboxMessage.status).where(OutboxMessage.id == message_id)
        )


async def test_a_bursts_answers_are_committed_together_before_any_sender_goes_on(services, clock):
    claimed = await _claimed(services, clock, 5)
    writes: list[Outcomes] = []

    async def write(outcomes: Outcomes) -> None:
        writes.append(outcomes)
        async with services.engine.begin() as connection:
            sent = [(message.id, result.telegram_message_id) for message, result in outcomes]
            await outbox.mark_sent(connection, clock, sent)

    recorder = OutcomeRecorder(write)
    statuses_seen: list[str] = []

    async def answered(number: int, message: outbox.ClaimedMessage) -> None:
        # The answers of a burst come a millisecond or so apart.
        await asyncio.sleep(number * 0.001)
        await recorder.record(message, SendResult("sent", telegram_message_id=100 + number))
        statuses_seen.append(await _status(services, message.id))

    await asyncio.gather(*(answered(n, message) for n, message in enumerate(claimed)))
    assert [len(outcomes) for outcomes in writes] == [5]
    assert statuses_seen == ["sent"] * 5
    async with services.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [row.telegram_message_id for row in rows] == [100, 101, 102, 103, 104]
    assert all(row.lease_until_utc is None for row in rows)


async def test_answers_further_apart_are_written_separately(services, clock):
    first, second = await _claimed(services, clock, 2)
    writes: list[Outcomes] = []

    async def write(outcomes: Outcomes) -> None:
        writes.append(outcomes)

    recorder = OutcomeRecorder(write)
    await recorder.record(first, SendResult("sent", telegram_message_id=1))
    await asyncio.sleep(GATHER_SECONDS)
    await recorder.record(second, SendResult("sent", telegram_message_id=2))
    assert [[message.id for message, _ in outcomes] for outcomes in writes] == [
        [first.id],
        [second.id],
    ]


async def test_when_the_outcomes_cannot_be_written_every_sender_of_them_hears_it(services, clock):
    claimed = await _claimed(services, clock, 3)

    class DatabaseAway(Exception):
        pass

    async def write(outcomes: Outcomes) -> None:
        raise DatabaseAway("the database is away")

    recorder = OutcomeRecorder(write)
    results = await asyncio.gather(
        *(recorder.record(message, SendResult("sent", 1)) for message in claimed),
        return_exceptions=True,
    )
    assert [type(result) for result in results] == [DatabaseAway] * 3
    # Nothing was recorded: the rows are still claimed, and go again after their lease.
    assert {await _status(services, message.id) for message in claimed} == {"sending"}
    with pytest.raises(DatabaseAway):
        await recorder.record(claimed[0], SendResult("sent", 1))


async def test_outcomes_are_written_even_when_the_sender_gathering_them_is_cancelled(
    services, clock
):
    first, second = await _claimed(services, clock, 2)
    writes: list[Outcomes] = []

    async def write(outcomes: Outcomes) -> None:
        writes.append(outcomes)

    recorder = OutcomeRecorder(write)
    gathering = asyncio.create_task(recorder.record(first, SendResult("sent", 1)))
    await asyncio.sleep(0)
    waiting = asyncio.create_task(recorder.record(second, SendResult("sent", 2)))
    await asyncio.sleep(0)
    gathering.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gathering
    # Both sends were made: both are written, and the other sender is not left waiting.
    await asyncio.wait_for(waiting, 1)
    assert [[message.id for message, _ in outcomes] for outcomes in writes] == [
        [first.id, second.id]
    ]
