"""bench/RESULTS.md: the date, the machine, the table."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.common import POSTGRES_URL, Row, server_versions, table

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


async def _versions(databases: list[str]) -> dict[str, str]:
    import tempfile

    versions = {}
    if "sqlite" in databases:
        with tempfile.TemporaryDirectory() as directory:
            versions["SQLite"] = await server_versions(f"sqlite+aiosqlite:///{directory}/v.db")
    if "postgres" in databases:
        try:
            versions["PostgreSQL"] = await server_versions(POSTGRES_URL)
        except Exception as error:  # the table is still worth writing
            versions["PostgreSQL"] = f"unknown ({type(error).__name__})"
    return versions


HOW_TO_RUN = (
    "How to run: `make bench` (both databases, every benchmark, about 50 minutes on 2 CPUs), or "
    "`.venv/bin/python -m bench --db sqlite --only fanout,replies --scale 0.1 --write`; "
    "`--append` adds a run's table below the ones already here. What each benchmark does: the "
    "docstring of bench/__main__.py."
)


def write_results(
    rows: list[Row], args: argparse.Namespace, started: float, *, append: bool = False
) -> Path:
    """(Re)write RESULTS.md with this run, or (`append`) add this run below the runs there."""
    databases = sorted({row.database for row in rows})
    versions = asyncio.run(_versions(databases))
    when = datetime.fromtimestamp(started, UTC)
    minutes = (datetime.now(UTC) - when).seconds // 60
    command = "make bench" if sys.argv[1:] == [] else "python -m bench " + " ".join(sys.argv[1:])
    section = [
        f"## {when:%Y-%m-%d %H:%M} UTC: `{command}`",
        "",
        f"- Took {minutes} min; scale {args.scale} (each benchmark's size is its full size times "
        "its scale, shown as ×scale in the table when not 1).",
        f"- Machine: {os.cpu_count()} CPUs ({_cpu_model()}), {_memory()} RAM, "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        + "; ".join(f"{name} {version}" for name, version in versions.items()),
        "",
        table(rows, markdown=True),
        "",
    ]
    details = [row for row in rows if row.detail]
    if details:
        section += ["Details:", ""]
        section += [f"- {row.benchmark} / {row.database}: {row.detail}" for row in details]
        section.append("")
    if append and RESULTS.exists():
        RESULTS.write_text(RESULTS.read_text().rstrip("\n") + "\n\n" + "\n".join(section))
        return RESULTS
    header = [
        "# Benchmark results",
        "",
        "The bot: `portage-bot run` as a separate process (TICK_SECONDS=30 as in production, "
        "LOG_LEVEL=WARNING), against the fake Bot API (tests/fake_bot_api) with Telegram's "
        "limits on (30 messages/s overall, 1/s per chat, no burst), the benchmark, the fake and"
        " the database on the same machine. Families are seeded enrolled, with a fortnight of "
        "reminders already sent.",
        "",
        HOW_TO_RUN,
        "",
    ]
    RESULTS.write_text("\n".join(header + section))
    return RESULTS
