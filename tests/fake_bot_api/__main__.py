"""Run the fake Bot API standalone: ``python -m tests.fake_bot_api --port 8081``.

Point the bot at ``http://127.0.0.1:<port>/bot`` (its base_url) and drive fake
users through the control API described in control.py, e.g.::

    curl -XPOST localhost:8081/_fake/users -d '{"user_id": 1001, "first_name": "Ana"}'
    curl -XPOST localhost:8081/_fake/send -d '{"user_id": 1001, "text": "/start"}'
    curl 'localhost:8081/_fake/inbox?user_id=1001'
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from .server import FakeBotApi


def _parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fake_bot_api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default="123456:TEST-TOKEN")
    parser.add_argument("--bot-username", default="portage_test_bot")
    parser.add_argument(
        "--users", default="", help="users to create up front, e.g. 1001:Ana,1002:Ben"
    )
    parser.add_argument("--no-rate-limits", action="store_true", help="do not answer 429 on floods")
    parser.add_argument(
        "--lenient-html", action="store_true", help="accept bare & and > as Telegram's server does"
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeBotApi(
        args.token,
        args.bot_username,
        host=args.host,
        port=args.port,
        enforce_rate_limits=not args.no_rate_limits,
        strict_html=not args.lenient_html,
        control_api=True,
    )
    for spec in filter(None, args.users.split(",")):
        user_id, _, name = spec.partition(":")
        fake.user(int(user_id), name or "Test")
    await fake.start()
    print(f"Fake Bot API listening; base_url={fake.base_url} token={fake.token}", flush=True)
    try:
        await asyncio.Event().wait()  # until Ctrl-C
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(_parse_args(argv)))


if __name__ == "__main__":
    main()
