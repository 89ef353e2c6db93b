"""Splitting a long Telegram-HTML message into parts that each fit Telegram's limit.

Breaks fall between paragraphs where possible, then at a line break, then at a space, and only
as a last resort inside a word; never inside a tag, a character reference or a character. Tags
open at a break are closed at the end of the part and opened again at the start of the next, so
every part is valid HTML on its own.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"<[^>]*>|&#?[A-Za-z0-9]+;|.", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9-]*)")


@dataclass(frozen=True)
class _Atom:
    raw: str
    kind: str  # "open", "close" or "char"
    width: int = 0  # UTF-16 code units the reader sees
    name: str = ""

    @property
    def visible(self) -> str:
        return html.unescape(self.raw) if self.kind == "char" else ""


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _atoms(text: str) -> list[_Atom]:
    atoms = []
    for token in _TOKEN.findall(text):
        if token.startswith("<") and len(token) > 1 and token.endswith(">"):
            match = _TAG_NAME.match(token)
            name = match.group(1).lower() if match else ""
            atoms.append(_Atom(token, "close" if token.startswith("</") else "open", 0, name))
        else:
            atoms.append(_Atom(token, "char", _utf16(html.unescape(token))))
    return atoms


def visible_length(text: str) -> int:
    """What Telegram counts against its limit: UTF-16 units of the text after parsing."""
    return sum(atom.width for atom in _atoms(text))


def split_html(text: str, limit: int = 4096) -> list[str]:
    # Tags and character references only ever shrink when parsed, so a text whose raw length
    # fits needs no closer look (most messages: this is what makes splitting nearly free).
    if _utf16(text) <= limit:
        return [text]
    atoms = _atoms(text)
    if sum(atom.width for atom in atoms) <= limit:
        return [text]
    parts: list[str] = []
    open_tags: list[_Atom] = []
    start = 0
    while start < len(atoms):
        end = _fit(atoms, start, limit)
        if end < len(atoms):
            end = _best_break(atoms, start, end)
        reopened = list(open_tags)
        body = atoms[start:end]
        for atom in body:
            if atom.kind == "open":
                open_tags.append(atom)
            elif atom.kind == "close" and open_tags:
                open_tags.pop()
        in_pre = any(tag.name == "pre" for tag in open_tags)
        part = _render(reopened, _trim(body, keep=in_pre), open_tags)
        if any(atom.kind == "char" and atom.visible.strip() for atom in body):
            parts.append(part)
        start = end
        # The whitespace the break fell on is not carried to the next part.
        while start < len(atoms) and not in_pre and _is_space(atoms[start]):
            start += 1
    return parts


def _fit(atoms: list[_Atom], start: int, limit: int) -> int:
    """The index of the first atom that no longer fits in a part starting at `start`."""
    width = 0
    for index in range(start, len(atoms)):
        width += atoms[index].width
        if width > limit:
            return max(index, start + 1)
    return len(atoms)


def _best_break(atoms: list[_Atom], start: int, end: int) -> int:
    """Where to end a part that must end at or before `end`: a paragraph, line or word break
    in the later half of the part if there is one, else just before `end`."""
    earliest = start + (end - start) // 2
    for wanted in ("\n\n", "\n", " "):
        for index in range(end - 1, earliest, -1):
            if wanted == "\n\n":
                found = atoms[index].raw == "\n" and atoms[index - 1].raw == "\n"
            else:
                found = atoms[index].raw == wanted
            if found:
                return index
    return end


def _is_space(atom: _Atom) -> bool:
    return atom.kind == "char" and not atom.visible.strip()


def _trim(body: list[_Atom], *, keep: bool) -> list[_Atom]:
    if keep:
        return body
    trimmed = list(body)
    while trimmed and _is_space(trimmed[-1]):
        trimmed.pop()
    return trimmed


def _render(reopened: list[_Atom], body: list[_Atom], still_open: list[_Atom]) -> str:
    closing = "".join(f"</{tag.name}>" for tag in reversed(still_open))
    return "".join(tag.raw for tag in reopened) + "".join(atom.raw for atom in body) + closing
