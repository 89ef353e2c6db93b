"""The summary tick's steady state for a service of 1,000 visitors with 10 families each:
what `due_summaries` costs every second in the weekly summaries' window once they are all
queued, and what `book_repeats` costs with half a year of weekly visits behind it (a tick's look
at the last day, and the hourly look at them all).

Usage: .venv/bin/python -m bench.summary_tick [--db sqlite|postgres|both] [--families 10000]
In process, against a fresh database (as `python -m bench`); prints wall and CPU milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

from sqlalchemy import insert

from bench.common import Workdir, bench_services, fresh_database, median
from bot.clock import ManualClock
from bot.context import Services
from bot.models import Summary, Visit
from bot.summary_schedule import DueSummary, due_summaries, week_key
from bot.visits import book_repeats
from tests.bulk import seed_families, seed_visitors

FAMILIES_EACH = 10
# A Friday, 17:00 in London: the weekly summaries (Fridays at 16:00) are due.
NOW = datetime(2026, 12, 4, 17, tzinfo=UTC)
WEEKLY_WEEKDAY, WEEKLY_TIME, LEAD_TIME = 4, clock_time(16), clock_time(18)
TICKS = 5
VISIT_WEEKS = 26


async def _run(kind: str, families: int) -> None:
    work = Workdir("summary_tick")
    url = await fresh_database(kind, work)
    services = bench_services(url)
    try:
        visitors = await seed_visitors(services, max(1, families // FAMILIES_EACH))
        owners = [visitor for visitor in visitors for _ in range(FAMILIES_EACH)][:families]
        seeded = await seed_families(
            services, len(owners), reminder_time=clock_time(18, 30), visitor_ids=owners
        )
        due = await _due(services)
        # As after the tick that queued them: every family's weekly summary is written.
        async with services.sessions.begin() as session:
            await session.execute(
                insert(Summary),
                [
                    {
                        "key": week_key(family_id, NOW.date()),
                        "family_id": family_id,
                        "visitor_id": visitor_id,
                        "period_start": NOW.date() - timedelta(days=6),
                        "period_end": NOW.date(),
                        "created_at_utc": NOW,
                    }
                    for family_id, visitor_id in zip(seeded.family_ids, owners, strict=True)
                ],
            )
        walls, cpus, left = [], [], 0
        for _ in range(TICKS):
            wall, cpu = time.perf_counter(), time.process_time()
            left = len(await _due(services))
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        print(
            f"{kind}: {len(owners):,} families, {len(due):,} weekly summaries due before, "
            f"{left} after; a tick's due_summaries: median {median(walls) * 1000:.0f} ms wall, "
            f"{median(cpus) * 1000:.0f} ms CPU in this process"
        )
        await _seed_weekly_visits(services, seeded.family_ids, owners)
        for name, since in (("all", None), ("the last day", NOW - timedelta(days=1))):
            walls = []
            for _ in range(TICKS):
                wall = time.perf_counter()
                async with services.sessions.begin() as session:
                    await book_repeats(session, ManualClock(NOW), passed_since=since)
                walls.append(time.perf_counter() - wall)
            print(
                f"{kind}: book_repeats over {VISIT_WEEKS} weeks of visits, looking at {name}: "
                f"median {median(walls) * 1000:.0f} ms wall"
            )
    finally:
        await services.engine.dispose()
        work.cleanup()


async def _due(services: Services) -> list[DueSummary]:
    async with services.sessions() as session:
        return await due_summaries(
            session,
            NOW,
            lead_time=LEAD_TIME,
            weekly_weekday=WEEKLY_WEEKDAY,
            weekly_time=WEEKLY_TIME,
        )


async def _seed_weekly_visits(services: Services, family_ids: list[int], owners: list[int]) -> None:
    """Every family's weekly visit for VISIT_WEEKS weeks, each following the one before, the
    last booked for an hour from NOW."""
    first = NOW - timedelta(weeks=VISIT_WEEKS, hours=-1)
    count = len(family_ids)
    for week in range(VISIT_WEEKS + 1):
        rows = [
            {
                "id": week * count + index + 1,
                "family_id": family_id,
                "visitor_id": visitor_id,
                "starts_at_utc": first + timedelta(weeks=week),
                "status": "done" if week < VISIT_WEEKS else "booked",
                "repeat_days": 7,
                "follows_visit_id": (week - 1) * count + index + 1 if week else None,
                "created_at_utc": first,
            }
            for index, (family_id, visitor_id) in enumerate(zip(family_ids, owners, strict=True))
        ]
        async with services.sessions.begin() as session:
            await session.execute(insert(Visit), rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.summary_tick", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--families", type=int, default=10_000)
    args = parser.parse_args(argv)
    for kind in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        asyncio.run(_run(kind, args.families))


if __name__ == "__main__":
    main()
