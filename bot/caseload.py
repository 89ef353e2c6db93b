"""A visitor's caseload at a glance: one line per family for `/families`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.activities import ActivityLibrary
from bot.clock import as_utc, local_date, to_local
from bot.models import Carer, DiaryAnswer, Goal
from bot.staff import StaffMember, caseload
from bot.summaries import SUMMARY_BATCH, SummaryData, build_summaries, period_starts
from bot.visits import next_visit


@dataclass(frozen=True)
class CaseloadRow:
    family_id: int
    child_name: str
    carers: int
    since: date
    days_practised: int
    days: int
    last_answer: str | None
    last_answer_on: date | None
    next_visit_at: datetime | None
    flags: list[str]


async def caseload_rows(
    session: AsyncSession,
    member: StaffMember,
    library: ActivityLibrary,
    *,
    now_utc: datetime,
    max_days: int,
) -> list[CaseloadRow]:
    families = list(await caseload(session, member))
    todays = {family.id: local_date(now_utc, family.timezone) for family in families}
    starts: dict[int, date] = {}
    summaries: dict[int, SummaryData] = {}
    # A manager's caseload is every family: read in bounded batches (the ids go in IN lists).
    for first in range(0, len(families), SUMMARY_BATCH):
        batch = families[first : first + SUMMARY_BATCH]
        starts |= await period_starts(
            session, batch, period_ends=todays, before_utc=now_utc, max_days=max_days
        )
        summaries |= await build_summaries(
            session,
            batch,
            library,
            periods={family.id: (starts[family.id], todays[family.id]) for family in batch},
        )
    rows: list[CaseloadRow] = []
    for family in families:
        today, since, summary = todays[family.id], starts[family.id], summaries[family.id]
        last = (
            await session.execute(
                select(DiaryAnswer.answer, DiaryAnswer.local_date)
                .where(DiaryAnswer.family_id == family.id)
                .order_by(DiaryAnswer.local_date.desc(), DiaryAnswer.answered_at_utc.desc())
                .limit(1)
            )
        ).first()
        carers = await session.scalar(
            select(func.count()).select_from(Carer).where(Carer.family_id == family.id)
        )
        review_due = await session.scalar(
            select(func.count())
            .select_from(Goal)
            .where(Goal.family_id == family.id, Goal.closed_on.is_(None), Goal.review_on <= today)
        )
        visit = await next_visit(session, family.id, now_utc)
        flags = sorted({flag.kind for flag in summary.flags})
        if not carers:
            flags.append("not_joined")
        if review_due:
            flags.append("goal_review")
        rows.append(
            CaseloadRow(
                family_id=family.id,
                child_name=family.child_name,
                carers=int(carers or 0),
                since=since,
                days_practised=summary.days_practised,
                days=summary.days_with_plan,
                last_answer=last.answer if last else None,
                last_answer_on=last.local_date if last else None,
                next_visit_at=(
                    to_local(as_utc(visit.starts_at_utc), member.timezone) if visit else None
                ),
                flags=flags,
            )
        )
    return rows
