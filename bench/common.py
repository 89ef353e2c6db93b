"""Shared bits of the benchmarks: a fresh database, the fake Bot API, the bot as a separate
process (its CPU and memory read from /proc), and the rows of the results table."""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import func, insert, select, text, update

from bot.app import build_services
from bot.clock import SystemClock
from bot.config import Settings
from bot.context import Services
from bot.migrate import upgrade_to_head
from bot.models import Carer, DiaryAnswer, OutboxMessage
from bot.outbox import reminder_key
from tests.bot_process import BotProcess as TestsBotProcess
from tests.bot_process import outbox_counts as outbox_counts_from
from tests.bulk import Seeded, seed_families
from tests.fake_bot_api import FakeBotApi, SentMessage

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
TOKEN = "123456:TEST-TOKEN"
BOT_USERNAME = "portage_test_bot"
LONDON = ZoneInfo("Europe/London")

# PostgreSQL: a database of the benchmark's own, never the test suite's `test`.
POSTGRES_HOST = os.environ.get("BENCH_POSTGRES_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("BENCH_POSTGRES_PORT", "5432"))
POSTGRES_USER = os.environ.get("BENCH_POSTGRES_USER", "postgres")
POSTGRES_DB = "portage_bench"
POSTGRES_URL = f"postgresql+asyncpg://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{POSTGRES_DB}"

CLK_TCK = os.sysconf("SC_CLK_TCK")
# time.monotonic() (the fake's ApiCall.at) to the wall clock, for this process.
MONO_TO_WALL = time.time() - time.monotonic()


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


@contextmanager
def no_harness_pauses() -> Iterator[None]:
    """Keep this process's garbage collector out of a timed stretch, as `timeit` does.

    This process is the fake Telegram and the parents tapping. By the replies benchmark it holds
    every call and message of thousands of chats, and a full collection of that heap stopped it
    for 0.2-0.7 s: no update was handed out and no answer taken meanwhile, so the bot was charged
    for the fake's pause (the slowest taps at 200 a second were exactly those around one).
    Reference counting still frees what it can; cycles wait for the collection afterwards.
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# ----- options and results ----------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    scale: float = 1.0
    keep: bool = False  # keep the temporary directories (the bot's log, the SQLite file)
    profile_dir: Path | None = None  # profile the bot (py-spy, or cProfile), files written here

    def profile_path(self, name: str) -> Path | None:
        return None if self.profile_dir is None else self.profile_dir / f"{name}.prof"

    def label(self, name: str) -> str:
        return name if self.scale == 1 else f"{name} ×{self.scale:g}"


def parse_scale(text: str) -> dict[str, float]:
    """`0.3` (every benchmark), or `0.3,memory=1` (memory at full size, the others at 0.3)."""
    scales: dict[str, float] = {}
    for part in text.split(","):
        name, _, value = part.strip().rpartition("=")
        scale = float(value)
        if scale <= 0:
            raise ValueError("a scale must be positive")
        scales[name.strip() or "*"] = scale
    return scales


@dataclass
class Row:
    """One line of the results table."""

    benchmark: str
    database: str
    figure: str
    target: str
    passed: bool | None  # None: reported, no target
    detail: str = ""

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "FAIL", None: "-"}[self.passed]


def table(rows: Iterable[Row], *, markdown: bool = False) -> str:
    rows = list(rows)
    header = ("benchmark", "database", "figure", "target", "result")
    cells = [(r.benchmark, r.database, r.figure, r.target, r.verdict) for r in rows]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
        return "\n".join(lines)
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(out)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 100 values is the 99th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, int(-(-fraction * len(ordered) // 1)))  # ceil
    return ordered[min(rank, len(ordered)) - 1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# ----- databases --------------------------------------------------------------------------


class Workdir:
    """A temporary directory for one benchmark: the SQLite file, the bot's cwd and its log."""

    def __init__(self, name: str, keep: bool = False) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=f"portage-bench-{name}-"))
        self.keep = keep

    def cleanup(self) -> None:
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)


async def _fresh_postgres() -> None:
    admin = await asyncpg.connect(
        host=POSTGRES_HOST, port=POSTGRES_PORT, user=POSTGRES_USER, database="postgres"
    )
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", POSTGRES_DB)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{POSTGRES_DB}"')
    finally:
        await admin.close()
    connection = await asyncpg.connect(
        host=POSTGRES_HOST, port=POSTGRES_PORT, user=POSTGRES_USER, database=POSTGRES_DB
    )
    try:
        await connection.execute("DROP SCHEMA IF EXISTS public CASCADE")
        await connection.execute("CREATE SCHEMA public")
    finally:
        await connection.close()


async def fresh_database(kind: str, workdir: Workdir) -> str:
    """A new, empty, migrated database; returns its URL."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir.path / 'bench.db'}"
    elif kind == "postgres":
        await _fresh_postgres()
        url = POSTGRES_URL
    else:
        raise ValueError(f"unknown database {kind!r}")
    services = bench_services(url)
    try:
        await upgrade_to_head(services.engine)
    finally:
        await services.engine.dispose()
    return url


def bench_settings(database_url: str, base_url: str = "http://127.0.0.1:1/bot") -> Settings:
    return Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_bot_username=BOT_USERNAME,
        telegram_api_base_url=base_url,
        database_url=database_url,
        default_timezone="Europe/London",
    )


def bench_services(database_url: str) -> Services:
    """The services the benchmark itself uses to seed and check (on the real clock)."""
    return build_services(bench_settings(database_url), SystemClock())


async def server_versions(database_url: str) -> str:
    services = bench_services(database_url)
    try:
        async with services.sessions() as session:
            if services.engine.dialect.name == "postgresql":
                return str(await session.scalar(text("SHOW server_version")))
            return str(await session.scalar(text("SELECT sqlite_version()")))
    finally:
        await services.engine.dispose()


# ----- the fake Bot API -------------------------------------------------------------------


async def start_fake(*, limits: bool = True) -> FakeBotApi:
    """Telegram's limits, as strict as documented: 30 a second overall, 1 a second per chat."""
    fake = FakeBotApi(
        token=TOKEN,
        bot_username=BOT_USERNAME,
        bot_id=123456,
        per_chat_burst=1,
        port=0,
        enforce_rate_limits=limits,
    )
    await fake.start()
    return fake


def add_parents(fake: FakeBotApi, user_ids: Iterable[int]) -> None:
    """Telegram answers 400 "chat not found" for a chat that never talked to the bot."""
    for user_id in user_ids:
        fake.user(user_id, f"Parent {user_id}")


class CallScanner:
    """Reads `fake.calls` incrementally (it only grows), so polling stays cheap."""

    def __init__(self, fake: FakeBotApi) -> None:
        self.fake = fake
        self.position = len(fake.calls)

    def new(self) -> list:
        calls = self.fake.calls[self.position :]
        self.position += len(calls)
        return calls


# ----- the bot process --------------------------------------------------------------------


@dataclass
class ProcStats:
    cpu_seconds: float
    rss_mb: float
    hwm_mb: float
    user_seconds: float = 0.0
    system_seconds: float = 0.0


def proc_stats(pid: int) -> ProcStats:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # Fields 14 and 15 (utime, stime); fields[0] is field 3.
    user, system = int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK
    rss = hwm = 0.0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    return ProcStats(user + system, rss, hwm, user, system)


def _py_spy() -> str | None:
    """py-spy from the project's venv (`make bench` installs it) or the PATH."""
    in_venv = PYTHON.parent / "py-spy"
    return str(in_venv) if in_venv.exists() else shutil.which("py-spy")


def _use_py_spy() -> bool:
    """py-spy when it is installed (BENCH_PROFILER=cprofile to use cProfile anyway): it samples
    from outside, where cProfile in the bot made a tap cost six times its CPU."""
    return os.environ.get("BENCH_PROFILER", "py-spy") == "py-spy" and _py_spy() is not None


class BotProcess(TestsBotProcess):
    """`portage-bot run` as its own process (tests/bot_process.py), on the real clock, against
    the fake; with its /proc figures, and under a profiler when asked."""

    def __init__(
        self,
        fake: FakeBotApi,
        database_url: str,
        workdir: Workdir,
        *,
        extra_env: dict[str, str] | None = None,
        profile: Path | None = None,
    ) -> None:
        super().__init__(
            fake,
            database_url,
            workdir.path,
            # Production's tick: ticks fall on hh:mm:00 and :30, so reminders start at their minute.
            tick_seconds=os.environ.get("BENCH_TICK_SECONDS", "30"),
            pythonunbuffered="1",
            **(extra_env or {}),
        )
        self.profile = profile
        self.last_stats: ProcStats | None = None
        self._spy: subprocess.Popen | None = None

    def command(self, *args: str) -> list[str]:
        if self.profile is not None and not _use_py_spy():
            return [str(PYTHON), str(ROOT / "bench" / "profiled_bot.py"), str(self.profile)]
        return super().command(*args)

    def _launch_py_spy(self) -> None:
        assert self.profile is not None
        py_spy = _py_spy()
        assert py_spy is not None  # _use_py_spy() chose it
        # Sampling, every thread (the database driver's too), without slowing the bot much.
        self._spy = subprocess.Popen(
            [
                py_spy, "record", "--pid", str(self.pid), "--rate", "200", "--threads",
                "--format", "raw", "--output", str(self.profile.with_suffix(".txt")),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    async def start(self, *args: str, within: float = 60.0) -> None:
        """Start the bot and wait until it has set its commands and is polling for updates."""
        scanner = CallScanner(self.fake)
        await super().start(*args)
        deadline = time.monotonic() + within
        commands_set = False
        while True:
            commands_set = commands_set or any(
                call.method == "setMyCommands" for call in scanner.new()
            )
            if commands_set and self.fake.polling:
                break
            self.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bot did not start within {within}s: {self.tail()}")
            await asyncio.sleep(0.05)
        if self.profile is not None and _use_py_spy():
            self._launch_py_spy()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stats(self) -> ProcStats:
        self.last_stats = proc_stats(self.pid)
        return self.last_stats

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def check_alive(self) -> None:
        if self.exit_code is not None:
            raise RuntimeError(f"the bot exited with {self.exit_code}: {self.tail()}")

    async def stop(self, *, within: float = 60.0) -> ProcStats | None:
        """SIGTERM and wait for the exit; returns the last /proc figures read before it."""
        if self.process is None:
            return None
        stats = None
        if self._spy is not None:
            self._spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            await asyncio.to_thread(self._spy.wait, 30)
            self._spy = None
            if self.profile is not None:
                log(f"profile: {self.profile.with_suffix('.txt')}")
        if self.exit_code is None:
            stats = self.stats()
            try:
                await self.terminate(within)
            except TimeoutError:
                log(f"bot {self.pid} did not stop within {within}s: killing it")
                await self.kill()
        self.process = None
        return stats


# ----- what a benchmark with a bot process stands on --------------------------------------


@dataclass
class Stage:
    """A work directory, the fake Bot API and a fresh database with its services."""

    work: Workdir
    fake: FakeBotApi
    url: str
    services: Services

    def bot(self, **options: Any) -> BotProcess:
        return BotProcess(self.fake, self.url, self.work, **options)

    async def enrol(self, count: int, *, enrolled_at: datetime) -> Seeded:
        """`count` enrolled families (reminder time not set yet), their parents known to the
        fake, and a fortnight of reminders already sent, as in a service that has been running."""
        seeded = await seed_families(
            self.services, count, reminder_time=None, enrolled_at=enrolled_at
        )
        add_parents(self.fake, seeded.user_ids)
        await seed_reminder_history(self.services)
        return seeded

    async def close(self) -> None:
        await self.services.engine.dispose()
        await self.fake.stop()
        self.work.cleanup()


async def open_stage(name: str, kind: str, options: Options, *, limits: bool = True) -> Stage:
    work = Workdir(name, keep=options.keep)
    fake = await start_fake(limits=limits)
    url = await fresh_database(kind, work)
    return Stage(work, fake, url, bench_services(url))


# ----- reminders --------------------------------------------------------------------------


def answer_button(message: SentMessage, code: str) -> str:
    """The callback data of a day card's first answer button with this code (y, l, n or a
    number of tries)."""
    for _text, data in message.button_data():
        if data and data.startswith("a1:") and data.rsplit(":", 1)[1] == code:
            return data
    raise AssertionError(f"no answer button {code!r} on {message!r}")


async def answers_recorded(services: Services, answer: str) -> int:
    """How many diary answers say `answer` (yes, a_little, not_today)."""
    async with services.sessions() as session:
        counted = select(func.count()).select_from(DiaryAnswer).where(DiaryAnswer.answer == answer)
        return int(await session.scalar(counted) or 0)


def london_now() -> datetime:
    return datetime.now(UTC).astimezone(LONDON)


async def wait_past_midnight() -> None:
    """Reminder times are local wall-clock times; keep clear of the date change."""
    while True:
        local = london_now()
        if local.hour == 0 and local.minute < 3:
            await asyncio.sleep(5)
        elif local.hour == 23 and local.minute >= 55:
            await asyncio.sleep(60)
        else:
            return


async def set_reminders(services: Services, at_local: clock_time, changed_at: datetime) -> None:
    """Every carer's reminder time, as if each had just chosen it at `changed_at`."""
    async with services.sessions.begin() as session:
        await session.execute(
            update(Carer).values(reminder_time_local=at_local, schedule_changed_at_utc=changed_at)
        )


async def make_due_now(services: Services) -> datetime:
    """Every carer's reminder at the current London minute, chosen a few minutes ago: due at
    the bot's next tick. Returns the reminder instant (UTC)."""
    await wait_past_midnight()
    local = london_now().replace(second=0, microsecond=0)
    await set_reminders(services, local.time(), local.astimezone(UTC) - timedelta(minutes=5))
    return local.astimezone(UTC)


async def make_due_next_minute(services: Services, *, lead_seconds: float = 8.0) -> datetime:
    """Every carer's reminder at the next London minute at least `lead_seconds` away, chosen
    now. Returns that minute (UTC)."""
    await wait_past_midnight()
    now = london_now()
    minute = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    if (minute - now).total_seconds() < lead_seconds:
        minute += timedelta(minutes=1)
    await set_reminders(services, minute.time(), now.astimezone(UTC))
    return minute.astimezone(UTC)


async def seed_reminder_history(services: Services, days: int = 14) -> int:
    """The steady state of a running service: every carer's reminders of the last `days` days
    (yesterday included) already sent. Without them the reminder tick would treat every carer as
    having a reminder still owed for yesterday. Returns how many rows."""
    today = london_now().date()
    async with services.sessions() as session:
        carers = (await session.execute(select(Carer.id, Carer.chat_id, Carer.family_id))).all()
    sent_at = datetime.now(UTC) - timedelta(days=1)
    added = 0
    for back in range(1, days + 1):
        day = today - timedelta(days=back)
        for start in range(0, len(carers), 2000):
            rows = [
                {
                    "kind": "reminder",
                    "dedupe_key": reminder_key(carer_id, day),
                    "family_id": family_id,
                    "carer_id": carer_id,
                    "chat_id": chat_id,
                    "local_date": day,
                    "payload": {},
                    "status": "sent",
                    "attempts": 1,
                    "not_before_utc": sent_at,
                    "created_at_utc": sent_at,
                    "sent_at_utc": sent_at,
                }
                for carer_id, chat_id, family_id in carers[start : start + 2000]
            ]
            async with services.sessions.begin() as session:
                await session.execute(insert(OutboxMessage), rows)
            added += len(rows)
    return added


async def outbox_counts(services: Services) -> dict[str, int]:
    """Today's outbox rows by status (the seeded history left out)."""
    return await outbox_counts_from(services, from_day=london_now().date())


async def sleep_until(wall: float) -> None:
    delay = wall - time.time()
    if delay > 0:
        await asyncio.sleep(delay)


def scaled(count: int, scale: float, minimum: int = 10) -> int:
    return max(minimum, round(count * scale))
