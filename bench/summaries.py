"""Summaries: 1,000 visitors with 10 families each and a fortnight of diary; every summary built
as the bot builds it, with its chart, in two worker processes ("two cores")."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import time as clock_time

from sqlalchemy import select

from bench.common import (
    LONDON,
    Options,
    Row,
    Workdir,
    bench_services,
    fresh_database,
    log,
    london_now,
    median,
    percentile,
    scaled,
)
from tests.bulk import seed_diary, seed_families, seed_visitors

VISITORS = 1_000
FAMILIES_EACH = 10
DIARY_DAYS = 14
WORKERS = 2
TARGET_SECONDS = 60.0


@dataclass
class WorkerReport:
    started: float = 0.0  # wall clock
    finished: float = 0.0
    summaries: int = 0
    charts: int = 0
    chart_bytes: int = 0
    messages: int = 0
    # Per summary, with its chart: a batch's time over its size.
    durations: list[float] = field(default_factory=list)
    build_seconds: float = 0.0  # queue_summaries: the rows, build_summaries, texts, outbox
    chart_seconds: float = 0.0  # chart_png: drawing the PNG
    cpu_seconds: float = 0.0


def _worker(database_url: str, jobs: list[tuple[int, int]], start_at: float) -> WorkerReport:
    return asyncio.run(_work(database_url, jobs, start_at))


async def _work(database_url: str, jobs: list[tuple[int, int]], start_at: float) -> WorkerReport:
    # Imported here: each worker process loads what the bot loads (Pillow and its fonts included).
    from bot.delivery import chart_png
    from bot.models import OutboxMessage
    from bot.summaries import SUMMARY_BATCH
    from bot.summary_schedule import DueSummary, queue_summaries

    services = bench_services(database_url)
    report = WorkerReport()
    try:
        async with services.sessions() as session:  # connect before the clock starts
            await session.execute(select(1))
        delay = start_at - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        cpu = time.process_time()
        report.started = time.time()
        for start in range(0, len(jobs), SUMMARY_BATCH):
            batch = jobs[start : start + SUMMARY_BATCH]
            began = time.perf_counter()
            # In batches, as the bot's summary tick queues them (jobs/send_summaries.py).
            dues = [
                DueSummary(f"bench:{family_id}", family_id, visitor_id, None)
                for family_id, visitor_id in batch
            ]
            async with services.sessions.begin() as session:
                queued = await queue_summaries(
                    session,
                    services.clock,
                    services.texts,
                    services.library,
                    dues,
                    max_days=DIARY_DAYS,
                )
            async with services.sessions() as session:
                payloads = list(
                    await session.scalars(
                        # By the family (indexed): a LIKE on the key would read the whole
                        # outbox, which the bot never does.
                        select(OutboxMessage.payload)
                        .where(
                            OutboxMessage.family_id.in_([family_id for family_id, _ in batch]),
                            OutboxMessage.kind == "summary",
                        )
                        .order_by(OutboxMessage.id)
                    )
                )
            built = time.perf_counter()
            report.build_seconds += built - began
            for payload in payloads:
                if payload.get("method") == "sendChart":
                    png = await chart_png(payload)
                    report.charts += 1
                    report.chart_bytes += len(png)
            report.chart_seconds += time.perf_counter() - built
            report.summaries += queued
            report.messages += len(payloads)
            report.durations.append((time.perf_counter() - began) / len(batch))
        report.finished = time.time()
        report.cpu_seconds = time.process_time() - cpu
    finally:
        await services.engine.dispose()
    return report


async def run(kind: str, options: Options) -> list[Row]:
    visitors = scaled(VISITORS, options.scale, minimum=WORKERS)
    families = visitors * FAMILIES_EACH
    name = options.label("summaries")
    work = Workdir("summaries", keep=options.keep)
    url = await fresh_database(kind, work)
    services = bench_services(url)
    try:
        log(f"summaries/{kind}: seeding {visitors:,} visitors, {families:,} families, diaries")
        visitor_ids = await seed_visitors(services, visitors)
        seeded = await seed_families(
            services,
            families,
            reminder_time=clock_time(18, 30),
            visitor_ids=[v for v in visitor_ids for _ in range(FAMILIES_EACH)],
        )
        today = london_now().astimezone(LONDON).date()
        answers = await seed_diary(services, seeded.family_ids, end=today, days=DIARY_DAYS)
    finally:
        await services.engine.dispose()
    jobs = list(
        zip(seeded.family_ids, [v for v in visitor_ids for _ in range(FAMILIES_EACH)], strict=True)
    )
    halves = [jobs[index::WORKERS] for index in range(WORKERS)]
    log(f"summaries/{kind}: {answers:,} diary answers; building {families:,} summaries")
    # spawn: fresh interpreters, as the bot's own process would be (no inherited event loop).
    context = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    try:
        with ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
            start_at = time.time() + 15  # imports and connections first, then all at once
            futures = [loop.run_in_executor(pool, _worker, url, half, start_at) for half in halves]
            reports: list[WorkerReport] = list(await asyncio.gather(*futures))
    finally:
        work.cleanup()

    wall = max(r.finished for r in reports) - min(r.started for r in reports)
    durations = [d for r in reports for d in r.durations]
    built = sum(r.summaries for r in reports)
    charts = sum(r.charts for r in reports)
    target = TARGET_SECONDS * families / (VISITORS * FAMILIES_EACH)
    build = sum(r.build_seconds for r in reports)
    chart = sum(r.chart_seconds for r in reports)
    cpu = sum(r.cpu_seconds for r in reports)
    scaled_note = "" if options.scale == 1 else " (scaled)"
    return [
        Row(
            name,
            kind,
            f"{built:,} summaries + {charts:,} charts in {wall:.1f} s on {WORKERS} processes",
            f"< {target:.0f} s{scaled_note}",
            wall < target and built == families,
            f"per summary (a batch's time over its size) p50 {median(durations) * 1000:.0f} ms, "
            f"p99 {percentile(durations, 0.99) * 1000:.0f} ms; of the workers' time "
            f"{build:.1f} s building (queue_summaries) and {chart:.1f} s drawing charts; "
            f"workers' CPU {cpu:.1f} s; {sum(r.messages for r in reports):,} outbox messages; "
            f"{os.cpu_count()} CPUs",
        ),
        Row(
            name,
            kind,
            f"{wall / max(built, 1) * WORKERS * 1000:.0f} ms a summary per core",
            "-",
            None,
        ),
    ]
