"""Callback data: short, versioned strings, built and parsed only here.

Parsing accepts exactly what is built here (ASCII digits, the whole string), nothing looser.
Explicit strings (not PTB's in-memory arbitrary callback data) keep buttons working across a
restart and on another instance. Every handler still re-checks that the user may act on what the
data names: data comes from the client and can be forged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from bot.i18n import LANGUAGES

ANSWER = re.compile(r"^a1:([0-9]{1,12}):([0-9]{8}):([yln]|[0-9])$")
ADD_NOTE = re.compile(r"^an1:([0-9]{8})$")
NOTE_CATEGORY = re.compile(r"^n1:([0-9]{1,12}):([sqn])$")
CONSENT = re.compile(r"^c1:([yn])$")
LANGUAGE = re.compile(r"^lg1:([a-z]{2,3})$")
REMINDER_TIME = re.compile(r"^t1:([0-9]{4}|typed)$")
REMINDER_DAYS = re.compile(r"^d1:(daily|weekdays)$")
PAUSE = re.compile(r"^p1:(7|14|date|open)$")

# Patterns for CallbackQueryHandler: each handler sees only its own prefix.
ANSWER_PREFIX = r"^a1:"
ADD_NOTE_PREFIX = r"^an1:"
NOTE_CATEGORY_PREFIX = r"^n1:"
CONSENT_PREFIX = r"^c1:"
LANGUAGE_PREFIX = r"^lg1:"
REMINDER_TIME_PREFIX = r"^t1:"
REMINDER_DAYS_PREFIX = r"^d1:"
PAUSE_PREFIX = r"^p1:"


@dataclass(frozen=True)
class AnswerTap:
    target_id: int
    day: date
    code: str


def _day(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def answer(target_id: int, day: date, code: str) -> str:
    return f"a1:{target_id}:{day:%Y%m%d}:{code}"


def parse_answer(data: str | None) -> AnswerTap | None:
    match = ANSWER.fullmatch(data or "")
    if not match or (day := _day(match.group(2))) is None:
        return None
    return AnswerTap(int(match.group(1)), day, match.group(3))


def add_note(day: date) -> str:
    return f"an1:{day:%Y%m%d}"


def parse_add_note(data: str | None) -> date | None:
    match = ADD_NOTE.fullmatch(data or "")
    return _day(match.group(1)) if match else None


def note_category(note_id: int, code: str) -> str:
    return f"n1:{note_id}:{code}"


def parse_note_category(data: str | None) -> tuple[int, str] | None:
    match = NOTE_CATEGORY.fullmatch(data or "")
    return (int(match.group(1)), match.group(2)) if match else None


def consent(agreed: bool) -> str:
    return "c1:y" if agreed else "c1:n"


def parse_consent(data: str | None) -> bool | None:
    match = CONSENT.fullmatch(data or "")
    return match.group(1) == "y" if match else None


def language(code: str) -> str:
    return f"lg1:{code}"


def parse_language(data: str | None) -> str | None:
    """A language we speak, or None."""
    match = LANGUAGE.fullmatch(data or "")
    return match.group(1) if match and match.group(1) in LANGUAGES else None


def reminder_time(choice: time | None) -> str:
    return f"t1:{choice:%H%M}" if choice else "t1:typed"


def parse_reminder_time(data: str | None) -> time | str | None:
    """A time, the string "typed" (the user will type one), or None for bad data."""
    match = REMINDER_TIME.fullmatch(data or "")
    if not match:
        return None
    value = match.group(1)
    if value == "typed":
        return value
    hour, minute = int(value[:2]), int(value[2:])
    return time(hour, minute) if hour < 24 and minute < 60 else None


def reminder_days(days: str) -> str:
    return f"d1:{days}"


def parse_reminder_days(data: str | None) -> str | None:
    match = REMINDER_DAYS.fullmatch(data or "")
    return match.group(1) if match else None


def pause(choice: str) -> str:
    return f"p1:{choice}"


def parse_pause(data: str | None) -> str | None:
    match = PAUSE.fullmatch(data or "")
    return match.group(1) if match else None


# --- Visitors and managers. Every one names the family or visit it acts on, and the handler
# checks the tapper may reach it before doing anything.

PICK_FAMILY = re.compile(r"^sf1:(plan|visit|summary|move|discharge):([0-9]{1,12})$")
PLAN = re.compile(
    r"^pl1:([0-9]{1,12}):(area|act|next|drop|goal|save|custom|goals|addgoal|show)"
    r"(?::([a-z0-9_-]{1,40}))?$"
)
NEXT_STEP = re.compile(r"^ns1:([0-9]{1,12}):([a-z0-9-]{2,24})$")
VISIT = re.compile(
    r"^v1:(book|day|at|rep|move|mday|mat|cancel|cancelok|done):([0-9]{1,12})"
    r"(?::([0-9]{8}))?(?::([0-9]{4}))?(?::([0-9]{1,2}))?$"
)
SUMMARY = re.compile(r"^sm1:([0-9]{1,12}):(since|7|14|28)$")
MOVE_TO = re.compile(r"^mv1:([0-9]{1,12}):([0-9]{1,12})$")

PICK_FAMILY_PREFIX = r"^sf1:"
PLAN_PREFIX = r"^pl1:"
NEXT_STEP_PREFIX = r"^ns1:"
VISIT_PREFIX = r"^v1:"
SUMMARY_PREFIX = r"^sm1:"
MOVE_TO_PREFIX = r"^mv1:"


@dataclass(frozen=True)
class PlanTap:
    family_id: int
    op: str
    arg: str | None


@dataclass(frozen=True)
class VisitTap:
    op: str
    id: int
    day: date | None
    at: time | None
    repeat: int | None


def pick_family(purpose: str, family_id: int) -> str:
    return f"sf1:{purpose}:{family_id}"


def parse_pick_family(data: str | None) -> tuple[str, int] | None:
    match = PICK_FAMILY.fullmatch(data or "")
    return (match.group(1), int(match.group(2))) if match else None


def plan(family_id: int, op: str, arg: str | int | None = None) -> str:
    return f"pl1:{family_id}:{op}" + (f":{arg}" if arg is not None else "")


def parse_plan(data: str | None) -> PlanTap | None:
    match = PLAN.fullmatch(data or "")
    return PlanTap(int(match.group(1)), match.group(2), match.group(3)) if match else None


def next_step(target_id: int, activity_id: str) -> str:
    return f"ns1:{target_id}:{activity_id}"


def parse_next_step(data: str | None) -> tuple[int, str] | None:
    match = NEXT_STEP.fullmatch(data or "")
    return (int(match.group(1)), match.group(2)) if match else None


def visit(
    op: str,
    target_id: int,
    day: date | None = None,
    at: time | None = None,
    repeat: int | None = None,
) -> str:
    data = f"v1:{op}:{target_id}"
    if day is not None:
        data += f":{day:%Y%m%d}"
    if at is not None:
        data += f":{at:%H%M}"
    if repeat is not None:
        data += f":{repeat}"
    return data


def parse_visit(data: str | None) -> VisitTap | None:
    match = VISIT.fullmatch(data or "")
    if not match:
        return None
    day = _day(match.group(3)) if match.group(3) else None
    at = None
    if match.group(4):
        hour, minute = int(match.group(4)[:2]), int(match.group(4)[2:])
        if hour > 23 or minute > 59:
            return None
        at = time(hour, minute)
    if match.group(3) and day is None:
        return None
    repeat = int(match.group(5)) if match.group(5) else None
    return VisitTap(match.group(1), int(match.group(2)), day, at, repeat)


def summary(family_id: int, period: str) -> str:
    return f"sm1:{family_id}:{period}"


def parse_summary(data: str | None) -> tuple[int, str] | None:
    match = SUMMARY.fullmatch(data or "")
    return (int(match.group(1)), match.group(2)) if match else None


def move_to(family_id: int, visitor_id: int) -> str:
    return f"mv1:{family_id}:{visitor_id}"


def parse_move_to(data: str | None) -> tuple[int, int] | None:
    match = MOVE_TO.fullmatch(data or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


# --- Leaving: /stop's choices and /forget's confirmation; a visitor's discharge.

LEAVE = re.compile(r"^l1:(pause|stop|forget|erase|keep)$")
DISCHARGE = re.compile(r"^dc1:([0-9]{1,12})$")
LEAVE_PREFIX = r"^l1:"
DISCHARGE_PREFIX = r"^dc1:"


def leave(choice: str) -> str:
    return f"l1:{choice}"


def parse_leave(data: str | None) -> str | None:
    match = LEAVE.fullmatch(data or "")
    return match.group(1) if match else None


def discharge(family_id: int) -> str:
    return f"dc1:{family_id}"


def parse_discharge(data: str | None) -> int | None:
    match = DISCHARGE.fullmatch(data or "")
    return int(match.group(1)) if match else None


# --- Groups, announcements and events.

GROUP = re.compile(
    r"^gr1:([0-9]{1,12}):(list|new|show|page|tog)(?::([0-9]{1,12}))?(?::([0-9]{1,4}))?$"
)
ANNOUNCE = re.compile(r"^ac1:([0-9]{1,12}):([a-z]{2,8})(?::([0-9]{1,12}))?$")
RSVP = re.compile(r"^rv1:([0-9]{1,12}):(yes|no)$")
SETTINGS = re.compile(r"^st1:(news_on|news_off)$")
GROUP_PREFIX = r"^gr1:"
ANNOUNCE_PREFIX = r"^ac1:"
RSVP_PREFIX = r"^rv1:"
SETTINGS_PREFIX = r"^st1:"


@dataclass(frozen=True)
class GroupTap:
    group_id: int
    op: str
    arg: int | None
    page: int


@dataclass(frozen=True)
class AnnounceTap:
    announcement_id: int
    op: str
    arg: str | None

    @property
    def number(self) -> int | None:
        return int(self.arg) if self.arg is not None else None

    @property
    def day(self) -> date | None:
        return _day(self.arg[:8]) if self.arg and len(self.arg) in (8, 12) else None

    @property
    def moment(self) -> tuple[date, time] | None:
        """`202611251030` -> 25 Nov 2026, 10:30."""
        if not self.arg or len(self.arg) != 12 or (day := self.day) is None:
            return None
        hour, minute = int(self.arg[8:10]), int(self.arg[10:12])
        if hour > 23 or minute > 59:
            return None
        return day, time(hour, minute)


def group(group_id: int, op: str, arg: int | None = None, page: int | None = None) -> str:
    data = f"gr1:{group_id}:{op}"
    if arg is not None:
        data += f":{arg}"
    if page is not None:
        data += f":{page}"
    return data


def parse_group(data: str | None) -> GroupTap | None:
    match = GROUP.fullmatch(data or "")
    if not match:
        return None
    arg = int(match.group(3)) if match.group(3) else None
    return GroupTap(int(match.group(1)), match.group(2), arg, int(match.group(4) or 0))


def announce(announcement_id: int, op: str, arg: int | date | datetime | None = None) -> str:
    data = f"ac1:{announcement_id}:{op}"
    if isinstance(arg, datetime):
        data += f":{arg:%Y%m%d%H%M}"
    elif isinstance(arg, date):
        data += f":{arg:%Y%m%d}"
    elif arg is not None:
        data += f":{arg}"
    return data


def parse_announce(data: str | None) -> AnnounceTap | None:
    match = ANNOUNCE.fullmatch(data or "")
    return AnnounceTap(int(match.group(1)), match.group(2), match.group(3)) if match else None


def rsvp(announcement_id: int, answer: str) -> str:
    return f"rv1:{announcement_id}:{answer}"


def parse_rsvp(data: str | None) -> tuple[int, str] | None:
    match = RSVP.fullmatch(data or "")
    return (int(match.group(1)), match.group(2)) if match else None


def settings(choice: str) -> str:
    return f"st1:{choice}"


def parse_settings(data: str | None) -> str | None:
    match = SETTINGS.fullmatch(data or "")
    return match.group(1) if match else None
