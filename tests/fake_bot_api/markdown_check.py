"""Parsers for ``parse_mode="MarkdownV2"`` and the legacy ``"Markdown"``.

They follow the structure of Telegram's own parser closely enough to reject
what Telegram rejects (unescaped reserved characters, unclosed entities) with
the same wording and byte offsets, and to return the visible text. Entity
output covers the common styles; links whose URL Telegram would refuse are
dropped silently, as Telegram does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .html_check import EntityParseError, ParsedText, utf16_len

RESERVED_V2 = "_*[]()~`>#+-=|{}.!"

# Names Telegram prints in "Can't find end of <Name> entity" errors.
_TYPE_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


@dataclass
class _Open:
    type: str
    utf16_start: int
    byte_offset: int
    visible_start: int
    language: str = ""


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _reserved(char: str) -> EntityParseError:
    return EntityParseError(
        f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
    )


def _at(text: str, i: int) -> str:
    return text[i] if 0 <= i < len(text) else ""


def _escapable(text: str, i: int) -> bool:
    nxt = _at(text, i + 1)
    return bool(nxt) and 0 < ord(nxt) <= 126


def parse_markdown_v2(text: str) -> ParsedText:
    """Parse MarkdownV2; raise EntityParseError with Telegram's wording."""
    out: list[str] = []
    utf16 = 0
    stack: list[_Open] = []
    entities: list[dict] = []
    quote_start: int | None = None  # utf16 offset of an open blockquote
    n = len(text)
    i = 0

    def emit(chunk: str) -> None:
        nonlocal utf16
        out.append(chunk)
        utf16 += utf16_len(chunk)

    while i < n:
        ch = text[i]
        at_line_start = i == 0 or text[i - 1] == "\n"
        if at_line_start and not stack:
            if ch == ">" or text.startswith("**>", i):
                if quote_start is None:
                    quote_start = utf16
                i += 1 if ch == ">" else 3
                continue
            if quote_start is not None:
                _close_quote(entities, quote_start, utf16, "".join(out))
                quote_start = None
        if ch == "\\" and _escapable(text, i):
            emit(text[i + 1])
            i += 2
            continue
        in_code = bool(stack) and stack[-1].type in ("code", "pre")
        if ch not in ("`" if in_code else RESERVED_V2):
            emit(ch)
            i += 1
            continue
        # "||" closing an expandable blockquote at the end of its last line.
        if (
            quote_start is not None
            and not stack
            and text.startswith("||", i)
            and _at(text, i + 2) in ("", "\n")
        ):
            i += 2
            continue

        top = stack[-1].type if stack else ""
        closes = (
            (top == "bold" and ch == "*")
            or (top == "italic" and ch == "_" and _at(text, i + 1) != "_")
            or (top == "underline" and text.startswith("__", i))
            or (top == "strikethrough" and ch == "~")
            or (top == "spoiler" and text.startswith("||", i))
            or (top == "code" and ch == "`")
            or (top == "pre" and text.startswith("```", i))
            or (top in ("text_link", "custom_emoji") and ch == "]")
        )
        if closes:
            i = _close_v2(text, i, stack, entities, utf16, "".join(out))
            continue
        i = _open_v2(text, i, stack, utf16, len(out))

    if stack:
        last = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_TYPE_NAMES[last.type]} entity at byte offset {last.byte_offset}"
        )
    if quote_start is not None:
        _close_quote(entities, quote_start, utf16, "".join(out))
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(out), entities)


def _close_quote(entities: list[dict], start: int, end: int, visible: str) -> None:
    # The newline that ends the quoted lines is not part of the quote.
    if visible.endswith("\n"):
        end -= 1
    if end > start:
        entities.append({"type": "blockquote", "offset": start, "length": end - start})


def _open_v2(text: str, i: int, stack: list[_Open], utf16: int, visible_len: int) -> int:
    ch = text[i]
    entry = _Open("", utf16, _byte_offset(text, i), visible_len)
    if ch == "_":
        entry.type = "underline" if _at(text, i + 1) == "_" else "italic"
        i += 2 if entry.type == "underline" else 1
    elif ch == "*":
        entry.type, i = "bold", i + 1
    elif ch == "~":
        entry.type, i = "strikethrough", i + 1
    elif ch == "|" and _at(text, i + 1) == "|":
        entry.type, i = "spoiler", i + 2
    elif ch == "[":
        entry.type, i = "text_link", i + 1
    elif ch == "!" and _at(text, i + 1) == "[":
        entry.type, i = "custom_emoji", i + 2
    elif ch == "`" and text.startswith("```", i):
        entry.type, i = "pre", i + 3
        lang_end = i
        while lang_end < len(text) and not text[lang_end].isspace() and text[lang_end] != "`":
            lang_end += 1
        if lang_end != i and lang_end < len(text) and text[lang_end] != "`":
            entry.language, i = text[i:lang_end], lang_end
        if _at(text, i) in ("\n", "\r"):
            i += 2 if _at(text, i + 1) in ("\n", "\r") and text[i] != text[i + 1] else 1
    elif ch == "`":
        entry.type, i = "code", i + 1
    else:
        raise _reserved(ch)
    stack.append(entry)
    return i


def _read_url(text: str, i: int) -> tuple[str, int]:
    """Read an escaped URL starting at ``i``; return (url, index of ``)``)."""
    start = i
    url: list[str] = []
    while i < len(text) and text[i] != ")":
        if text[i] == "\\" and _escapable(text, i):
            url.append(text[i + 1])
            i += 2
            continue
        url.append(text[i])
        i += 1
    if i >= len(text):
        raise EntityParseError(
            f"Can't find end of a URL at byte offset {_byte_offset(text, start)}"
        )
    return "".join(url), i


def _close_v2(
    text: str, i: int, stack: list[_Open], entities: list[dict], utf16: int, visible: str
) -> int:
    entry = stack.pop()
    entity: dict = {"type": entry.type, "offset": entry.utf16_start}
    if entry.type in ("underline", "spoiler"):
        i += 2
    elif entry.type == "pre":
        i += 3
        if entry.language:
            entity["language"] = entry.language
    elif entry.type == "text_link":
        if _at(text, i + 1) == "(":
            url, i = _read_url(text, i + 2)
        else:
            url = visible[entry.visible_start :]
        i += 1
        if not _looks_like_url(url):
            return i
        entity["url"] = url
    elif entry.type == "custom_emoji":
        if _at(text, i + 1) != "(":
            raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
        url, i = _read_url(text, i + 2)
        i += 1
        emoji_id = url.removeprefix("tg://emoji?id=")
        if not emoji_id.isdigit():
            raise EntityParseError("Invalid custom emoji identifier specified")
        entity["custom_emoji_id"] = emoji_id
    else:
        i += 1
    entity["length"] = utf16 - entry.utf16_start
    if entity["length"] > 0:
        entities.append(entity)
    return i


def _looks_like_url(url: str) -> bool:
    lowered = url.lower()
    if lowered.startswith(("http://", "https://", "tg://")):
        return len(url.split("://", 1)[1]) > 0
    return "." in url.split("/", 1)[0] and " " not in url


def parse_markdown(text: str) -> ParsedText:
    """Parse legacy Markdown (``*bold*``, ``_italic_``, `` `code` ``, ``[text](url)``)."""
    out: list[str] = []
    utf16 = 0
    entities: list[dict] = []
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        if ch == "\\" and _at(text, i + 1) in ("_", "*", "`", "["):
            out.append(text[i + 1])
            utf16 += 1
            i += 2
            continue
        if ch not in "_*`[":
            out.append(ch)
            utf16 += utf16_len(ch)
            i += 1
            continue
        begin = i
        is_pre = text.startswith("```", i)
        end_marker = "```" if is_pre else ("]" if ch == "[" else ch)
        i += 3 if is_pre else 1
        language = ""
        if is_pre:
            lang_end = i
            while lang_end < n and text[lang_end] not in " \n`":
                lang_end += 1
            if lang_end < n and text[lang_end] == "\n":
                language, i = text[i:lang_end], lang_end + 1
        end = text.find(end_marker, i)
        if end < 0:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        inner = text[i:end]
        start = utf16
        out.append(inner)
        utf16 += utf16_len(inner)
        i = end + len(end_marker)
        entity: dict = {"offset": start, "length": utf16 - start}
        if ch == "[":
            if _at(text, i) != "(":
                raise EntityParseError(
                    f"Can't find end of the entity starting at byte offset "
                    f"{_byte_offset(text, begin)}"
                )
            close = text.find(")", i)
            if close < 0:
                raise EntityParseError(
                    f"Can't find end of a URL at byte offset {_byte_offset(text, i + 1)}"
                )
            url = text[i + 1 : close]
            i = close + 1
            if not _looks_like_url(url):
                continue
            entity |= {"type": "text_link", "url": url}
        elif is_pre:
            entity["type"] = "pre"
            if language:
                entity["language"] = language
        else:
            entity["type"] = {"*": "bold", "_": "italic", "`": "code"}[ch]
        if entity["length"] > 0:
            entities.append(entity)
    return ParsedText("".join(out), entities)
