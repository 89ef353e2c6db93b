"""Turns a text/caption parameter into what Telegram stores and shows.

Applies the parse mode (or explicit ``entities``), trims surrounding whitespace
as Telegram does, and enforces the length limits. Lengths are counted in UTF-16
code units, the unit Telegram's entity offsets use; for text outside the Basic
Multilingual Plane (emoji) that is stricter than counting code points, which
is the safe side for a test double.
"""

from __future__ import annotations

from typing import Any

from .errors import bad_request
from .html_check import EntityParseError, ParsedText, parse_html, trim_parsed, utf16_len
from .markdown_check import parse_markdown, parse_markdown_v2

MAX_TEXT = 4096
MAX_CAPTION = 1024

PARSE_MODES = {"html": "HTML", "markdownv2": "MarkdownV2", "markdown": "Markdown"}

ENTITY_TYPES = frozenset(
    {
        "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number",
        "bold", "italic", "underline", "strikethrough", "spoiler", "blockquote",
        "expandable_blockquote", "code", "pre", "text_link", "text_mention", "custom_emoji",
    }
)  # fmt: skip


def normalize_parse_mode(value: str | None) -> str | None:
    """Telegram matches parse modes case-insensitively; empty means none."""
    if not value:
        return None
    mode = PARSE_MODES.get(value.lower())
    if mode is None:
        raise bad_request("unsupported parse_mode")
    return mode


def parse_formatted(
    raw: str, parse_mode: str | None, entities: Any = None, *, strict_html: bool = True
) -> ParsedText:
    """Visible text and entities for ``raw`` (untrimmed, unchecked for length)."""
    if entities is not None:
        # With explicit entities Telegram ignores parse_mode.
        return ParsedText(raw, _check_entities(raw, entities))
    mode = normalize_parse_mode(parse_mode)
    try:
        if mode == "HTML":
            return parse_html(raw, strict=strict_html)
        if mode == "MarkdownV2":
            return parse_markdown_v2(raw)
        if mode == "Markdown":
            return parse_markdown(raw)
    except EntityParseError as err:
        raise bad_request(f"can't parse entities: {err}") from None
    return ParsedText(raw, [])


def message_text(
    raw: str | None, parse_mode: str | None, entities: Any = None, *, strict_html: bool = True
) -> ParsedText:
    """Validate a message text the way sendMessage/editMessageText do."""
    if not raw:
        raise bad_request("message text is empty")
    parsed = trim_parsed(parse_formatted(raw, parse_mode, entities, strict_html=strict_html))
    if not parsed.text:
        raise bad_request("text must be non-empty")
    if utf16_len(parsed.text) > MAX_TEXT:
        raise bad_request("message is too long")
    return parsed


def caption_text(
    raw: str | None, parse_mode: str | None, entities: Any = None, *, strict_html: bool = True
) -> ParsedText | None:
    """Validate an optional caption; None when there is no visible caption."""
    if not raw:
        return None
    parsed = trim_parsed(parse_formatted(raw, parse_mode, entities, strict_html=strict_html))
    if not parsed.text:
        return None
    if utf16_len(parsed.text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return parsed


def _check_entities(text: str, entities: Any) -> list[dict]:
    if not isinstance(entities, list):
        raise bad_request("can't parse entities JSON object")
    total = utf16_len(text)
    checked: list[dict] = []
    for entity in entities:
        if not isinstance(entity, dict):
            raise bad_request("can't parse MessageEntity: expected an Object")
        kind = entity.get("type")
        if kind not in ENTITY_TYPES:
            raise bad_request("can't parse MessageEntity: Unsupported type specified")
        offset, length = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(length, int):
            raise bad_request('can\'t parse MessageEntity: Field "offset" must be a valid Number')
        if offset < 0:
            raise bad_request(f"receive an entity with incorrect offset {offset}")
        if offset > total:
            raise bad_request(f"entity begins after the end of the text at UTF-16 offset {offset}")
        if offset + length > total:
            raise bad_request(
                f"entity beginning at UTF-16 offset {offset} ends after the end of the text "
                f"at UTF-16 offset {offset + length}"
            )
        required = {"text_link": "url", "text_mention": "user", "custom_emoji": "custom_emoji_id"}
        if kind in required and required[kind] not in entity:
            raise bad_request(f"can't parse MessageEntity: Can't find field \"{required[kind]}\"")
        if length > 0:
            checked.append(dict(entity))
    return checked
