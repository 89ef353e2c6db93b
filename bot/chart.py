"""The activity chart sent with a summary, in the spirit of a Portage activity chart: days across,
targets down, one coloured and marked cell per day.

Drawn with Pillow rather than matplotlib for speed: a county's fortnightly summaries are thousands
of charts in one run, and matplotlib took ~170 ms a chart where this takes ~3 ms. What makes it
quick:
- the image is drawn as palette indices (each fill colour, and each blended with the ink in LEVELS
  steps for the anti-aliased edges of text), so the PNG has a third of the data to compress and
  nothing to quantise;
- text that recurs from chart to chart (marks, day numbers, weekday names, the legend's words, and
  the targets, which come from the activity library) is rendered once and kept as a mask:
  rendering glyphs costs more than anything but the PNG encoding.

The text is DejaVu Sans, which has the ✓ and ✗ marks: the copy matplotlib ships, found by path so
that nothing here imports matplotlib (or else a system copy). A character the font lacks (an emoji
in a child's name) comes out as a box, never an error.

Safe in the worker thread this runs in: each call draws on its own image, and all that calls share
is caches of things never changed once made: the loaded fonts (Pillow uses a font under the GIL)
and the rendered masks (read-only images over bytes). Every word on the image comes from the
caller's data and labels.
"""

from __future__ import annotations

import functools
import importlib.util
import unicodedata
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple

from PIL import Image, ImageDraw, ImageFont

# Colour-blind-safe (Okabe-Ito based); each cell also carries a mark, so colour is never alone.
COLOURS = {
    "yes": "#009E73",
    "a_little": "#F0E442",
    "not_today": "#CC79A7",
    "none": "#FFFFFF",
    "off": "#EEEEEE",
    "tries": "#56B4E9",
}
MARKS = {"yes": "✓", "a_little": "~", "not_today": "✗", "none": "", "off": ""}

# Geometry in pixels: a fortnight comes out about 1200 px wide, which reads well on a phone.
MARGIN = 24
MIN_WIDTH = 900  # room for the legend on one line, however few the days
LABEL_WIDTH = 250  # the targets, wrapped to this width and right-aligned against the grid
LABEL_GAP = 14
PITCH_X, PITCH_Y = 64, 74  # one day across, one target down
CELL_W, CELL_H = 58, 66
HATCH_STEP = 10
TITLE_TOP, TITLE_LINE, TITLE_SIZES = 18, 36, (28, 24, 20)
DAY_SIZE, DAY_LINE = 17, 21
GRID_TOP = TITLE_TOP + TITLE_LINE + 14 + 2 * DAY_LINE + 8
LABEL_SIZE, LABEL_LINE = 19, 23
MARK_SIZES, TRIES_SIZES = (32,), (20, 16, 13)
LEGEND_SIZE, LEGEND_LINE, LEGEND_MARK_SIZES = 18, 34, (18,)
SWATCH_W, SWATCH_H, LEGEND_GAP = 36, 24, 28
PNG_COMPRESSION = 3  # zlib level: 6 takes twice as long for a fifth off the size

# The palette: each base colour (the background first), blended with INK in LEVELS steps.
INK, EDGE, BACKGROUND = "#1A1A1A", "#999999", "#FFFFFF"
_BASES = tuple(dict.fromkeys((BACKGROUND, EDGE, *COLOURS.values())))
LEVELS = 256 // len(_BASES)
# A base colour's first palette index; text on it is drawn towards its last.
_SHADE = {colour: index * LEVELS for index, colour in enumerate(_BASES)}


def _blend(colour: str, level: int) -> bytes:
    base, ink = bytes.fromhex(colour[1:]), bytes.fromhex(INK[1:])
    return bytes(round(b + (i - b) * level / (LEVELS - 1)) for b, i in zip(base, ink, strict=True))


_PALETTE = b"".join(_blend(colour, level) for colour in _BASES for level in range(LEVELS))

_SEPARATORS = frozenset({"Cc", "Zl", "Zp"})  # Unicode categories
_FONT_FILE = "DejaVuSans.ttf"
_SYSTEM_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")


@dataclass(frozen=True)
class ChartRow:
    label: str
    # One per day: yes, a_little, not_today, none, off, or tries:S/N.
    cells: list[str]


@dataclass(frozen=True)
class ChartData:
    title: str
    days: list[date]
    rows: list[ChartRow]

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "days": [day.isoformat() for day in self.days],
            "rows": [{"label": row.label, "cells": list(row.cells)} for row in self.rows],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChartData:
        return cls(
            title=data["title"],
            days=[date.fromisoformat(day) for day in data["days"]],
            rows=[ChartRow(row["label"], list(row["cells"])) for row in data["rows"]],
        )


@dataclass(frozen=True)
class ChartLabels:
    yes: str
    a_little: str
    not_today: str
    no_answer: str
    not_in_plan: str
    weekday_names: tuple[str, ...]


def _style(cell: str) -> tuple[str, str]:
    """Fill colour and mark of a cell."""
    if cell.startswith("tries:"):
        return COLOURS["tries"], cell.removeprefix("tries:")
    return COLOURS.get(cell, COLOURS["none"]), MARKS.get(cell, "")


@functools.cache
def _font_path() -> str:
    """DejaVu Sans: matplotlib's copy (found without importing it), else the system's."""
    spec = importlib.util.find_spec("matplotlib")
    packages = list(spec.submodule_search_locations or []) if spec else []
    folders = [Path(package, "mpl-data", "fonts", "ttf") for package in packages]
    folders += [Path(folder) for folder in _SYSTEM_FONT_DIRS]
    for folder in folders:
        if (folder / _FONT_FILE).is_file():
            return str(folder / _FONT_FILE)
    raise FileNotFoundError(f"{_FONT_FILE} is in none of {', '.join(map(str, folders))}")


@functools.lru_cache(maxsize=32)
def _font(size: int, basic: bool = False) -> ImageFont.FreeTypeFont:
    """Words are laid out with Raqm where Pillow has it (right-to-left names, joined scripts);
    `basic` is for marks and numbers, several times quicker to lay out."""
    engine = ImageFont.Layout.BASIC if basic else None
    return ImageFont.truetype(_font_path(), size, layout_engine=engine)


def _clean(text: str) -> str:
    """Control characters and line or paragraph separators (a newline in a title, say) as spaces:
    every text is one line, and Raqm fails on a paragraph separator."""
    return "".join(" " if unicodedata.category(char) in _SEPARATORS else char for char in text)


def _most_glyphs(width: float) -> int:
    """As many characters as could fit in `width`: no glyph of ours is under 3 px wide (bar those
    of no width), so a longer text needs cutting and measuring all of it would be time wasted."""
    return int(width) // 3 + 1


def _ellipsize(text: str, font: ImageFont.FreeTypeFont, width: float, more: bool = False) -> str:
    """`text` cut to fit `width` with an ellipsis; `more` adds the ellipsis even if it fits."""
    if not more and font.getlength(text) <= width:
        return text
    text = text[: _most_glyphs(width)]
    low, high = 0, len(text)  # the longest prefix that fits with its ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle].rstrip() + "…") <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…"


def _fitting(
    text: str, sizes: tuple[int, ...], width: float, basic: bool = False
) -> tuple[str, ImageFont.FreeTypeFont]:
    """The largest of `sizes` that fits `text` in `width`, else the smallest with an ellipsis."""
    for size in sizes:
        if len(text) <= _most_glyphs(width) and _font(size, basic).getlength(text) <= width:
            return text, _font(size, basic)
    return _ellipsize(text, _font(sizes[-1], basic), width), _font(sizes[-1], basic)


def _lines(widths: list[float], space: float, width: float) -> list[int]:
    """Greedy line breaking by measured widths: how many words go on each line."""
    counts: list[int] = []
    used = 0.0
    for word in widths:
        if counts and used + space + word <= width:
            counts[-1] += 1
            used += space + word
        else:
            counts.append(1)
            used = word
    return counts


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float, max_lines: int) -> list[str]:
    """Words in lines of at most `width` pixels, as even as the line count allows, a word too
    long for a line broken, and an ellipsis on the last line if that is more than `max_lines`."""
    limit = max_lines * _most_glyphs(width)
    cut, text = len(text) > limit, " ".join(text[:limit].split())
    if not cut and font.getlength(text) <= width:
        return [text] if text else []
    pieces: list[str] = []
    widths: list[float] = []
    for word in text.split():
        length = font.getlength(word)
        while len(word) > 1 and length > width:
            piece = _ellipsize(word, font, width, more=True)[:-1] or word[0]
            pieces.append(piece)
            widths.append(font.getlength(piece))
            word = word[len(piece) :]
            length = font.getlength(word)
        pieces.append(word)
        widths.append(length)
    space = font.getlength(" ")
    counts = _lines(widths, space, width)
    if len(counts) <= max_lines:
        # The narrowest width that needs no more lines, so a last line is not left with one word.
        low, high = max(widths), width
        while high - low > 1:
            middle = (low + high) / 2
            if len(_lines(widths, space, middle)) <= len(counts):
                high = middle
            else:
                low = middle
        counts = _lines(widths, space, high)
    lines, start = [], 0
    for count in counts:
        lines.append(" ".join(pieces[start : start + count]))
        start += count
    if cut or len(lines) > max_lines:
        keep = min(len(lines), max_lines)
        rest = " ".join(lines[keep - 1 :])
        lines = [*lines[: keep - 1], _ellipsize(rest, font, width, more=True)]
    return lines


class _Stamp(NamedTuple):
    mask: Image.Image  # coverage of just the ink; read-only, over bytes
    dx: int  # from the anchor point to the mask's top-left corner
    dy: int


def _frozen(image: Image.Image) -> Image.Image:
    """A copy of an 8-bit image that nothing can change: Pillow copies a read-only image before
    changing it, and the pixels are in immutable bytes. Such masks are shared between threads."""
    return Image.frombuffer("L", image.size, image.tobytes(), "raw", "L", 0, 1)


def _render(
    text: str, font: ImageFont.FreeTypeFont, anchor: str, room: tuple[int, int, int, int] | None
) -> _Stamp:
    """`text` as a mask, placed by `anchor` or, for "ink", by the middle of its ink (a ✓ and a ~
    sit differently on a line). `room`, the box around the anchor point that the text is known
    to fit, saves measuring it."""
    placed = "ls" if anchor == "ink" else anchor
    left, top, right, bottom = room or font.getbbox(text, anchor=placed)
    image = Image.new("L", (max(right - left, 1), max(bottom - top, 1)), 0)
    ImageDraw.Draw(image).text((-left, -top), text, font=font, fill=255, anchor=placed)
    ink = image.getbbox() or (0, 0, 1, 1)
    image = image.crop(ink)
    width, height = image.size
    dx, dy = (-(width // 2), -(height // 2)) if anchor == "ink" else (left + ink[0], top + ink[1])
    return _Stamp(_frozen(image), dx, dy)


@functools.lru_cache(maxsize=8)
def _hatch(width: int, height: int) -> Image.Image:
    """The "//" hatching of a cell of this size, as a mask: lines u - v = k across the inside of
    the outline, u rightwards and v upwards."""
    image = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(image)
    inner_width, inner_height, bottom = width - 3, height - 3, height - 2
    for k in range(-inner_height + HATCH_STEP // 2, inner_width, HATCH_STEP):
        u0, u1 = max(0, k), min(inner_width, inner_height + k)
        draw.line((1 + u0, bottom - (u0 - k), 1 + u1, bottom - (u1 - k)), fill=255, width=2)
    return _frozen(image)


@functools.lru_cache(maxsize=1024)
def _stamp(
    text: str, sizes: tuple[int, ...], max_width: int, anchor: str, basic: bool = False
) -> _Stamp:
    """A short text that recurs from chart to chart (a mark, a day, a weekday, a legend word),
    rendered once, in the largest of `sizes` that fits `max_width` (else cut short)."""
    text, font = _fitting(_clean(text), sizes, max_width, basic)
    return _render(text, font, anchor, None)


@functools.lru_cache(maxsize=512)
def _label(text: str) -> tuple[_Stamp, ...]:
    """A target's lines, right-aligned: rendered once, as targets come from the activity library
    and recur from family to family."""
    font = _font(LABEL_SIZE)
    lines = _wrap(_clean(text), font, LABEL_WIDTH, (CELL_H + 4) // LABEL_LINE)
    # Wrapped to LABEL_WIDTH, so no need to measure the lines; the rest is for accents and marks.
    room = (-LABEL_WIDTH - LABEL_SIZE, -2 * LABEL_SIZE, LABEL_SIZE, 2 * LABEL_SIZE)
    return tuple(_render(line, font, "rm", room) for line in lines)


class _Canvas:
    """One chart drawn as palette indices. Text is always INK and always on one base colour, so
    drawing it towards that colour's last shade leaves each anti-aliased pixel on the palette
    entry of its coverage."""

    def __init__(self, width: int, height: int) -> None:
        self.image = Image.new("L", (width, height), _SHADE[BACKGROUND])
        self.draw = ImageDraw.Draw(self.image)

    def rectangle(self, box: tuple[int, int, int, int], colour: str) -> None:
        self.draw.rectangle(box, fill=_SHADE[colour], outline=_SHADE[EDGE])

    def text(
        self, xy: tuple[float, float], text: str, font: ImageFont.FreeTypeFont, anchor: str
    ) -> None:
        """One-off text (the title) on the background."""
        self.draw.text(xy, text, font=font, fill=_SHADE[BACKGROUND] + LEVELS - 1, anchor=anchor)

    def stamp(self, xy: tuple[float, float], stamp: _Stamp, on: str = BACKGROUND) -> None:
        """Text rendered beforehand, in INK on the base colour `on`."""
        x, y = round(xy[0]) + stamp.dx, round(xy[1]) + stamp.dy
        self.image.paste(_SHADE[on] + LEVELS - 1, (x, y), stamp.mask)

    def hatch(self, box: tuple[int, int, int, int]) -> None:
        left, top, right, bottom = box
        self.image.paste(_SHADE[EDGE], (left, top), _hatch(right - left + 1, bottom - top + 1))

    def png(self) -> bytes:
        self.image.putpalette(_PALETTE)  # the indices become a palette image
        buffer = BytesIO()
        self.image.save(buffer, format="PNG", optimize=False, compress_level=PNG_COMPRESSION)
        return buffer.getvalue()


LegendEntry = tuple[str, _Stamp]  # a cell code and its word


@dataclass(frozen=True)
class _Layout:
    """Where everything goes; pixel boxes are (left, top, right, bottom), inclusive."""

    width: int
    height: int
    grid_left: int
    legend_top: int
    legend_lines: list[list[LegendEntry]]

    def cell_box(self, row: int, column: int) -> tuple[int, int, int, int]:
        left, top = self.grid_left + column * PITCH_X, GRID_TOP + row * PITCH_Y
        return left, top, left + CELL_W - 1, top + CELL_H - 1


def _entry_width(entry: LegendEntry) -> int:
    return SWATCH_W + 8 + entry[1].dx + entry[1].mask.width


def _layout(data: ChartData, labels: ChartLabels) -> _Layout:
    columns, rows = max(len(data.days), 1), max(len(data.rows), 1)
    grid_width = columns * PITCH_X - (PITCH_X - CELL_W)
    content = LABEL_WIDTH + LABEL_GAP + grid_width
    width = max(MIN_WIDTH, content + 2 * MARGIN)
    # The legend, in as many centred lines as it takes.
    room = width - 2 * MARGIN
    # The longest a word may be: the same for any chart, so that its rendering is shared.
    longest = MIN_WIDTH - 2 * MARGIN - SWATCH_W - 8
    words = [
        ("yes", labels.yes),
        ("a_little", labels.a_little),
        ("not_today", labels.not_today),
        ("none", labels.no_answer),
        ("off", labels.not_in_plan),
    ]
    lines: list[list[LegendEntry]] = [[]]
    used = 0
    for cell, word in words:
        entry = cell, _stamp(word, (LEGEND_SIZE,), longest, "lm")
        if lines[-1] and used + LEGEND_GAP + _entry_width(entry) > room:
            lines.append([])
            used = 0
        used += (LEGEND_GAP if lines[-1] else 0) + _entry_width(entry)
        lines[-1].append(entry)
    legend_top = GRID_TOP + rows * PITCH_Y - (PITCH_Y - CELL_H) + 24
    return _Layout(
        width=width,
        height=legend_top + len(lines) * LEGEND_LINE + 12,
        grid_left=(width - content) // 2 + LABEL_WIDTH + LABEL_GAP,
        legend_top=legend_top,
        legend_lines=lines,
    )


def _cell(
    canvas: _Canvas, box: tuple[int, int, int, int], cell: str, mark_sizes: tuple[int, ...]
) -> None:
    """One marked cell, its mark in the largest of `mark_sizes` that fits."""
    colour, mark = _style(cell)
    left, top, right, bottom = box
    canvas.rectangle(box, colour)
    if cell == "off":
        canvas.hatch(box)
    if mark:
        stamp = _stamp(mark, mark_sizes, right - left - 6, "ink", basic=True)
        canvas.stamp(((left + right + 1) / 2, (top + bottom + 1) / 2), stamp, on=colour)


def render_chart(data: ChartData, labels: ChartLabels) -> bytes:
    """The chart as PNG bytes."""
    layout = _layout(data, labels)
    canvas = _Canvas(layout.width, layout.height)

    title, font = _fitting(_clean(data.title), TITLE_SIZES, layout.width - 2 * MARGIN)
    canvas.text((layout.width / 2, TITLE_TOP), title, font, "ma")

    names = labels.weekday_names
    for column, day in enumerate(data.days):
        centre = layout.grid_left + column * PITCH_X + CELL_W / 2
        top = GRID_TOP - 8 - 2 * DAY_LINE
        if day.weekday() < len(names):
            name = _stamp(names[day.weekday()], (DAY_SIZE,), PITCH_X - 4, "ma")
            canvas.stamp((centre, top), name)
        number = _stamp(str(day.day), (DAY_SIZE,), PITCH_X - 4, "ma", basic=True)
        canvas.stamp((centre, top + DAY_LINE), number)

    columns = max(len(data.days), 1)
    for row_index, row in enumerate(data.rows):
        for column, cell in enumerate(row.cells[:columns]):
            sizes = TRIES_SIZES if cell.startswith("tries:") else MARK_SIZES
            _cell(canvas, layout.cell_box(row_index, column), cell, sizes)
        lines = _label(row.label)
        middle = GRID_TOP + row_index * PITCH_Y + CELL_H / 2
        for index, line in enumerate(lines):
            y = middle + (index - (len(lines) - 1) / 2) * LABEL_LINE
            canvas.stamp((layout.grid_left - LABEL_GAP, y), line)

    for index, line in enumerate(layout.legend_lines):
        x = (layout.width - sum(map(_entry_width, line)) - LEGEND_GAP * (len(line) - 1)) // 2
        middle = layout.legend_top + index * LEGEND_LINE + LEGEND_LINE // 2
        for cell, word in line:
            top = middle - SWATCH_H // 2
            _cell(canvas, (x, top, x + SWATCH_W - 1, top + SWATCH_H - 1), cell, LEGEND_MARK_SIZES)
            canvas.stamp((x + SWATCH_W + 8, middle), word)
            x += _entry_width((cell, word)) + LEGEND_GAP

    return canvas.png()
