"""The bot's HTTP client: CPU per sendMessage through PTB with httpx (PTB's default) and with
aiohttp (bot/telegram_http.py, what the bot uses), against the fake Bot API in its own process.

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

from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bot.telegram_http import AiohttpRequest

TOKEN = "123456:TEST-TOKEN"
CHATS = 500


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _cpu_per_send(request: BaseRequest, base_url: str, sends: int, concurrency: int) -> float:
    bot = Bot(TOKEN, base_url=base_url, request=request)
    await bot.initialize()
    gate = asyncio.Semaphore(concurrency)

    async def send(number: int) -> None:
        async with gate:
            await bot.send_message(number % CHATS + 1, "Today: <b>point to a toy</b>", "HTML")

    try:
        await asyncio.gather(*(send(n) for n in range(200)))  # connections open, code warm
        began = time.process_time()
        await asyncio.gather(*(send(n) for n in range(sends)))
        return (time.process_time() - began) / sends * 1000
    finally:
        await bot.shutdown()


async def _run(sends: int, concurrency: int, port: int) -> None:
    base_url = f"http://127.0.0.1:{port}/bot"
    clients = {
        "httpx (PTB's HTTPXRequest)": HTTPXRequest(connection_pool_size=concurrency),
        "aiohttp (bot.telegram_http)": AiohttpRequest(connection_pool_size=concurrency),
    }
    results = {
        name: await _cpu_per_send(request, base_url, sends, concurrency)
        for name, request in clients.items()
    }
    for name, ms in results.items():
        print(f"{name:30} {ms:.2f} ms CPU a sendMessage")
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
