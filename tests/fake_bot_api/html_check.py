"""Validator and parser for Telegram's HTML subset (``parse_mode="HTML"``).

It walks the text the way Telegram's own parser does (tag names, attribute
syntax, error wording, *byte* offsets in the UTF-8 text), and returns what the
user would see: the visible text plus MessageEntity dicts with UTF-16 offsets.

Three things are stricter than Telegram's server, because Telegram's documentation
requires them and a bot that relies on the server's leniency is fragile:

* a bare ``&`` that does not start ``&lt;`` ``&gt;`` ``&amp;`` ``&quot;`` or a
  numeric reference, or a reference without its ``;``, is rejected;
* a bare ``>`` outside a tag is rejected;
* ``<a>`` needs an ``href``.

Pass ``strict=False`` to get the server's lenient behaviour for those cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip

# Tag -> entity type for tags whose entity needs no argument.
_SIMPLE_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",  # only <span class="tg-spoiler"> gets this far
    "code": "code",
}

_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

# Characters Telegram trims from both ends of a message after parsing.
TRIMMED_WHITESPACE = " \t\r\n"


class EntityParseError(ValueError):
    """The text cannot be parsed; ``str(err)`` is Telegram's reason text."""


@dataclass
class ParsedText:
    """Visible text and its entities (offsets and lengths in UTF-16 code units)."""

    text: str
    entities: list[dict] = field(default_factory=list)


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_start: int
    expandable: bool = False


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (astral characters count 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_reference(text: str, pos: int, *, strict: bool) -> tuple[str, int] | None:
    """Decode the character reference starting with ``&`` at ``pos``.

    Returns (character, index after the reference) or None when it is not a
    reference Telegram understands.
    """
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        is_hex = end < n and text[end] in "xX"
        if is_hex:
            end += 1
        digits_start = end
        allowed = "0123456789abcdefABCDEF" if is_hex else "0123456789"
        while end < n and text[end] in allowed:
            end += 1
        if end == digits_start:
            return None
        code = int(text[digits_start:end], 16 if is_hex else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        char = _NAMED_REFERENCES.get(text[pos + 1 : end], "")
        if not char:
            return None
    if end < n and text[end] == ";":
        return char, end + 1
    if strict:
        return None
    return char, end


def parse_html(text: str, *, strict: bool = True) -> ParsedText:
    """Parse ``text`` as Telegram HTML; raise EntityParseError like Telegram would."""
    out: list[str] = []
    utf16 = 0
    stack: list[_OpenTag] = []
    entities: list[dict] = []
    n = len(text)
    i = 0

    def emit(chunk: str) -> None:
        nonlocal utf16
        out.append(chunk)
        utf16 += utf16_len(chunk)

    while i < n:
        ch = text[i]
        if ch == "&":
            decoded = _decode_reference(text, i, strict=strict)
            if decoded is not None:
                emit(decoded[0])
                i = decoded[1]
                continue
            if strict:
                raise EntityParseError(
                    f"Character entity expected at byte offset {_byte_offset(text, i)}"
                )
        if ch == ">" and strict:
            raise EntityParseError(
                f'Character ">" must be escaped as "&gt;" at byte offset {_byte_offset(text, i)}'
            )
        if ch != "<":
            emit(ch)
            i += 1
            continue

        begin = i
        i += 1
        if i < n and text[i] == "/":
            i = _close_tag(text, begin, stack, entities, utf16, "".join(out))
        else:
            i, tag = _open_tag(text, begin, strict=strict)
            tag.utf16_start = utf16
            stack.append(tag)

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)  # a language only survives inside <pre>
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(out), entities)


def _open_tag(text: str, begin: int, *, strict: bool) -> tuple[int, _OpenTag]:
    """Parse a start tag at ``begin``; return (index after ``>``, the open tag)."""
    n = len(text)
    offset = _byte_offset(text, begin)
    i = begin + 1
    while i < n and not text[i].isspace() and text[i] != ">":
        i += 1
    if i >= n:
        raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
    name = text[begin + 1 : i].lower()
    if name not in SUPPORTED_TAGS:
        raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')

    tag = _OpenTag(name, "", 0)
    has_href = False
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
        if text[i] == ">":
            break
        attr_start = i
        while i < n and not text[i].isspace() and text[i] not in "=>":
            i += 1
        attr = text[attr_start:i]
        if not attr:
            raise EntityParseError(
                f'Empty attribute name in the tag "{name}" at byte offset {offset}'
            )
        while i < n and text[i].isspace():
            i += 1
        if i >= n or text[i] != "=":
            if name == "blockquote" and attr == "expandable":
                tag.expandable = True
                continue
            raise EntityParseError(
                "Expected equal sign in declaration of an attribute of the tag "
                f'"{name}" at byte offset {offset}'
            )
        i += 1
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise EntityParseError(f'Unclosed start tag "{name}" at byte offset {offset}')
        value, i = _attribute_value(text, i)
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {offset}")

        if name == "a" and attr == "href":
            tag.argument, has_href = value, True
        elif name == "code" and attr == "class" and value.startswith("language-"):
            tag.argument = value[len("language-") :]
        elif name == "span" and attr == "class" and value.startswith("tg-"):
            tag.argument = value[len("tg-") :]
        elif name == "tg-emoji" and attr == "emoji-id":
            tag.argument = value
        elif name == "blockquote" and attr == "expandable":
            tag.expandable = True

    if name == "span" and tag.argument != "spoiler":
        raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    if name == "a" and strict and not has_href:
        raise EntityParseError(f'Tag "a" must have attribute "href" at byte offset {offset}')
    if name == "tg-emoji" and not (tag.argument.isdigit() and int(tag.argument) < 2**63):
        raise EntityParseError("Invalid custom emoji identifier specified")
    return i + 1, tag


def _attribute_value(text: str, i: int) -> tuple[str, int]:
    """Read a quoted string or a bare name token starting at ``i``."""
    n = len(text)
    quote = text[i]
    if quote not in "'\"":
        start = i
        while i < n and (text[i].isascii() and text[i].isalnum() or text[i] in ".-"):
            i += 1
        if i < n and not text[i].isspace() and text[i] != ">":
            raise EntityParseError(
                f"Unexpected end of name token at byte offset {_byte_offset(text, start)}"
            )
        return text[start:i].lower(), i
    i += 1
    chars: list[str] = []
    while i < n and text[i] != quote:
        if text[i] == "&":
            decoded = _decode_reference(text, i, strict=False)
            if decoded is not None:
                chars.append(decoded[0])
                i = decoded[1]
                continue
        chars.append(text[i])
        i += 1
    if i < n:
        i += 1  # the closing quote
    return "".join(chars), i


def _close_tag(
    text: str,
    begin: int,
    stack: list[_OpenTag],
    entities: list[dict],
    utf16: int,
    visible_so_far: str,
) -> int:
    """Parse an end tag at ``begin``, pop the matching start tag, add its entity."""
    n = len(text)
    offset = _byte_offset(text, begin)
    if not stack:
        raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
    i = begin + 2
    while i < n and not text[i].isspace() and text[i] != ">":
        i += 1
    end_name = text[begin + 2 : i]
    while i < n and text[i].isspace():
        i += 1
    if i >= n or text[i] != ">":
        raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
    tag = stack[-1]
    if end_name and end_name != tag.name:
        raise EntityParseError(
            f'Unmatched end tag at byte offset {offset}, expected "</{tag.name}>", '
            f'found "</{end_name}>"'
        )
    stack.pop()
    length = utf16 - tag.utf16_start
    if length > 0:
        entity = _make_entity(tag, length, visible_so_far, entities)
        if entity is not None:
            entities.append(entity)
    return i + 1


def _make_entity(tag: _OpenTag, length: int, visible: str, entities: list[dict]) -> dict | None:
    entity: dict = {"offset": tag.utf16_start, "length": length}
    if tag.name in _SIMPLE_ENTITIES:
        entity["type"] = _SIMPLE_ENTITIES[tag.name]
        if tag.name == "code" and tag.argument:
            # Only meaningful inside <pre>; remembered until the pre closes.
            entity["language"] = tag.argument
        return entity
    if tag.name == "tg-emoji":
        return entity | {"type": "custom_emoji", "custom_emoji_id": tag.argument}
    if tag.name == "blockquote":
        return entity | {"type": "expandable_blockquote" if tag.expandable else "blockquote"}
    if tag.name == "pre":
        entity["type"] = "pre"
        # <pre><code class="language-x">...</code></pre> becomes one pre entity.
        inner = next(
            (
                e
                for e in entities
                if e["type"] == "code" and e["offset"] == tag.utf16_start and e["length"] == length
            ),
            None,
        )
        if inner is not None:
            entities.remove(inner)
            if inner.get("language"):
                entity["language"] = inner["language"]
        return entity
    # <a>: Telegram silently drops links whose URL it cannot accept.
    url = tag.argument or _tail_utf16(visible, length)
    if not _acceptable_url(url):
        return None
    return entity | {"type": "text_link", "url": url}


def _tail_utf16(text: str, units: int) -> str:
    encoded = text.encode("utf-16-le")
    return encoded[len(encoded) - 2 * units :].decode("utf-16-le")


def _acceptable_url(url: str) -> bool:
    lowered = url.lower()
    if lowered.startswith(("http://", "https://")):
        return len(url.split("://", 1)[1].strip("/")) > 0
    if lowered.startswith(("tg://", "mailto:", "tel:")):
        return len(url) > len(lowered.split(":", 1)[0]) + 1
    # Telegram accepts bare domains such as "example.com" and adds http://.
    host = url.split("/", 1)[0]
    return "." in host and " " not in url and not host.startswith(".")


def trim_parsed(parsed: ParsedText) -> ParsedText:
    """Trim surrounding whitespace like Telegram and clip entities accordingly."""
    text = parsed.text
    stripped = text.lstrip(TRIMMED_WHITESPACE)
    shift = utf16_len(text) - utf16_len(stripped)
    stripped = stripped.rstrip(TRIMMED_WHITESPACE)
    total = utf16_len(stripped)
    entities: list[dict] = []
    for entity in parsed.entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            entities.append(entity | {"offset": start, "length": end - start})
    return ParsedText(stripped, entities)


def visible_text(html: str) -> str:
    """What a user sees for ``html``; lenient, for display helpers only."""
    try:
        return parse_html(html, strict=False).text
    except EntityParseError:
        return html
