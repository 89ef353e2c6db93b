"""FakeBotApi: a strict stand-in for Telegram's Bot API, served over real HTTP.

It listens on 127.0.0.1 (random port by default) inside the caller's event
loop, so python-telegram-bot can be pointed at it with
``ApplicationBuilder().base_url(fake.base_url)`` and driven end to end by fake
users (users.py). Every request is recorded in ``calls``; every error answer
also shows up in ``errors``, which tests expect to stay empty.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from aiohttp import web

from .control import add_control_routes
from .errors import ApiError
from .faults import Fault, FaultPlan, error_fault
from .limits import RateLimiter
from .methods import KNOWN_UNIMPLEMENTED, MethodsMixin, implemented_methods
from .models import ApiCall, CallbackQueryRecord, SentMessage
from .params import Params
from .state import ChatState, FileStore, StoredMessage, UpdateQueue
from .users import FakeUser

log = logging.getLogger(__name__)

T = TypeVar("T")

# Telegram answers 404 (not 401) when the token is not even shaped like one.
_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_METHODS = implemented_methods()
_UNIMPLEMENTED = {name.lower(): name for name in KNOWN_UNIMPLEMENTED}
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}
_dumps = partial(json.dumps, ensure_ascii=False)


class FakeBotApi(MethodsMixin):
    """A fake Telegram Bot API server with fake users.

    Rate limits (see limits.py) are on by default; ``enforce_rate_limits=False``
    turns them off. ``strict_html=False`` accepts a bare ``&``/``>`` in HTML as
    Telegram's server does (see html_check.py); the default follows the docs.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "portage_test_bot",
        bot_id: int | None = None,
        *,
        first_name: str = "Portage Test Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        global_rate: int = 30,
        per_chat_rate: float = 1.0,
        per_chat_burst: int = 3,
        enforce_rate_limits: bool = True,
        strict_html: bool = True,
        control_api: bool = False,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id if bot_id is not None else int(token.split(":", 1)[0])
        self.bot_first_name = first_name
        self.host = host
        self.port = port
        self.strict_html = strict_html
        self.webhook_url = ""
        self.webhook_secret_token = ""  # what Telegram would send back in each webhook request
        self.commands: list[dict] | None = None
        self.too_many_requests = 0
        self.calls: list[ApiCall] = []

        self._rate_limiter = RateLimiter(global_rate, per_chat_rate, per_chat_burst)
        self._limiter = self._rate_limiter if enforce_rate_limits else None
        self._users: dict[int, FakeUser] = {}
        self._chats: dict[int, ChatState] = {}
        self._files = FileStore()
        self._updates = UpdateQueue()
        self._callbacks: dict[str, CallbackQueryRecord] = {}
        self._command_lists: dict[tuple[str, str], list[dict]] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}
        self._menu_buttons: dict[int | None, dict] = {}
        self._faults = FaultPlan()
        self._poll_generation = 0
        self._stopping = False
        self._inflight = 0  # requests being handled, long polls excluded
        self._polls_waiting = 0
        self._background: set[asyncio.Task[None]] = set()
        self._sent: list[SentMessage] = []  # every bot message, in send order
        self._version = 0  # bumped on every change, so waiters can wait for "anything new"
        self._last_activity = time.monotonic()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._control_api = control_api

    # ----- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        if self._control_api:
            add_control_routes(app, self)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        # handler_cancellation: a client that gives up on a long poll must not leave
        # it running (it would hold updates and delay shutdown).
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._stopping = False

    async def stop(self) -> None:
        self._stopping = True
        await self._notify()  # wake long polls so they answer before the server closes
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def enforce_rate_limits(self) -> bool:
        return self._limiter is not None

    @enforce_rate_limits.setter
    def enforce_rate_limits(self, enabled: bool) -> None:
        self._limiter = self._rate_limiter if enabled else None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends the token and method."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # ----- users and chats ------------------------------------------------------------

    def user(
        self,
        user_id: int | None = None,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> FakeUser:
        """Create (or return the existing) user; their private chat id equals ``user_id``."""
        if user_id is None:
            user_id = max(self._users, default=1000) + 1
        if user_id in self._users:
            return self._users[user_id]
        user = FakeUser(
            self,
            user_id,
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self._users[user_id] = user
        self._chats[user_id] = ChatState(user)
        return user

    @property
    def users(self) -> list[FakeUser]:
        return list(self._users.values())

    def _chat_state(self, chat_id: int) -> ChatState:
        return self._chats[chat_id]

    def _store_user_message(self, chat: ChatState, message: dict) -> None:
        chat.messages[message["message_id"]] = StoredMessage(message["message_id"], False, message)

    def block(self, user: FakeUser, *, notify: bool = True) -> Awaitable[None]:
        """The user blocks the bot: sends to the chat get 403, and (``notify``) the bot
        gets a my_chat_member update as from Telegram.

        Takes effect immediately; awaiting the result is optional (it only waits
        until waiters have been woken).
        """
        return self._set_blocked(user, True, notify)

    def unblock(self, user: FakeUser, *, notify: bool = True) -> Awaitable[None]:
        """The user unblocks (restarts) the bot; see ``block``."""
        return self._set_blocked(user, False, notify)

    def _set_blocked(self, user: FakeUser, blocked: bool, notify: bool) -> Awaitable[None]:
        chat = self._chats[user.id]
        if chat.blocked != blocked:
            chat.blocked = blocked
            if notify:
                member = {"user": self.bot_user(), "status": "member"}
                kicked = {"user": self.bot_user(), "status": "kicked", "until_date": 0}
                self._updates.push(
                    "my_chat_member",
                    {
                        "chat": user.as_chat(),
                        "from": user.as_user(),
                        "date": int(time.time()),
                        "old_chat_member": member if blocked else kicked,
                        "new_chat_member": kicked if blocked else member,
                    },
                )
        return self._notify_soon()

    def messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """Every message the bot sent (optionally to one chat) in send order, deleted included."""
        return [m for m in self._sent if chat_id is None or m.chat_id == chat_id]

    # ----- updates and callback queries -----------------------------------------------

    async def _push_update(self, kind: str, payload: dict) -> dict:
        # A snapshot: later edits of the same message must not change a queued update.
        update = self._updates.push(kind, copy.deepcopy(payload))
        await self._notify()
        return update

    def _new_callback_query(self, chat_id: int, message_id: int, data: str) -> CallbackQueryRecord:
        query_id = f"{self.bot_id}{secrets.randbelow(10**10):010d}{len(self._callbacks)}"
        record = CallbackQueryRecord(query_id, chat_id, message_id, data)
        self._callbacks[query_id] = record
        return record

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot (getUpdates offset)."""
        return self._updates.pending

    @property
    def callback_queries(self) -> list[CallbackQueryRecord]:
        """Every callback query a user made, with the bot's full answer once given."""
        return list(self._callbacks.values())

    @property
    def unanswered_callback_queries(self) -> list[CallbackQueryRecord]:
        return [r for r in self._callbacks.values() if r.answer is None]

    # ----- calls ----------------------------------------------------------------------

    def file_bytes(self, file_id: str) -> bytes | None:
        """The bytes the bot uploaded under ``file_id`` (a sent photo's ``file.stored_file_id``)."""
        stored = self._files.get(file_id)
        return stored.data if stored is not None else None

    def calls_of(self, method: str) -> list[ApiCall]:
        name = method.lower()
        return [c for c in self.calls if c.method.lower() == name]

    @property
    def errors(self) -> list[ApiCall]:
        return [c for c in self.calls if c.status >= 400]

    # ----- fault injection ------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        count: int = 1,
    ) -> None:
        """The next ``count`` calls of ``method`` ("*" for any) get this error answer."""
        self._faults.queue(method, error_fault(status, description, retry_after), count)

    def drop_next(self, method: str, count: int = 1, *, after: bool = False) -> None:
        """Close the connection of the next calls without answering.

        ``after=True`` performs the request first (the answer is lost, not the request).
        """
        self._faults.queue(method, Fault("drop_after" if after else "drop"), count)

    def fault_rate(
        self,
        p: float,
        kinds: tuple[str, ...] = ("429", "500", "drop"),
        *,
        methods: tuple[str, ...] | None = None,
        seed: int | None = None,
    ) -> None:
        """Fail a fraction ``p`` of calls (all but getUpdates unless ``methods``); 0 stops."""
        self._faults.set_rate(p, kinds, methods, seed)

    # ----- waiting --------------------------------------------------------------------

    def _notify_soon(self) -> asyncio.Task[None]:
        """Notify from synchronous code: the wake-up runs as a task on the next loop turn."""
        task = asyncio.get_running_loop().create_task(self._notify())
        self._background.add(task)  # keep a reference until done
        task.add_done_callback(self._background.discard)
        return task

    async def _notify(self, *, activity: bool = True) -> None:
        """Wake every waiter; ``activity`` marks the bot as busy for wait_idle."""
        if activity:
            self._last_activity = time.monotonic()
        self._version += 1
        async with self._changed:
            self._changed.notify_all()

    async def _wait_condition(self, ready: Callable[[], Any], seconds: float) -> bool:
        """Wait until ``ready()`` is truthy (checked under the condition's lock) or time is up."""
        try:
            async with asyncio.timeout(seconds), self._changed:
                while not ready():
                    await self._changed.wait()
        except TimeoutError:
            return bool(ready())
        return True

    async def _wait_until(
        self,
        found: Callable[[], T | None],
        seconds: float,
        describe: Callable[[], str],
        chat_id: int | None = None,
    ) -> T:
        result: T | None = None

        def ready() -> bool:
            nonlocal result
            result = found()
            return result is not None

        if not await self._wait_condition(ready, seconds):
            raise AssertionError(f"{describe()} within {seconds}s\n{self.summary(chat_id)}")
        assert result is not None
        return result

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109 (public API)
        message: str = "condition not met",
    ) -> Any:
        """Wait until ``predicate()`` is truthy, re-checked after every change in the fake."""
        return await self._wait_until(lambda: predicate() or None, timeout, lambda: message)

    @property
    def polling(self) -> bool:
        """True while a getUpdates long poll is waiting for updates."""
        return self._polls_waiting > 0

    async def wait_idle(self, timeout: float = 5.0, quiet: float = 0.05) -> None:  # noqa: ASYNC109 (public API)
        """Wait until every pushed update was fetched and no request came for ``quiet`` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            busy = self._updates.undelivered > 0 or self._inflight > 0
            idle_for = time.monotonic() - self._last_activity
            if not busy and idle_for >= quiet:
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"bot not idle after {timeout}s: {self._updates.undelivered} undelivered "
                    f"updates, {self._inflight} requests in flight\n{self.summary()}"
                )
            # Wake on any change, or when the quiet period would be over.
            pause = remaining if busy else min(quiet - idle_for, remaining)
            version = self._version
            await self._wait_condition(partial(self._changed_since, version), pause)

    def _changed_since(self, version: int) -> bool:
        return self._version != version

    def summary(self, chat_id: int | None = None) -> str:
        """Recent state for assertion messages: inbox and failed calls."""
        lines = []
        if chat_id is not None and chat_id in self._chats:
            inbox = self._chats[chat_id].user.inbox(include_deleted=True)
            lines.append(f"inbox of {chat_id}: " + (", ".join(map(repr, inbox[-5:])) or "empty"))
        for call in self.errors[-5:]:
            lines.append(f"error: {call.method} -> {call.status} {call.description}")
        return "\n".join(lines)

    # ----- HTTP -----------------------------------------------------------------------

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return web.json_response(_NOT_FOUND, status=404, dumps=_dumps)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(_NOT_FOUND, status=404, dumps=_dumps)
        stored = self._files.by_path(request.match_info["path"])
        if stored is None:
            return web.json_response(_NOT_FOUND, status=404, dumps=_dumps)
        data = stored.data if stored.data is not None else _fake_bytes(stored.size)
        return web.Response(body=data, content_type=stored.mime_type or "application/octet-stream")

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        if not _TOKEN_SHAPE.fullmatch(token):
            return web.json_response(_NOT_FOUND, status=404, dumps=_dumps)
        raw_method = request.match_info["method"].lower()
        method = _METHODS.get(raw_method) or _UNIMPLEMENTED.get(raw_method) or raw_method
        arrived = time.monotonic()
        long_poll = method == "getUpdates"  # waiting for updates is not the bot being busy
        if not long_poll:
            self._inflight += 1
            self._last_activity = arrived
        outcome = _Outcome()
        try:
            await self._answer(request, token, method, outcome)
        finally:
            # Also runs when the client went away and the handler was cancelled (status 0).
            if outcome.dropped:
                outcome.status, outcome.body = 0, {}
            if outcome.status == 429:
                self.too_many_requests += 1
            self.calls.append(
                ApiCall(
                    method,
                    outcome.params.for_log(),
                    outcome.status,
                    outcome.body,
                    arrived,
                    injected=outcome.fault is not None,
                    content_type=request.content_type if request.body_exists else "",
                )
            )
            if not long_poll:
                self._inflight -= 1
            await self._notify(activity=not long_poll)
        if outcome.dropped:
            _drop_connection(request)
        return web.json_response(outcome.body, status=outcome.status, dumps=_dumps)

    async def _answer(self, request: web.Request, token: str, method: str, out: _Outcome) -> None:
        """Fill ``out`` with the answer: an injected fault, the method's result or its error."""
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            out.params = await Params.from_request(request)
            if method.lower() in _UNIMPLEMENTED:
                raise ApiError(501, f"Not Implemented: {method} is not simulated by FakeBotApi")
            if method.lower() not in _METHODS:
                raise ApiError(404, "Not Found")
            out.fault = self._faults.pick(method)
            if out.fault is not None and out.fault.kind == "error":
                out.status, out.body = out.fault.status, out.fault.payload()
                return
            if out.fault is not None and out.fault.kind == "drop":
                return  # lost on the way in: not performed
            result = await getattr(self, f"api_{method}")(out.params)
            out.status, out.body = 200, {"ok": True, "result": result}
        except ApiError as err:
            out.status, out.body = err.code, err.payload()
        except Exception:
            log.exception("FakeBotApi failed on %s", method)
            out.status = 500
            out.body = {"ok": False, "error_code": 500, "description": "Internal Server Error"}


@dataclass
class _Outcome:
    """What one API request ends with, filled in as handling goes."""

    status: int = 0
    body: dict[str, Any] = field(default_factory=dict)
    params: Params = field(default_factory=lambda: Params({}))
    fault: Fault | None = None

    @property
    def dropped(self) -> bool:
        return self.fault is not None and self.fault.kind in ("drop", "drop_after")


def _drop_connection(request: web.Request) -> None:
    """Close the TCP connection so the client sees no answer at all."""
    transport = request.transport
    request.protocol.force_close()
    if transport is not None:
        transport.abort()


def _fake_bytes(size: int) -> bytes:
    pattern = b"FAKE-TELEGRAM-FILE;"
    return (pattern * (size // len(pattern) + 1))[:size]
