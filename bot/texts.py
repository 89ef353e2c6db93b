"""Every word the bot says: Jinja2 templates in content/templates, HTML-escaped by default,
in the reader's language (gettext catalogs in content/locale, dates by Babel)."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import cache, partial
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.activities import ActivityLibrary, ActivityText, load_library
from bot.i18n import DEFAULT_LANGUAGE, babel_locale, language_of, translations

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"

# Telegram's limits for what we send (Bot API documentation).
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
COMMAND_DESCRIPTION_LIMIT = 256

ENGLISH = Locale.parse("en_GB")
# RIGHT-TO-LEFT MARK: Telegram sets each line's direction from its first strong letter, so a line
# opening with a child's name in Latin letters, a number or an English fallback would otherwise
# run left to right in the middle of an Urdu or Arabic message.
RLM = "\u200f"


class Texts:
    """Renders templates in one language; `label()` reads short plain texts (buttons, toasts)
    from labels.txt.j2. `for_language()` gives the same texts in another language.

    Only the parent's side is translated: templates under `visitor/` always render in English
    (the service's language), whichever language the update that caused them came in.
    """

    def __init__(
        self,
        content_dir: Path = CONTENT_DIR,
        *,
        retention_days: int = 365,
        language: str = DEFAULT_LANGUAGE,
        library: ActivityLibrary | None = None,
        _siblings: dict[str, Texts] | None = None,
    ) -> None:
        self.content_dir = content_dir
        # The application's library (read from content_dir when not given), for activities'
        # words in other languages.
        self._library = library
        self.retention_days = retention_days
        self.language = language_of(language)
        self.locale = babel_locale(self.language)
        self._siblings = _siblings if _siblings is not None else {}
        self._siblings[self.language.code] = self
        self.environment = Environment(
            loader=FileSystemLoader(content_dir / "templates"),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            # Templates are read once: content changes with a release (and a restart), and
            # checking every file's date on every message costs a system call each time.
            auto_reload=False,
            extensions=["jinja2.ext.i18n"],
        )
        # A {% trans %} block is one message id however it is wrapped across lines.
        self.environment.policies["ext.i18n.trimmed"] = True
        self.environment.install_gettext_translations(  # type: ignore[attr-defined]
            translations(content_dir / "locale", self.language.code), newstyle=True
        )
        locale = self.locale
        self.environment.filters["long_date"] = partial(long_date, locale=locale)
        self.environment.filters["short_date"] = short_date
        self.environment.filters["short_day"] = partial(short_day, locale=locale)
        self.environment.filters["clock_time"] = clock_time
        self.environment.filters["weekday_short"] = partial(weekday_short, locale=locale)
        # The privacy notice says how long a diary is kept after a family leaves.
        self.environment.globals["retention_months"] = max(1, round(retention_days / 30.4))
        self._labels = self.environment.get_template("labels.txt.j2").module

    def for_language(self, code: str | None) -> Texts:
        """These texts in the language `code` (English for a language we do not speak)."""
        language = language_of(code)
        texts = self._siblings.get(language.code)
        if texts is None:
            texts = Texts(
                self.content_dir,
                retention_days=self.retention_days,
                language=language.code,
                library=self._library,
                _siblings=self._siblings,
            )
        return texts

    def render(self, template_name: str, **context: Any) -> str:
        if template_name.startswith("visitor/") and self.language.code != DEFAULT_LANGUAGE:
            return self.for_language(DEFAULT_LANGUAGE).render(template_name, **context)
        text = _tidy(self.environment.get_template(template_name).render(**context))
        return _right_to_left(text) if self.language.right_to_left else text

    def activity_words(
        self, activity_id: str | None, title: str, target_text: str
    ) -> ActivityText | None:
        """A library activity's words in this language, or None to show the target as it was
        agreed (in English): a visitor's own target, an activity not translated yet, or one
        whose library wording has changed since it was put in the plan."""
        if self.language.code == DEFAULT_LANGUAGE or activity_id is None:
            return None
        library = self._library or _library_in(self.content_dir)
        activity = library.get(activity_id)
        if activity is None or (activity.title, activity.target) != (title, target_text):
            return None
        return library.translation(activity_id, self.language.code)

    def activity_title(self, activity_id: str | None, title: str, target_text: str) -> str:
        words = self.activity_words(activity_id, title, target_text)
        return words.title if words else title

    def label_names(self) -> list[str]:
        return [name for name in dir(self._labels) if not name.startswith("_")]

    def label(self, name: str, *args: Any) -> str:
        """A short text: a plain value, or a macro called with `args`. Not escaped: buttons,
        toasts and command descriptions are plain text, never parsed as HTML."""
        value = getattr(self._labels, name)
        text = str(value(*args)) if callable(value) else str(value)
        return _tidy(text)


@cache
def _library_in(content_dir: Path) -> ActivityLibrary:
    return load_library(content_dir / "activities")


def long_date(day: date | datetime, locale: Locale = ENGLISH) -> str:
    """`Monday 23 November` (with the time when given a datetime), in the reader's language."""
    text = format_date(day, "EEEE d MMMM", locale=locale)
    if isinstance(day, datetime):
        text += f", {day:%H:%M}"
    return text


def short_day(day: date, locale: Locale = ENGLISH) -> str:
    """`Mon 23 Nov`."""
    return format_date(day, "EEE d MMM", locale=locale)


def clock_time(moment: time | datetime) -> str:
    """`18:30`: the 24-hour clock, as UK services and most of our languages write it."""
    return f"{moment:%H:%M}"


def weekday_short(day: date, locale: Locale = ENGLISH) -> str:
    """`Mon`."""
    return format_date(day, "EEE", locale=locale)


def short_date(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _right_to_left(text: str) -> str:
    return "\n".join(RLM + line if line else line for line in text.split("\n"))


def _tidy(text: str) -> str:
    # Templates are laid out for reading; the message keeps at most one blank line in a row.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidied: list[str] = []
    for line in lines:
        if not line and tidied and not tidied[-1]:
            continue
        tidied.append(line)
    return "\n".join(tidied)
