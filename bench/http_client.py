"""The bot's HTTP client: CPU per sendMessage through PTB with httpx (PTB's default) and with
aiohttp (bot/telegram_http.py, what the bot uses), against the fake Bot API in its own process:
a plain message, and a day card with its answer buttons (the keyboard is most of a card's body).

Usage: .venv/bin/python -m bench.http_client [--sends 3000] [--concurrency 8]
Only this process's CPU is counted (the fake runs apart), PTB's own work included.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.request import BaseRequest, HTTPXRequest

from bot.telegram_http import AiohttpRequest

TOKEN = "123456:TEST-TOKEN"
CHATS = 500
CARD_TEXT = (
    "Here is today’s practice with <b>Sam</b> 🌟\n\n<b>1. Point to a toy</b>\nYou need: a ball, "
    "a teddy\n💡 Wait a moment before you help.\n\n<b>2. Build a tower</b>\nYou need: 3 blocks"
)
# As bot.cards lays out a day card of two targets: tries that worked, then yes / a little / not.
CARD_KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton(f"{n}/5", callback_data=f"a1:101:2026-11-23:{n}") for n in range(6)],
        [
            InlineKeyboardButton(label, callback_data=f"a1:102:2026-11-23:{code}")
            for label, code in (("2️⃣ Yes", "y"), ("A little", "l"), ("Not today", "n"))
        ],
        [InlineKeyboardButton("📝 Add a note", callback_data="n1:2026-11-23")],
    ]
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _cpu_per_send(
    request: BaseRequest, base_url: str, sends: int, concurrency: int, *, card: bool
) -> float:
    bot = Bot(TOKEN, base_url=base_url, request=request)
    await bot.initialize()
    gate = asyncio.Semaphore(concurrency)

    async def send(number: int) -> None:
        async with gate:
            chat_id = number % CHATS + 1
            if card:
                await bot.send_message(chat_id, CARD_TEXT, "HTML", reply_markup=CARD_KEYBOARD)
            else:
                await bot.send_message(chat_id, "Today: <b>point to a toy</b>", "HTML")

    try:
        await asyncio.gather(*(send(n) for n in range(200)))  # connections open, code warm
        began = time.process_time()
        await asyncio.gather(*(send(n) for n in range(sends)))
        return (time.process_time() - began) / sends * 1000
    finally:
        await bot.shutdown()


async def _run(sends: int, concurrency: int, port: int) -> None:
    base_url = f"http://127.0.0.1:{port}/bot"
    for card in (False, True):
        clients = {
            "httpx (PTB's HTTPXRequest)": HTTPXRequest(connection_pool_size=concurrency),
            "aiohttp (bot.telegram_http)": AiohttpRequest(connection_pool_size=concurrency),
        }
        results = {
            name: await _cpu_per_send(request, base_url, sends, concurrency, card=card)
            for name, request in clients.items()
        }
        what = "a day card with its buttons" if card else "a plain sendMessage"
        for name, ms in results.items():
            print(f"{name:30} {ms:.2f} ms CPU for {what}")
        first, second = results.values()
        print(f"ratio {first / second:.1f}x ({sends} sends, {concurrency} at a time)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http_client", description=__doc__)
    parser.add_argument("--sends", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    port = _free_port()
    users = ",".join(f"{n}:Parent" for n in range(1, CHATS + 1))
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_bot_api", "--port", str(port), "--no-rate-limits"]
        + ["--users", users],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake.stdout is not None
        fake.stdout.readline()  # "Fake Bot API listening ..."
        asyncio.run(_run(args.sends, args.concurrency, port))
    finally:
        fake.terminate()
        fake.wait(timeout=10)


if __name__ == "__main__":
    main()
