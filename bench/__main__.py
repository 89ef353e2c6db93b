"""The benchmark: `make bench` (or `.venv/bin/python -m bench`), one table at the end.

Everything runs against the project's fake Bot API (tests/fake_bot_api) with Telegram's limits on
(30 messages a second overall, 1 a second per chat, no bursts), on SQLite (a fresh file in a
temporary directory) and on PostgreSQL (a database `portage_bench` on 127.0.0.1:5432, user
postgres, emptied first; never the test suite's `test`). The bot under measurement is a real
separate process, `.venv/bin/portage-bot run` (TICK_SECONDS=30 as in production,
LOG_LEVEL=WARNING), on the real clock; the benchmark seeds its database directly (tests/bulk.py;
families enrolled with a fortnight of reminders already sent, as in a service that has been
running) and reads the bot's CPU time and peak memory from /proc.

fanout     10,000 families whose reminder falls in the same minute. Time from that minute to the
           last reminder delivered, against the minimum 10,000 / 30 s; the rate as a share of
           30/s; 429 answers; chats that got two reminders; the bot's CPU seconds (utime+stime,
           from just before the minute to the last delivery) per message.
           Targets: all within 351 s (95% of 30/s), no 429, no duplicate, < 2 ms CPU a message.
replies    5,000 parents, each with a reminder in their chat (sent with the limits off to save
           time), then the bot restarted with default settings and the limits on. (a) every
           parent taps "Yes" as fast as the fake can push the updates: updates handled a second
           (first tap to last answerCallbackQuery) and p50/p99 from the update's creation to the
           answerCallbackQuery's arrival; (b) 2,000 parents tap "A little" at 200 a second:
           p50/p99. Every tap must be answered and its answer be in diary_answers.
           Targets: ≥ 300 updates/s (SQLite), p99 < 100 ms at 200/s.
floor      The replies benchmark's taps, against bench/bare_bot.py instead of
           the bot: python-telegram-bot with the bot's own HTTP client, rate limiter, update
           processor and event loop, answering each tap and editing its card, with no database,
           templates or checks. Not in the default run; a reference for what the stack alone
           costs a tap (bot CPU a tap, taps a second) beside replies' figures. No target.
busy       10,000 families whose reminder falls in the same minute, as in fanout; while the
           outbox sends them, parents who have their reminder tap "Yes", 5 a second for 60 s
           (each parent once). Time from each tap's update to its answerCallbackQuery, and to
           the card's edit; the reminders sent meanwhile (the outbox keeps its pace); 429s.
           Target: every tap answered and recorded, p99 under a second.
summaries  1,000 visitors with 10 families each, a fortnight of diary each: every summary built
           as the bot's summary tick does it (bot.summary_schedule.queue_summaries, in batches of
           bot.summaries.SUMMARY_BATCH: the summary rows, build_summaries, summary_messages,
           the outbox rows) and its chart drawn as the sender
           does (bot.delivery.chart_png), in two worker processes ("two cores").
           Target: under 60 s.
memory     20,000 families enrolled, all their reminders due in the same minute: the bot's peak
           resident memory (VmHWM) after it has queued them all and sent for 30 s.
           Target: under 200 MB.

Options: --db sqlite|postgres|both, --only fanout,replies,busy,summaries,memory (or floor),
--scale 0.1 (a tenth of every count, for a quick run; targets that depend on the count scale with
it; `0.3,memory=1` sets one benchmark's scale on its own), --write (rewrite bench/RESULTS.md with
this run) or --append (add this run below the others there), --profile DIR (profile the bot
process: py-spy if it is on PATH, every thread, summed up by `python -m bench.profile_summary
DIR/NAME.txt`; otherwise cProfile of the event loop's thread, DIR/NAME.prof; the figures of a
profiled run are not for the table), --keep (keep the temporary directories, with the bot's log).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from bench import busy, fanout, memory, replies, summaries
from bench.common import Options, Row, log, parse_scale, table
from bench.results import write_results

# `floor` measures the stack, not the bot: asked for by name only.
DEFAULT_BENCHMARKS = ("fanout", "replies", "busy", "summaries", "memory")
BENCHMARKS = {
    "fanout": fanout.run,
    "replies": replies.run,
    "floor": replies.run_floor,
    "busy": busy.run,
    "summaries": summaries.run,
    "memory": memory.run,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--only",
        default=",".join(DEFAULT_BENCHMARKS),
        help="comma-separated: " + ",".join(BENCHMARKS),
    )
    parser.add_argument(
        "--scale",
        default="1",
        help="e.g. 0.1 for a quick run; 0.3,memory=1 sets one benchmark's scale on its own",
    )
    parser.add_argument("--write", action="store_true", help="(re)write bench/RESULTS.md")
    parser.add_argument(
        "--append", action="store_true", help="add this run to bench/RESULTS.md (below the others)"
    )
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in args.only if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    try:
        args.scales = parse_scale(args.scale)
    except ValueError as error:
        parser.error(f"--scale: {error}")
    unknown = [name for name in args.scales if name != "*" and name not in BENCHMARKS]
    if unknown:
        parser.error(f"--scale: unknown benchmark(s): {', '.join(unknown)}")
    return args


async def run_all(args: argparse.Namespace) -> list[Row]:
    databases = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for name in args.only:
        scale = args.scales.get(name, args.scales.get("*", 1.0))
        options = Options(scale=scale, keep=args.keep, profile_dir=args.profile)
        for kind in databases:
            started = time.monotonic()
            log(f"{name} on {kind}: starting")
            try:
                rows.extend(await BENCHMARKS[name](kind, options))
            except Exception as error:  # one failing benchmark must not hide the others
                log(f"{name} on {kind}: failed: {error!r}")
                rows.append(
                    Row(
                        options.label(name),
                        kind,
                        f"error: {type(error).__name__}",
                        "-",
                        False,
                        str(error)[:500],
                    )
                )
            log(f"{name} on {kind}: done in {time.monotonic() - started:.0f} s")
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.time()
    rows = asyncio.run(run_all(args))
    print()
    print(table(rows))
    details = [row for row in rows if row.detail]
    if details:
        print()
        for row in details:
            print(f"- {row.benchmark} / {row.database}: {row.detail}")
    if args.write or args.append:
        path = write_results(rows, args, started, append=args.append)
        print(f"\nwritten to {path}")
    return 0 if all(row.passed is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
