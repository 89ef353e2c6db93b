"""Fan-out: N families whose reminder falls in the same minute, delivered within Telegram's
limits (the fake answers 429 past 30 a second overall or 1 a second in a chat)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime

from bench.common import (
    MONO_TO_WALL,
    CallScanner,
    Options,
    Row,
    log,
    make_due_next_minute,
    median,
    open_stage,
    outbox_counts,
    percentile,
    scaled,
    sleep_until,
)

FAMILIES = 10_000
TELEGRAM_RATE = 30.0
RATE_TARGET = 0.95
CPU_TARGET_MS = 2.0


async def run(kind: str, options: Options) -> list[Row]:
    count = scaled(FAMILIES, options.scale)
    name = options.label("fan-out")
    stage = await open_stage("fanout", kind, options)
    fake, services = stage.fake, stage.services
    bot = stage.bot(profile=options.profile_path(f"fanout-{kind}"))
    try:
        log(f"fan-out/{kind}: seeding {count:,} families")
        seeded = await stage.enrol(count, enrolled_at=datetime.now(UTC))
        wanted = set(seeded.user_ids)
        await bot.start()
        scanner = CallScanner(fake)
        minute = await make_due_next_minute(services)
        log(f"fan-out/{kind}: reminders due at {minute:%H:%M:%S} UTC; waiting for that minute")
        await sleep_until(minute.timestamp() - 0.5)
        before = bot.stats()
        minimum = count / TELEGRAM_RATE
        deadline = minute.timestamp() + minimum * 2 + 120
        delivered: Counter[int] = Counter()
        sent_at: list[float] = []
        last_at = 0.0
        first_at = None
        last_report = time.monotonic()
        while len(delivered) < count and time.time() < deadline:
            for call in scanner.new():
                if call.method != "sendMessage" or call.status != 200:
                    continue
                chat_id = call.params.get("chat_id")
                if chat_id in wanted:
                    delivered[chat_id] += 1
                    sent_at.append(call.at)
                    last_at = max(last_at, call.at)
                    first_at = call.at if first_at is None else first_at
            bot.check_alive()
            if time.monotonic() - last_report > 30:
                last_report = time.monotonic()
                log(f"fan-out/{kind}: {len(delivered):,}/{count:,} delivered")
            await asyncio.sleep(0.2)
        after = bot.stats()
        # Anything sent twice would show up now.
        await asyncio.sleep(3)
        for call in scanner.new():
            if call.method == "sendMessage" and call.status == 200:
                chat_id = call.params.get("chat_id")
                if chat_id in wanted:
                    delivered[chat_id] += 1
        stats = await bot.stop()
        outbox = await outbox_counts(services)
    finally:
        await bot.stop()
        await stage.close()

    done = len(delivered)
    seconds = (last_at + MONO_TO_WALL) - minute.timestamp() if done else float("nan")
    first = (first_at + MONO_TO_WALL) - minute.timestamp() if first_at else float("nan")
    duplicates = sum(1 for n in delivered.values() if n > 1)
    messages = sum(delivered.values())
    cpu_seconds = after.cpu_seconds - before.cpu_seconds
    cpu_ms = cpu_seconds / max(messages, 1) * 1000
    limit = minimum / RATE_TARGET
    rate = done / seconds if done else 0.0
    other_errors = [c for c in fake.errors if c.status != 429]
    # Where the rate went: pauses between consecutive sends well over 1/30 s.
    sent_at.sort()
    gaps = [b - a for a, b in zip(sent_at, sent_at[1:], strict=False)]
    beyond = sum(max(0.0, gap - 1 / TELEGRAM_RATE) for gap in gaps)
    steady = (len(sent_at) - 1) / (sent_at[-1] - sent_at[0]) if len(sent_at) > 1 else 0.0
    hwm = f", bot VmHWM {stats.hwm_mb:.0f} MB" if stats else ""
    detail = (
        f"first reminder {first:.1f} s after the minute, then {steady:.2f}/s to the last; "
        f"gaps between sends p50 {median(gaps) * 1000:.0f} ms, p99 "
        f"{percentile(gaps, 0.99) * 1000:.0f} ms, max {max(gaps, default=0) * 1000:.0f} ms, "
        f"{beyond:.1f} s beyond 1/30 s in all; "
        f"outbox {dict(outbox)}; "
        f"{len(other_errors)} other error answers{hwm}; bot CPU "
        f"{cpu_seconds:.1f} s over {messages:,} messages ("
        f"{after.user_seconds - before.user_seconds:.1f} s user, "
        f"{after.system_seconds - before.system_seconds:.1f} s system)"
    )
    return [
        Row(
            name,
            kind,
            f"{done:,}/{count:,} delivered in {seconds:.1f} s (minimum {minimum:.1f} s)",
            f"all within {limit:.0f} s",
            done == count and seconds <= limit,
            detail,
        ),
        Row(
            name,
            kind,
            f"rate {rate:.2f}/s = {rate / TELEGRAM_RATE:.1%} of 30/s",
            f"≥ {RATE_TARGET:.0%}",
            rate >= TELEGRAM_RATE * RATE_TARGET,
        ),
        Row(name, kind, f"{fake.too_many_requests} answers 429", "0", fake.too_many_requests == 0),
        Row(name, kind, f"{duplicates} duplicates", "0", duplicates == 0),
        Row(
            name,
            kind,
            f"bot CPU {cpu_ms:.2f} ms/message",
            f"< {CPU_TARGET_MS:g} ms",
            cpu_ms < CPU_TARGET_MS,
        ),
    ]
