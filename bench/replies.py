"""Replies: parents tapping the answer buttons of their reminders, as fast as the fake can push
the updates, then at a steady 200 a second; time from each update to its answerCallbackQuery."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.common import (
    PYTHON,
    ROOT,
    BotProcess,
    CallScanner,
    Options,
    Row,
    answer_button,
    answers_recorded,
    log,
    make_due_now,
    median,
    no_harness_pauses,
    open_stage,
    percentile,
    scaled,
)
from tests.fake_bot_api import FakeBotApi, FakeUser, SentMessage

PARENTS = 5_000
PACED_TAPS = 2_000
PACED_RATE = 200.0
THROUGHPUT_TARGET = 300.0
P99_TARGET_MS = 100.0
# Setup only: the reminders go out with the limits off, as fast as the bot can send them.
FAST_SEND = {"TELEGRAM_MESSAGES_PER_SECOND": "2000", "OUTBOX_MESSAGES_PER_SECOND": "2000"}


async def _reminders_in_chats(
    fake: FakeBotApi, user_ids: list[int], bot: BotProcess, within: float
) -> dict[int, SentMessage]:
    wanted = set(user_ids)
    scanner = CallScanner(fake)
    arrived: set[int] = set()
    deadline = time.monotonic() + within
    while len(arrived) < len(wanted):
        for call in scanner.new():
            if call.method == "sendMessage" and call.status == 200:
                chat_id = call.params.get("chat_id")
                if chat_id in wanted:
                    arrived.add(chat_id)
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(arrived)}/{len(wanted)} reminders within {within}s")
        bot.check_alive()
        await asyncio.sleep(0.2)
    reminders = {}
    for user_id in user_ids:
        last = fake.user(user_id).last()
        assert last is not None
        reminders[user_id] = last
    return reminders


@dataclass(frozen=True)
class Tapped:
    latencies: list[float]  # from each update's creation to its answer, in seconds
    span: float  # from the first tap to the last answer
    pushed: float  # the seconds the taps took to push
    answered: int
    bot_cpu: float  # the bot's CPU seconds meanwhile

    def cpu_ms_a_tap(self) -> float:
        return self.bot_cpu * 1000 / self.answered if self.answered else float("nan")


async def _tap_all(
    fake: FakeBotApi,
    taps: list[tuple[FakeUser, SentMessage, str]],
    bot: BotProcess,
    *,
    rate: float | None,
    within: float,
) -> Tapped:
    """Push the taps (all at once, or `rate` a second) and wait for every answer."""
    scanner = CallScanner(fake)
    scanner_start = scanner.position
    created: dict[str, float] = {}
    records = {}
    before, own_cpu = bot.stats(), time.process_time()
    started = time.monotonic()
    for index, (user, message, data) in enumerate(taps):
        if rate is not None:
            wait = started + index / rate - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        update = await user.tap(message, callback_data=data)
        created[update["callback_query"]["id"]] = 0.0
        if rate is None:
            await asyncio.sleep(0)  # let the fake serve getUpdates meanwhile
    pushed = time.monotonic() - started
    for record in fake.callback_queries:
        if record.id in created:
            records[record.id] = record
            created[record.id] = record.created_at
    answered_at: dict[str, float] = {}
    deadline = time.monotonic() + within
    while len(answered_at) < len(created) and time.monotonic() < deadline:
        for call in scanner.new():
            if call.method == "answerCallbackQuery" and call.status == 200:
                query_id = call.params.get("callback_query_id")
                if query_id in created:
                    answered_at[query_id] = call.at
        bot.check_alive()
        await asyncio.sleep(0.05)
    wall = time.monotonic() - started
    methods = Counter(call.method for call in fake.calls[scanner_start:])
    log(f"  calls: {dict(methods)}")
    after = bot.stats()
    bot_cpu = after.cpu_seconds - before.cpu_seconds
    log(
        f"  {len(answered_at)} answered in {wall:.1f} s; bot CPU "
        f"{bot_cpu:.1f} s (user "
        f"{after.user_seconds - before.user_seconds:.1f}, system "
        f"{after.system_seconds - before.system_seconds:.1f}); "
        f"fake (this process) CPU {time.process_time() - own_cpu:.1f} s"
    )
    latencies = [answered_at[q] - created[q] for q in answered_at]
    first = min(created.values())
    span = (max(answered_at.values()) - first) if answered_at else float("nan")
    return Tapped(latencies, span, pushed, len(answered_at), bot_cpu)


class BareBotProcess(BotProcess):
    """bench/bare_bot.py instead of `portage-bot run`: the stack without the project's code."""

    def command(self, *args: str) -> list[str]:
        return [str(PYTHON), str(ROOT / "bench" / "bare_bot.py")]


async def run(kind: str, options: Options) -> list[Row]:
    return await _run(kind, options, bare=False)


async def run_floor(kind: str, options: Options) -> list[Row]:
    """The same taps against bench/bare_bot.py: what the stack alone costs a tap."""
    return await _run(kind, options, bare=True)


async def _run(kind: str, options: Options, *, bare: bool) -> list[Row]:
    parents = scaled(PARENTS, options.scale)
    paced = min(parents, scaled(PACED_TAPS, options.scale))
    benchmark = "floor" if bare else "replies"
    name = options.label(benchmark)
    stage = await open_stage(benchmark, kind, options, limits=False)
    fake, services = stage.fake, stage.services
    setup = stage.bot(extra_env=FAST_SEND)
    profile = options.profile_path(f"{benchmark}-{kind}")
    if bare:
        bot: BotProcess = BareBotProcess(fake, stage.url, stage.work, profile=profile)
    else:
        bot = stage.bot(profile=profile)
    try:
        log(f"replies/{kind}: seeding {parents:,} families")
        seeded = await stage.enrol(parents, enrolled_at=datetime.now(UTC) - timedelta(minutes=10))
        await setup.start()
        await make_due_now(services)
        log(f"replies/{kind}: sending {parents:,} reminders with the limits off")
        reminders = await _reminders_in_chats(fake, seeded.user_ids, setup, parents / 5 + 120)
        await setup.stop()
        fake.enforce_rate_limits = True
        await bot.start()
        await asyncio.sleep(2)  # the first ticks after a start

        log(f"replies/{kind}: {parents:,} taps, as fast as the fake can push them")
        users = [fake.user(user_id) for user_id in seeded.user_ids]
        burst = [(u, reminders[u.id], answer_button(reminders[u.id], "y")) for u in users]
        with no_harness_pauses():
            burst_run = await _tap_all(fake, burst, bot, rate=None, within=parents / 20 + 60)
        await fake.wait_idle(timeout=300, quiet=1.0)  # the cards' edits too
        recorded = await answers_recorded(services, "yes")

        log(f"replies/{kind}: {paced:,} taps at {PACED_RATE:g} a second")
        steady = []
        for user in users[:paced]:
            card = next(m for m in user.inbox() if m.message_id == reminders[user.id].message_id)
            steady.append((user, card, answer_button(card, "l")))
        with no_harness_pauses():
            paced_run = await _tap_all(fake, steady, bot, rate=PACED_RATE, within=paced / 20 + 60)
        await fake.wait_idle(timeout=300, quiet=1.0)
        paced_recorded = await answers_recorded(services, "a_little")
        stats = await bot.stop()
        errors = [c for c in fake.errors if c.status != 429]
    finally:
        await setup.stop()
        await bot.stop()
        await stage.close()

    answered, span, pushed = burst_run.answered, burst_run.span, burst_run.pushed
    rate = answered / span if span > 0 else 0.0
    p50 = median(burst_run.latencies) * 1000
    p99 = percentile(burst_run.latencies, 0.99) * 1000
    paced_answered, paced_pushed = paced_run.answered, paced_run.pushed
    paced_p50 = median(paced_run.latencies) * 1000
    paced_p99 = percentile(paced_run.latencies, 0.99) * 1000
    paced_rate = (paced - 1) / paced_pushed if paced_pushed > 0 else float("nan")
    memory = f"; bot VmHWM {stats.hwm_mb:.0f} MB" if stats else ""
    target_note = "" if kind == "sqlite" else " (set for SQLite)"
    paced_figure = f"at {paced_rate:.0f}/s: p50 {paced_p50:.0f} ms, p99 {paced_p99:.0f} ms"
    cpu_figure = (
        f"bot CPU {burst_run.cpu_ms_a_tap():.2f} ms a tap (burst), "
        f"{paced_run.cpu_ms_a_tap():.2f} ms (at 200/s)"
    )
    if bare:
        # A reference for the replies benchmark, not a target of its own.
        return [
            Row(name, kind, f"{rate:.0f} updates/s ({answered:,} taps)", "-", None),
            Row(name, kind, paced_figure, "-", None),
            Row(
                name,
                kind,
                cpu_figure,
                "-",
                None,
                f"answered {answered + paced_answered:,}/{parents + paced:,}; {len(errors)} "
                f"error answers (not 429), {fake.too_many_requests} 429s",
            ),
        ]
    return [
        Row(
            name,
            kind,
            f"{rate:.0f} updates/s ({answered:,} taps, pushed in {pushed:.2f} s)",
            f"≥ {THROUGHPUT_TARGET:g}/s{target_note}",
            rate >= THROUGHPUT_TARGET,
            f"burst: last answer {span:.2f} s after the first tap; {len(errors)} error "
            f"answers (not 429), {fake.too_many_requests} 429s{memory}",
        ),
        Row(name, kind, f"burst p50 {p50:.0f} ms, p99 {p99:.0f} ms", "-", None),
        Row(name, kind, cpu_figure, "-", None),
        Row(
            name,
            kind,
            paced_figure,
            f"p99 < {P99_TARGET_MS:g} ms{target_note}",
            paced_p99 < P99_TARGET_MS and paced_answered == paced,
            f"{paced:,} taps over {paced_pushed:.1f} s, last answer {paced_run.span:.2f} s after "
            "the first tap",
        ),
        Row(
            name,
            kind,
            f"answered {answered + paced_answered:,}/{parents + paced:,}, recorded "
            f"{recorded:,} yes + {paced_recorded:,} a little",
            "all",
            answered == parents
            and paced_answered == paced
            and recorded == parents
            and paced_recorded == paced,
        ),
    ]
