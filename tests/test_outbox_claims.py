"""Claiming outbox rows: never the same row twice, whether one sender or several race."""

from __future__ import annotations

import asyncio

import pytest

from bot import outbox
from tests.conftest import POSTGRES_URL
from tests.factories import queued_messages


async def test_enqueue_is_keyed(services, clock):
    async with services.sessions.begin() as session:
        first = await outbox.enqueue(
            session, clock, kind="reminder", dedupe_key="k", chat_id=1, payload={}
        )
        second = await outbox.enqueue(
            session, clock, kind="reminder", dedupe_key="k", chat_id=1, payload={}
        )
    assert (first, second) == (True, False)


async def test_a_claimed_row_is_not_claimed_again_until_its_lease_ends(services, clock):
    await queued_messages(services, clock, 3)
    async with services.sessions() as session:
        first = await outbox.claim(session, clock, limit=10)
    async with services.sessions() as session:
        assert await outbox.claim(session, clock, limit=10) == []
    clock.advance(seconds=outbox.LEASE.total_seconds() + 1)
    async with services.sessions() as session:
        again = await outbox.claim(session, clock, limit=10)
    assert sorted(row.id for row in again) == sorted(row.id for row in first)
    assert {row.attempts for row in again} == {2}


@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="needs PostgreSQL (FOR UPDATE SKIP LOCKED): set PORTAGE_TEST_DATABASE_URL, "
    "as .ci/run does",
)
async def test_concurrent_claimers_on_postgres_get_disjoint_rows(services, clock):
    await queued_messages(services, clock, 200)

    async def claimer() -> list[int]:
        ids: list[int] = []
        while True:
            async with services.sessions() as session:
                batch = await outbox.claim(session, clock, limit=7)
            if not batch:
                return ids
            ids += [row.id for row in batch]

    results = await asyncio.gather(*(claimer() for _ in range(4)))
    claimed = [row_id for ids in results for row_id in ids]
    assert len(claimed) == 200 and len(set(claimed)) == 200
    assert sum(1 for ids in results if ids) >= 2  # they really did share the work
