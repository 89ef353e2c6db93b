"""Memory: the bot's peak resident memory with 20,000 families enrolled, all their reminders
due in the same minute (queued, then sent for 30 s within Telegram's limits)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from bench.common import (
    Options,
    Row,
    log,
    make_due_now,
    open_stage,
    outbox_counts,
    scaled,
)

FAMILIES = 20_000
SENDING_SECONDS = 30.0
TARGET_MB = 200.0


async def run(kind: str, options: Options) -> list[Row]:
    count = scaled(FAMILIES, options.scale)
    name = options.label("memory")
    stage = await open_stage("memory", kind, options)
    fake, services = stage.fake, stage.services
    bot = stage.bot(profile=options.profile_path(f"memory-{kind}"))
    try:
        log(f"memory/{kind}: seeding {count:,} families")
        await stage.enrol(count, enrolled_at=datetime.now(UTC))
        await bot.start()
        await asyncio.sleep(3)
        idle = bot.stats()
        await make_due_now(services)
        due_at = time.monotonic()
        log(f"memory/{kind}: {count:,} reminders due; waiting until all are queued")
        queued = 0
        deadline = due_at + 600
        while time.monotonic() < deadline:
            queued = sum((await outbox_counts(services)).values())
            if queued >= count:
                break
            bot.check_alive()
            await asyncio.sleep(1)
        queued_after = time.monotonic() - due_at
        log(f"memory/{kind}: {queued:,} queued after {queued_after:.0f} s; sending for 30 s")
        peak_rss = 0.0
        until = time.monotonic() + SENDING_SECONDS
        while time.monotonic() < until:
            peak_rss = max(peak_rss, bot.stats().rss_mb)
            await asyncio.sleep(0.5)
        final = await bot.stop()
        outbox = await outbox_counts(services)
    finally:
        await bot.stop()
        await stage.close()
    assert final is not None
    return [
        Row(
            name,
            kind,
            f"peak {final.hwm_mb:.0f} MB (VmHWM), {count:,} families",
            f"< {TARGET_MB:g} MB",
            final.hwm_mb < TARGET_MB and queued >= count,
            f"idle with them enrolled: RSS {idle.rss_mb:.0f} MB (VmHWM {idle.hwm_mb:.0f} MB); "
            f"all {queued:,} queued {queued_after:.0f} s after they fell due; highest RSS seen "
            f"while sending {peak_rss:.0f} MB; outbox at the end {dict(outbox)}; "
            f"{fake.too_many_requests} 429s",
        )
    ]
