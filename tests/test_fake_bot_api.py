"""Tests of the fake Telegram Bot API itself (tests/fake_bot_api).

Most tests talk to the fake over real HTTP with httpx, encoding parameters the
way python-telegram-bot does (form fields, non-strings JSON-encoded); a few use
python-telegram-bot's Bot and Application to prove the two fit together.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

# `tests` is not an installed package; make the repository root importable so the
# fake is imported as `tests.fake_bot_api`, as the e2e tests and `python -m` do.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from telegram import (  # noqa: E402
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageOriginUser,
    Update,
)
from telegram.error import BadRequest, Forbidden, RetryAfter  # noqa: E402
from telegram.ext import (  # noqa: E402
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tests.fake_bot_api import FakeBotApi, FakeUser, SentMessage  # noqa: E402
from tests.fake_bot_api.html_check import EntityParseError, parse_html  # noqa: E402
from tests.fake_bot_api.limits import RateLimiter  # noqa: E402

TOKEN = "123456:TEST-TOKEN"
KEYBOARD = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}


# ----- fixtures and helpers ---------------------------------------------------------------


@pytest.fixture
async def fake() -> Any:
    api = FakeBotApi(token=TOKEN, bot_username="portage_test_bot", bot_id=123456)
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def client(fake: FakeBotApi) -> Any:
    async with httpx.AsyncClient(base_url=f"{fake.base_url}{fake.token}/") as http:
        yield http


@pytest.fixture
def ana(fake: FakeBotApi) -> FakeUser:
    return fake.user(user_id=1001, first_name="Ana", language_code="en")


def form(params: dict[str, Any]) -> dict[str, str]:
    """Encode like python-telegram-bot: strings as is, everything else as JSON."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}


async def call(http: httpx.AsyncClient, method: str, **params: Any) -> tuple[int, dict]:
    response = await http.post(method, data=form(params))
    return response.status_code, response.json()


async def ok(http: httpx.AsyncClient, method: str, **params: Any) -> Any:
    status, body = await call(http, method, **params)
    assert status == 200 and body["ok"] is True, body
    return body["result"]


async def fails(http: httpx.AsyncClient, method: str, status: int, **params: Any) -> str:
    got, body = await call(http, method, **params)
    assert got == status, body
    assert body["ok"] is False and body["error_code"] == status
    return body["description"]


async def send(http: httpx.AsyncClient, chat_id: int, text: str, **params: Any) -> dict:
    return await ok(http, "sendMessage", chat_id=chat_id, text=text, **params)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----- HTTP surface -----------------------------------------------------------------------


async def test_get_me_over_get_post_json_and_any_case(fake: FakeBotApi, client: httpx.AsyncClient):
    me = await ok(client, "getMe")
    assert me["id"] == 123456 and me["is_bot"] is True
    assert me["username"] == "portage_test_bot"
    assert (await client.get("getme")).json()["result"] == me
    assert (await client.post("GETME", json={})).json()["result"] == me
    assert [c.method for c in fake.calls] == ["getMe"] * 3


async def test_parameters_from_query_string_and_json_body(client, ana: FakeUser):
    response = await client.get("sendMessage", params={"chat_id": "1001", "text": "query"})
    assert response.json()["result"]["text"] == "query"
    response = await client.post(
        "sendMessage", json={"chat_id": 1001, "text": "json", "reply_markup": KEYBOARD}
    )
    result = response.json()["result"]
    assert result["reply_markup"] == KEYBOARD
    assert [m.plain for m in ana.inbox()] == ["query", "json"]


async def test_text_that_looks_like_json_stays_text(client, ana: FakeUser):
    message = await send(client, 1001, '{"a": 1}')
    assert message["text"] == '{"a": 1}'


async def test_wrong_token_is_401_and_malformed_token_404(fake: FakeBotApi):
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{fake.base_url}123456:WRONG/getMe")
        assert response.status_code == 401
        assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        response = await http.post(f"{fake.base_url}not-a-token/getMe")
        assert response.status_code == 404
        assert response.json()["description"] == "Not Found"
    assert fake.errors[0].status == 401


async def test_unknown_method_is_404_and_unimplemented_is_501(client, fake: FakeBotApi):
    response = await client.post("sendTelepathy")
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert "not simulated" in await fails(client, "sendPoll", 501)
    assert [c.status for c in fake.errors] == [404, 501]


async def test_log_out_close_and_profile_setters_answer_true(client):
    for method in ("logOut", "close", "setChatMenuButton"):
        assert await ok(client, method) is True
    assert await ok(client, "setMyDescription", description="Portage diary") is True
    assert await ok(client, "getMyDescription") == {"description": "Portage diary"}
    assert await ok(client, "setMyShortDescription", short_description="Short") is True
    assert await ok(client, "getMyShortDescription") == {"short_description": "Short"}


# ----- sendMessage and text validation ----------------------------------------------------


async def test_send_message_returns_telegram_message(client, ana: FakeUser):
    message = await send(client, 1001, "Hello", reply_markup=KEYBOARD, disable_notification=True)
    assert message["message_id"] == 1
    assert isinstance(message["date"], int)
    assert message["chat"] == {"id": 1001, "type": "private", "first_name": "Ana"}
    assert message["from"]["is_bot"] is True
    assert message["from"]["username"] == "portage_test_bot"
    assert message["reply_markup"] == KEYBOARD
    sent = ana.last()
    assert sent is not None and sent.kind == "text" and sent.params["disable_notification"] is True


async def test_message_ids_are_shared_between_user_and_bot(client, ana: FakeUser):
    assert (await ana.send("hi"))["message_id"] == 1
    assert (await send(client, 1001, "hello"))["message_id"] == 2
    assert (await ana.send("again"))["message_id"] == 3


async def test_chat_errors(client, fake: FakeBotApi):
    fake.user(1001, "Ana")
    assert await fails(client, "sendMessage", 400, chat_id=999, text="x") == (
        "Bad Request: chat not found"
    )
    assert await fails(client, "sendMessage", 400, chat_id="@ana", text="x") == (
        "Bad Request: chat not found"
    )
    assert await fails(client, "sendMessage", 400, text="x") == "Bad Request: chat_id is empty"


@pytest.mark.parametrize(
    ("text", "description"),
    [
        (None, "Bad Request: message text is empty"),
        ("", "Bad Request: message text is empty"),
        ("  \n ", "Bad Request: text must be non-empty"),
        ("<b> </b>", "Bad Request: text must be non-empty"),
    ],
)
async def test_empty_text_is_rejected(client, ana: FakeUser, text: str | None, description: str):
    params: dict[str, Any] = {"chat_id": 1001, "parse_mode": "HTML"}
    if text is not None:
        params["text"] = text
    assert await fails(client, "sendMessage", 400, **params) == description


async def test_text_length_counts_visible_characters(client, ana: FakeUser):
    await send(client, 1001, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    await send(client, 1001, "&amp;" * 4096, parse_mode="HTML")
    too_long = "Bad Request: message is too long"
    assert await fails(client, "sendMessage", 400, chat_id=1001, text="a" * 4097) == too_long
    assert (
        await fails(
            client,
            "sendMessage",
            400,
            chat_id=1001,
            text="<i>" + "a" * 4097 + "</i>",
            parse_mode="HTML",
        )
        == too_long
    )
    # Telegram counts UTF-16 code units: an emoji takes two.
    await send(client, 1001, "😀" * 2048)
    assert await fails(client, "sendMessage", 400, chat_id=1001, text="😀" * 2049) == too_long


async def test_surrounding_whitespace_is_trimmed_like_telegram(client, ana: FakeUser):
    message = await send(client, 1001, "\n  <b>Hi</b> there \n", parse_mode="HTML")
    assert message["text"] == "Hi there"
    assert message["entities"] == [{"offset": 0, "length": 2, "type": "bold"}]


async def test_parse_modes(client, ana: FakeUser):
    assert (await send(client, 1001, "<b>x</b>", parse_mode="html"))["text"] == "x"
    assert (await send(client, 1001, "<b>x</b>"))["text"] == "<b>x</b>"  # no parse mode
    assert await fails(
        client, "sendMessage", 400, chat_id=1001, text="x", parse_mode="INVALID"
    ) == ("Bad Request: unsupported parse_mode")


async def test_markdown_v2_and_legacy_markdown(client, ana: FakeUser):
    message = await send(client, 1001, "*bold* and \\. ~s~", parse_mode="MarkdownV2")
    assert message["text"] == "bold and . s"
    assert [e["type"] for e in message["entities"]] == ["bold", "strikethrough"]
    prefix = "Bad Request: can't parse entities: "
    v2 = {"chat_id": 1001, "parse_mode": "MarkdownV2"}
    assert await fails(client, "sendMessage", 400, text="hello.", **v2) == (
        prefix + "Character '.' is reserved and must be escaped with the preceding '\\'"
    )
    assert await fails(client, "sendMessage", 400, text="*unclosed", **v2) == (
        prefix + "Can't find end of Bold entity at byte offset 0"
    )
    assert await fails(client, "sendMessage", 400, text="*bold _italic\\_*", **v2) == (
        prefix + "Can't find end of Bold entity at byte offset 15"
    )
    assert (await send(client, 1001, "*bold*", parse_mode="Markdown"))["text"] == "bold"
    assert await fails(
        client, "sendMessage", 400, chat_id=1001, text="*unclosed", parse_mode="Markdown"
    ) == (prefix + "Can't find end of the entity starting at byte offset 0")


# ----- HTML -------------------------------------------------------------------------------


async def test_html_subset_is_parsed_into_entities(client, ana: FakeUser):
    html = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>k</strike><del>d</del><span class="tg-spoiler">p</span>'
        '<tg-spoiler>t</tg-spoiler><a href="https://example.com/?a=1&amp;b=2">L</a>'
        '<code>c</code><pre><code class="language-python">x</code></pre>'
        "<blockquote expandable>q</blockquote><blockquote>r</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
        "&lt;&gt;&amp;&quot;&#65;&#x42;"
    )
    message = await send(client, 1001, html, parse_mode="HTML")
    assert message["text"] == 'bsieunskdptLcxqr👍<>&"AB'
    types = [e["type"] for e in message["entities"]]
    assert types == [
        "bold",
        "bold",
        "italic",
        "italic",
        "underline",
        "underline",
        "strikethrough",
        "strikethrough",
        "strikethrough",
        "spoiler",
        "spoiler",
        "text_link",
        "code",
        "pre",
        "expandable_blockquote",
        "blockquote",
        "custom_emoji",
    ]
    by_type = {e["type"]: e for e in message["entities"]}
    assert by_type["text_link"]["url"] == "https://example.com/?a=1&b=2"
    assert by_type["pre"]["language"] == "python"
    assert by_type["custom_emoji"] == {
        "offset": 16,
        "length": 2,
        "type": "custom_emoji",
        "custom_emoji_id": "5368324170671202286",
    }
    sent = ana.last()
    assert sent is not None
    assert sent.html == html and sent.text == html and sent.plain == message["text"]


async def test_entity_offsets_are_utf16(client, ana: FakeUser):
    message = await send(client, 1001, "😀 é <b>x</b>", parse_mode="HTML")
    assert message["entities"] == [{"offset": 5, "length": 1, "type": "bold"}]


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
        ("é<foo>", 'Unsupported start tag "foo" at byte offset 2'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        (
            "<b><i>test</b></i>",
            'Unmatched end tag at byte offset 10, expected "</i>", found "</b>"',
        ),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("Tom & Jerry", "Character entity expected at byte offset 4"),
        ("&foo;", "Character entity expected at byte offset 0"),
        ("&lt no semicolon", "Character entity expected at byte offset 0"),
        ("1 > 0", 'Character ">" must be escaped as "&gt;" at byte offset 2'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a>x</a>", 'Tag "a" must have attribute "href" at byte offset 0'),
        (
            "<b class>x</b>",
            'Expected equal sign in declaration of an attribute of the tag "b" at byte offset 0',
        ),
        ('<tg-emoji emoji-id="abc">x</tg-emoji>', "Invalid custom emoji identifier specified"),
    ],
)
async def test_bad_html_is_rejected_like_telegram(client, ana: FakeUser, html: str, reason: str):
    description = await fails(
        client, "sendMessage", 400, chat_id=1001, text=html, parse_mode="HTML"
    )
    assert description == f"Bad Request: can't parse entities: {reason}"
    assert ana.inbox() == []


def test_lenient_html_matches_telegrams_server():
    assert parse_html("Tom & Jerry &lt 1 > 0", strict=False).text == "Tom & Jerry < 1 > 0"
    with pytest.raises(EntityParseError):
        parse_html("<foo>", strict=False)


async def test_caption_length_and_html(client, ana: FakeUser):
    await ana.send_photo(file_id="AgADphoto1")
    photo = {"chat_id": 1001, "photo": "AgADphoto1"}
    message = await ok(
        client, "sendPhoto", caption="<b>" + "c" * 1024 + "</b>", parse_mode="HTML", **photo
    )
    assert message["caption_entities"][0]["length"] == 1024
    assert await fails(client, "sendPhoto", 400, caption="c" * 1025, **photo) == (
        "Bad Request: message caption is too long"
    )
    assert "can't parse entities" in await fails(
        client, "sendPhoto", 400, caption="<x>", parse_mode="HTML", **photo
    )


async def test_explicit_entities_are_checked(client, ana: FakeUser):
    message = await send(
        client, 1001, "hello", entities=[{"type": "bold", "offset": 0, "length": 5}]
    )
    assert message["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    assert await fails(
        client,
        "sendMessage",
        400,
        chat_id=1001,
        text="hello",
        entities=[{"type": "bold", "offset": 0, "length": 100}],
    ) == (
        "Bad Request: entity beginning at UTF-16 offset 0 ends after the end of the text "
        "at UTF-16 offset 100"
    )


# ----- reply markup -----------------------------------------------------------------------


def keyboard(*data: str) -> dict:
    return {
        "inline_keyboard": [[{"text": f"b{i}", "callback_data": d} for i, d in enumerate(data)]]
    }


@pytest.mark.parametrize(
    ("data", "accepted"),
    [
        ("x" * 64, True),
        ("x" * 65, False),
        ("é" * 32, True),  # 64 bytes in UTF-8
        ("é" * 32 + "x", False),  # 33 characters, 65 bytes
        ("😀" * 16, True),
        ("😀" * 16 + "x", False),
    ],
)
async def test_callback_data_is_limited_to_64_bytes(client, ana: FakeUser, data: str, accepted):
    params = {"chat_id": 1001, "text": "pick", "reply_markup": keyboard(data)}
    if accepted:
        await ok(client, "sendMessage", **params)
    else:
        assert await fails(client, "sendMessage", 400, **params) == (
            "Bad Request: BUTTON_DATA_INVALID"
        )


@pytest.mark.parametrize(
    ("markup", "description"),
    [
        ("{not json", "can't parse reply keyboard markup JSON object"),
        ("[1, 2]", "can't parse reply keyboard markup JSON object"),
        ({"inline_keyboard": "bad"}, 'field "inline_keyboard" must be of type Array'),
        (
            {"inline_keyboard": [{"text": "a"}]},
            'field "inline_keyboard" must be an Array of Arrays',
        ),
        (
            {"inline_keyboard": [[{"text": "a"}]]},
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        ),
        (
            {"inline_keyboard": [[{"text": "a", "callback_data": ""}]]},
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        ),
        (
            {"inline_keyboard": [[{"callback_data": "a"}]]},
            "can't parse inline keyboard button: Can't find field \"text\"",
        ),
        ({"inline_keyboard": [[{"text": "", "callback_data": "a"}]]}, "BUTTON_TEXT_INVALID"),
        (
            {"inline_keyboard": [[{"text": "a", "callback_data": "a", "url": "https://x.org"}]]},
            "can't parse inline keyboard button: exactly one of the optional fields must be used",
        ),
        (
            {"inline_keyboard": [[{"text": "a", "url": "not-a-url"}]]},
            "inline keyboard button URL 'not-a-url' is invalid: Wrong HTTP URL",
        ),
        (
            {"inline_keyboard": [[{"text": "a", "url": "ftp://example.com"}]]},
            "inline keyboard button URL 'ftp://example.com' is invalid: Unsupported URL protocol",
        ),
        (
            {
                "inline_keyboard": [
                    [{"text": f"{i}", "callback_data": f"{i}"} for i in range(10)]
                    for _ in range(11)
                ]
            },
            "reply markup is too long",
        ),
        (
            {"keyboard": [[{"text": "A"}]], "resize_keyboard": "yes"},
            'field "resize_keyboard" must be of type Boolean',
        ),
        ({"remove_keyboard": "yes"}, 'field "remove_keyboard" must be of type Boolean'),
    ],
)
async def test_bad_reply_markup_is_rejected(client, ana: FakeUser, markup: Any, description: str):
    got = await fails(client, "sendMessage", 400, chat_id=1001, text="x", reply_markup=markup)
    assert got == f"Bad Request: {description}"


async def test_good_reply_markups_are_accepted_and_stored(client, fake: FakeBotApi, ana: FakeUser):
    fake.enforce_rate_limits = False  # many messages to one chat
    hundred = {
        "inline_keyboard": [
            [{"text": f"{i}", "callback_data": f"{i}"} for i in range(10)] for _ in range(10)
        ]
    }
    urls = {
        "inline_keyboard": [
            [
                {"text": "Site", "url": "https://example.com"},
                {"text": "Bare", "url": "example.com/page"},
            ]
        ]
    }
    reply = {"keyboard": [["A", {"text": "B", "request_contact": True}]], "resize_keyboard": True}
    for markup in (hundred, urls, reply, {"remove_keyboard": True}, {"force_reply": True}):
        await send(client, 1001, "x", reply_markup=markup)
    inbox = ana.inbox()
    assert len(inbox[0].button_data()) == 100
    assert inbox[1].button_data() == [("Site", None), ("Bare", None)]
    assert inbox[2].buttons() == [["A", "B"]]
    assert inbox[2].message.get("reply_markup") is None  # Telegram echoes inline keyboards only
    assert inbox[3].reply_markup == {"remove_keyboard": True}


async def test_sent_message_helpers(client, ana: FakeUser):
    markup = {
        "inline_keyboard": [
            [{"text": "Yes", "callback_data": "y"}, {"text": "No", "callback_data": "n"}],
            [{"text": "Help", "url": "https://example.com"}],
        ]
    }
    await send(client, 1001, "<b>Ready?</b> &amp; go", parse_mode="HTML", reply_markup=markup)
    sent = ana.last()
    assert isinstance(sent, SentMessage)
    assert sent.buttons() == [["Yes", "No"], ["Help"]]
    assert sent.button_data() == [("Yes", "y"), ("No", "n"), ("Help", None)]
    assert sent.plain == "Ready? & go"
    assert sent.parse_mode == "HTML" and sent.edited == 0 and not sent.deleted


# ----- editing and deleting ---------------------------------------------------------------


async def test_edit_message_text(client, ana: FakeUser):
    message = await send(client, 1001, "<b>Hi</b>", parse_mode="HTML", reply_markup=KEYBOARD)
    target = {"chat_id": 1001, "message_id": message["message_id"]}
    not_modified = (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    # Same visible text and entities, same keyboard: not modified, however it is spelled.
    same = {"text": "<strong>Hi</strong>", "parse_mode": "HTML", "reply_markup": KEYBOARD}
    assert await fails(client, "editMessageText", 400, **same, **target) == not_modified
    edited = await ok(
        client,
        "editMessageText",
        text="<b>Hi</b> again",
        parse_mode="HTML",
        reply_markup=KEYBOARD,
        **target,
    )
    assert edited["text"] == "Hi again" and isinstance(edited["edit_date"], int)
    # Without reply_markup the keyboard goes away, which is a modification.
    edited = await ok(
        client, "editMessageText", text="<b>Hi</b> again", parse_mode="HTML", **target
    )
    assert "reply_markup" not in edited
    sent = ana.last()
    assert sent is not None
    assert sent.edited == 2 and sent.buttons() == [] and sent.plain == "Hi again"
    assert sent.history == ["<b>Hi</b>", "<b>Hi</b> again"]
    assert await fails(
        client, "editMessageText", 400, text="<b>x", parse_mode="HTML", **target
    ) == ("Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"")


async def test_edit_errors(client, ana: FakeUser):
    user_message = await ana.send("mine")
    missing = {"chat_id": 1001, "message_id": 99, "text": "x"}
    assert await fails(client, "editMessageText", 400, **missing) == (
        "Bad Request: message to edit not found"
    )
    assert await fails(client, "editMessageText", 400, chat_id=1001, text="x") == (
        "Bad Request: message identifier is not specified"
    )
    assert (
        await fails(
            client,
            "editMessageText",
            400,
            chat_id=1001,
            message_id=user_message["message_id"],
            text="x",
        )
        == "Bad Request: message can't be edited"
    )
    assert await fails(client, "editMessageText", 400, chat_id=4242, message_id=1, text="x") == (
        "Bad Request: chat not found"
    )
    message = await send(client, 1001, "x")
    assert await fails(
        client,
        "editMessageReplyMarkup",
        400,
        chat_id=1001,
        message_id=message["message_id"],
        reply_markup={"keyboard": [["A"]]},
    ) == ("Bad Request: inline keyboard expected")


async def test_edit_reply_markup_and_caption(client, ana: FakeUser):
    message = await send(client, 1001, "x", reply_markup=KEYBOARD)
    target = {"chat_id": 1001, "message_id": message["message_id"]}
    assert "not modified" in await fails(
        client, "editMessageReplyMarkup", 400, reply_markup=KEYBOARD, **target
    )
    edited = await ok(client, "editMessageReplyMarkup", reply_markup=keyboard("a", "b"), **target)
    assert [b["callback_data"] for b in edited["reply_markup"]["inline_keyboard"][0]] == ["a", "b"]
    assert await fails(client, "editMessageCaption", 400, caption="c", **target) == (
        "Bad Request: there is no caption in the message to edit"
    )
    await ana.send_photo(file_id="AgADphoto2")
    photo = await ok(client, "sendPhoto", chat_id=1001, photo="AgADphoto2", caption="old")
    target = {"chat_id": 1001, "message_id": photo["message_id"]}
    assert await fails(client, "editMessageText", 400, text="t", **target) == (
        "Bad Request: there is no text in the message to edit"
    )
    edited = await ok(
        client, "editMessageCaption", caption="<i>new</i>", parse_mode="HTML", **target
    )
    assert edited["caption"] == "new" and edited["caption_entities"][0]["type"] == "italic"
    assert ana.last() is not None and ana.last().plain == "new"


async def test_delete_message(client, ana: FakeUser):
    message = await send(client, 1001, "bye")
    target = {"chat_id": 1001, "message_id": message["message_id"]}
    assert await ok(client, "deleteMessage", **target) is True
    assert await fails(client, "deleteMessage", 400, **target) == (
        "Bad Request: message to delete not found"
    )
    assert await fails(client, "editMessageText", 400, text="x", **target) == (
        "Bad Request: message to edit not found"
    )
    assert ana.inbox() == []
    assert [m.deleted for m in ana.inbox(include_deleted=True)] == [True]


async def test_reply_parameters(client, ana: FakeUser):
    question = await ana.send("question?")
    reply = await send(
        client, 1001, "answer", reply_parameters={"message_id": question["message_id"]}
    )
    assert reply["reply_to_message"]["text"] == "question?"
    assert await fails(
        client, "sendMessage", 400, chat_id=1001, text="x", reply_parameters={"message_id": 999}
    ) == ("Bad Request: message to be replied not found")
    await send(
        client, 1001, "x", reply_parameters={"message_id": 999, "allow_sending_without_reply": True}
    )


# ----- callback queries -------------------------------------------------------------------


async def test_answer_callback_query_once(client, fake: FakeBotApi, ana: FakeUser):
    await send(client, 1001, "pick", reply_markup=KEYBOARD)
    sent = ana.last()
    assert sent is not None
    update = await ana.tap(sent, button_text="Yes")
    query = update["callback_query"]
    assert query["data"] == "yes" and query["from"]["id"] == 1001 and query["chat_instance"]
    assert query["message"]["reply_markup"] == KEYBOARD
    assert (
        await fails(
            client, "answerCallbackQuery", 400, callback_query_id=query["id"], text="x" * 201
        )
        == "Bad Request: MESSAGE_TOO_LONG"
    )
    await ok(
        client, "answerCallbackQuery", callback_query_id=query["id"], text="Saved", show_alert=True
    )
    assert await ana.wait_for_answer(update) == {"text": "Saved", "show_alert": True}
    assert fake.callback_queries[0].answer == {
        "text": "Saved",
        "show_alert": True,
        "url": None,
        "cache_time": 0,
    }
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    assert await fails(client, "answerCallbackQuery", 400, callback_query_id=query["id"]) == too_old
    assert await fails(client, "answerCallbackQuery", 400, callback_query_id="123") == too_old


async def test_tap_uses_current_keyboard(client, ana: FakeUser):
    message = await send(client, 1001, "pick", reply_markup=KEYBOARD)
    update = await ana.tap(message["message_id"], callback_data="yes")
    assert update["callback_query"]["data"] == "yes"
    await ok(
        client,
        "editMessageReplyMarkup",
        chat_id=1001,
        message_id=message["message_id"],
        reply_markup=keyboard("other"),
    )
    with pytest.raises(AssertionError, match="no button"):
        await ana.tap(message["message_id"], button_text="Yes")
    update = await ana.tap(message["message_id"], callback_data="other")
    assert update["callback_query"]["message"]["reply_markup"] == keyboard("other")
    assert update["callback_query"]["message"]["edit_date"] > 0


async def test_tap_refuses_url_buttons_and_forged_taps_carry_any_data(client, ana: FakeUser):
    url = {"inline_keyboard": [[{"text": "Site", "url": "https://example.com"}]]}
    message = await send(client, 1001, "x", reply_markup=url)
    with pytest.raises(AssertionError, match="not a callback button"):
        await ana.tap(message["message_id"], button_text="Site")
    update = await ana.tap_forged(message["message_id"], "admin:delete_all")
    assert update["callback_query"]["data"] == "admin:delete_all"
    update = await ana.tap_forged(777, "ghost")
    assert update["callback_query"]["message"]["date"] == 0  # inaccessible message


# ----- blocked users and rate limits ------------------------------------------------------


async def test_blocked_user_gets_403(client, fake: FakeBotApi, ana: FakeUser):
    fake.block(ana)
    blocked = "Forbidden: bot was blocked by the user"
    assert await fails(client, "sendMessage", 403, chat_id=1001, text="x") == blocked
    assert await fails(client, "sendChatAction", 403, chat_id=1001, action="typing") == blocked
    updates = await ok(client, "getUpdates")
    assert updates[-1]["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(AssertionError, match="blocked"):
        await ana.send("hello?")
    fake.unblock(ana)
    await send(client, 1001, "welcome back")
    assert [e.status for e in fake.errors] == [403, 403]


async def test_global_rate_limit_when_bursting_to_many_chats(client, fake: FakeBotApi):
    for user_id in range(2000, 2040):
        fake.user(user_id, f"U{user_id}")
    results = await asyncio.gather(
        *(
            call(client, "sendMessage", chat_id=user_id, text="news")
            for user_id in range(2000, 2040)
        )
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 30 + [429] * 10
    refused = [body for status, body in results if status == 429]
    for body in refused:
        retry_after = body["parameters"]["retry_after"]
        assert retry_after >= 1
        assert body["description"] == f"Too Many Requests: retry after {retry_after}"
    assert fake.too_many_requests == 10


async def test_per_chat_burst_then_429(client, fake: FakeBotApi, ana: FakeUser):
    for n in range(3):
        await send(client, 1001, f"m{n}")
    status, body = await call(client, "sendMessage", chat_id=1001, text="m3")
    assert status == 429 and body["parameters"] == {"retry_after": 1}
    # Edits, chat actions and other chats are not limited by this chat's bucket.
    await ok(client, "editMessageText", chat_id=1001, message_id=1, text="edited")
    await ok(client, "sendChatAction", chat_id=1001, action="typing")
    await send(client, fake.user(1002, "Ben").id, "other chat")
    assert len(ana.inbox()) == 3 and fake.too_many_requests == 1


async def test_rate_limits_can_be_disabled():
    async with FakeBotApi(TOKEN, enforce_rate_limits=False) as fake:
        fake.user(1001, "Ana")
        async with httpx.AsyncClient(base_url=f"{fake.base_url}{fake.token}/") as http:
            for n in range(10):
                await send(http, 1001, f"m{n}")
        assert fake.too_many_requests == 0


def test_token_bucket_refills_one_per_second():
    now = [100.0]
    limiter = RateLimiter(global_rate=30, per_chat_rate=1.0, per_chat_burst=3, clock=lambda: now[0])
    assert [limiter.acquire(1) for _ in range(3)] == [None, None, None]
    assert limiter.acquire(1) == 1
    now[0] += 0.5
    assert limiter.acquire(1) == 1  # half a token is not enough
    now[0] += 0.5
    assert limiter.acquire(1) is None
    now[0] += 10
    assert [limiter.acquire(1) for _ in range(4)] == [None, None, None, 1]  # capped at 3


def test_global_window_slides():
    now = [0.0]
    limiter = RateLimiter(global_rate=30, per_chat_rate=1.0, per_chat_burst=3, clock=lambda: now[0])
    for chat in range(30):
        assert limiter.acquire(chat) is None
        now[0] += 0.01
    assert limiter.acquire(99) == 1
    now[0] = 1.0
    assert limiter.acquire(99) is None  # the first send left the window


# ----- getUpdates -------------------------------------------------------------------------


async def test_get_updates_offset_and_limit(client, fake: FakeBotApi, ana: FakeUser):
    for text in ("one", "two", "three"):
        await ana.send(text)
    first = await ok(client, "getUpdates", limit=2)
    assert [u["update_id"] for u in first] == [1, 2]
    again = await ok(client, "getUpdates", offset=2)
    assert [u["message"]["text"] for u in again] == ["two", "three"]
    assert await ok(client, "getUpdates", offset=4) == []
    assert fake.pending_updates == 0
    await ana.send("four")
    await ana.send("five")
    assert [u["message"]["text"] for u in await ok(client, "getUpdates", offset=-1)] == ["five"]


async def test_long_poll_returns_when_an_update_arrives(client, fake: FakeBotApi, ana: FakeUser):
    started = time.monotonic()
    poll = asyncio.create_task(ok(client, "getUpdates", timeout=10))
    await fake.wait_until(lambda: fake.polling)
    await ana.send("/start")
    updates = await poll
    assert updates[0]["message"]["text"] == "/start"
    assert time.monotonic() - started < 5


async def test_long_poll_times_out_empty(client):
    started = time.monotonic()
    assert await ok(client, "getUpdates", timeout=1) == []
    assert time.monotonic() - started >= 0.9


async def test_second_poll_terminates_the_first(client, fake: FakeBotApi):
    first = asyncio.create_task(call(client, "getUpdates", timeout=10))
    await fake.wait_until(lambda: fake.polling)
    assert await ok(client, "getUpdates") == []
    status, body = await first
    assert status == 409 and body["description"].startswith("Conflict: terminated by other")


async def test_allowed_updates_filter(client, fake: FakeBotApi, ana: FakeUser):
    message = await send(client, 1001, "pick", reply_markup=KEYBOARD)
    await ana.send("text")
    await ana.tap(message["message_id"], callback_data="yes")
    updates = await ok(client, "getUpdates", allowed_updates=["callback_query"])
    assert [next(k for k in u if k != "update_id") for u in updates] == ["callback_query"]


async def test_webhook_blocks_get_updates(client):
    assert await fails(client, "setWebhook", 400, url="http://example.com/hook") == (
        "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
    )
    await ok(client, "setWebhook", url="https://example.com/hook")
    assert (await ok(client, "getWebhookInfo"))["url"] == "https://example.com/hook"
    assert (await fails(client, "getUpdates", 409)).startswith("Conflict: can't use getUpdates")
    await ok(client, "deleteWebhook", drop_pending_updates=True)
    assert (await ok(client, "getWebhookInfo"))["url"] == ""
    assert await ok(client, "getUpdates") == []


async def test_webhook_secret_token_follows_telegrams_rule(client, fake: FakeBotApi):
    hook = "https://example.com/hook"
    assert await fails(client, "setWebhook", 400, url=hook, secret_token="a" * 257) == (
        "Bad Request: secret token is too long"
    )
    for secret in ("has space", "colon:token", "plus+slash/", "dot.ted", "ümlaut"):
        assert await fails(client, "setWebhook", 400, url=hook, secret_token=secret) == (
            "Bad Request: secret token contains unallowed characters"
        ), secret
    assert fake.webhook_url == ""
    secret = "Az09_-" + "x" * 250
    assert await ok(client, "setWebhook", url=hook, secret_token=secret) is True
    assert (fake.webhook_url, fake.webhook_secret_token) == (hook, secret)
    await ok(client, "deleteWebhook")
    assert (fake.webhook_url, fake.webhook_secret_token) == ("", "")


# ----- commands ---------------------------------------------------------------------------


async def test_set_get_delete_commands(client, fake: FakeBotApi):
    assert fake.commands is None
    commands = [
        {"command": "start", "description": "Start"},
        {"command": "diary_2", "description": "Diary"},
    ]
    await ok(client, "setMyCommands", commands=commands)
    assert fake.commands == commands
    assert await ok(client, "getMyCommands") == commands
    assert await ok(client, "getMyCommands", language_code="pt") == []
    await ok(client, "deleteMyCommands")
    assert fake.commands is None and await ok(client, "getMyCommands") == []


@pytest.mark.parametrize(
    ("commands", "description"),
    [
        ([{"command": "Start", "description": "x"}], "BOT_COMMAND_INVALID"),
        ([{"command": "with-dash", "description": "x"}], "BOT_COMMAND_INVALID"),
        ([{"command": "a" * 33, "description": "x"}], "BOT_COMMAND_INVALID"),
        ([{"command": "", "description": "x"}], "BOT_COMMAND_INVALID"),
        ([{"command": "start", "description": ""}], "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([{"command": "start", "description": "d" * 257}], "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([{"command": f"c{i}", "description": "x"} for i in range(101)], "BOT_COMMANDS_TOO_MUCH"),
        ([{"command": "start"}], "can't parse BotCommand: Can't find field \"description\""),
    ],
)
async def test_invalid_commands(client, fake: FakeBotApi, commands: list, description: str):
    assert await fails(client, "setMyCommands", 400, commands=commands) == (
        f"Bad Request: {description}"
    )
    assert fake.commands is None


# ----- chats, actions and files -----------------------------------------------------------


async def test_get_chat_and_chat_actions(client, ana: FakeUser):
    chat = await ok(client, "getChat", chat_id=1001)
    assert chat["id"] == 1001 and chat["type"] == "private" and chat["first_name"] == "Ana"
    await ok(client, "sendChatAction", chat_id=1001, action="typing")
    assert await fails(client, "sendChatAction", 400, chat_id=1001, action="dancing") == (
        "Bad Request: wrong parameter action in request"
    )
    assert ana.chat_actions == ["typing"]


async def test_upload_photo_then_get_file_and_download(client, fake: FakeBotApi, ana: FakeUser):
    data = b"\xff\xd8\xff" + b"0" * 1000
    response = await client.post(
        "sendPhoto",
        data={"chat_id": "1001", "caption": "chart"},
        files={"photo": ("chart.jpg", data, "image/jpeg")},
    )
    message = response.json()["result"]
    largest = message["photo"][-1]
    assert len(message["photo"]) == 3 and largest["file_size"] == len(data)
    sent = ana.last()
    assert sent is not None and sent.kind == "photo" and sent.text == "chart"
    assert sent.file is not None and sent.file.uploaded
    assert (sent.file.file_name, sent.file.size) == ("chart.jpg", len(data))
    assert fake.calls[-1].params["photo"] == {"filename": "chart.jpg", "size": len(data)}
    file = await ok(client, "getFile", file_id=largest["file_id"])
    async with httpx.AsyncClient() as http:
        download = await http.get(f"{fake.base_file_url}{fake.token}/{file['file_path']}")
    assert download.content == data
    # The returned file_id can be sent again without uploading.
    again = await ok(client, "sendPhoto", chat_id=1001, photo=largest["file_id"])
    assert again["photo"][-1]["file_id"] == largest["file_id"]


async def test_attach_uri_and_documents(client, ana: FakeUser):
    response = await client.post(
        "sendDocument",
        data={"chat_id": "1001", "document": "attach://report"},
        files={"report": ("report.pdf", b"%PDF-1.4 fake", "application/pdf")},
    )
    document = response.json()["result"]["document"]
    assert document["file_name"] == "report.pdf" and document["mime_type"] == "application/pdf"
    received = await ana.send_document(
        file_id="BQADdoc", file_name="notes.txt", mime_type="text/plain"
    )
    await ok(client, "sendDocument", chat_id=1001, document=received["document"]["file_id"])
    assert await fails(client, "sendDocument", 400, chat_id=1001, document="nonsense") == (
        "Bad Request: wrong file identifier/HTTP URL specified"
    )
    assert await fails(client, "sendPhoto", 400, chat_id=1001) == (
        "Bad Request: there is no photo in the request"
    )
    assert await fails(client, "sendPhoto", 400, chat_id=1001, photo="BQADdoc") == (
        "Bad Request: can't use file of type Document as Photo"
    )
    assert await fails(client, "getFile", 400, file_id="nope") == "Bad Request: invalid file_id"
    voice = await ana.send_voice(file_id="AwADvoice", duration=4)
    file = await ok(client, "getFile", file_id=voice["voice"]["file_id"])
    assert file["file_path"].startswith("voice/")
    sent_voice = await ok(client, "sendVoice", chat_id=1001, voice="https://example.com/a.ogg")
    assert sent_voice["voice"]["mime_type"] == "audio/ogg"


async def test_forward_copy_and_other_media(client, fake: FakeBotApi, ana: FakeUser):
    ben = fake.user(1002, "Ben")
    original = await ana.send("share this")
    forwarded = await ok(
        client,
        "forwardMessage",
        chat_id=ben.id,
        from_chat_id=1001,
        message_id=original["message_id"],
    )
    assert forwarded["text"] == "share this"
    assert forwarded["forward_origin"]["sender_user"]["id"] == 1001
    copied = await ok(
        client,
        "copyMessage",
        chat_id=ben.id,
        from_chat_id=1001,
        message_id=original["message_id"],
        reply_markup=KEYBOARD,
    )
    assert set(copied) == {"message_id"}
    assert [(m.plain, m.buttons()) for m in ben.inbox()] == [
        ("share this", []),
        ("share this", [["Yes"]]),
    ]
    assert (
        await fails(client, "copyMessage", 400, chat_id=ben.id, from_chat_id=1001, message_id=99)
        == "Bad Request: message to copy not found"
    )
    video = await ok(client, "sendVideo", chat_id=1001, video="https://example.com/v.mp4")
    animation = await ok(client, "sendAnimation", chat_id=1001, animation="https://x.org/a.gif")
    assert video["video"]["duration"] >= 1 and animation["document"]["file_name"]
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        assert Update.de_json({"update_id": 1, "message": animation}, bot).message.animation


# ----- fault injection --------------------------------------------------------------------


async def test_fail_next_then_recover(client, fake: FakeBotApi, ana: FakeUser):
    fake.fail_next("sendMessage", 500)
    assert await fails(client, "sendMessage", 500, chat_id=1001, text="x") == (
        "Internal Server Error"
    )
    fake.fail_next("sendmessage", 429, retry_after=3)
    status, body = await call(client, "sendMessage", chat_id=1001, text="x")
    assert status == 429 and body["parameters"] == {"retry_after": 3}
    await send(client, 1001, "finally")
    assert [m.plain for m in ana.inbox()] == ["finally"]
    assert fake.too_many_requests == 1
    assert [(c.status, c.injected) for c in fake.errors] == [(500, True), (429, True)]


async def test_dropped_connections(client, fake: FakeBotApi, ana: FakeUser):
    fake.drop_next("sendMessage")
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post("sendMessage", data=form({"chat_id": 1001, "text": "lost"}))
    assert ana.inbox() == []
    fake.drop_next("sendMessage", after=True)
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post("sendMessage", data=form({"chat_id": 1001, "text": "delivered"}))
    assert [m.plain for m in ana.inbox()] == ["delivered"]  # performed, answer lost
    assert [c.status for c in fake.calls_of("sendMessage")] == [0, 0]


async def test_fault_rate(client, fake: FakeBotApi, ana: FakeUser):
    fake.fault_rate(1.0, kinds=("502",), seed=1)
    assert await fails(client, "getMe", 502) == "Bad Gateway"
    assert await ok(client, "getUpdates") == []  # polling is spared by default
    fake.fault_rate(0)
    await ok(client, "getMe")


# ----- fake users and waiting -------------------------------------------------------------


async def test_wait_for_sees_only_new_messages_in_order(client, fake: FakeBotApi, ana: FakeUser):
    fake.enforce_rate_limits = False  # many messages to one chat
    await send(client, 1001, "before")
    await ana.send("hi")
    await send(client, 1001, "first")
    await send(client, 1001, "second")
    assert (await ana.wait_for()).plain == "first"
    assert (await ana.wait_for()).plain == "second"
    await send(client, 1001, "third")
    await send(client, 1001, "fourth")
    await ana.send("again")
    with pytest.raises(AssertionError, match="no matching bot message"):
        await ana.wait_for(timeout=0.05)


async def test_wait_for_predicate_count_and_edits(client, fake: FakeBotApi, ana: FakeUser):
    fake.enforce_rate_limits = False  # many messages to one chat
    await ana.send("go")

    async def bot() -> None:
        message = await send(client, 1001, "working…")
        await send(client, 1001, "step 2")
        await ok(
            client, "editMessageText", chat_id=1001, message_id=message["message_id"], text="done"
        )

    task = asyncio.create_task(bot())
    assert (await ana.wait_for(lambda m: m.plain == "done")).edited == 1
    await task
    await ana.send("go again")
    await send(client, 1001, "a")
    await send(client, 1001, "b")
    assert (await ana.wait_for(count=2)).plain == "b"


async def test_wait_idle(client, fake: FakeBotApi, ana: FakeUser):
    await fake.wait_idle()
    await ana.send("unread")
    with pytest.raises(AssertionError, match="not idle"):
        await fake.wait_idle(timeout=0.1)
    await ok(client, "getUpdates")
    await fake.wait_idle()


async def test_user_update_shapes_parse_with_ptb(client, fake: FakeBotApi, ana: FakeUser):
    ben = fake.user(1002, "Ben", username="ben")
    bot_message = await send(client, 1001, "menu", reply_markup=KEYBOARD)
    text = await ana.send("/start@portage_test_bot abc")
    await ana.send_photo(file_id="AgADphoto", caption="look")
    await ana.send_voice(file_id="AwADvoice", duration=4)
    await ana.send_sticker()
    await ana.send_location(38.72, -9.14)
    await ana.send_contact("+351900000000", "Ana")
    await ana.send_document(file_id="BQADdoc", file_name="a.pdf")
    await ana.send_video(duration=3)
    await ana.send_animation()
    await ana.forward("forwarded", from_user_id=ben.id)
    await ana.edit(text, "/start edited")
    await ana.tap(bot_message["message_id"], button_text="Yes")
    fake.block(ana)
    raw = await ok(client, "getUpdates")
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        updates = [Update.de_json(u, bot) for u in raw]
    assert [u.update_id for u in updates] == list(range(1, 14))
    command = updates[0].message
    assert command.text == "/start@portage_test_bot abc"
    assert command.entities[0].type == "bot_command" and command.entities[0].length == 23
    assert command.from_user.language_code == "en" and command.chat.type == "private"
    assert updates[1].message.photo[-1].file_id == "AgADphoto"
    assert updates[1].message.caption == "look"
    assert updates[2].message.voice.file_id == "AwADvoice"
    assert updates[3].message.sticker.type == "regular"
    assert updates[4].message.location.latitude == pytest.approx(38.72)
    assert updates[5].message.contact.phone_number == "+351900000000"
    assert updates[6].message.document.file_name == "a.pdf"
    assert updates[7].message.video is not None
    assert updates[8].message.animation is not None
    origin = updates[9].message.forward_origin
    assert isinstance(origin, MessageOriginUser) and origin.sender_user.username == "ben"
    assert updates[10].edited_message.text == "/start edited"
    assert updates[10].edited_message.edit_date is not None
    query = updates[11].callback_query
    assert query.data == "yes" and query.message.reply_markup.inline_keyboard[0][0].text == "Yes"
    assert updates[12].my_chat_member.new_chat_member.status == "kicked"


# ----- python-telegram-bot against the fake -----------------------------------------------


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_ptb_bot_round_trip(fake: FakeBotApi, ana: FakeUser):
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
        assert bot.username == "portage_test_bot"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Diary", callback_data="diary:1")]])
        message = await bot.send_message(
            1001, "<b>Hello</b> Ana", parse_mode="HTML", reply_markup=markup
        )
        assert message.text == "Hello Ana" and message.entities[0].type == "bold"
        edited = await bot.edit_message_text("Bye", chat_id=1001, message_id=message.message_id)
        assert edited.text == "Bye" and edited.reply_markup is None
        await ana.send("/start")
        updates = await bot.get_updates(timeout=1)
        assert updates[0].message.text == "/start"
        with pytest.raises(BadRequest, match="(?i)can't parse entities"):
            await bot.send_message(1001, "<b>oops", parse_mode="HTML")
        photo = await bot.send_photo(1001, photo=b"\xff\xd8\xff fake jpeg")
        file = await bot.get_file(photo.photo[-1].file_id)
        assert bytes(await file.download_as_bytearray()) == b"\xff\xd8\xff fake jpeg"
        fake.block(ana)
        with pytest.raises(Forbidden):
            await bot.send_message(1001, "x")
        await fake.unblock(ana)  # awaiting is optional
        fake.fail_next("sendMessage", 429, retry_after=2)
        with pytest.raises(RetryAfter):
            await bot.send_message(1001, "x")
        chat = await bot.get_chat(1001)
        assert chat.first_name == "Ana"
    assert ana.inbox()[0].plain == "Bye"


async def test_ptb_application_tap_round_trip(fake: FakeBotApi):
    async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(
            "<b>Did the activity go well?</b>",
            parse_mode="HTML",
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton("Yes", callback_data="yes"),
                        InlineKeyboardButton("No", callback_data="no"),
                    ]
                ]
            ),
        )

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(f"Noted: {query.data}")
        await query.edit_message_text(f"You answered {query.data}")

    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CallbackQueryHandler(on_button))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        ana = fake.user(1001, "Ana")
        await ana.send("/start")
        question = await ana.wait_for(lambda m: "go well" in m.plain)
        assert question.buttons() == [["Yes", "No"]]
        update = await ana.tap(question, button_text="No")
        answer = await ana.wait_for_answer(update)
        assert answer == {"text": "Noted: no", "show_alert": False}
        edited = await ana.wait_for(lambda m: m.edited > 0)
        assert edited.plain == "You answered no" and edited.buttons() == []
        await fake.wait_idle()
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert fake.errors == []
    assert fake.unanswered_callback_queries == []


# ----- standalone server ------------------------------------------------------------------


async def test_standalone_server_and_control_api():
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fake_bot_api",
        "--port",
        str(port),
        "--users",
        "1001:Ana",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        banner = await asyncio.wait_for(process.stdout.readline(), 10)
        assert f"127.0.0.1:{port}/bot" in banner.decode()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get(f"/bot{TOKEN}/getMe")).json()["ok"] is True
            await http.post("/_fake/send", json={"user_id": 1001, "text": "/start"})
            updates = (await http.get(f"/bot{TOKEN}/getUpdates")).json()["result"]
            assert updates[0]["message"]["text"] == "/start"
            await http.post(f"/bot{TOKEN}/sendMessage", data={"chat_id": "1001", "text": "hi"})
            inbox = (await http.get("/_fake/inbox", params={"user_id": "1001"})).json()
            assert [m["text"] for m in inbox] == ["hi"]
            stats = (await http.get("/_fake/stats")).json()
            assert stats["calls"]["sendMessage"] == 1 and stats["errors"] == 0
    finally:
        process.terminate()
        await process.wait()


def test_a_group_takes_20_messages_a_minute():
    from tests.fake_bot_api.limits import RateLimiter

    now = [0.0]
    limiter = RateLimiter(per_chat_rate=100, per_chat_burst=100, clock=lambda: now[0])
    for n in range(20):
        now[0] = n * 0.5
        assert limiter.acquire(-1001) is None
    now[0] = 10.0
    assert limiter.acquire(-1001) == 50  # the first of the 20 leaves the minute at 60 s
    assert limiter.acquire(4242) is None  # a person's chat is not held by the group's count
    now[0] = 60.0
    assert limiter.acquire(-1001) is None
