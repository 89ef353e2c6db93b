"""`portage-bot run` under cProfile (the event loop's thread), for `python -m bench --profile`.

Usage: .venv/bin/python bench/profiled_bot.py OUT.prof  (settings from the environment, as
`portage-bot run`). The profile is written when the bot stops (SIGTERM stops it cleanly).
Only the main thread (the event loop) is profiled; py-spy, when installed, sees every thread.
"""

from __future__ import annotations

import cProfile
import sys
import time

from bot.cli import app


def main() -> None:
    out = sys.argv[1]
    # CPU time, not wall time: what the bot spends, not what it waits for.
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    try:
        app(["run"], standalone_mode=False)
    finally:
        profile.disable()
        profile.dump_stats(out)


if __name__ == "__main__":
    main()
