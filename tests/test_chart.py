"""The activity chart image and the invitation QR code: real PNGs, sized by what they show, with
each cell's colour and mark where the layout puts it, quick enough for a county's summaries."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, timedelta
from io import BytesIO

import pytest
from PIL import Image, ImageChops

from bot.chart import (
    COLOURS,
    EDGE,
    ChartData,
    ChartLabels,
    ChartRow,
    _font,
    _label,
    _layout,
    _stamp,
    render_chart,
)
from bot.qr import qr_png

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LABELS = ChartLabels("Yes", "A little", "Not today", "No answer", "Not in the plan",
                     ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))  # fmt: skip
CELLS = ["yes", "a_little", "not_today", "none", "off", "tries:4/5", "tries:0/6"]
WHITE = (255, 255, 255)


def chart(days: int, rows: int, title: str = "Sam: 3 to 30 Nov") -> ChartData:
    first = date(2026, 11, 3)
    return ChartData(
        title=title,
        days=[first + timedelta(days=offset) for offset in range(days)],
        rows=[
            ChartRow(f"Target {row} 🧒 <&> with a long title", [CELLS[d % 7] for d in range(days)])
            for row in range(rows)
        ],
    )


def image_of(png: bytes) -> Image.Image:
    assert png.startswith(PNG_MAGIC)
    image = Image.open(BytesIO(png))
    image.load()
    return image.convert("RGB")


def size_of(png: bytes) -> tuple[int, int]:
    return image_of(png).size


def rgb(colour: str) -> tuple[int, int, int]:
    red, green, blue = bytes.fromhex(colour.removeprefix("#"))
    return red, green, blue


def dark(pixel: tuple[int, int, int]) -> bool:
    return sum(pixel) < 3 * 90


def pixels(image: Image.Image, box: tuple[int, int, int, int]) -> list[tuple[int, int, int]]:
    """The pixels of an inclusive box."""
    left, top, right, bottom = box
    data = image.crop((left, top, right + 1, bottom + 1)).tobytes()
    return list(zip(data[0::3], data[1::3], data[2::3], strict=True))


def test_the_chart_grows_with_days_and_targets():
    small, wide, tall = (render_chart(chart(*shape), LABELS) for shape in ((7, 1), (28, 1), (7, 4)))
    assert all(png.startswith(PNG_MAGIC) for png in (small, wide, tall))
    assert size_of(wide)[0] > size_of(small)[0]
    assert size_of(tall)[1] > size_of(small)[1]
    # A day more is a column more, a target more a row more.
    assert size_of(render_chart(chart(29, 1), LABELS))[0] > size_of(wide)[0]
    assert size_of(render_chart(chart(7, 5), LABELS))[1] > size_of(tall)[1]


def test_a_fortnight_fits_a_phone_and_is_a_small_png():
    png = render_chart(chart(14, 3), LABELS)
    width, height = size_of(png)
    assert 1000 <= width <= 1300 and 300 <= height <= 600
    assert 5_000 < len(png) < 60_000


def test_each_cell_has_its_colour_and_its_mark_where_the_layout_puts_it():
    data = chart(14, 3)
    image, layout = image_of(render_chart(data, LABELS)), _layout(data, LABELS)
    assert image.size == (layout.width, layout.height)
    for row_index, row in enumerate(data.rows):
        for column, cell in enumerate(row.cells):
            left, top, right, bottom = layout.cell_box(row_index, column)
            inside = pixels(image, (left + 1, top + 1, right - 1, bottom - 1))
            fill = rgb(COLOURS["tries" if cell.startswith("tries:") else cell])
            # Outlined in grey, set in white.
            assert image.getpixel((left, (top + bottom) // 2)) == rgb(EDGE)
            assert image.getpixel((right, (top + bottom) // 2)) == rgb(EDGE)
            assert image.getpixel((left - 2, top - 2)) == WHITE
            if cell == "off":
                # Hatched: the grey fill and the grey lines, and no mark.
                assert inside.count(fill) > len(inside) / 3
                assert inside.count(rgb(EDGE)) > len(inside) / 10
                assert not any(dark(pixel) for pixel in inside)
                continue
            assert inside.count(fill) > len(inside) * 0.7, (cell, row_index, column)
            marked = [
                (x, y)
                for y in range(top + 1, bottom)
                for x in range(left + 1, right)
                if dark(image.getpixel((x, y)))
            ]
            if cell == "none":
                assert not marked
                continue
            # The mark (✓ ~ ✗ or tries) sits in the middle of the cell.
            assert marked, (cell, row_index, column)
            xs, ys = [x for x, _ in marked], [y for _, y in marked]
            assert abs((min(xs) + max(xs)) / 2 - (left + right) / 2) <= 3
            assert abs((min(ys) + max(ys)) / 2 - (top + bottom) / 2) <= 3


def test_an_unknown_cell_is_blank_and_missing_cells_are_left_out():
    data = ChartData("Sam", [date(2026, 11, 3) + timedelta(days=day) for day in range(3)],
                     [ChartRow("Target", ["mystery"])])  # fmt: skip
    image, layout = image_of(render_chart(data, LABELS)), _layout(data, LABELS)
    left, top, right, bottom = layout.cell_box(0, 0)
    assert set(pixels(image, (left + 1, top + 1, right - 1, bottom - 1))) == {WHITE}
    assert set(pixels(image, layout.cell_box(0, 1))) == {WHITE}  # no outline where no cell


def test_the_words_are_drawn_where_they_belong():
    """What the words say is not checkable from pixels, but changing one changes its place only."""
    data = chart(14, 3)
    image, layout = image_of(render_chart(data, LABELS)), _layout(data, LABELS)
    first_cell, last_cell = layout.cell_box(0, 0), layout.cell_box(2, 13)

    def changed(other_data: ChartData, other_labels: ChartLabels) -> tuple[int, int, int, int]:
        box = ImageChops.difference(image, image_of(render_chart(other_data, other_labels)))
        assert box.getbbox() is not None
        return box.getbbox()

    _, _, _, bottom = changed(replace(data, title="Alex: 3 to 30 Nov"), LABELS)
    assert bottom < first_cell[1] - 40  # the title, above the days
    _, top, right, bottom = changed(data, replace(LABELS, weekday_names=("M", "T", "W") * 3))
    assert top < first_cell[1] and bottom <= first_cell[1]  # the weekdays, above the grid
    rows = [ChartRow("Another target", data.rows[0].cells), *data.rows[1:]]
    left, top, right, bottom = changed(replace(data, rows=rows), LABELS)
    assert right < first_cell[0] and bottom < layout.cell_box(1, 0)[1]  # left of the first row
    _, top, _, _ = changed(data, replace(LABELS, not_in_plan="Not planned"))
    assert top > last_cell[3]  # the legend, below the grid


def test_the_legend_shows_each_answer_colour():
    data = chart(14, 3)
    image, layout = image_of(render_chart(data, LABELS)), _layout(data, LABELS)
    legend = pixels(image, (0, layout.legend_top, layout.width - 1, layout.height - 1))
    for cell in ("yes", "a_little", "not_today", "off"):
        assert legend.count(rgb(COLOURS[cell])) > 100, cell
    assert legend.count(rgb(EDGE)) > 100  # the outlines and the hatching


def test_a_long_legend_wraps_onto_more_lines():
    long = ChartLabels(*(f"{word}, said at some considerable length" for word in "ABCDE"),
                       LABELS.weekday_names)  # fmt: skip
    short, wrapped = (size_of(render_chart(chart(7, 1), labels)) for labels in (LABELS, long))
    assert wrapped[0] == short[0] and wrapped[1] > short[1]


@pytest.mark.parametrize("days", [1, 2, 62])
def test_one_day_and_two_months_work(days):
    image = image_of(render_chart(chart(days, 3), LABELS))
    assert image.width >= 900 and image.height > 200
    if days == 62:
        assert image.width > 62 * 50


def test_the_worst_case_is_small_and_quiet():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = render_chart(chart(28, 4, title="<Zoë & Amélie> 😀" * 3), LABELS)
    assert png.startswith(PNG_MAGIC) and len(png) < 300_000
    assert [str(warning.message) for warning in caught] == []


ODD_TEXTS = [
    "",
    " ",
    "Sam 🧒👩‍👩‍👧 ",
    "\x00\x1c\x85\u2028\u2029 line\nbreaks\r\tand tabs",
    "Zoë e\u0301\u0301 \u200d\u200b\ufeff\U0010ffff\ud83d",
    "שלום עולם اسم الطفل मेरा नाम",
    "Supercalifragilisticexpialidocious" * 20,
    "word " * 500,
]


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_long_labels_emoji_and_odd_characters_draw_without_a_fuss(text):
    days = [date(2026, 11, 3) + timedelta(days=day) for day in range(3)]
    data = ChartData(text, days, [ChartRow(text, ["yes", f"tries:{text}", "off"])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for labels in (LABELS, ChartLabels(text, text, text, text, text, (text,) * 7),
                       ChartLabels(text, text, text, text, text, ())):  # fmt: skip
            width, _ = size_of(render_chart(data, labels))
            assert width == 900  # nothing overflows the layout


def test_no_targets_still_draws_a_chart():
    assert render_chart(chart(7, 0), LABELS).startswith(PNG_MAGIC)
    assert render_chart(ChartData("Sam", [], []), LABELS).startswith(PNG_MAGIC)


def test_the_same_chart_is_the_same_png_from_many_threads_at_once():
    shapes = [(days, rows) for days in (1, 7, 14, 31) for rows in (0, 1, 3, 6)]
    expected = [render_chart(chart(*shape), LABELS) for shape in shapes]
    for cache in (_font, _stamp, _label):  # the threads fill them again, all at once
        cache.cache_clear()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda shape: render_chart(chart(*shape), LABELS), shapes * 4))
    assert results == expected * 4


def test_chart_data_travels_as_json():
    data = chart(14, 3)
    assert ChartData.from_json(json.loads(json.dumps(data.to_json()))) == data


def test_pyplot_is_never_imported():
    code = (
        "import sys; from tests.test_chart import chart, LABELS;"
        "from bot.chart import render_chart; render_chart(chart(7, 2), LABELS);"
        "print('matplotlib.pyplot' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_the_invitation_qr_code_is_a_square_png():
    png = qr_png("https://t.me/portage_test_bot?start=" + "c" * 32)
    width, height = size_of(png)
    assert png.startswith(PNG_MAGIC) and width == height > 100
