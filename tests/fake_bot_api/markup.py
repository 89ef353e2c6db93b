"""Validation of ``reply_markup`` as Telegram's Bot API checks it.

Covers InlineKeyboardMarkup in depth (it is what the bot's buttons are made of)
and the structure of ReplyKeyboardMarkup, ReplyKeyboardRemove and ForceReply.
Error descriptions are the ones Telegram answers with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .errors import bad_request

MAX_BUTTONS = 100
MAX_CALLBACK_DATA_BYTES = 64

INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_INLINE_EXTRAS = ("style", "icon_custom_emoji_id")
_KEYBOARD_FLAGS = ("resize_keyboard", "one_time_keyboard", "is_persistent", "selective")

_MARKUP_JSON_ERROR = "can't parse reply keyboard markup JSON object"
_BUTTON_ERROR = "can't parse inline keyboard button: "


@dataclass(frozen=True)
class ReplyMarkup:
    """A validated markup: ``sent`` as the bot sent it; ``inline`` normalized, if inline."""

    kind: str  # "inline", "keyboard", "remove" or "force_reply"
    sent: dict
    inline: dict | None


def parse_reply_markup(value: Any, *, inline_only: bool = False) -> ReplyMarkup | None:
    """Validate a raw ``reply_markup`` parameter (JSON text or already decoded)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request(_MARKUP_JSON_ERROR) from None
    if not isinstance(value, dict):
        raise bad_request(_MARKUP_JSON_ERROR)
    if "inline_keyboard" in value:
        return ReplyMarkup("inline", value, _parse_inline(value["inline_keyboard"]))
    if inline_only:
        # Edits can only carry inline keyboards.
        raise bad_request("inline keyboard expected")
    if "keyboard" in value:
        _parse_keyboard(value)
        return ReplyMarkup("keyboard", value, None)
    if "remove_keyboard" in value:
        _require_flag(value, "remove_keyboard")
        return ReplyMarkup("remove", value, None)
    if "force_reply" in value:
        _require_flag(value, "force_reply")
        return ReplyMarkup("force_reply", value, None)
    raise bad_request(_MARKUP_JSON_ERROR)


def _require_flag(markup: dict, name: str) -> None:
    if not isinstance(markup[name], bool):
        raise bad_request(f'field "{name}" must be of type Boolean')
    _check_flags(markup, ("selective",))


def _check_flags(markup: dict, names: tuple[str, ...]) -> None:
    for name in names:
        if name in markup and not isinstance(markup[name], bool):
            raise bad_request(f'field "{name}" must be of type Boolean')


def _rows(rows: Any, field: str) -> list[list[Any]]:
    if not isinstance(rows, list):
        raise bad_request(f'field "{field}" must be of type Array')
    if not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{field}" must be an Array of Arrays')
    count = sum(len(row) for row in rows)
    if count > MAX_BUTTONS:
        raise bad_request("reply markup is too long")
    return rows


def _parse_inline(rows: Any) -> dict | None:
    normalized = [[_parse_inline_button(b) for b in row] for row in _rows(rows, "inline_keyboard")]
    # Telegram drops empty rows; an empty keyboard is the same as none.
    normalized = [row for row in normalized if row]
    return {"inline_keyboard": normalized} if normalized else None


def _parse_inline_button(button: Any) -> dict:
    if not isinstance(button, dict):
        raise bad_request(_BUTTON_ERROR + "InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise bad_request(_BUTTON_ERROR + 'Can\'t find field "text"')
    text = button["text"]
    if not isinstance(text, str):
        raise bad_request(_BUTTON_ERROR + 'Field "text" must be of type String')
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    # An empty callback_data counts as absent, as on Telegram.
    actions = [a for a in INLINE_ACTIONS if a in button and button[a] != ""]
    if not actions:
        raise bad_request(_BUTTON_ERROR + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request(_BUTTON_ERROR + "exactly one of the optional fields must be used")
    action = actions[0]
    value = button[action]
    if action == "callback_data":
        if not isinstance(value, str):
            raise bad_request(_BUTTON_ERROR + 'Field "callback_data" must be of type String')
        if len(value.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    elif action == "url":
        _check_url(value, "inline keyboard button URL")
    elif action == "web_app":
        url = value.get("url") if isinstance(value, dict) else None
        if not isinstance(url, str) or not url.lower().startswith("https://"):
            raise bad_request(
                f"inline keyboard button Web App URL '{url}' is invalid: "
                "Only HTTPS links are allowed"
            )
    elif action == "copy_text":
        copied = value.get("text") if isinstance(value, dict) else None
        if not isinstance(copied, str) or not 1 <= len(copied) <= 256:
            raise bad_request("BUTTON_COPY_TEXT_INVALID")
    elif action in ("pay", "callback_game"):
        # Only valid on invoice and game messages, which this double does not send.
        raise bad_request("BUTTON_TYPE_INVALID")
    kept = {"text": text, action: value}
    kept.update({k: button[k] for k in _INLINE_EXTRAS if k in button})
    return kept


def _check_url(url: Any, what: str) -> None:
    if not isinstance(url, str):
        raise bad_request(_BUTTON_ERROR + 'Field "url" must be of type String')
    scheme, sep, rest = url.partition("://")
    if sep:
        if scheme.lower() not in ("http", "https", "tg"):
            raise bad_request(f"{what} '{url}' is invalid: Unsupported URL protocol")
        if not rest.split("/", 1)[0]:
            raise bad_request(f"{what} '{url}' is invalid: URL host is empty")
        return
    host = url.split("/", 1)[0]
    if "." not in host.strip(".") or " " in url:
        raise bad_request(f"{what} '{url}' is invalid: Wrong HTTP URL")


def _parse_keyboard(markup: dict) -> None:
    for row in _rows(markup["keyboard"], "keyboard"):
        for button in row:
            if isinstance(button, str):
                text = button
            elif isinstance(button, dict):
                if "text" not in button:
                    raise bad_request("can't parse keyboard button: Can't find field \"text\"")
                text = button["text"]
            else:
                raise bad_request("can't parse keyboard button: KeyboardButton must be an Object")
            if not isinstance(text, str) or not text.strip():
                raise bad_request("BUTTON_TEXT_INVALID")
    _check_flags(markup, _KEYBOARD_FLAGS)
