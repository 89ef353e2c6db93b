"""Presenting the diary as messages: a day card's text and its one-tap keyboard."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.diary import DayCard, TargetDay, WeekView
from bot.i18n import LANGUAGES
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


def in_language(texts: Texts, target: TargetDay) -> TargetDay:
    """The target with its library activity's words in the reader's language, where there are
    any (bot.texts.Texts.activity_words says when there are not)."""
    words = texts.activity_words(target.activity_id, target.title, target.target_text)
    if words is None:
        return target
    return replace(
        target,
        title=words.title,
        target_text=words.target,
        criterion_text=words.criterion,
        steps=list(words.steps),
        materials=list(words.materials),
        tip=words.tip,
    )


def week_in_language(texts: Texts, week: WeekView) -> WeekView:
    """The week with activity titles in the reader's language, where there are any."""
    targets = [
        replace(
            target, title=texts.activity_title(target.activity_id, target.title, target.target_text)
        )
        for target in week.targets
    ]
    return replace(week, targets=targets)


def day_card(texts: Texts, card: DayCard, *, is_reminder: bool = False) -> Rendered:
    card = replace(card, targets=[in_language(texts, target) for target in card.targets])
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


def language_question(texts: Texts, current: str, *, enrolling: bool) -> Rendered:
    """ "Which language?", asked first at enrolment (before anything that needs reading) and
    by /language."""
    text = texts.render("parent/choose_language.html.j2", enrolling=enrolling)
    return Rendered(text, language_keyboard(texts, current))


def language_keyboard(texts: Texts, current: str) -> InlineKeyboardMarkup:
    """Every language in its own name, two a row; the current one first and ticked, so the
    language of the parent's Telegram app is the one already chosen."""
    codes = [current, *(code for code in LANGUAGES if code != current)]
    buttons = [
        InlineKeyboardButton(
            texts.label("chosen", LANGUAGES[code].own_name)
            if code == current
            else LANGUAGES[code].own_name,
            callback_data=callbacks.language(code),
        )
        for code in codes
    ]
    return InlineKeyboardMarkup([buttons[start : start + 2] for start in range(0, len(buttons), 2)])
