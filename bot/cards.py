"""Presenting the diary as messages: a day card's text and its one-tap keyboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.diary import DayCard, TargetDay
from bot.texts import Texts

KEYCAPS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣")


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: HTML text and an optional inline keyboard."""

    text: str
    markup: InlineKeyboardMarkup | None = None

    def payload(self) -> dict[str, Any]:
        """The outbox form: plain JSON, sent later by the outbox sender."""
        return {
            "text": self.text,
            "parse_mode": "HTML",
            "reply_markup": self.markup.to_dict() if self.markup else None,
        }


def _answer_rows(
    texts: Texts, card: DayCard, target: TargetDay
) -> list[list[InlineKeyboardButton]]:
    """One row of answers per target (two for counted tries); the first button of a target
    carries its number, and the recorded answer is ticked."""
    keycap = KEYCAPS[target.position - 1]

    def button(label: str, code: str, chosen: bool, *, first: bool = False) -> InlineKeyboardButton:
        text = f"{keycap} {label}" if first else label
        return InlineKeyboardButton(
            texts.label("chosen", text) if chosen else text,
            callback_data=callbacks.answer(target.target_id, card.local_date, code),
        )

    not_today = button(
        texts.label("answer_not_today"), "n", target.answer == "not_today", first=True
    )
    if target.tries is None:
        yes = button(texts.label("answer_yes"), "y", target.answer == "yes", first=True)
        a_little = button(texts.label("answer_a_little"), "l", target.answer == "a_little")
        return [[yes, a_little, not_today]]
    counts = [
        button(
            texts.label("tries_button", succeeded, target.tries),
            str(succeeded),
            target.answer == "tries" and target.tries_succeeded == succeeded,
            first=succeeded == 0,
        )
        for succeeded in range(target.tries + 1)
    ]
    # Short rows stay tappable on a small phone: at most four counts a row.
    rows = [counts[start : start + 4] for start in range(0, len(counts), 4)]
    rows.append([not_today])
    return rows


def day_card(texts: Texts, card: DayCard, *, is_reminder: bool = False) -> Rendered:
    text = texts.render(
        "parent/day_card.html.j2", card=card, keycaps=KEYCAPS, is_reminder=is_reminder
    )
    if not card.targets:
        return Rendered(text)
    rows: list[list[InlineKeyboardButton]] = []
    for target in card.targets:
        rows.extend(_answer_rows(texts, card, target))
    rows.append(
        [
            InlineKeyboardButton(
                texts.label("add_note"), callback_data=callbacks.add_note(card.local_date)
            )
        ]
    )
    return Rendered(text, InlineKeyboardMarkup(rows))
