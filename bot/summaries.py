"""What a home visitor reads before a visit: per target, how each day went since the last visit
(or the last summary), the parent's own words, and the flags worth a conversation.

Everything here is plain data; `bot.summary_messages` turns it into messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.activities import ActivityLibrary
from bot.chart import ChartData, ChartRow
from bot.clock import as_utc, local_date
from bot.models import Carer, DiaryAnswer, DiaryNote, Family, Goal, Plan, Summary, Target
from bot.visits import last_visit_starts_before

PRACTISED = {"yes", "a_little", "tries"}
# Days in a row with no answer at all before it is worth asking how things are.
QUIET_DAYS = 3
# Families whose summaries are built together: one statement reads what all of them need, where
# one at a time paid ten round trips each. Bounded, as their ids (and their targets') go in IN
# lists.
SUMMARY_BATCH = 50


@dataclass(frozen=True)
class NextStep:
    activity_id: str
    title: str


@dataclass(frozen=True)
class TargetSummary:
    target_id: int
    position: int
    title: str
    goal: str | None
    criterion_text: str
    # One chart code per day of the period: yes, a_little, not_today, none, off, tries:S/N.
    cells: list[str]
    practised: int
    not_today: int
    days_in_plan: int
    ready: bool
    next_step: NextStep | None


@dataclass(frozen=True)
class NoteQuote:
    note_id: int
    day: date
    kind: str
    category: str | None
    text: str | None
    telegram_file_id: str | None


@dataclass(frozen=True)
class Flag:
    """Something worth a conversation: quiet_days, mostly_not_today, question, ready,
    unreachable or no_plan."""

    kind: str
    title: str | None = None
    count: int | None = None
    day: date | None = None


@dataclass(frozen=True)
class SummaryData:
    family_id: int
    child_name: str
    period_start: date
    period_end: date
    targets: list[TargetSummary]
    notes: list[NoteQuote]
    flags: list[Flag] = field(default_factory=list)

    @property
    def days(self) -> list[date]:
        return _days(self.period_start, self.period_end)

    @property
    def days_with_plan(self) -> int:
        return sum(
            1
            for index in range(len(self.days))
            if any(target.cells[index] != "off" for target in self.targets)
        )

    @property
    def days_practised(self) -> int:
        """Days on which at least one target was practised."""
        return sum(
            1
            for index in range(len(self.days))
            if any(_practised(target.cells[index]) for target in self.targets)
        )

    def chart(self, title: str) -> ChartData:
        return ChartData(
            title=title,
            days=self.days,
            rows=[
                ChartRow(label=target.title, cells=list(target.cells)) for target in self.targets
            ],
        )


def _practised(cell: str) -> bool:
    return cell in PRACTISED or cell.startswith("tries:")


def _cell(answer: DiaryAnswer | None, target: Target) -> str:
    if answer is None:
        return "none"
    if answer.answer == "tries":
        return f"tries:{answer.tries_succeeded or 0}/{target.criterion_tries}"
    return answer.answer


def _succeeded(answer: DiaryAnswer, target: Target) -> bool:
    if target.criterion_tries is not None and answer.answer == "tries":
        needed = target.criterion_successes or target.criterion_tries
        return (answer.tries_succeeded or 0) >= needed
    return answer.answer == "yes"


def criterion_met(target: Target, answers: list[DiaryAnswer]) -> bool:
    """The success criterion, the Portage way: success on `criterion_days` days running."""
    good_days = sorted(answer.local_date for answer in answers if _succeeded(answer, target))
    run = 0
    previous: date | None = None
    for day in good_days:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        if run >= target.criterion_days:
            return True
        previous = day
    return False


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def _shown(in_force: dict[date, Plan | None]) -> list[Plan]:
    """The plans in force on some day of the period, in the order they came in."""
    return list(dict.fromkeys(plan for plan in in_force.values() if plan is not None))


def _plan_in_force(plans: list[Plan], day: date) -> Plan | None:
    in_force = None
    for plan in plans:  # sorted by (starts_on, id): the last one started wins
        if plan.starts_on <= day:
            in_force = plan
    return in_force


async def period_start_for(
    session: AsyncSession,
    family: Family,
    *,
    period_end: date,
    before_utc: datetime,
    max_days: int,
) -> date:
    """Where a summary starts: the day of the last visit or the day after the last summary,
    whichever is later; never more than `max_days` back."""
    starts = await period_starts(
        session,
        [family],
        period_ends={family.id: period_end},
        before_utc=before_utc,
        max_days=max_days,
    )
    return starts[family.id]


async def period_starts(
    session: AsyncSession,
    families: Sequence[Family],
    *,
    period_ends: Mapping[int, date],
    before_utc: datetime,
    max_days: int,
) -> dict[int, date]:
    """`period_start_for` for many families at once, in two statements."""
    if not families:
        return {}
    ids = [family.id for family in families]
    floors = {
        family.id: period_ends[family.id] - timedelta(days=max_days - 1) for family in families
    }
    last_visits = await last_visit_starts_before(session, ids, before_utc)
    # Only a summary ending on or after a family's floor can move its start later.
    summary_ends: dict[int, list[date]] = {}
    for family_id, ended in await session.execute(
        select(Summary.family_id, Summary.period_end).where(
            Summary.family_id.in_(ids),
            Summary.period_end >= min(floors.values()),
            Summary.period_end < max(period_ends[family_id] for family_id in ids),
        )
    ):
        summary_ends.setdefault(family_id, []).append(ended)
    starts: dict[int, date] = {}
    for family in families:
        period_end = period_ends[family.id]
        candidates = [floors[family.id], local_date(as_utc(family.created_at_utc), family.timezone)]
        if (last_visit_start := last_visits.get(family.id)) is not None:
            candidates.append(local_date(last_visit_start, family.timezone))
        earlier_ends = [ended for ended in summary_ends.get(family.id, []) if ended < period_end]
        if earlier_ends:
            candidates.append(max(earlier_ends) + timedelta(days=1))
        starts[family.id] = min(max(candidates), period_end)
    return starts


async def build_summary(
    session: AsyncSession,
    family: Family,
    library: ActivityLibrary,
    *,
    period_start: date,
    period_end: date,
) -> SummaryData:
    summaries = await build_summaries(
        session, [family], library, periods={family.id: (period_start, period_end)}
    )
    return summaries[family.id]


async def build_summaries(
    session: AsyncSession,
    families: Sequence[Family],
    library: ActivityLibrary,
    *,
    periods: Mapping[int, tuple[date, date]],
) -> dict[int, SummaryData]:
    """A summary for each family over its (start, end) period: the same six statements however
    many families (up to SUMMARY_BATCH at a time)."""
    if not families:
        return {}
    ids = [family.id for family in families]
    earliest = min(start for start, _ in periods.values())
    latest = max(end for _, end in periods.values())
    plans: dict[int, list[Plan]] = {family_id: [] for family_id in ids}
    for plan in await session.scalars(
        select(Plan)
        .where(Plan.family_id.in_(ids), Plan.starts_on <= latest)
        .order_by(Plan.starts_on, Plan.id)
        .options(selectinload(Plan.targets))
    ):
        plans[plan.family_id].append(plan)
    # Each day of each family's period, with the plan in force that day (None: no plan yet).
    in_force_of = {
        family_id: {
            day: _plan_in_force(plans[family_id], day) for day in _days(*periods[family_id])
        }
        for family_id in ids
    }
    target_ids = [
        target.id
        for in_force in in_force_of.values()
        for plan in _shown(in_force)
        for target in plan.targets
    ]
    answers_of: dict[int, list[DiaryAnswer]] = {}
    for answer in await session.scalars(
        select(DiaryAnswer).where(
            DiaryAnswer.target_id.in_(target_ids), DiaryAnswer.local_date <= latest
        )
    ):
        # All of a target's answers up to the period's end: the criterion may have been met
        # on days before it started.
        if answer.local_date <= periods[answer.family_id][1]:
            answers_of.setdefault(answer.target_id, []).append(answer)
    goals = {
        goal.id: goal.text
        for goal in await session.scalars(select(Goal).where(Goal.family_id.in_(ids)))
    }
    notes_of: dict[int, list[NoteQuote]] = {family_id: [] for family_id in ids}
    for note in await session.scalars(
        select(DiaryNote)
        .where(
            DiaryNote.family_id.in_(ids),
            DiaryNote.local_date >= earliest,
            DiaryNote.local_date <= latest,
        )
        .order_by(DiaryNote.local_date, DiaryNote.id)
    ):
        start, end = periods[note.family_id]
        if start <= note.local_date <= end:
            notes_of[note.family_id].append(
                NoteQuote(
                    note.id,
                    note.local_date,
                    note.kind,
                    note.category,
                    note.text,
                    note.telegram_file_id,
                )
            )
    unreachable = dict(
        (
            await session.execute(
                select(Carer.family_id, func.count())
                .where(
                    Carer.family_id.in_(ids),
                    Carer.unreachable_at_utc.is_not(None),
                    Carer.stopped_at_utc.is_(None),
                )
                .group_by(Carer.family_id)
            )
        ).all()
    )
    return {
        family.id: _summary(
            family,
            library,
            period=periods[family.id],
            in_force=in_force_of[family.id],
            answers_of=answers_of,
            goals=goals,
            notes=notes_of[family.id],
            unreachable=unreachable.get(family.id, 0),
        )
        for family in families
    }


def _summary(
    family: Family,
    library: ActivityLibrary,
    *,
    period: tuple[date, date],
    in_force: dict[date, Plan | None],
    answers_of: dict[int, list[DiaryAnswer]],
    goals: dict[int, str],
    notes: list[NoteQuote],
    unreachable: int,
) -> SummaryData:
    """One family's summary from what `build_summaries` read."""
    days, shown = list(in_force), _shown(in_force)
    targets: list[TargetSummary] = []
    flags: list[Flag] = []
    for plan in shown:
        for target in plan.targets:
            answers = {answer.local_date: answer for answer in answers_of.get(target.id, [])}
            cells = [
                _cell(answers.get(day), target) if in_force[day] is plan else "off" for day in days
            ]
            days_in_plan = sum(1 for cell in cells if cell != "off")
            not_today = cells.count("not_today")
            ready = criterion_met(target, list(answers.values()))
            next_step = _next_step(library, target) if ready else None
            targets.append(
                TargetSummary(
                    target_id=target.id,
                    position=target.position,
                    title=target.title,
                    goal=goals.get(target.goal_id) if target.goal_id else None,
                    criterion_text=target.criterion_text,
                    cells=cells,
                    practised=sum(1 for cell in cells if _practised(cell)),
                    not_today=not_today,
                    days_in_plan=days_in_plan,
                    ready=ready,
                    next_step=next_step,
                )
            )
            if days_in_plan >= 2 and not_today * 2 > days_in_plan:
                flags.append(Flag("mostly_not_today", title=target.title, count=not_today))
            if ready:
                flags.append(Flag("ready", title=target.title))

    if not shown:
        flags.append(Flag("no_plan"))
    else:
        flags.extend(_quiet_spells(days, targets))
    flags.extend(Flag("question", day=note.day) for note in notes if note.category == "question")
    if unreachable:
        flags.append(Flag("unreachable", count=unreachable))
    return SummaryData(
        family_id=family.id,
        child_name=family.child_name,
        period_start=period[0],
        period_end=period[1],
        targets=targets,
        notes=notes,
        flags=flags,
    )


def _quiet_spells(days: list[date], targets: list[TargetSummary]) -> list[Flag]:
    """Runs of QUIET_DAYS or more days, with a plan in force, on which nothing was answered."""
    flags: list[Flag] = []
    run_start: int | None = None
    for index in range(len(days) + 1):
        cells = [target.cells[index] for target in targets] if index < len(days) else []
        quiet = bool(cells) and all(cell in ("none", "off") for cell in cells)
        quiet = quiet and any(cell == "none" for cell in cells)
        if quiet and run_start is None:
            run_start = index
        elif not quiet and run_start is not None:
            if index - run_start >= QUIET_DAYS:
                flags.append(Flag("quiet_days", count=index - run_start, day=days[run_start]))
            run_start = None
    return flags


def _next_step(library: ActivityLibrary, target: Target) -> NextStep | None:
    following = library.next_step(target.activity_id)
    return NextStep(following.id, following.title) if following else None
