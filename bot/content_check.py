"""`portage-bot content check`: the library holds together and every message fits Telegram.

Renders every template with worst-case inputs (longest names, HTML-like text, four of the longest
activities on one card) and checks the visible length, the HTML, and the buttons' data.
"""

from __future__ import annotations

import html
from collections import Counter
from datetime import date, datetime, time
from html.parser import HTMLParser
from pathlib import Path

from bot import cards
from bot.activities import Activity, ActivityLibrary, Area, LibraryError, load_library
from bot.diary import DayCard, TargetDay, TargetWeek, WeekView
from bot.texts import CALLBACK_DATA_LIMIT, CAPTION_LIMIT, MESSAGE_LIMIT, Texts

MIN_PER_AREA = 6
# Sent as a document's caption, where Telegram's limit is 1024.
CAPTION_TEMPLATES = {"parent/my_data.html.j2", "parent/my_data_csv.html.j2"}
TELEGRAM_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
# The worst a name can be: the longest we accept, with characters that must be escaped.
LONG_NAME = ("<Zoë & Amélie> " * 4)[:60]
BIG_ID = 999_999_999_999
SAMPLE_DAY = date(2026, 12, 31)


class _TagBalance(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.visible: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        if tag not in TELEGRAM_TAGS:
            self.problems.append(f"tag <{tag}> is not one Telegram accepts")
        elif tag == "span" and ("class", "tg-spoiler") not in attrs:
            self.problems.append('<span> without class="tg-spoiler" is not one Telegram accepts')
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"</{tag}> does not close the open tag")

    def handle_data(self, data: str) -> None:
        self.visible.append(data)


def telegram_length(text: str) -> int:
    """Telegram counts UTF-16 code units: an emoji such as 🌼 counts as two."""
    return len(text.encode("utf-16-le")) // 2


def html_problems(text: str) -> tuple[list[str], str]:
    """Problems with Telegram-flavoured HTML, and the text the reader sees."""
    checker = _TagBalance()
    checker.feed(text)
    checker.close()
    problems = list(checker.problems)
    if checker.open:
        problems.append(f"unclosed tags {checker.open}")
    return problems, html.unescape("".join(checker.visible))


def _target_day(activity: Activity, position: int, answer: str | None) -> TargetDay:
    return TargetDay(
        target_id=BIG_ID,
        position=position,
        title=activity.title,
        target_text=activity.target,
        criterion_text=activity.criterion.text,
        tries=activity.criterion.tries,
        steps=list(activity.steps),
        materials=list(activity.materials),
        tip=activity.tip,
        answer=("tries" if activity.criterion.tries and answer else answer),
        tries_succeeded=activity.criterion.tries if answer else None,
    )


def _longest(library: ActivityLibrary, count: int) -> list[Activity]:
    def size(activity: Activity) -> int:
        return len(activity.model_dump_json())

    return sorted(library, key=size, reverse=True)[:count]


def _sample_messages(texts: Texts, library: ActivityLibrary) -> dict[str, list[cards.Rendered]]:
    moment = datetime(2026, 12, 31, 18, 30)
    week = WeekView(
        child_name=LONG_NAME,
        first_day=date(2026, 12, 28),
        today=SAMPLE_DAY,
        targets=[
            TargetWeek(
                activity.title,
                activity.criterion.tries,
                [(date(2026, 12, 28 + offset), "tries", 5) for offset in range(4)],
                4,
            )
            for activity in _longest(library, 4)
        ],
        notes=99,
        new_things=12,
    )
    plain = {
        "parent/welcome.html.j2": {"child_name": LONG_NAME},
        "parent/consent_given.html.j2": {"stopped": True},
        "parent/consent_declined.html.j2": {},
        "parent/ask_reminder_time.html.j2": {"current": time(18, 30), "changing": True},
        "parent/ask_typed_time.html.j2": {},
        "parent/bad_time.html.j2": {},
        "parent/ask_reminder_days.html.j2": {"reminder_time": time(18, 30)},
        "parent/schedule_confirmed.html.j2": {
            "first_time": True,
            "child_name": LONG_NAME,
            "reminder_time": time(18, 30),
            "days": "weekdays",
            "next_reminder": moment,
        },
        "parent/note_saved.html.j2": {
            "kind": "voice",
            "child_name": LONG_NAME,
            "day": SAMPLE_DAY,
            "not_today": True,
        },
        "parent/note_category_saved.html.j2": {"category": "new_skill", "child_name": LONG_NAME},
        "parent/note_edited.html.j2": {},
        "parent/my_data.html.j2": {"child_name": LONG_NAME},
        "parent/my_data_csv.html.j2": {},
        "parent/add_note_prompt.html.j2": {"day": SAMPLE_DAY, "not_today": True},
        "parent/week.html.j2": {"week": week},
        "parent/no_invite.html.j2": {"reason": "too_many_tries"},
        "parent/already_enrolled.html.j2": {"child_name": LONG_NAME},
        "parent/finish_enrolment.html.j2": {"step": "consent_again"},
        "parent/notice_changed.html.j2": {},
        "parent/notice_declined.html.j2": {},
        "parent/pause_options.html.j2": {},
        "parent/ask_pause_date.html.j2": {"example": SAMPLE_DAY},
        "parent/bad_date.html.j2": {"example": SAMPLE_DAY},
        "parent/paused.html.j2": {"until": SAMPLE_DAY},
        "parent/resumed.html.j2": {"reminder_time": time(18, 30), "next_reminder": moment},
        "parent/not_paused.html.j2": {"reminder_time": time(18, 30)},
        "parent/stopped.html.j2": {},
        "parent/help.html.j2": {"child_name": LONG_NAME},
        "parent/not_understood_sticker.html.j2": {},
        "parent/not_kept_location.html.j2": {"child_name": LONG_NAME},
        "parent/not_kept_contact.html.j2": {},
        "parent/not_kept_other.html.j2": {},
        "parent/unknown_command.html.j2": {"child_name": LONG_NAME},
        "parent/something_went_wrong.html.j2": {},
    }
    messages = {
        name: [cards.Rendered(texts.render(name, **context))] for name, context in plain.items()
    }
    longest = _longest(library, 4)
    messages["parent/day_card.html.j2"] = [
        cards.day_card(
            texts,
            DayCard(1, LONG_NAME, SAMPLE_DAY, True, [_target_day(activity, 1, answer="yes")]),
            is_reminder=True,
        )
        for activity in library
    ] + [
        cards.day_card(
            texts,
            DayCard(
                1,
                LONG_NAME,
                SAMPLE_DAY,
                False,
                [
                    _target_day(activity, position, answer)
                    for position, activity in enumerate(longest, start=1)
                ],
            ),
        )
        for answer in (None, "a_little")
    ]
    return messages


def check_content(content_dir: Path) -> list[str]:
    try:
        library = load_library(content_dir / "activities")
    except LibraryError as error:
        return [f"activity library: {error}"]
    problems: list[str] = []
    per_area = Counter(activity.area for activity in library)
    for area in Area:
        if per_area[area] < MIN_PER_AREA:
            problems.append(f"area {area.value}: {per_area[area]} activities, need {MIN_PER_AREA}")
    texts = Texts(content_dir)
    templates = {name for name in texts.environment.list_templates() if name.startswith("parent/")}
    messages = _sample_messages(texts, library)
    for missing in sorted(templates - set(messages) - {"parent/privacy_notice.html.j2"}):
        problems.append(f"{missing}: no sample to check it with (add one to content_check)")
    for name, rendered_messages in messages.items():
        for rendered in rendered_messages:
            tag_problems, visible = html_problems(rendered.text)
            problems += [f"{name}: {problem}" for problem in tag_problems]
            if not visible.strip():
                problems.append(f"{name}: renders empty")
            length = telegram_length(visible)
            limit = CAPTION_LIMIT if name in CAPTION_TEMPLATES else MESSAGE_LIMIT
            if length > limit:
                problems.append(f"{name}: {length} characters, over {limit}")
            for row in rendered.markup.inline_keyboard if rendered.markup else ():
                for button in row:
                    data = str(button.callback_data or "")
                    if len(data.encode()) > CALLBACK_DATA_LIMIT:
                        problems.append(f"{name}: button data {data!r} over 64 bytes")
    return problems
