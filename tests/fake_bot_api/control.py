"""A small JSON control API for driving the fake by hand (``/_fake/...``).

Used by the standalone server (``python -m tests.fake_bot_api``) for demos and
benchmarks, where no test code holds the FakeBotApi object:

* ``POST /_fake/users``  ``{"user_id", "first_name", "language_code"}``
* ``POST /_fake/send``   ``{"user_id", "text"}``
* ``POST /_fake/tap``    ``{"user_id", "message_id", "button_text" | "callback_data"}``
* ``GET  /_fake/inbox?user_id=N``
* ``GET  /_fake/stats``
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .server import FakeBotApi


def add_control_routes(app: web.Application, fake: FakeBotApi) -> None:
    async def create_user(request: web.Request) -> web.Response:
        body = await request.json()
        user = fake.user(
            int(body["user_id"]),
            body.get("first_name", "Test"),
            language_code=body.get("language_code", "en"),
        )
        return web.json_response(user.as_user())

    async def send(request: web.Request) -> web.Response:
        body = await request.json()
        user = fake.user(int(body["user_id"]))
        return web.json_response(await user.send(body["text"]))

    async def tap(request: web.Request) -> web.Response:
        body = await request.json()
        user = fake.user(int(body["user_id"]))
        try:
            update = await user.tap(
                int(body["message_id"]), body.get("button_text"), body.get("callback_data")
            )
        except AssertionError as err:
            return web.json_response({"error": str(err)}, status=400)
        return web.json_response(update)

    async def inbox(request: web.Request) -> web.Response:
        user = fake.user(int(request.query["user_id"]))
        messages: list[dict[str, Any]] = [
            {
                "message_id": m.message_id,
                "kind": m.kind,
                "text": m.plain,
                "buttons": m.button_data(),
                "edited": m.edited,
            }
            for m in user.inbox()
        ]
        return web.json_response(messages)

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "calls": dict(Counter(c.method for c in fake.calls)),
                "errors": len(fake.errors),
                "too_many_requests": fake.too_many_requests,
                "pending_updates": fake.pending_updates,
            }
        )

    app.router.add_post("/_fake/users", create_user)
    app.router.add_post("/_fake/send", send)
    app.router.add_post("/_fake/tap", tap)
    app.router.add_get("/_fake/inbox", inbox)
    app.router.add_get("/_fake/stats", stats)
