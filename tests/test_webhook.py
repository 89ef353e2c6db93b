"""Webhook mode: Telegram's updates arrive by POST with the secret token, /healthz reports the
database and the outbox, and `portage-bot run --webhook` stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import build_application, build_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import BotApplication, Services
from bot.outbox import OutboxStatus, enqueue
from bot.webhook import ALLOWED_UPDATES, SECRET_HEADER, build_web_app
from tests.bot_process import BotProcess, free_port, objects_set_aside
from tests.conftest import TOKEN
from tests.fake_bot_api import FakeBotApi, FakeUser

SECRET = "portage-Webhook_secret-0123456789"
PUBLIC_URL = "https://bot.example.org"
NOT_ENROLLED_REPLY = "you need an invitation link from your Portage home visitor"
WRONG_CODE_REPLY = "couldn’t find that invitation"


def as_update(message: dict[str, Any], update_id: int) -> dict[str, Any]:
    """The update Telegram would POST for a message a user sent."""
    return {"update_id": update_id, "message": message}


def assert_fake_refused_nothing(fake: FakeBotApi) -> None:
    # In the spirit of conftest's `bot` fixture: every call the bot made was a good one.
    unexpected = [call for call in fake.errors if not call.injected and call.status != 403]
    assert unexpected == [], [(call.method, call.response) for call in unexpected]


@pytest.fixture
def webhook_settings(settings: Settings, fake: FakeBotApi) -> Settings:
    return settings.model_copy(
        update={
            "telegram_api_base_url": fake.base_url,
            "webhook_public_url": PUBLIC_URL,
            "webhook_secret_token": SECRET,
        }
    )


@dataclass
class WebhookBot:
    application: BotApplication
    http: httpx.AsyncClient

    async def post_update(self, body: object, *, secret: str | None = SECRET) -> httpx.Response:
        headers = {} if secret is None else {SECRET_HEADER: secret}
        return await self.http.post("/telegram", json=body, headers=headers)


@pytest.fixture
async def webhook_bot(
    webhook_settings: Settings, clock: ManualClock, fake: FakeBotApi
) -> AsyncIterator[WebhookBot]:
    """The bot running as in webhook mode, in process: no updater; updates come by POST."""
    application = build_application(webhook_settings, clock=clock, run_jobs=False)
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    await application.start()
    web_app = build_web_app(application, application.bot_data["services"], secret_token=SECRET)
    transport = httpx.ASGITransport(app=web_app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.internal") as http:
            yield WebhookBot(application, http)
    finally:
        await application.stop()
        await application.shutdown()
        assert application.post_shutdown is not None
        await application.post_shutdown(application)
    assert_fake_refused_nothing(fake)


# ----- updates ---------------------------------------------------------------------------------


async def test_an_update_with_the_secret_is_answered(webhook_bot: WebhookBot, fake: FakeBotApi):
    stranger = fake.user(user_id=2001, first_name="Kim")
    message = await stranger.send("/start")
    response = await webhook_bot.post_update(as_update(message, 1))
    assert response.status_code == 200
    reply = await stranger.wait_for()
    assert NOT_ENROLLED_REPLY in reply.plain


@pytest.mark.parametrize(
    "secret",
    [None, "", "wrong", SECRET[:-1], SECRET + "x", SECRET.upper(), "pörtage"],
    ids=["missing", "empty", "wrong", "prefix", "longer", "case", "non-ascii"],
)
async def test_an_update_without_the_right_secret_is_refused_and_not_handled(
    webhook_bot: WebhookBot, fake: FakeBotApi, secret: str | None
):
    stranger = fake.user(user_id=2001, first_name="Kim")
    forged = as_update(await stranger.send("/start"), 1)
    if secret is not None and not secret.isascii():
        # httpx only sends ASCII header values from str; a client can still send any bytes.
        headers = {SECRET_HEADER: secret.encode("latin-1")}
        response = await webhook_bot.http.post("/telegram", json=forged, headers=headers)
    else:
        response = await webhook_bot.post_update(forged, secret=secret)
    assert response.status_code == 403
    assert webhook_bot.application.update_queue.empty()

    # One chat's updates are handled in turn: had the forged update been queued, its reply would
    # have come before this one's.
    genuine = as_update(await stranger.send("/start not-a-real-code"), 2)
    assert (await webhook_bot.post_update(genuine)).status_code == 200
    await stranger.wait_for(lambda m: WRONG_CODE_REPLY in m.plain)
    (only_reply,) = stranger.inbox()
    assert WRONG_CODE_REPLY in only_reply.plain
    assert len(fake.calls_of("sendMessage")) == 1


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"[1, 2]", b'"text"', b"null", b'{"message": {}}', b'{"update_id": "7"}'],
    ids=["broken", "empty", "list", "string", "null", "no-update-id", "text-update-id"],
)
async def test_a_body_that_is_not_an_update_is_a_bad_request(
    webhook_bot: WebhookBot, fake: FakeBotApi, body: bytes
):
    response = await webhook_bot.http.post(
        "/telegram",
        content=body,
        headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert webhook_bot.application.update_queue.empty()
    assert fake.calls_of("sendMessage") == []


async def test_only_post_reaches_the_webhook(webhook_bot: WebhookBot):
    response = await webhook_bot.http.get("/telegram", headers={SECRET_HEADER: SECRET})
    assert response.status_code == 405


def test_the_web_app_needs_a_secret(webhook_settings: Settings, clock: ManualClock):
    application = build_application(webhook_settings, clock=clock, run_jobs=False)
    with pytest.raises(ValueError, match="WEBHOOK_SECRET_TOKEN"):
        build_web_app(application, application.bot_data["services"], secret_token="")


# ----- health ----------------------------------------------------------------------------------


async def _health(application: BotApplication, services: Services) -> httpx.Response:
    transport = httpx.ASGITransport(app=build_web_app(application, services, secret_token=SECRET))
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.internal") as http:
        return await http.get("/healthz")


async def test_health_reports_the_outbox_backlog(
    webhook_settings: Settings, services: Services, clock: ManualClock
):
    application = build_application(webhook_settings, clock=clock, run_jobs=False)
    statuses = [
        OutboxStatus.PENDING,
        OutboxStatus.PENDING,
        OutboxStatus.SENDING,
        OutboxStatus.SENT,
        OutboxStatus.FAILED,
        OutboxStatus.UNREACHABLE,
    ]
    async with services.sessions.begin() as session:
        for number, status in enumerate(statuses):
            await enqueue(
                session,
                clock,
                kind="test",
                dedupe_key=f"test:{number}",
                chat_id=5000 + number,
                payload={"text": "Hello"},
                status=status,
            )
    clock.advance(seconds=90)
    async with services.sessions.begin() as session:
        await enqueue(
            session, clock, kind="test", dedupe_key="test:new", chat_id=6000, payload={"text": "Hi"}
        )

    response = await _health(application, services)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "outbox_backlog": 4,  # three pending (one just queued) and one being sent
        "oldest_pending_seconds": 90.0,
    }


async def test_health_with_an_empty_outbox(
    webhook_settings: Settings, services: Services, clock: ManualClock
):
    application = build_application(webhook_settings, clock=clock, run_jobs=False)
    response = await _health(application, services)
    assert response.status_code == 200
    assert response.json()["outbox_backlog"] == 0
    assert response.json()["oldest_pending_seconds"] == 0.0


@pytest.mark.parametrize(
    "database_url",
    [
        "sqlite+aiosqlite:///{tmp}/no-such-directory/portage.db",
        "postgresql+asyncpg://portage:hunter2@127.0.0.1:1/none",
    ],
    ids=["sqlite-missing-directory", "postgres-nothing-listening"],
)
async def test_health_is_503_when_the_database_is_unreachable(
    webhook_settings: Settings, clock: ManualClock, tmp_path: Path, database_url: str
):
    unreachable = webhook_settings.model_copy(
        update={"database_url": database_url.format(tmp=tmp_path)}
    )
    application = build_application(unreachable, clock=clock, run_jobs=False)
    services = build_services(unreachable, clock)
    try:
        response = await _health(application, services)
    finally:
        await services.engine.dispose()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


# ----- the real process ------------------------------------------------------------------------


async def _wait_until_healthy(http: httpx.AsyncClient, bot: BotProcess) -> httpx.Response:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while loop.time() < deadline:
        if bot.exit_code is not None:
            pytest.fail(f"the bot exited with {bot.exit_code}:\n{bot.output()}")
        try:
            response = await http.get("/healthz")
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    pytest.fail(f"the bot never became healthy:\n{bot.output()}")


async def test_run_webhook_serves_updates_and_stops_cleanly_on_sigterm(
    tmp_path: Path, fake: FakeBotApi
):
    port = free_port()
    bot = BotProcess(
        fake,
        f"sqlite+aiosqlite:///{tmp_path / 'portage.db'}",
        tmp_path,
        webhook_listen="127.0.0.1",
        webhook_port=str(port),
        webhook_public_url=PUBLIC_URL,
        webhook_secret_token=SECRET,
        log_level="INFO",
    )
    await bot.start("--webhook")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            health = await _wait_until_healthy(http, bot)
            assert "bot ready (event loop: uvloop)" in bot.output()
            assert objects_set_aside(bot.output()) > 100_000
            assert health.json() == {
                "status": "ok",
                "database": "ok",
                "outbox_backlog": 0,
                "oldest_pending_seconds": 0.0,
            }
            (set_webhook,) = fake.calls_of("setWebhook")
            assert set_webhook.ok
            assert set_webhook.params["url"] == f"{PUBLIC_URL}/telegram"
            assert set_webhook.params["secret_token"] == SECRET
            assert set_webhook.params["allowed_updates"] == ALLOWED_UPDATES
            assert fake.webhook_url == f"{PUBLIC_URL}/telegram"
            assert fake.webhook_secret_token == SECRET

            stranger = fake.user(user_id=2001, first_name="Kim")
            refused = await _post(http, stranger, "/start", 1, secret="wrong")
            assert refused.status_code == 403
            answered = await _post(http, stranger, "/start not-a-real-code", 2)
            assert answered.status_code == 200
            await stranger.wait_for(lambda m: WRONG_CODE_REPLY in m.plain, timeout=10)
            (only_reply,) = stranger.inbox()  # nothing came for the refused one
            assert WRONG_CODE_REPLY in only_reply.plain

            # An update Telegram saw accepted just before SIGTERM is still answered.
            other = fake.user(user_id=2002, first_name="Lee")
            last = await _post(http, other, "/start", 3)
            assert last.status_code == 200
            bot.send_sigterm()
            assert NOT_ENROLLED_REPLY in (await other.wait_for(timeout=10)).plain

        code = await bot.exited(within=15)
        logged = bot.output()
        assert code == 0, logged
        assert "Traceback" not in logged
        assert "webhook: stopped" in logged
        assert TOKEN not in logged and SECRET not in logged
    finally:
        await bot.stop_if_running()
    assert_fake_refused_nothing(fake)


async def _post(
    http: httpx.AsyncClient, user: FakeUser, text: str, update_id: int, *, secret: str = SECRET
) -> httpx.Response:
    update = as_update(await user.send(text), update_id)
    return await http.post("/telegram", json=update, headers={SECRET_HEADER: secret})
