"""A summary as messages: the text (split cleanly at Telegram's limit), the activity chart, and the
family's photos and voice notes beneath it. Each is an outbox payload, so the same list is queued
before a visit or sent at once for /summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.chart import ChartLabels
from bot.delivery import MEDIA_METHODS, chart_payload, media_payload, text_payload
from bot.message_split import split_html
from bot.summaries import SummaryData
from bot.texts import MESSAGE_LIMIT, Texts


def chart_labels(texts: Texts) -> ChartLabels:
    return ChartLabels(
        yes=texts.label("chart_yes"),
        a_little=texts.label("chart_a_little"),
        not_today=texts.label("chart_not_today"),
        no_answer=texts.label("chart_no_answer"),
        not_in_plan=texts.label("chart_not_in_plan"),
        weekday_names=tuple(texts.label("chart_weekdays").split()),
    )


def _next_step_keyboard(texts: Texts, data: SummaryData) -> InlineKeyboardMarkup | None:
    rows = [
        [
            InlineKeyboardButton(
                texts.label("next_step_button", target.position, target.next_step.title),
                callback_data=callbacks.next_step(target.target_id, target.next_step.activity_id),
            )
        ]
        for target in data.targets
        if target.ready and target.next_step is not None
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def summary_messages(
    texts: Texts, data: SummaryData, *, next_visit_at: datetime | None, on_demand: bool
) -> list[dict[str, Any]]:
    text = texts.render(
        "visitor/summary.html.j2", summary=data, next_visit_at=next_visit_at, on_demand=on_demand
    )
    parts = split_html(text, MESSAGE_LIMIT)
    keyboard = _next_step_keyboard(texts, data)
    payloads = [
        text_payload(part, keyboard if index == len(parts) - 1 else None)
        for index, part in enumerate(parts)
    ]
    if data.targets:
        title = texts.label("chart_title", data.child_name, data.period_start, data.period_end)
        caption = texts.render("visitor/chart_caption.html.j2", summary=data)
        payloads.append(chart_payload(data.chart(title), chart_labels(texts), caption))
    for note in data.notes:
        if note.telegram_file_id and note.kind in MEDIA_METHODS:
            caption = texts.render(
                "visitor/media_caption.html.j2", note=note, child_name=data.child_name
            )
            payloads.append(media_payload(note.kind, note.telegram_file_id, caption))
    return payloads
