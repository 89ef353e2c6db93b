"""Thousands of random updates against the whole application, in process: any text in any
alphabet and length, every kind of update, stale and forged button data, commands with odd
arguments, users who never enrolled. No update may fail unhandled, change another family's data,
or go unanswered.

The Bot API is an in-process request double (Telegram's HTML and length rules, answers at once)
and the rate limiter is off, so thousands of updates take seconds; the HTTP fake and the real
limits are what the end-to-end tests use."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from telegram import Update
from telegram.ext import BaseRateLimiter
from telegram.request import BaseRequest, RequestData

from bot import callbacks
from bot.app import build_application
from bot.clock import ManualClock
from bot.config import Settings
from bot.enrolment import (
    PRIVACY_NOTICE_VERSION,
    add_staff,
    create_family,
)
from bot.migrate import upgrade_to_head
from bot.models import Carer, DiaryAnswer, DiaryNote, Family, Goal, Plan, Target, Visit
from bot.plans import set_plan, specs_from_ids
from tests.conftest import MONDAY_MORNING, TOKEN
from tests.fake_bot_api.html_check import parse_html, utf16_len

PARENT_A, VISITOR_A, STRANGER, PARENT_B = 1001, 2001, 3001, 1002
WRITERS = (PARENT_A, VISITOR_A, STRANGER)
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Portage", "username": "portage_test_bot"}


class NoLimits(BaseRateLimiter):
    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(  # type: ignore[no-untyped-def]
        self, callback, args, kwargs, endpoint, data, rate_limit_args
    ):
        return await callback(*args, **kwargs)


class RecordingRequest(BaseRequest):
    """Answers every Bot API call at once, checking what Telegram checks on text."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.message_ids = itertools.count(10_000)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def do_request(  # type: ignore[override]
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        self.calls.append((endpoint, params))
        error = self._check(endpoint, params)
        if error:
            body = {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
            return 400, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": self._result(endpoint, params)}).encode()

    def _check(self, endpoint: str, params: dict[str, Any]) -> str | None:
        for key, limit in (("text", 4096), ("caption", 1024)):
            if key in params and params.get("parse_mode") == "HTML":
                try:
                    visible = parse_html(str(params[key])).text
                except ValueError as error:
                    return f"can't parse entities: {error}"
                if utf16_len(visible) > limit or (key == "text" and not visible.strip()):
                    return f"{key} is too long or empty"
        return None

    def _result(self, endpoint: str, params: dict[str, Any]) -> Any:
        if endpoint == "getMe":
            return BOT_USER
        if endpoint.startswith(("send", "edit", "copy")):
            chat_id = int(params.get("chat_id", 0) or 0)
            return {
                "message_id": next(self.message_ids),
                "date": 1_790_000_000,
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": str(params.get("text", "")),
            }
        return True

    def answered(self, chat_id: int, since: int) -> bool:
        return any(str(params.get("chat_id")) == str(chat_id) for _, params in self.calls[since:])

    def answered_query(self, query_id: str, since: int) -> bool:
        return any(
            endpoint == "answerCallbackQuery" and params.get("callback_query_id") == query_id
            for endpoint, params in self.calls[since:]
        )


class ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One application on its own event loop, with family A (a parent and their visitor) and
    family B, whose data no update may touch."""
    loop = asyncio.new_event_loop()
    clock = ManualClock(MONDAY_MORNING)
    settings = Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_bot_username="portage_test_bot",
        database_url=f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}",
    )
    request = RecordingRequest()
    app = build_application(
        settings, clock=clock, request=request, run_jobs=False, rate_limiter=NoLimits()
    )
    errors = ErrorRecords()
    logging.getLogger("handlers.errors").addHandler(errors)

    async def set_up() -> dict[str, Any]:
        await app.initialize()
        # Running, so the outbox drains handlers start are awaited at the end.
        await app.start()
        services = app.bot_data["services"]
        await upgrade_to_head(services.engine)
        async with services.sessions.begin() as session:
            visitor = await add_staff(session, clock, name="Priya", timezone="Europe/London")
            visitor.telegram_user_id = VISITOR_A
            other = await add_staff(session, clock, name="Tom", timezone="Europe/London")
            ids: dict[str, Any] = {}
            for key, parent, staff in (("a", PARENT_A, visitor), ("b", PARENT_B, other)):
                family = await create_family(
                    session, clock, child_name=f"Child-{key}", timezone="Europe/London",
                    visitor_id=staff.id,
                )  # fmt: skip
                session.add(
                    Carer(
                        family_id=family.id, telegram_user_id=parent, chat_id=parent,
                        enrolled_at_utc=clock.now(), consent_at_utc=clock.now(),
                        consent_version=PRIVACY_NOTICE_VERSION, reminder_days="daily",
                        paused=False, reminder_time_local=MONDAY_MORNING.time(),
                    )
                )  # fmt: skip
                plan = await set_plan(
                    session, clock, family_id=family.id,
                    targets=specs_from_ids(services.library, ["com-point-to-toy"]),
                    starts_on=date(2026, 11, 23),
                )  # fmt: skip
                ids[key] = {"family": family.id, "target": plan.targets[0].id}
            family_b = ids["b"]["family"]
            session.add(
                Goal(family_id=family_b, text="B's goal", set_on=date(2026, 11, 1),
                     review_on=date(2027, 5, 1), created_at_utc=clock.now())
            )  # fmt: skip
            session.add(
                Visit(family_id=family_b, visitor_id=other.id, status="booked",
                      starts_at_utc=clock.now().replace(day=30), created_at_utc=clock.now())
            )  # fmt: skip
        return ids

    ids = loop.run_until_complete(set_up())
    yield {"loop": loop, "app": app, "request": request, "errors": errors, "ids": ids}
    logging.getLogger("handlers.errors").removeHandler(errors)
    loop.run_until_complete(app.stop())
    loop.run_until_complete(app.shutdown())
    loop.run_until_complete(app.bot_data["services"].engine.dispose())
    loop.close()


async def snapshot_of_b(app: Any, family_id: int) -> list[Any]:
    async with app.bot_data["services"].sessions() as session:
        rows: list[Any] = []
        for model, column in (
            (Family, Family.id), (Carer, Carer.family_id), (Plan, Plan.family_id),
            (DiaryAnswer, DiaryAnswer.family_id), (DiaryNote, DiaryNote.family_id),
            (Goal, Goal.family_id), (Visit, Visit.family_id),
        ):  # fmt: skip
            for row in await session.scalars(select(model).where(column == family_id)):
                rows.append(
                    (model.__name__, {c.key: getattr(row, c.key) for c in model.__table__.columns})
                )
        targets = await session.scalars(
            select(Target).join(Plan).where(Plan.family_id == family_id)
        )
        rows += [("Target", target.title, target.goal_id) for target in targets]
        return rows


def forged_data(ids: dict[str, Any]) -> st.SearchStrategy[str]:
    """Button data aimed at family B (or made up), in every shape the bot builds."""
    family, target = ids["b"]["family"], ids["b"]["target"]
    day = date(2026, 11, 23)
    built = [
        callbacks.answer(target, day, "y"), callbacks.answer(ids["a"]["target"], day, "4"),
        callbacks.answer(ids["a"]["target"], date(2020, 1, 1), "y"), callbacks.add_note(day),
        callbacks.note_category(1, "q"), callbacks.note_category(999, "s"), callbacks.consent(True),
        callbacks.reminder_time(None), callbacks.reminder_days("weekdays"), callbacks.pause("7"),
        callbacks.pick_family("plan", family), callbacks.pick_family("discharge", family),
        callbacks.plan(family, "save", "today"), callbacks.plan(ids["a"]["family"], "drop", 0),
        callbacks.plan(ids["a"]["family"], "act", "phys-pincer"), callbacks.visit("book", family),
        callbacks.visit("cancelok", 1, repeat=1), callbacks.visit("done", 1),
        callbacks.summary(family, "28"), callbacks.next_step(target, "com-choose-two"),
        callbacks.move_to(family, 1), callbacks.leave("erase"), callbacks.leave("stop"),
        callbacks.discharge(family), callbacks.discharge(ids["a"]["family"]),
    ]  # fmt: skip
    return st.one_of(
        st.sampled_from(built),
        st.text(max_size=64).filter(lambda text: len(text.encode()) <= 64),
    )


COMMANDS = ["/start", "/today", "/week", "/time", "/pause", "/resume", "/stop", "/privacy",
            "/mydata", "/forget", "/help", "/families", "/newfamily", "/plan", "/visit",
            "/summary", "/invite", "/discharge", "/visitors", "/move", "/holidays",
            "/invitevisitor", "/nonsense"]  # fmt: skip


def updates(ids: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    any_text = st.text(min_size=1, max_size=5000)
    arguments = st.one_of(
        st.just(""),
        st.sampled_from([" 1", " 2", " 999999999999", " 2026-11-01 2026-11-20", " <b>x</b>", " 0"]),
        any_text.map(lambda text: " " + text),
    )
    command = st.builds(lambda name, args: name + args, st.sampled_from(COMMANDS), arguments)
    text_message = st.builds(lambda text: {"text": text}, st.one_of(any_text, command))
    size = {"file_id": "p1", "file_unique_id": "u1", "width": 9, "height": 9}
    photo = st.builds(
        lambda caption: {"photo": [size], "caption": caption},
        st.one_of(st.none(), any_text.map(lambda text: text[:1024])),
    )
    sticker = {"file_id": "s1", "file_unique_id": "s", "width": 1, "height": 1}
    others = st.sampled_from(
        [
            {"sticker": sticker | {"is_animated": False, "is_video": False, "type": "regular"}},
            {"location": {"latitude": 52.6, "longitude": -1.1}},
            {"contact": {"phone_number": "+440000", "first_name": "X"}},
            {"voice": {"file_id": "v1", "file_unique_id": "v", "duration": 3}},
        ]
    )
    content = st.one_of(text_message, text_message, photo, others)
    return st.one_of(
        st.builds(lambda user, body, kind: {"kind": kind, "user": user, "body": body},
                  st.sampled_from(WRITERS), content,
                  st.sampled_from(["message", "message", "message", "edited_message", "group"])),
        st.builds(lambda user, data, old: {"kind": "callback", "user": user, "data": data,
                                           "old": old},
                  st.sampled_from(WRITERS), forged_data(ids), st.booleans()),
        st.builds(lambda user, blocked: {"kind": "member", "user": user, "blocked": blocked},
                  st.sampled_from(WRITERS), st.booleans()),
    )  # fmt: skip


def as_update(spec: dict[str, Any], update_id: int) -> dict[str, Any]:
    user = {"id": spec["user"], "is_bot": False, "first_name": "Fuzz"}
    private = {"id": spec["user"], "type": "private", "first_name": "Fuzz"}
    if spec["kind"] == "callback":
        message = {"message_id": 5, "date": 0 if spec["old"] else 1_790_000_000, "chat": private}
        return {
            "update_id": update_id,
            "callback_query": {
                "id": f"q{update_id}",
                "from": user,
                "chat_instance": "ci",
                "data": spec["data"],
                "message": message,
            },
        }
    if spec["kind"] == "member":
        kicked = {"status": "kicked", "user": BOT_USER, "until_date": 0}
        member = {"status": "member", "user": BOT_USER}
        new, old = (kicked, member) if spec["blocked"] else (member, kicked)
        return {
            "update_id": update_id,
            "my_chat_member": {
                "chat": private,
                "from": user,
                "date": 1_790_000_000,
                "new_chat_member": new,
                "old_chat_member": old,
            },
        }
    chat = {"id": -100, "type": "group", "title": "G"} if spec["kind"] == "group" else private
    body = dict(spec["body"])
    if "text" in body and body["text"].startswith("/"):
        length = len(body["text"].split()[0])
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    message = {"message_id": update_id, "date": 1_790_000_000, "chat": chat, "from": user, **body}
    if spec["kind"] == "edited_message":
        return {"update_id": update_id, "edited_message": message | {"edit_date": 1_790_000_001}}
    return {"update_id": update_id, "message": message}


def expects_an_answer(spec: dict[str, Any]) -> bool:
    # Edits and blocks are recorded quietly; groups are not ours to talk in.
    return spec["kind"] in ("message", "callback")


def test_random_updates_are_answered_and_never_touch_another_family(world):
    app, request, loop = world["app"], world["request"], world["loop"]
    ids = world["ids"]
    update_ids = itertools.count(1)
    processed: list[int] = []

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(data=st.data())
    def random_updates(data: st.DataObject) -> None:
        before_b = loop.run_until_complete(snapshot_of_b(app, ids["b"]["family"]))
        specs = data.draw(st.lists(updates(ids), min_size=20, max_size=60))
        for spec in specs:
            update_id = next(update_ids)
            since = len(request.calls)
            update = Update.de_json(as_update(spec, update_id), app.bot)
            loop.run_until_complete(app.process_update(update))
            if spec["kind"] == "callback":
                assert request.answered_query(f"q{update_id}", since), spec
            elif expects_an_answer(spec):
                assert request.answered(spec["user"], since), spec
            assert not [
                (endpoint, params) for endpoint, params in request.calls[since:]
                if str(params.get("chat_id")) == str(PARENT_B)
            ], spec  # fmt: skip
            assert world["errors"].records == [], (spec, world["errors"].records[0].getMessage())
        assert loop.run_until_complete(snapshot_of_b(app, ids["b"]["family"])) == before_b
        processed.append(len(specs))

    random_updates()
    # Thousands of updates, not a handful: the property really ran.
    assert sum(processed) >= 1000, sum(processed)
