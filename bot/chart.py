"""The activity chart sent with a summary, in the spirit of a Portage activity chart: days across,
targets down, one coloured and marked cell per day.

Drawn with matplotlib's object-oriented Figure API (pyplot keeps global state and is not safe in
the worker thread this runs in). Every word on the image comes from the caller's labels.
"""

from __future__ import annotations

import logging
import textwrap
import warnings
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

# The font manager reports every font it looks at; none of that is worth a log line.
logging.getLogger("matplotlib.font_manager").setLevel(logging.WARNING)

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
DPI = 150


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


def render_chart(data: ChartData, labels: ChartLabels) -> bytes:
    """The chart as PNG bytes."""
    columns, rows = max(len(data.days), 1), len(data.rows)
    label_width = 2.2
    # Wide enough for the legend even for a day or two.
    width = max(6.0, label_width + 0.42 * columns + 0.4)
    height = 1.3 + 0.55 * max(rows, 1)
    figure = Figure(figsize=(width, height), dpi=DPI)
    # Room on the left for the targets, above for the title and days, below for the legend.
    axes = figure.add_axes((label_width / width, 0.45 / height, 1 - (label_width + 0.2) / width,
                            1 - 1.3 / height))  # fmt: skip
    axes.set_xlim(0, columns)
    axes.set_ylim(max(rows, 1), 0)
    axes.set_axis_off()
    for row_index, row in enumerate(data.rows):
        for column, cell in enumerate(row.cells[:columns]):
            colour, mark = _style(cell)
            axes.add_patch(
                Rectangle(
                    (column + 0.05, row_index + 0.05),
                    0.9,
                    0.9,
                    facecolor=colour,
                    edgecolor="#999999",
                    linewidth=0.6,
                    hatch="//" if cell == "off" else None,
                )
            )
            if mark:
                size = 6 if len(mark) > 2 else 9
                axes.text(column + 0.5, row_index + 0.5, mark, ha="center", va="center",
                          fontsize=size)  # fmt: skip
        axes.text(-0.15, row_index + 0.5, textwrap.fill(row.label, 18), ha="right",
                  va="center", fontsize=7)  # fmt: skip
    for column, day in enumerate(data.days):
        weekday = labels.weekday_names[day.weekday()] if labels.weekday_names else ""
        axes.text(column + 0.5, -0.15, f"{weekday}\n{day.day}", ha="center", va="bottom",
                  fontsize=6)  # fmt: skip
    figure.suptitle(data.title, fontsize=9, y=1 - 0.15 / height, va="top")
    legend = [
        Patch(facecolor=COLOURS["yes"], edgecolor="#999999", label=f"✓ {labels.yes}"),
        Patch(facecolor=COLOURS["a_little"], edgecolor="#999999", label=f"~ {labels.a_little}"),
        Patch(facecolor=COLOURS["not_today"], edgecolor="#999999", label=f"✗ {labels.not_today}"),
        Patch(facecolor=COLOURS["none"], edgecolor="#999999", label=labels.no_answer),
        Patch(facecolor=COLOURS["off"], edgecolor="#999999", hatch="//",
              label=labels.not_in_plan),
    ]  # fmt: skip
    figure.legend(handles=legend, loc="lower center", ncol=5, fontsize=6, frameon=False)
    buffer = BytesIO()
    with warnings.catch_warnings():
        # A child's name or a title with an emoji: DejaVu Sans lacks the glyph and says so.
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        warnings.filterwarnings("ignore", message="Matplotlib currently does not support")
        figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
