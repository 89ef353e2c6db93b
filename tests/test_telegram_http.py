"""The bot's HTTP client (bot/telegram_http.py) through PTB's Bot, over real HTTP: against the
fake Bot API, against a port nobody listens on, and against a server that never answers."""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator

import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.telegram_http import AiohttpRequest
from tests.conftest import TOKEN
from tests.fake_bot_api import FakeBotApi


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def _bot(base_url: str, **options: float) -> Bot:
    return Bot(TOKEN, base_url=base_url, request=AiohttpRequest(connection_pool_size=4, **options))


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """Accepts connections and reads requests, and never answers."""
    connections: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await reader.read(65536)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/bot"
    for writer in connections:
        writer.close()
    server.close()
    await server.wait_closed()


async def test_messages_and_uploads_reach_the_api(fake: FakeBotApi) -> None:
    fake.user(1001, "Ana")
    fake.user(1002, "Ben")
    png = _png()
    async with _bot(fake.base_url) as bot:
        text = await bot.send_message(1001, "Well done &amp; <b>thank you</b> 🌟", "HTML")
        photo = await bot.send_photo(1002, png, caption="This fortnight")
    [sent_text] = fake.messages(1001)
    [sent_photo] = fake.messages(1002)
    assert sent_text.plain == "Well done & thank you 🌟"
    assert text.message_id == sent_text.message_id
    assert sent_photo.kind == "photo"
    assert sent_photo.file is not None and sent_photo.file.uploaded
    assert fake.file_bytes(sent_photo.file.stored_file_id) == png
    assert photo.caption == "This fortnight"
    assert fake.calls[-1].content_type == "multipart/form-data"


async def test_a_message_without_files_goes_as_one_json_object(fake: FakeBotApi) -> None:
    fake.user(1001, "Ana")
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("✓ Yes", callback_data="a1:7:y"),
                InlineKeyboardButton("Ń", url="https://example.org/?a=1&b=2"),
            ]
        ]
    )
    async with _bot(fake.base_url) as bot:
        sent = await bot.send_message(
            1001, "Zażółć &lt;gęślą&gt; 😀", "HTML", reply_markup=keyboard
        )
        await bot.edit_message_text("Saved: yes", 1001, sent.message_id, reply_markup=keyboard)
    [message] = fake.messages(1001)
    assert message.plain == "Saved: yes"
    assert message.button_data() == [("✓ Yes", "a1:7:y"), ("Ń", None)]
    assert sent.reply_markup == keyboard
    calls = [call for call in fake.calls if call.method in ("sendMessage", "editMessageText")]
    assert [call.content_type for call in calls] == ["application/json"] * 2
    assert calls[0].params["text"] == "Zażółć &lt;gęślą&gt; 😀"
    assert calls[0].params["chat_id"] == 1001


async def test_telegrams_refusal_is_ptbs_error(fake: FakeBotApi) -> None:
    async with _bot(fake.base_url) as bot:
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message(424242, "Hello")


async def test_a_dropped_connection_is_a_network_error(fake: FakeBotApi) -> None:
    fake.user(1001, "Ana")
    fake.drop_next("sendMessage")
    async with _bot(fake.base_url) as bot:
        with pytest.raises(NetworkError) as raised:
            await bot.send_message(1001, "Hello")
        assert not isinstance(raised.value, TimedOut)
        # The pool recovers: the next send goes through.
        await bot.send_message(1001, "Hello again")
    assert [message.plain for message in fake.messages(1001)] == ["Hello again"]


async def test_nobody_listening_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
        assert not isinstance(raised.value, TimedOut)
    finally:
        await request.shutdown()


async def test_no_answer_within_the_read_timeout_is_timed_out(silent_server: str) -> None:
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"{silent_server}{TOKEN}/getMe")
    finally:
        await request.shutdown()
