"""The bot's own pacing keeps within Telegram's limits, counted from each answer, with replies
first and one shared schedule for every instance."""

from __future__ import annotations

import asyncio
import math
import time

import pytest
from sqlalchemy import update

from bot.models import SendPace
from bot.rate_limit import ChatPacing, SlidingWindow, TelegramLimits, bulk_send
from bot.send_pace import BURST, SendReleased, SharedPace
from tests.harness import most_in_one_second


async def test_sliding_window_never_has_more_than_the_limit_in_a_period():
    window = SlidingWindow(limit=5, period=0.2)
    spans: list[tuple[float, float]] = []
    loop = asyncio.get_running_loop()

    async def request() -> None:
        async with window:
            started = loop.time()
            await asyncio.sleep(0.01)
            spans.append((started, loop.time()))

    await asyncio.gather(*(request() for _ in range(20)))
    assert len(spans) == 20
    # Any request's start sees at most `limit` others in flight or answered within the period.
    for started, _ in spans:
        busy = [
            1
            for other_start, other_end in spans
            if other_start <= started and other_end > started - 0.2
        ]
        assert len(busy) <= 5
    # And it did not crawl: 20 requests at 5 per 0.2 s take about 0.8 s, not much more.
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    assert last - first < 1.5


async def test_chat_pacing_spaces_each_chat_but_not_different_chats():
    pacing = ChatPacing(interval=0.1)
    loop = asyncio.get_running_loop()
    started: dict[int, list[float]] = {1: [], 2: []}

    async def send(chat_id: int) -> None:
        async with pacing.turn(chat_id):
            started[chat_id].append(loop.time())

    await asyncio.gather(*(send(chat) for chat in (1, 1, 1, 2, 2, 2)))
    for times in started.values():
        gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
        assert all(gap >= 0.1 for gap in gaps), gaps
    # Chat 2 did not wait behind chat 1.
    assert started[2][0] - started[1][0] < 0.05


async def test_a_reply_takes_the_next_free_slot_ahead_of_waiting_bulk_sends():
    window = SlidingWindow(limit=2, period=0.2)
    order: list[str] = []

    async def send(name: str, *, bulk: bool) -> None:
        await window.acquire(bulk=bulk)
        order.append(name)
        await window.release()

    await window.acquire(bulk=True)
    await window.acquire(bulk=True)  # the window is full
    bulk_sends = [asyncio.create_task(send(f"bulk{n}", bulk=True)) for n in range(3)]
    await asyncio.sleep(0.02)
    reply = asyncio.create_task(send("reply", bulk=False))
    await window.release()
    await window.release()
    await asyncio.gather(reply, *bulk_sends)
    assert order[0] == "reply", order
    assert sorted(order[1:]) == ["bulk0", "bulk1", "bulk2"]


async def test_a_group_chat_gets_one_message_every_three_seconds():
    # Telegram: at most 20 messages a minute to one group; people's chats keep one a second.
    pacing = ChatPacing(interval=0.05, group_interval=0.3)
    loop = asyncio.get_running_loop()
    started: dict[int, list[float]] = {-100: [], 7: []}

    async def send(chat_id: int) -> None:
        async with pacing.turn(chat_id):
            started[chat_id].append(loop.time())

    await asyncio.gather(*(send(chat) for chat in (-100, -100, -100, 7, 7, 7)))
    group_gaps = [b - a for a, b in zip(started[-100], started[-100][1:], strict=False)]
    person_gaps = [b - a for a, b in zip(started[7], started[7][1:], strict=False)]
    assert all(gap >= 0.3 for gap in group_gaps), group_gaps
    assert all(0.05 <= gap < 0.3 for gap in person_gaps), person_gaps


def most_a_pace_allows(rate: float) -> int:
    """A pace starts its sends in bursts of BURST, BURST/rate seconds apart: a second holds at
    most the bursts that begin in it, with room to spare where rate/BURST is not a whole number
    (as here: 18 a second is four bursts in 0.83 s, the fifth after 1.11 s)."""
    return BURST * math.ceil(rate / BURST)


async def _turns(pace: SharedPace, count: int, moments: list[float]) -> None:
    for _ in range(count):
        assert await pace.wait_turn()
        moments.append(time.time())


async def test_two_senders_sharing_the_pace_keep_the_total_rate(services):
    """Two instances (two SharedPace objects on one database) take turns from one schedule:
    together they send at the configured rate, not twice it."""
    rate = 18.0
    first, second = SharedPace(services.engine, rate), SharedPace(services.engine, rate)
    moments: list[float] = []
    started = time.time()
    await asyncio.gather(_turns(first, 20, moments), _turns(second, 20, moments))
    took = time.time() - started
    # 40 sends at 18 a second: eight bursts of five, the last 7 × 5/18 = 1.9 s after the first.
    assert 1.7 <= took < 3.5, took
    busiest = most_in_one_second(moments)
    assert busiest <= most_a_pace_allows(rate), busiest


async def test_a_sender_alone_starts_its_sends_in_bursts(services):
    pace = SharedPace(services.engine, 20.0)
    moments: list[float] = []
    await _turns(pace, 3 * BURST, moments)
    bursts = [moments[start : start + BURST] for start in range(0, len(moments), BURST)]
    # Together within a burst; a burst's worth of time (5/20 s) from one burst to the next.
    assert all(burst[-1] - burst[0] < 0.05 for burst in bursts), bursts
    gaps = [later[0] - earlier[0] for earlier, later in zip(bursts, bursts[1:], strict=False)]
    assert all(0.2 <= gap < 0.35 for gap in gaps), gaps


async def test_a_sender_alone_keeps_its_own_rate_and_beside_another_the_shared_rate(services):
    alone, shared = 40.0, 18.0
    first = SharedPace(services.engine, alone, shared_per_second=shared)
    second = SharedPace(services.engine, alone, shared_per_second=shared)

    moments: list[float] = []
    started = time.time()
    await _turns(first, 40, moments)
    # 40 turns at 40 a second: eight bursts 0.125 s apart, 0.875 s, not the shared rate's 1.9 s.
    assert 0.8 <= time.time() - started < 1.3

    moments.clear()
    started = time.time()
    await asyncio.gather(_turns(first, 20, moments), _turns(second, 20, moments))
    # Together: 40 turns at the shared 18 a second, about two seconds.
    assert 1.7 <= time.time() - started < 3.5
    # The first burst may be one the first sender took alone, before it saw the second.
    assert most_in_one_second(moments[BURST:]) <= most_a_pace_allows(shared)

    # The other has been gone longer than the hold: alone again, at its own rate.
    async with services.engine.begin() as connection:
        await connection.execute(
            update(SendPace).values(taken_at_us=0, shared_until_us=0, taken_by=first.sender_id)
        )
    started = time.time()
    await _turns(first, 40, moments)
    assert 0.8 <= time.time() - started < 1.3


async def test_a_sender_alone_never_has_more_than_30_in_a_second_even_with_delays_on_the_way(
    services,
):
    """Alone, the pace may run close to 30 (here above it): the window counts each message until
    a second after its answer, so wherever between request and answer Telegram counts it, no
    second holds more than 30, even when some messages are held up on the way."""
    limits = TelegramLimits(overall_per_second=30)
    pace = SharedPace(services.engine, 45.0)
    arrived: list[float] = []
    delays = iter([0.002, 0.040, 0.001, 0.080, 0.003, 0.010] * 20)

    async def request() -> bool:
        # The time on the way to Telegram, then on the way back.
        await asyncio.sleep(next(delays))
        arrived.append(time.time())
        await asyncio.sleep(0.002)
        return True

    async def send(chat_id: int) -> None:
        await limits.process_request(
            request, (), {}, "sendMessage", {"chat_id": chat_id}, bulk_send(pace)
        )

    await asyncio.gather(*(send(chat) for chat in range(1, 91)))
    assert len(arrived) == 90
    assert most_in_one_second(arrived) <= 30


async def test_a_429_holds_every_sender_off(services):
    first, second = SharedPace(services.engine, 50), SharedPace(services.engine, 50)
    assert await first.wait_turn()
    await first.hold_off(0.6)
    started = time.time()
    assert await second.wait_turn()
    assert time.time() - started >= 0.55


async def test_closing_wakes_a_sender_waiting_for_its_turn(services):
    pace = SharedPace(services.engine, 50)
    await pace.hold_off(30)
    waiting = asyncio.create_task(pace.wait_turn())
    await asyncio.sleep(0.05)
    pace.close()
    with pytest.raises(SendReleased):
        await asyncio.wait_for(waiting, 1)


async def test_an_outbox_send_held_by_its_chat_takes_its_moment_when_it_goes(services):
    """Two instances share the pace. One sends twice to each of five chats, so its second
    round waits a second for the chats' own pacing; the other sends to fresh chats throughout.
    Had the waiting sends taken their moments before that second, they would all go out at
    once, on top of the other instance's sends. Taken when they go, the total keeps the rate."""
    rate = 18.0
    sent_at: list[float] = []

    async def request() -> bool:
        sent_at.append(time.time())
        return True

    async def send(limits: TelegramLimits, pace: SharedPace, chat_id: int) -> None:
        await limits.process_request(
            request, (), {}, "sendMessage", {"chat_id": chat_id}, bulk_send(pace)
        )

    async def repeating_chats() -> None:
        limits, pace = TelegramLimits(), SharedPace(services.engine, rate)
        await asyncio.gather(*(send(limits, pace, chat) for chat in (1, 2, 3, 4, 5) * 2))

    async def fresh_chats() -> None:
        limits, pace = TelegramLimits(), SharedPace(services.engine, rate)
        await asyncio.gather(*(send(limits, pace, chat) for chat in range(100, 150)))

    await asyncio.gather(repeating_chats(), fresh_chats())
    assert len(sent_at) == 60
    busiest = most_in_one_second(sent_at)
    assert busiest <= most_a_pace_allows(rate), busiest
