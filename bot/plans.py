"""A child's plan: one to four small-step targets, from the library or written by the visitor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.activities import Activity, ActivityLibrary, Criterion, TargetContent
from bot.clock import Clock
from bot.models import Family, Goal, Plan, Target

MAX_TARGETS = 4
# Long-term goals are reviewed about every six months.
GOAL_REVIEW = timedelta(days=182)


class PlanError(ValueError):
    """The plan cannot be set as asked."""


@dataclass(frozen=True)
class TargetSpec:
    """A target to put in a plan: library wording (with its id) or a visitor's own."""

    content: TargetContent
    activity_id: str | None = None
    goal_id: int | None = None

    @classmethod
    def from_activity(cls, activity: Activity) -> TargetSpec:
        content = TargetContent.model_validate(
            activity.model_dump(include=set(TargetContent.model_fields))
        )
        return cls(content=content, activity_id=activity.id)

    @classmethod
    def from_target(cls, target: Target) -> TargetSpec:
        """Keep a current target as it is, in a new plan."""
        content = TargetContent(
            title=target.title,
            target=target.target_text,
            criterion=Criterion(
                text=target.criterion_text,
                tries=target.criterion_tries,
                successes=target.criterion_successes,
                days=target.criterion_days,
            ),
            why=target.why,
            steps=list(target.steps),
            materials=list(target.materials),
            tip=target.tip,
        )
        return cls(content=content, activity_id=target.activity_id, goal_id=target.goal_id)


def specs_from_ids(library: ActivityLibrary, activity_ids: list[str]) -> list[TargetSpec]:
    specs = []
    for activity_id in activity_ids:
        activity = library.get(activity_id)
        if activity is None:
            raise PlanError(f"there is no activity {activity_id!r} in the library")
        specs.append(TargetSpec.from_activity(activity))
    return specs


def custom_target(target: str, what: str, tip: str, *, criterion_text: str) -> TargetContent:
    """A visitor's own target from three typed answers: the small step, what to do, a tip.

    The title is the small step, shortened at a word to fit; "what to do" may be a few lines or a
    few sentences, and each becomes a step (at most five). The aim is yes on 3 days running."""
    title = target if len(target) <= 40 else target[:39].rsplit(" ", 1)[0] + "…"
    lines = [line.strip() for line in what.splitlines() if line.strip()]
    if len(lines) == 1:
        lines = [part.strip() for part in lines[0].split(". ") if part.strip()]
    steps = [line if len(line) <= 110 else line[:109] + "…" for line in lines][:5]
    return TargetContent(
        title=title if len(title) >= 2 else target[:40],
        target=target,
        criterion=Criterion(text=criterion_text, days=3),
        steps=steps,
        tip=tip,
    )


async def specs_for_draft(
    session: AsyncSession,
    library: ActivityLibrary,
    *,
    family_id: int,
    items: list[dict[str, Any]],
) -> list[TargetSpec]:
    """A plan being put together, as targets to save. Each item keeps a current target
    (`keep`: its id, which must be this family's), takes a library `activity`, or is a
    `custom` target; `goal` is the long-term goal it serves."""
    specs: list[TargetSpec] = []
    for item in items:
        if "keep" in item:
            target = await session.get(Target, item["keep"])
            plan = await session.get(Plan, target.plan_id) if target else None
            if target is None or plan is None or plan.family_id != family_id:
                raise PlanError("a kept target is not this family's")
            spec = TargetSpec.from_target(target)
        elif "activity" in item:
            spec = specs_from_ids(library, [item["activity"]])[0]
        else:
            spec = TargetSpec(content=TargetContent.model_validate(item["custom"]))
        specs.append(TargetSpec(spec.content, spec.activity_id, item.get("goal")))
    return specs


async def set_plan(
    session: AsyncSession,
    clock: Clock,
    *,
    family_id: int,
    targets: list[TargetSpec],
    starts_on: date,
) -> Plan:
    """A new plan from `starts_on`; earlier plans and their diary stay as history."""
    if not 1 <= len(targets) <= MAX_TARGETS:
        raise PlanError(f"a plan has 1 to {MAX_TARGETS} targets, not {len(targets)}")
    family = await session.get(Family, family_id)
    if family is None:
        raise PlanError(f"there is no family with id {family_id}")
    # A plan ends the waiting list: the family now gets daily activities too.
    family.announcements_only = False
    goal_ids = {spec.goal_id for spec in targets if spec.goal_id is not None}
    if goal_ids:
        owned = set(
            await session.scalars(
                select(Goal.id).where(Goal.id.in_(goal_ids), Goal.family_id == family_id)
            )
        )
        if owned != goal_ids:
            raise PlanError("a target's goal belongs to another family")
    plan = Plan(family_id=family_id, starts_on=starts_on, created_at_utc=clock.now())
    for position, spec in enumerate(targets, start=1):
        content = spec.content
        plan.targets.append(
            Target(
                position=position,
                activity_id=spec.activity_id,
                title=content.title,
                target_text=content.target,
                criterion_text=content.criterion.text,
                criterion_tries=content.criterion.tries,
                criterion_successes=content.criterion.successes,
                criterion_days=content.criterion.days,
                why=content.why,
                steps=list(content.steps),
                materials=list(content.materials),
                tip=content.tip,
                goal_id=spec.goal_id,
            )
        )
    session.add(plan)
    await session.flush()
    return plan


def _in_force(query: Select[Any], family_id: int, day: date) -> Select[Any]:
    """`query` narrowed to the family's plan in force on `day`: the latest started on or before
    it (the newest wins a tie)."""
    return (
        query.where(Plan.family_id == family_id, Plan.starts_on <= day)
        .order_by(Plan.starts_on.desc(), Plan.id.desc())
        .limit(1)
    )


async def plan_on(session: AsyncSession, family_id: int, day: date) -> Plan | None:
    """The plan in force on `day`, with its targets."""
    query = select(Plan).options(selectinload(Plan.targets))
    return await session.scalar(_in_force(query, family_id, day))


async def plan_id_on(session: AsyncSession, family_id: int, day: date) -> int | None:
    """The id of the plan in force on `day`, without loading it."""
    return await session.scalar(_in_force(select(Plan.id), family_id, day))


async def add_goal(
    session: AsyncSession, clock: Clock, *, family_id: int, text: str, today: date
) -> Goal:
    text = " ".join(text.split())
    if not 3 <= len(text) <= 200:
        raise PlanError("a goal is 3 to 200 characters")
    goal = Goal(
        family_id=family_id,
        text=text,
        set_on=today,
        review_on=today + GOAL_REVIEW,
        created_at_utc=clock.now(),
    )
    session.add(goal)
    await session.flush()
    return goal


async def open_goals(session: AsyncSession, family_id: int) -> list[Goal]:
    return list(
        await session.scalars(
            select(Goal)
            .where(Goal.family_id == family_id, Goal.closed_on.is_(None))
            .order_by(Goal.set_on, Goal.id)
        )
    )
