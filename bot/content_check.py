"""`portage-bot content check`: the library holds together and every message fits Telegram.

Renders every template with worst-case inputs (longest names, HTML-like text, four of the longest
activities on one card) and checks the visible length, the HTML, and the buttons' data.
"""

from __future__ import annotations

import html
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path

from telegram import InlineKeyboardMarkup

from bot import announcements, cards, events, groups
from bot.activities import Activity, ActivityLibrary, Area, LibraryError, load_library
from bot.announcement_messages import (
    ListItem,
    announcement_payload,
    event_view,
    progress_text,
    shown_names,
)
from bot.caseload import CaseloadRow
from bot.diary import DayCard, TargetDay, TargetWeek, WeekView
from bot.groups import FamilyChoice, FamilyPage, GroupView
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalog_problems, template_messages
from bot.message_split import split_html
from bot.models import Announcement
from bot.staff import StaffMember, VisitorLoad
from bot.summaries import Flag, NextStep, NoteQuote, SummaryData, TargetSummary
from bot.summary_messages import summary_messages
from bot.texts import (
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    COMMAND_DESCRIPTION_LIMIT,
    MESSAGE_LIMIT,
    Texts,
)
from bot.visits import VisitView

MIN_PER_AREA = 6
# An announcement with a photo: the same template, sent as the photo's caption.
ANNOUNCEMENT_CAPTION = "parent/announcement.html.j2 (with a photo)"
# Sent as a document's caption, where Telegram's limit is 1024.
CAPTION_TEMPLATES = {
    "parent/my_data.html.j2",
    "parent/my_data_csv.html.j2",
    "visitor/family_invite_qr.html.j2",
    "visitor/chart_caption.html.j2",
    "visitor/media_caption.html.j2",
    ANNOUNCEMENT_CAPTION,
}
# Lists that grow with a caseload: sent in as many messages as they need.
SPLIT_TEMPLATES = {
    "visitor/families.html.j2",
    "visitor/visitors.html.j2",
    "visitor/attendance.html.j2",
}
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


def sample_target_day(activity: Activity, position: int, answer: str | None) -> TargetDay:
    """The activity as a target on a day card, answered `answer` (None: not yet)."""
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
        activity_id=activity.id,
    )


def _longest(library: ActivityLibrary, count: int, language: str = "en") -> list[Activity]:
    """The wordiest activities, as the reader sees them (translations run longer)."""

    def size(activity: Activity) -> int:
        words = library.translation(activity.id, language)
        return len((words or activity).model_dump_json())

    return sorted(library, key=size, reverse=True)[:count]


def _sample_messages(
    texts: Texts, library: ActivityLibrary, *, staff: bool = True
) -> dict[str, list[cards.Rendered]]:
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
        "parent/help.html.j2": {"child_name": LONG_NAME, "waiting_list": False},
        "parent/not_understood_sticker.html.j2": {},
        "parent/not_kept_location.html.j2": {"child_name": LONG_NAME},
        "parent/not_kept_contact.html.j2": {},
        "parent/not_kept_other.html.j2": {},
        "parent/unknown_command.html.j2": {"child_name": LONG_NAME, "waiting_list": True},
        "parent/something_went_wrong.html.j2": {},
        "parent/try_again_shortly.html.j2": {},
        "parent/stop_choices.html.j2": {},
        "parent/forget_confirm.html.j2": {"child_name": LONG_NAME},
        "parent/forget_kept.html.j2": {},
        "parent/forgotten.html.j2": {},
        "parent/erased.html.j2": {"reason": "retention"},
        "parent/farewell.html.j2": {"child_name": LONG_NAME},
        "parent/plan_changed.html.j2": {
            "child_name": LONG_NAME,
            "titles": [activity.title for activity in _longest(library, 4)],
            "new_titles": [activity.title for activity in _longest(library, 2)],
            "starts_on": SAMPLE_DAY,
            "starts_today": False,
            "needs_time": True,
        },
        "parent/welcome.html.j2": {"child_name": LONG_NAME, "announcements_only": True},
        "parent/choose_language.html.j2": {"enrolling": True},
        "parent/language_changed.html.j2": {},
    }
    messages = {
        name: [cards.Rendered(texts.render(name, **context))] for name, context in plain.items()
    }
    longest = _longest(library, 4, texts.language.code)
    messages["parent/day_card.html.j2"] = [
        cards.day_card(
            texts,
            DayCard(1, LONG_NAME, SAMPLE_DAY, True, [sample_target_day(activity, 1, answer="yes")]),
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
                    sample_target_day(activity, position, answer)
                    for position, activity in enumerate(longest, start=1)
                ],
            ),
        )
        for answer in (None, "a_little")
    ]
    if staff:
        messages.update(_visitor_samples(texts, library))
    messages.update(_announcement_samples(texts))
    return messages


def _announcement_samples(texts: Texts) -> dict[str, list[cards.Rendered]]:
    """Announcements at their longest: the longest words, group names and place we accept."""
    moment = datetime(2026, 12, 31, 18, 30)
    group_name = ("<Drop-in & play> " * 6)[: groups.NAME_LIMIT]
    names = [group_name] * 5
    place = ("<Family Hub & Café> " * 10)[: announcements.PLACE_LIMIT]
    draft = Announcement(
        id=BIG_ID,
        text=("<Zoë & Amélie> 😀 " * 200)[: announcements.TEXT_LIMIT],
        is_event=True,
        event_starts_at_utc=moment.replace(tzinfo=UTC),
        event_place=place,
        event_version=1,
        finished_at_utc=moment,
    )
    with_photo = Announcement(
        id=BIG_ID,
        text=draft.text[: announcements.CAPTION_TEXT_LIMIT],
        photo_file_id="file-id",
        is_event=True,
        event_starts_at_utc=draft.event_starts_at_utc,
        event_place=place,
        event_version=1,
    )

    def rendered(payload: dict) -> cards.Rendered:
        markup = payload.get("reply_markup")
        return cards.Rendered(
            payload.get("text") or payload.get("caption") or "",
            InlineKeyboardMarkup.de_json(markup, None) if markup else None,
        )

    progress = announcements.Progress(19_000, 900, 99, 1)
    event = event_view(draft, "Europe/London")
    shown, more = shown_names(names)
    around_event = {"groups": shown, "more_groups": more, "event": event}
    attendance = events.Attendance([LONG_NAME] * 30, [LONG_NAME] * 20, 999)
    reach = announcements.Audience(20_000, 30_000)
    view = GroupView(BIG_ID, group_name, LONG_NAME, False, 999)
    page = FamilyPage(view, [FamilyChoice(BIG_ID, LONG_NAME, True, True)] * 8, 99, 100)
    item = ListItem(moment, draft.text, "event cancelled")
    plain: dict[str, dict] = {
        "parent/event_reminder.html.j2": around_event,
        "parent/event_cancelled.html.j2": around_event,
        "parent/event_moved.html.j2": around_event,
        "parent/settings.html.j2": {
            "announcements_only": False,
            "reminder_time": moment.time(),
            "reminder_days": "weekdays",
            "paused": True,
            "muted": True,
        },
        "parent/waiting_list_welcome.html.j2": {"child_name": LONG_NAME},
        "visitor/groups.html.j2": {"groups": [view] * 30},
        "visitor/group.html.j2": {"page": page, "member": StaffMember(1, "A", "visitor", "", 1)},
        "visitor/ask_group_name.html.j2": {},
        "visitor/bad_group_name.html.j2": {},
        "visitor/announce_pick_groups.html.j2": {"audience": reach},
        "visitor/announce_no_groups.html.j2": {},
        "visitor/announce_ask_text.html.j2": {},
        "visitor/announce_bad_text.html.j2": {"reason": "too_long", "limit": 2500, "photo": True},
        "visitor/announce_ask_event.html.j2": {},
        "visitor/announce_pick_day.html.j2": {"purpose": "move"},
        "visitor/announce_pick_time.html.j2": {"day": SAMPLE_DAY, "purpose": "send"},
        "visitor/announce_ask_place.html.j2": {},
        "visitor/announce_bad_time.html.j2": {"reason": "event_first"},
        "visitor/announce_controls.html.j2": {
            "audience": reach,
            "unreachable": 999,
            "is_event": True,
            "scheduled_for": moment,
        },
        "visitor/announce_scheduled.html.j2": {"send_at": moment, "audience": reach},
        "visitor/announce_gone.html.j2": {"status": "sent"},
        "visitor/announcements.html.j2": {"items": [item] * 10, "any_events": True},
        "visitor/event_cancel_confirm.html.j2": {},
        "visitor/attendance.html.j2": {"event": event, "attendance": attendance},
    }
    messages = {
        name: [cards.Rendered(texts.render(name, **context))] for name, context in plain.items()
    }
    messages["parent/announcement.html.j2"] = [
        rendered(announcement_payload(texts, draft, names, "Europe/London"))
    ]
    messages[ANNOUNCEMENT_CAPTION] = [
        rendered(announcement_payload(texts, with_photo, names, "Europe/London"))
    ]
    messages["visitor/announce_progress.html.j2"] = [
        cards.Rendered(progress_text(texts, draft, names, progress)),
        cards.Rendered(progress_text(texts, draft, names, None)),
    ]
    messages["visitor/announcement.html.j2"] = [
        cards.Rendered(
            texts.render(
                "visitor/announcement.html.j2",
                text=draft.text,
                scheduled_for=moment,
                progress=progress,
                attendance=attendance,
                note=note,
                told=30_000,
                **around_event,
            )
        )
        for note in ("cancelled", "moved", "not_changed", "stopped")
    ]
    return messages


def _visitor_samples(texts: Texts, library: ActivityLibrary) -> dict[str, list[cards.Rendered]]:
    """The visitor's and manager's messages, a summary at its longest split into its parts."""
    longest = _longest(library, 4)
    moment = datetime(2026, 12, 31, 18, 30)
    member = StaffMember(BIG_ID, LONG_NAME, "manager", "Europe/London", BIG_ID)
    days = [SAMPLE_DAY - timedelta(days=offset) for offset in range(27, -1, -1)]
    cells = ["yes", "a_little", "not_today", "none", "off", "tries:6/6", "tries:0/6"]
    long_note = ("<Zoë & Amélie> 😀 " * 240)[:4000]
    summary = SummaryData(
        family_id=BIG_ID,
        child_name=LONG_NAME,
        period_start=days[0],
        period_end=days[-1],
        targets=[
            TargetSummary(
                target_id=BIG_ID,
                position=position,
                title=activity.title,
                goal=LONG_NAME * 3,
                criterion_text=activity.criterion.text,
                cells=[cells[index % len(cells)] for index in range(len(days))],
                practised=28,
                not_today=28,
                days_in_plan=28,
                ready=True,
                next_step=NextStep(activity.id, activity.title),
            )
            for position, activity in enumerate(longest, start=1)
        ],
        notes=[
            NoteQuote(BIG_ID, day, kind, category, long_note, "file-id" if kind != "text" else None)
            for day in days
            for kind, category in (("text", "question"), ("photo", "new_skill"), ("voice", None))
        ],
        flags=[
            Flag("quiet_days", count=28, day=SAMPLE_DAY),
            Flag("mostly_not_today", title=LONG_NAME, count=28),
            Flag("question", day=SAMPLE_DAY),
            Flag("ready", title=LONG_NAME),
            Flag("unreachable", count=3),
            Flag("no_plan"),
        ],
    )
    row = CaseloadRow(
        BIG_ID, LONG_NAME, 3, SAMPLE_DAY, 28, 28, "a_little", SAMPLE_DAY, moment,
        ["quiet_days", "mostly_not_today", "question", "ready", "unreachable", "no_plan",
         "not_joined", "goal_review"],
    )  # fmt: skip
    visit = VisitView(BIG_ID, BIG_ID, moment, "booked", 14)
    plain: dict[str, dict] = {
        "visitor/help.html.j2": {"member": member},
        "visitor/families.html.j2": {"rows": [row] * 15},
        "visitor/ask_child_name.html.j2": {"waiting_list": True},
        "visitor/bad_child_name.html.j2": {},
        "visitor/family_invite.html.j2": {
            "child_name": LONG_NAME,
            "family_id": BIG_ID,
            "link": "https://t.me/" + "b" * 32 + "?start=" + "c" * 32,
            "expires": moment,
            "waiting_list": True,
        },
        "visitor/family_invite_qr.html.j2": {"child_name": LONG_NAME},
        "visitor/invite_usage.html.j2": {},
        "visitor/no_families.html.j2": {},
        "visitor/not_yours.html.j2": {},
        "visitor/managers_only.html.j2": {},
        "visitor/pick_family.html.j2": {"purpose": "summary"},
        "visitor/plan.html.j2": {
            "note": "not_saved",
            "child_name": LONG_NAME,
            "family_id": BIG_ID,
            "current": [(activity.title, 1) for activity in longest],
            "items": [{"custom": {}, "title": activity.title, "goal": 1} for activity in longest],
            "goals": {1: LONG_NAME * 3},
            "starts_on": SAMPLE_DAY,
            "max_targets": 4,
        },
        "visitor/pick_area.html.j2": {"child_name": LONG_NAME},
        "visitor/pick_activity.html.j2": {
            "area": "communication_language",
            "activities": sorted(library, key=lambda activity: -len(activity.target))[:10],
        },
        "visitor/pick_goal.html.j2": {"title": LONG_NAME},
        "visitor/goals.html.j2": {
            "child_name": LONG_NAME,
            "goals": [(LONG_NAME * 3, SAMPLE_DAY, SAMPLE_DAY)] * 12,
            "today": SAMPLE_DAY,
        },
        "visitor/ask_goal.html.j2": {"child_name": LONG_NAME},
        "visitor/bad_goal.html.j2": {},
        "visitor/custom_ask.html.j2": {"step": "what"},
        "visitor/custom_bad.html.j2": {"step": "tip", "low": 1, "high": 140},
        "visitor/plan_saved.html.j2": {
            "child_name": LONG_NAME,
            "titles": [activity.title for activity in longest],
            "starts_on": SAMPLE_DAY,
            "told": 3,
        },
        "visitor/visits.html.j2": {
            "child_name": LONG_NAME,
            "upcoming": visit,
            "last": visit,
            "summary_at": moment,
            "note": "not_changed",
        },
        "visitor/pick_day.html.j2": {"child_name": LONG_NAME},
        "visitor/pick_time.html.j2": {"day": SAMPLE_DAY},
        "visitor/pick_repeat.html.j2": {"day": SAMPLE_DAY, "at": time(17, 30)},
        "visitor/confirm_cancel.html.j2": {"child_name": LONG_NAME, "repeating": True},
        "visitor/pick_period.html.j2": {"child_name": LONG_NAME, "family_id": BIG_ID},
        "visitor/summary_usage.html.j2": {},
        "visitor/visitors.html.j2": {
            "visitors": [VisitorLoad(BIG_ID, LONG_NAME * 2, False, 15)] * 40
        },
        "visitor/pick_visitor.html.j2": {"child_name": LONG_NAME},
        "visitor/invite_visitor_usage.html.j2": {},
        "visitor/staff_invite.html.j2": {
            "name": LONG_NAME * 2,
            "staff_id": BIG_ID,
            "link": "https://t.me/" + "b" * 32 + "?start=" + "c" * 32,
            "expires": moment,
        },
        "visitor/holidays.html.j2": {
            "holidays": [(LONG_NAME, SAMPLE_DAY, SAMPLE_DAY)] * 20,
            "problem": True,
        },
        "visitor/family_erased.html.j2": {"family_id": BIG_ID, "reason": "parent_request"},
        "visitor/discharge_confirm.html.j2": {"child_name": LONG_NAME, "retention_days": 365},
        "visitor/discharged.html.j2": {
            "child_name": LONG_NAME,
            "already": False,
            "retention_days": 365,
        },
        "visitor/staff_welcome.html.j2": {"name": LONG_NAME * 2, "role": "manager"},
        "visitor/chart_caption.html.j2": {"summary": summary},
        "visitor/media_caption.html.j2": {"note": summary.notes[1], "child_name": LONG_NAME},
    }
    messages = {
        name: [cards.Rendered(part) for part in split_html(texts.render(name, **context))]
        if name in SPLIT_TEMPLATES
        else [cards.Rendered(texts.render(name, **context))]
        for name, context in plain.items()
    }
    parts = summary_messages(texts, summary, next_visit_at=moment, on_demand=False)
    messages["visitor/summary.html.j2"] = [
        cards.Rendered(
            part["text"],
            InlineKeyboardMarkup.de_json(part["reply_markup"], None)
            if part["reply_markup"]
            else None,
        )
        for part in parts
        if part["method"] == "sendMessage"
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
    english = Texts(content_dir, library=library)
    templates = {
        name
        for name in english.environment.list_templates()
        if name.startswith(("parent/", "visitor/")) and "/_" not in name
    }
    wanted = template_messages(content_dir)
    for code in LANGUAGES:
        texts = english.for_language(code)
        if code != DEFAULT_LANGUAGE:
            problems += catalog_problems(content_dir / "locale", code, wanted)
        messages = _sample_messages(texts, library, staff=code == DEFAULT_LANGUAGE)
        if code == DEFAULT_LANGUAGE:
            for missing in sorted(templates - set(messages) - {"parent/privacy_notice.html.j2"}):
                problems.append(f"{missing}: no sample to check it with (add one to content_check)")
        else:
            # Visitors' and managers' messages are English whatever the language.
            messages = {
                name: shown for name, shown in messages.items() if name.startswith("parent/")
            }
        where = "" if code == DEFAULT_LANGUAGE else f"[{code}] "
        problems += [where + problem for problem in _message_problems(messages)]
        problems += [where + problem for problem in _command_problems(texts)]
    return problems


def _message_problems(messages: dict[str, list[cards.Rendered]]) -> list[str]:
    problems: list[str] = []
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


def _command_problems(texts: Texts) -> list[str]:
    """setMyCommands takes descriptions of 1 to 256 characters."""
    problems = []
    for name in texts.label_names():
        if name.startswith("command_") and len(texts.label(name)) > COMMAND_DESCRIPTION_LIMIT:
            problems.append(f"{name}: menu description of {len(texts.label(name))} characters")
    return problems
