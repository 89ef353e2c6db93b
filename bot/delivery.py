"""Sending one prepared message (an outbox payload) with the Bot API method it names.

Payloads are plain JSON so they can wait in the outbox: a text, a photo or voice note by its
Telegram file id, or a chart drawn from its data at send time (off the event loop).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile

from bot.chart import ChartData, ChartLabels, render_chart
from bot.rate_limit import bulk_send
from bot.send_pace import SharedPace
from bot.telegram_bot import PortageBot

MEDIA_METHODS = {
    "photo": "sendPhoto",
    "voice": "sendVoice",
    "video": "sendVideo",
    "document": "sendDocument",
}


def text_payload(text: str, markup: InlineKeyboardMarkup | None = None) -> dict[str, Any]:
    return {
        "method": "sendMessage",
        "text": text,
        "parse_mode": "HTML",
        "reply_markup": markup.to_dict() if markup else None,
    }


def media_payload(
    kind: str, file_id: str, caption: str, markup: InlineKeyboardMarkup | None = None
) -> dict[str, Any]:
    return {
        "method": MEDIA_METHODS[kind],
        "file_id": file_id,
        "caption": caption,
        "reply_markup": markup.to_dict() if markup else None,
    }


def chart_payload(chart: ChartData, labels: ChartLabels, caption: str) -> dict[str, Any]:
    return {
        "method": "sendChart",
        "chart": chart.to_json(),
        "labels": asdict(labels),
        "caption": caption,
    }


async def chart_png(payload: dict[str, Any]) -> bytes:
    labels = payload["labels"] | {"weekday_names": tuple(payload["labels"]["weekday_names"])}
    chart = ChartData.from_json(payload["chart"])
    # A few milliseconds of drawing and PNG encoding: a worker thread keeps the bot answering.
    return await asyncio.to_thread(render_chart, chart, ChartLabels(**labels))


async def deliver(
    bot: PortageBot,
    chat_id: int,
    payload: dict[str, Any],
    *,
    outbox_pace: SharedPace | None = None,
) -> int:
    """Send one payload; returns the new message's id. A send from the outbox (`outbox_pace`
    given) lets any person's reply go first and keeps to the pace shared by every instance; the
    pace's moment is waited for in the rate limiter, after a chart is drawn, so the request goes
    out on time. Raises SendReleased if the pace closes first."""
    method = payload.get("method", "sendMessage")
    rate_limit_args = bulk_send(outbox_pace) if outbox_pace is not None else None
    # The keyboard goes as it was stored (made by `InlineKeyboardMarkup.to_dict` when queued):
    # rebuilding the buttons only to write them out again cost a tenth of a send's CPU in a
    # fan-out.
    markup_data = payload.get("reply_markup") or None
    if method == "sendMessage":
        # Nearly every send (a fan-out is all reminders), so Telegram's answer stays JSON.
        sent = await bot.call_unparsed(
            "send_message",
            {
                "chat_id": chat_id,
                "text": payload["text"],
                "parse_mode": payload.get("parse_mode"),
                "reply_markup": markup_data,
            },
            rate_limit_args=rate_limit_args,
        )
        return sent["message_id"]
    # PTB's api_kwargs pass the stored keyboard through.
    send_options: dict[str, Any] = {"rate_limit_args": rate_limit_args}
    if markup_data:
        send_options["api_kwargs"] = {"reply_markup": markup_data}
    caption = payload.get("caption")
    if method == "sendChart":
        png = await chart_png(payload)
        photo = await bot.send_photo(
            chat_id=chat_id,
            photo=InputFile(png, filename="chart.png"),
            caption=caption,
            parse_mode="HTML",
            **send_options,
        )
        return photo.message_id
    senders = {
        "sendPhoto": bot.send_photo,
        "sendVoice": bot.send_voice,
        "sendVideo": bot.send_video,
        "sendDocument": bot.send_document,
    }
    if method not in senders:
        raise ValueError(f"unknown outbox method {method!r}")
    media = await senders[method](
        chat_id,
        payload["file_id"],
        caption=caption,
        parse_mode="HTML",
        **send_options,
    )
    return media.message_id
