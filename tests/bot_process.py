"""The bot as a real process (`portage-bot run`), for tests that kill it, stop it or run two.

The fake Bot API runs in the test's event loop; the bot process reaches it over HTTP on
127.0.0.1 like it would reach Telegram. Everything here is awaited, never blocking the loop the
fake serves from.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import func, or_, select

from bot.context import Services
from bot.models import OutboxMessage
from tests.fake_bot_api import FakeBotApi

PORTAGE_BOT = str(Path(sys.executable).with_name("portage-bot"))
PROJECT = Path(__file__).resolve().parent.parent


class BotProcess:
    def __init__(self, fake: FakeBotApi, database_url: str, workdir: Path, **settings: str) -> None:
        self.fake = fake
        self.workdir = workdir
        self.env = {
            # Built from nothing, so nothing from the caller's environment leaks in.
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(workdir),
            "LANG": "C.UTF-8",
            "PYTHONIOENCODING": "utf-8",
            "PYTHONPATH": str(PROJECT),
            "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_BOT_USERNAME": fake.bot_username,
            "DATABASE_URL": database_url,
            "TICK_SECONDS": "1",
            "LOG_LEVEL": "WARNING",
        } | {name.upper(): value for name, value in settings.items()}
        self.process: asyncio.subprocess.Process | None = None
        self.log = workdir / "bot.log"

    def command(self, *args: str) -> list[str]:
        return [PORTAGE_BOT, "run", *args]

    async def start(self, *args: str) -> None:
        # The working directory holds no .env: the process reads only what the test gives it.
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.command(*args),
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=log,
            )

    async def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()

    def send_sigterm(self) -> None:
        """SIGTERM, as systemd or Kubernetes stop a service."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    async def exited(self, within: float = 20.0) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), within)

    async def terminate(self, within: float = 20.0) -> int:
        """SIGTERM, then the exit code."""
        self.send_sigterm()
        return await self.exited(within)

    @property
    def exit_code(self) -> int | None:
        return self.process.returncode if self.process is not None else None

    async def stop_if_running(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


async def outbox_counts(services: Services, *, from_day: date | None = None) -> dict[str, int]:
    """Outbox rows by status; with `from_day`, only rows for that day or later (or no day)."""
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if from_day is not None:
        query = query.where(
            or_(OutboxMessage.local_date.is_(None), OutboxMessage.local_date >= from_day)
        )
    async with services.sessions() as session:
        return {status: count for status, count in await session.execute(query)}


async def wait_for(condition, *, within: float, every: float = 0.25, what: str = "") -> None:  # type: ignore[no-untyped-def]
    """Poll an async or plain condition until it holds (real time: a process is at work)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(every)


def objects_set_aside(output: str) -> int:
    """How many start-up objects the bot froze out of garbage collection, from its INFO log
    (bot.cli.set_start_up_aside); 0 if it never said."""
    said = re.search(r"set aside from garbage collection: (\d+)", output)
    return int(said.group(1)) if said else 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
