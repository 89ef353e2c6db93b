"""Every word the bot says: Jinja2 templates in content/templates, HTML-escaped by default."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"

# Telegram's limits for what we send (Bot API documentation).
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64


class Texts:
    """Renders templates; `label()` reads short plain texts (buttons, toasts) from labels.txt.j2."""

    def __init__(self, content_dir: Path = CONTENT_DIR, *, retention_days: int = 365) -> None:
        self.environment = Environment(
            loader=FileSystemLoader(content_dir / "templates"),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.environment.filters["long_date"] = long_date
        self.environment.filters["short_date"] = short_date
        self.environment.filters["short_day"] = short_day
        # The privacy notice says how long a diary is kept after a family leaves.
        self.environment.globals["retention_months"] = max(1, round(retention_days / 30.4))
        self._labels = self.environment.get_template("labels.txt.j2").module

    def render(self, template_name: str, **context: Any) -> str:
        text = self.environment.get_template(template_name).render(**context)
        return _tidy(text)

    def label(self, name: str, *args: Any) -> str:
        """A short text: a plain value, or a macro called with `args`. Not escaped: buttons,
        toasts and command descriptions are plain text, never parsed as HTML."""
        value = getattr(self._labels, name)
        text = str(value(*args)) if callable(value) else str(value)
        return _tidy(text)


def long_date(day: date | datetime) -> str:
    """`Monday 23 November` (with the time when given a datetime)."""
    text = f"{day:%A} {day.day} {day:%B}"
    if isinstance(day, datetime):
        text += f", {day:%H:%M}"
    return text


def short_day(day: date) -> str:
    """`Mon 23 Nov`."""
    return f"{day:%a} {day.day} {day:%b}"


def short_date(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _tidy(text: str) -> str:
    # Templates are laid out for reading; the message keeps at most one blank line in a row.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidied: list[str] = []
    for line in lines:
        if not line and tidied and not tidied[-1]:
            continue
        tidied.append(line)
    return "\n".join(tidied)
