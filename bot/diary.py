"""The family's diary: how each target went each day, and the carers' notes, photos and voices."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, local_date
from bot.db import dialect_name, insert_for
from bot.models import Carer, DiaryAnswer, DiaryNote, Family, Plan, Target
from bot.plans import plan_on

ANSWERS = {"y": "yes", "l": "a_little", "n": "not_today"}
PRACTISED = {"yes", "a_little", "tries"}
NOTE_KINDS = ("text", "photo", "voice", "video", "document")
NOTE_CATEGORIES = {"s": "new_skill", "q": "question", "n": "note"}
# Yesterday's buttons still work, so a tired parent can fill in the evening they missed.
DAYS_OPEN = 2


class AnswerOutcome(StrEnum):
    SAVED = "saved"
    DAY_CLOSED = "day_closed"
    NOT_YOURS = "not_yours"
    INVALID = "invalid"


@dataclass(frozen=True)
class TargetDay:
    """One target on one day, as the parent sees it on a day card."""

    target_id: int
    position: int
    title: str
    target_text: str
    criterion_text: str
    tries: int | None
    steps: list[str]
    materials: list[str]
    tip: str
    answer: str | None = None
    tries_succeeded: int | None = None
    # The library activity it was copied from: its words may be shown in the parent's language.
    activity_id: str | None = None


@dataclass(frozen=True)
class DayCard:
    family_id: int
    child_name: str
    local_date: date
    is_today: bool
    targets: list[TargetDay] = field(default_factory=list)


@dataclass(frozen=True)
class TargetWeek:
    title: str
    tries: int | None
    days: list[tuple[date, str | None, int | None]]
    practised_days: int
    activity_id: str | None = None
    target_text: str = ""


@dataclass(frozen=True)
class WeekView:
    child_name: str
    first_day: date
    today: date
    targets: list[TargetWeek]
    notes: int
    new_things: int


def today_for(family: Family, clock: Clock) -> date:
    return local_date(clock.now(), family.timezone)


def is_open(day: date, today: date) -> bool:
    return today - timedelta(days=DAYS_OPEN - 1) <= day <= today


async def day_card(session: AsyncSession, family: Family, day: date, today: date) -> DayCard:
    return (await day_cards(session, [(family, day, today)]))[(family.id, day)]


# A day card's targets, with the plan each belongs to: plain rows, not ORM objects (a parent's
# tap reads one card; the reminder tick thousands). This query and the answers' are built once,
# with parameters: building them and their cache keys anew cost a tap more than a tenth of a
# millisecond each.
_PLAN_TARGETS = (
    select(
        Plan.family_id,
        Plan.id.label("plan_id"),
        Plan.starts_on,
        Target.id,
        Target.position,
        Target.title,
        Target.target_text,
        Target.criterion_text,
        Target.criterion_tries,
        Target.steps,
        Target.materials,
        Target.tip,
        Target.activity_id,
    )
    .select_from(Plan)
    .outerjoin(Target, Target.plan_id == Plan.id)
    .where(
        Plan.family_id.in_(bindparam("family_ids", expanding=True)),
        Plan.starts_on <= bindparam("latest_day"),
    )
    # Newest plan first (the newest wins a tie of start days), its targets in order.
    .order_by(Plan.starts_on.desc(), Plan.id.desc(), Target.position)
)
_ANSWERS_ON_DAYS = select(
    DiaryAnswer.family_id,
    DiaryAnswer.local_date,
    DiaryAnswer.target_id,
    DiaryAnswer.answer,
    DiaryAnswer.tries_succeeded,
).where(
    DiaryAnswer.family_id.in_(bindparam("family_ids", expanding=True)),
    DiaryAnswer.local_date.in_(bindparam("days", expanding=True)),
)


@dataclass
class _PlanTargets:
    starts_on: date
    targets: list[TargetDay] = field(default_factory=list)


async def day_cards(
    session: AsyncSession, wanted: list[tuple[Family, date, date]]
) -> dict[tuple[int, date], DayCard]:
    """Day cards for many (family, day, family's today) at once, in two queries whatever the
    number: the reminder tick builds thousands in the same minute."""
    family_ids = {family.id for family, _, _ in wanted}
    if not family_ids:
        return {}
    latest_day = max(day for _, day, _ in wanted)
    # Core statements on the session's connection: rows need none of the ORM's result handling,
    # which was about a twentieth of a tap's CPU in its profile.
    connection = await session.connection()
    plans_by_family: dict[int, dict[int, _PlanTargets]] = {}
    for row in await connection.execute(
        _PLAN_TARGETS, {"family_ids": list(family_ids), "latest_day": latest_day}
    ):
        plans = plans_by_family.setdefault(row.family_id, {})
        plan = plans.setdefault(row.plan_id, _PlanTargets(row.starts_on))
        if row.id is not None:
            plan.targets.append(_target_day(row))
    answers: dict[tuple[int, date], dict[int, tuple[str, int | None]]] = {}
    days = list({day for _, day, _ in wanted})
    for family_id, day, target_id, answer, tries_succeeded in await connection.execute(
        _ANSWERS_ON_DAYS, {"family_ids": list(family_ids), "days": days}
    ):
        answers.setdefault((family_id, day), {})[target_id] = (answer, tries_succeeded)
    cards: dict[tuple[int, date], DayCard] = {}
    for family, day, today in wanted:
        # The plan in force: the latest started on or before the day.
        plans = plans_by_family.get(family.id, {}).values()
        plan = next((p for p in plans if p.starts_on <= day), None)
        recorded = answers.get((family.id, day), {})
        targets = []
        for target in plan.targets if plan else []:
            if (answer := recorded.get(target.target_id)) is not None:
                target = replace(target, answer=answer[0], tries_succeeded=answer[1])
            targets.append(target)
        cards[(family.id, day)] = DayCard(family.id, family.child_name, day, day == today, targets)
    return cards


def _target_day(row: Row[Any]) -> TargetDay:
    return TargetDay(
        target_id=row.id,
        position=row.position,
        title=row.title,
        target_text=row.target_text,
        criterion_text=row.criterion_text,
        tries=row.criterion_tries,
        steps=list(row.steps),
        materials=list(row.materials),
        tip=row.tip,
        activity_id=row.activity_id,
    )


def _parse_answer(code: str, tries: int | None) -> tuple[str, int | None] | None:
    if code in ANSWERS:
        return ANSWERS[code], None
    if tries is not None and code.isdigit() and 0 <= int(code) <= tries:
        return "tries", int(code)
    return None


@dataclass(frozen=True)
class Answered:
    outcome: AnswerOutcome
    # The day's card with the answer on it, when it was saved: what the parent's message shows.
    card: DayCard | None = None


# What a later tap on the same target and day replaces.
_ANSWER_CHANGES = (
    "family_id",
    "answer",
    "tries_succeeded",
    "answered_by_carer_id",
    "answered_at_utc",
)


def _answer_upsert(dialect: str) -> Any:
    statement = insert_for(dialect, DiaryAnswer.__table__)
    # Two carers may tap at the same moment: the later tap wins, and neither fails.
    return statement.on_conflict_do_update(
        index_elements=["target_id", "local_date"],
        set_={key: statement.excluded[key] for key in _ANSWER_CHANGES},
    )


# Built once for each database rather than at every tap, where building it (and working out its
# cache key) showed in a tap's profile.
_UPSERT_ANSWER = {dialect: _answer_upsert(dialect) for dialect in ("sqlite", "postgresql")}


@dataclass(frozen=True)
class Tap:
    """A carer's answer button: how `target_id` went on `day`, for `family`."""

    carer_id: int
    family: Family
    target_id: int
    day: date
    code: str


async def record_answers(session: AsyncSession, clock: Clock, taps: list[Tap]) -> list[Answered]:
    """Record (or change) how a target went on a day, for each tap, in order; what each came to.
    A tap's target must be on that day's card (the family's plan in force that day) and the day
    still open. The cards are read first, all in two queries, and each comes back with its tap's
    answer on it (and those of the taps before it on the same card); the answers are written in
    one statement. A refusal is explained only when there is one."""
    answered: list[Answered | None] = [None] * len(taps)
    todays = [today_for(tap.family, clock) for tap in taps]
    open_taps = [index for index, tap in enumerate(taps) if is_open(tap.day, todays[index])]
    cards = await day_cards(session, [(taps[i].family, taps[i].day, todays[i]) for i in open_taps])
    # One row per target and day, the later tap's: PostgreSQL refuses an INSERT .. ON CONFLICT
    # that changes a row twice, should a driver send the rows as one multi-row statement.
    rows: dict[tuple[int, date], dict[str, Any]] = {}
    now = clock.now()
    for index in open_taps:
        tap = taps[index]
        card = cards[(tap.family.id, tap.day)]
        tapped = next((t for t in card.targets if t.target_id == tap.target_id), None)
        if tapped is None:
            continue  # explained below
        parsed = _parse_answer(tap.code, tapped.tries)
        if parsed is None:
            answered[index] = Answered(AnswerOutcome.INVALID)
            continue
        answer, tries_succeeded = parsed
        rows[(tap.target_id, tap.day)] = {
            "family_id": tap.family.id,
            "target_id": tap.target_id,
            "local_date": tap.day,
            "answer": answer,
            "tries_succeeded": tries_succeeded,
            "answered_by_carer_id": tap.carer_id,
            "answered_at_utc": now,
        }
        card = replace(
            card,
            targets=[
                replace(target, answer=answer, tries_succeeded=tries_succeeded)
                if target is tapped
                else target
                for target in card.targets
            ],
        )
        cards[(tap.family.id, tap.day)] = card
        answered[index] = Answered(AnswerOutcome.SAVED, card)
    if rows:
        connection = await session.connection()
        await connection.execute(_UPSERT_ANSWER[dialect_name(session)], list(rows.values()))
    results = []
    for index, tap in enumerate(taps):
        result = answered[index]
        if result is None:
            outcome = await _refusal(session, tap.family, tap.target_id, tap.day, todays[index])
            result = Answered(outcome)
        results.append(result)
    return results


async def _refusal(
    session: AsyncSession, family: Family, target_id: int, day: date, today: date
) -> AnswerOutcome:
    """Why a tap was not recorded: a target that is not this family's, a day that has closed,
    or anything else (a target from another plan, a day to come)."""
    plan_family = await session.scalar(
        select(Plan.family_id).join(Target, Target.plan_id == Plan.id).where(Target.id == target_id)
    )
    if plan_family is None:
        return AnswerOutcome.INVALID
    if plan_family != family.id:
        return AnswerOutcome.NOT_YOURS
    if day <= today and not is_open(day, today):
        return AnswerOutcome.DAY_CLOSED
    return AnswerOutcome.INVALID


async def add_note(
    session: AsyncSession,
    clock: Clock,
    carer: Carer,
    *,
    kind: str,
    text: str | None = None,
    telegram_file_id: str | None = None,
    source_message_id: int | None = None,
    day: date | None = None,
) -> DiaryNote:
    if kind not in NOTE_KINDS:
        raise ValueError(f"unknown note kind {kind!r}")
    family = await session.get(Family, carer.family_id)
    assert family is not None
    note = DiaryNote(
        family_id=carer.family_id,
        carer_id=carer.id,
        local_date=day or today_for(family, clock),
        kind=kind,
        text=text,
        telegram_file_id=telegram_file_id,
        source_message_id=source_message_id,
        created_at_utc=clock.now(),
    )
    session.add(note)
    await session.flush()
    return note


async def set_note_category(
    session: AsyncSession, carer: Carer, *, note_id: int, code: str
) -> str | None:
    """Say what a note is. Returns the category, or None if the note is not this family's."""
    note = await session.get(DiaryNote, note_id)
    category = NOTE_CATEGORIES.get(code)
    if note is None or category is None or note.family_id != carer.family_id:
        return None
    note.category = category
    return category


async def update_note_from_edit(
    session: AsyncSession, carer: Carer, *, source_message_id: int, text: str
) -> bool:
    """A carer edited a message they sent us: the note follows the edit."""
    note = await session.scalar(
        select(DiaryNote).where(
            DiaryNote.carer_id == carer.id, DiaryNote.source_message_id == source_message_id
        )
    )
    if note is None:
        return False
    note.text = text
    return True


async def week_view(session: AsyncSession, family: Family, today: date) -> WeekView:
    """Monday to today, per target of today's plan: what was practised, to celebrate it."""
    first_day = today - timedelta(days=today.weekday())
    plan = await plan_on(session, family.id, today)
    targets: list[TargetWeek] = []
    days = [first_day + timedelta(days=offset) for offset in range((today - first_day).days + 1)]
    if plan is not None:
        answers = {
            (answer.target_id, answer.local_date): answer
            for answer in await session.scalars(
                select(DiaryAnswer).where(
                    DiaryAnswer.family_id == family.id,
                    DiaryAnswer.local_date >= first_day,
                    DiaryAnswer.local_date <= today,
                )
            )
        }
        for target in plan.targets:
            row = []
            for day in days:
                recorded = answers.get((target.id, day))
                row.append(
                    (
                        day,
                        recorded.answer if recorded else None,
                        recorded.tries_succeeded if recorded else None,
                    )
                )
            practised = sum(1 for _, answer, _ in row if answer in PRACTISED)
            targets.append(
                TargetWeek(
                    target.title,
                    target.criterion_tries,
                    row,
                    practised,
                    target.activity_id,
                    target.target_text,
                )
            )
    notes = list(
        await session.scalars(
            select(DiaryNote.category).where(
                DiaryNote.family_id == family.id,
                DiaryNote.local_date >= first_day,
                DiaryNote.local_date <= today,
            )
        )
    )
    return WeekView(
        child_name=family.child_name,
        first_day=first_day,
        today=today,
        targets=targets,
        notes=len(notes),
        new_things=sum(1 for category in notes if category == "new_skill"),
    )
