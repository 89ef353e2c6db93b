"""Webhook mode: Telegram POSTs updates to `/telegram` (checked against the secret token), and
`/healthz` says whether the database answers and how far behind the outbox is.

Follows python-telegram-bot's `customwebhookbot` example: a Starlette app served by uvicorn in
the same event loop as the Application, putting updates into `application.update_queue`.
"""

from __future__ import annotations

import hmac
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update

from bot import health
from bot.app import build_application
from bot.config import Settings, require_webhook
from bot.context import BotApplication, Services

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram"
HEALTH_PATH = "/healthz"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# The same kinds polling asks for (bot/cli.py `run`).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
# uvicorn waits this long for requests in flight once asked to stop; updates are queued at once,
# so only a stuck client would take longer.
GRACEFUL_SHUTDOWN_SECONDS = 10


def webhook_url(settings: Settings) -> str:
    return f"{settings.webhook_public_url.rstrip('/')}{WEBHOOK_PATH}"


def build_web_app(
    application: BotApplication, services: Services, *, secret_token: str
) -> Starlette:
    """The HTTP side: `POST /telegram` queues an update for `application` if it carries
    `secret_token`; `GET /healthz` reports on `services`' database and outbox."""
    if not secret_token:
        # An empty secret would let a request without the header through.
        raise ValueError("webhook mode needs WEBHOOK_SECRET_TOKEN")
    expected = secret_token.encode()

    async def telegram_update(request: Request) -> Response:
        # Headers arrive as latin-1; bytes keep compare_digest happy with any input.
        given = request.headers.get(SECRET_HEADER, "").encode("latin-1")
        if not hmac.compare_digest(given, expected):
            log.warning("webhook: refused a request without the right secret token")
            return PlainTextResponse("Forbidden", status_code=403)
        update: Update | None = None
        try:
            data = await request.json()
            if isinstance(data, dict) and isinstance(data.get("update_id"), int):
                update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            pass  # not JSON, or not shaped like an update
        if update is None:
            log.warning("webhook: refused a body that is not an update")
            return PlainTextResponse("Bad Request", status_code=400)
        # Queued, not handled, before answering: a slow handler must not make Telegram time out
        # and send the update again. The Application works through the queue, also when stopping.
        await application.update_queue.put(update)
        return Response(status_code=200)

    async def healthz(request: Request) -> Response:
        checked = await health.check(services)
        if not checked.database_ok:
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse(
            {
                "status": "ok",
                "database": "ok",
                "outbox_backlog": checked.outbox_backlog,
                "oldest_pending_seconds": round(checked.oldest_pending_seconds or 0.0, 1),
            }
        )

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, telegram_update, methods=["POST"]),
            Route(HEALTH_PATH, healthz, methods=["GET"]),
        ]
    )


async def run_webhook(settings: Settings) -> None:
    """Set the webhook, serve until SIGTERM or SIGINT, then stop the bot cleanly.

    The order is run_polling's: initialize, post_init, start; then stop, post_stop, shutdown,
    post_shutdown (Application.initialize does not call the post_* hooks itself).
    """
    require_webhook(settings)
    application = build_application(settings)
    services: Services = application.bot_data["services"]
    server = uvicorn.Server(
        uvicorn.Config(
            build_web_app(application, services, secret_token=settings.webhook_secret_token),
            host=settings.webhook_listen,
            port=settings.webhook_port,
            log_config=None,  # keep logs.configure's format and levels
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    )
    with _stop_on_signals(server):
        await application.initialize()
        try:
            if application.post_init:
                await application.post_init(application)
            # Pending updates stay with Telegram while the bot restarts: nothing is dropped.
            await application.bot.set_webhook(
                url=webhook_url(settings),
                secret_token=settings.webhook_secret_token,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
            await application.start()
            try:
                log.info("webhook: listening on port %s", settings.webhook_port)
                await server.serve()
            finally:
                # uvicorn has stopped taking requests and finished those in flight; the
                # Application handles what is queued, and BotApplication.stop closes the
                # outbox sender first so in-flight sends finish or are released.
                await application.stop()
                if application.post_stop:
                    await application.post_stop(application)
        finally:
            await application.shutdown()
            if application.post_shutdown:
                await application.post_shutdown(application)
    log.info("webhook: stopped")


@contextmanager
def _stop_on_signals(server: uvicorn.Server) -> Iterator[None]:
    """SIGTERM and SIGINT ask uvicorn to stop, from start-up until the bot has stopped.

    uvicorn captures both while serving and raises them again once it has stopped; with the
    default handlers still in place that would kill the process (SIGTERM) or raise
    KeyboardInterrupt (SIGINT) before the Application is stopped. Ours only ask for an exit,
    so the bot stops cleanly and the process exits 0.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def ask_to_stop(signum: int, frame: FrameType | None) -> None:
        if server.should_exit and signum == signal.SIGINT:
            server.force_exit = True  # a second Ctrl-C: stop waiting for slow clients
        server.should_exit = True

    handled = (signal.SIGTERM, signal.SIGINT)
    previous = {signum: signal.signal(signum, ask_to_stop) for signum in handled}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
