"""Taps during a fan-out: parents answering their reminders while the outbox is still sending
thousands more. What the product promises: a parent's tap is answered within a second however
long the queue of bulk sends behind it, and the bulk sends keep their pace meanwhile."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from bench.common import (
    CallScanner,
    Options,
    Row,
    answer_button,
    answers_recorded,
    log,
    make_due_next_minute,
    median,
    no_harness_pauses,
    open_stage,
    percentile,
    scaled,
    sleep_until,
)

FAMILIES = 10_000
# Parents who already have their reminder tap "Yes", each once, at this rate: a busy evening.
TAPS_PER_SECOND = 5.0
TAP_SECONDS = 60.0
ANSWER_TARGET_MS = 1000.0
# Taps start once this many reminders have arrived, so there is a queue of parents to tap.
HEAD_START = 50


class Calls:
    """What the bot sent that this benchmark follows, read from the fake as it arrives."""

    def __init__(self, scanner: CallScanner, families: set[int]) -> None:
        self.scanner = scanner
        self.families = families
        self.reached: list[int] = []  # chats whose reminder has arrived, first come first
        self.reminder_at: list[float] = []
        self.answered_at: dict[str, float] = {}  # callback query id -> answerCallbackQuery
        self.edited_at: dict[tuple[int, int], float] = {}  # (chat, message) -> first edit

    def scan(self) -> None:
        for call in self.scanner.new():
            if call.status != 200:
                continue
            if call.method == "sendMessage" and call.params.get("chat_id") in self.families:
                self.reached.append(call.params["chat_id"])
                self.reminder_at.append(call.at)
            elif call.method == "answerCallbackQuery":
                self.answered_at[call.params.get("callback_query_id")] = call.at
            elif call.method == "editMessageText":
                card = (call.params.get("chat_id"), call.params.get("message_id"))
                self.edited_at.setdefault(card, call.at)


async def run(kind: str, options: Options) -> list[Row]:
    count = scaled(FAMILIES, options.scale)
    # Taps only while the fan-out is surely still sending: within the first half of it.
    tap_seconds = min(TAP_SECONDS, count / 30 / 2)
    taps = max(1, int(tap_seconds * TAPS_PER_SECOND))
    name = options.label("taps during fan-out")
    stage = await open_stage("busy", kind, options)
    fake, services = stage.fake, stage.services
    bot = stage.bot(profile=options.profile_path(f"busy-{kind}"))
    try:
        log(f"busy/{kind}: seeding {count:,} families")
        seeded = await stage.enrol(count, enrolled_at=datetime.now(UTC))
        await bot.start()
        calls = Calls(CallScanner(fake), set(seeded.user_ids))
        minute = await make_due_next_minute(services)
        log(f"busy/{kind}: reminders due at {minute:%H:%M:%S} UTC; {taps} taps once they go")
        await sleep_until(minute.timestamp())
        while len(calls.reached) < HEAD_START and time.time() < minute.timestamp() + 120:
            calls.scan()
            bot.check_alive()
            await asyncio.sleep(0.05)

        cards: dict[str, tuple[int, int]] = {}  # callback query id -> the card it was on
        with no_harness_pauses():
            started = time.monotonic()
            for index in range(taps):
                wait = started + index / TAPS_PER_SECOND - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                calls.scan()
                while index >= len(calls.reached):  # more taps than reminders yet: wait for one
                    bot.check_alive()
                    await asyncio.sleep(0.05)
                    calls.scan()
                user = fake.user(calls.reached[index])
                reminder = user.last()
                assert reminder is not None
                update = await user.tap(reminder, callback_data=answer_button(reminder, "y"))
                cards[update["callback_query"]["id"]] = (user.id, reminder.message_id)
            last_tap = time.monotonic()
            deadline = last_tap + 30
            while time.monotonic() < deadline and not set(cards) <= set(calls.answered_at):
                calls.scan()
                await asyncio.sleep(0.05)
            await asyncio.sleep(1)  # the last cards' edits
        calls.scan()
        recorded = await answers_recorded(services, "yes")
        stats = await bot.stop()
    finally:
        await bot.stop()
        await stage.close()

    created = {r.id: r.created_at for r in fake.callback_queries if r.id in cards}
    answered, edited = calls.answered_at, calls.edited_at
    answer_ms = [(answered[q] - created[q]) * 1000 for q in cards if q in answered]
    card_ms = [(edited[cards[q]] - created[q]) * 1000 for q in cards if cards[q] in edited]
    meanwhile = [at for at in calls.reminder_at if started <= at <= last_tap]
    rate = len(meanwhile) / (last_tap - started) if last_tap > started else 0.0
    p99 = percentile(answer_ms, 0.99)
    memory = f"; bot VmHWM {stats.hwm_mb:.0f} MB" if stats else ""
    other_errors = [c for c in fake.errors if c.status != 429]
    return [
        Row(
            name,
            kind,
            f"{len(answer_ms)}/{taps} taps answered: p50 {median(answer_ms):.0f} ms, p99 "
            f"{p99:.0f} ms, max {max(answer_ms, default=0):.0f} ms",
            f"all, p99 < {ANSWER_TARGET_MS:g} ms",
            len(answer_ms) == taps and recorded == taps and p99 < ANSWER_TARGET_MS,
            f"{taps} parents tapped Yes at {TAPS_PER_SECOND:g} a second, {tap_seconds:.0f} s, "
            f"while {count:,} reminders were due at once; {recorded} answers recorded; "
            f"{len(other_errors)} other error answers{memory}",
        ),
        Row(
            name,
            kind,
            f"{len(card_ms)}/{taps} cards updated: p50 {median(card_ms):.0f} ms, p99 "
            f"{percentile(card_ms, 0.99):.0f} ms",
            "-",
            None,
        ),
        Row(
            name,
            kind,
            f"meanwhile {len(meanwhile):,} reminders sent, {rate:.2f}/s",
            "-",
            None,
        ),
        Row(name, kind, f"{fake.too_many_requests} answers 429", "0", fake.too_many_requests == 0),
    ]
