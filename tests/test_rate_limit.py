"""The bot's own pacing keeps within Telegram's limits, counted from each answer."""

from __future__ import annotations

import asyncio

from bot.rate_limit import ChatPacing, SlidingWindow


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
