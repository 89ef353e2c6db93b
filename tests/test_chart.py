"""The activity chart image and the invitation QR code: real PNGs, sized by what they show."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from datetime import date, timedelta
from io import BytesIO

from matplotlib.image import imread

from bot.chart import ChartData, ChartLabels, ChartRow, render_chart
from bot.qr import qr_png

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LABELS = ChartLabels("Yes", "A little", "Not today", "No answer", "Not in the plan",
                     ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))  # fmt: skip
CELLS = ["yes", "a_little", "not_today", "none", "off", "tries:4/5", "tries:0/6"]


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


def size_of(png: bytes) -> tuple[int, int]:
    height, width = imread(BytesIO(png), format="png").shape[:2]
    return width, height


def test_the_chart_grows_with_days_and_targets():
    small, wide, tall = (render_chart(chart(*shape), LABELS) for shape in ((7, 1), (28, 1), (7, 4)))
    assert all(png.startswith(PNG_MAGIC) for png in (small, wide, tall))
    assert size_of(wide)[0] > size_of(small)[0]
    assert size_of(tall)[1] > size_of(small)[1]


def test_the_worst_case_is_small_and_quiet():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = render_chart(chart(28, 4, title="<Zoë & Amélie> 😀" * 3), LABELS)
    assert png.startswith(PNG_MAGIC) and len(png) < 300_000
    assert [str(warning.message) for warning in caught] == []


def test_no_targets_still_draws_a_chart():
    assert render_chart(chart(7, 0), LABELS).startswith(PNG_MAGIC)


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
