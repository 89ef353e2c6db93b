"""Where the bot's time went, from a py-spy raw profile (`python -m bench --profile DIR`).

Usage: .venv/bin/python -m bench.profile_summary DIR/replies-sqlite.txt [--top 25]

Prints the share of samples (active threads only) per thread, per library the sampled frame was
in, per project function on the stack (inclusive), and per innermost project function (where the
project's code handed over to a library).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

PROJECT = re.compile(r"\((bot|handlers|jobs)/[^)]*\)")
PACKAGE = re.compile(r"\(([A-Za-z0-9_.<>-]+)/")


def _name(frame: str) -> str:
    """`function (path/file.py:line)` without the line number."""
    return re.sub(r":\d+\)$", ")", frame)


def summarise(path: Path, top: int = 25) -> str:
    threads: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    innermost: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        threads[re.sub(r"\(\d+\)", "", frames[0])] += samples
        leaf = frames[-1]
        package = PACKAGE.search(leaf)
        packages[package.group(1) if package else leaf.split(" (")[0]] += samples
        seen = set()
        inner = None
        for frame in frames[1:]:
            if PROJECT.search(frame):
                name = _name(frame)
                inner = name
                if name not in seen:
                    seen.add(name)
                    inclusive[name] += samples
        innermost[inner or "(no project frame: library or event loop)"] += samples
    if not total:
        return f"{path}: no samples"

    def block(title: str, counter: Counter[str]) -> list[str]:
        return [f"{title}:"] + [
            f"  {count / total:6.1%}  {name}" for name, count in counter.most_common(top)
        ]

    lines = [f"{path}: {total:,} samples of active threads"]
    lines += block("threads", threads)
    lines += block("library of the sampled frame", packages)
    lines += block("project functions on the stack (inclusive)", inclusive)
    lines += block("innermost project function (self + the libraries it called)", innermost)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_summary")
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(summarise(args.profile, args.top))


if __name__ == "__main__":
    main()
