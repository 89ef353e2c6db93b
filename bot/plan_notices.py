"""Telling the parents that their child's plan changed: one short message per carer, queued in
the outbox with the plan in its key, so it goes once even if the visitor taps Save twice."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.delivery import text_payload
from bot.models import Carer, Family, Plan
from bot.outbox import enqueue
from bot.texts import Texts


async def tell_carers(
    session: AsyncSession,
    clock: Clock,
    texts: Texts,
    *,
    family: Family,
    plan: Plan,
    earlier_titles: list[str],
    today: date,
) -> int:
    carers = await session.scalars(
        select(Carer).where(
            Carer.family_id == family.id,
            Carer.consent_at_utc.is_not(None),
            Carer.stopped_at_utc.is_(None),
            Carer.unreachable_at_utc.is_(None),
        )
    )
    new_ids = {target.id for target in plan.targets if target.title not in earlier_titles}

    def text(needs_time: bool, language: str) -> str:
        # A family off the waiting list has not chosen a reminder time yet.
        in_language = texts.for_language(language)
        titles = {
            target.id: in_language.activity_title(
                target.activity_id, target.title, target.target_text
            )
            for target in plan.targets
        }
        return in_language.render(
            "parent/plan_changed.html.j2",
            child_name=family.child_name,
            titles=list(titles.values()),
            new_titles=[title for target_id, title in titles.items() if target_id in new_ids],
            starts_on=plan.starts_on,
            starts_today=plan.starts_on <= today,
            needs_time=needs_time,
        )

    told = 0
    for carer in carers:
        told += await enqueue(
            session,
            clock,
            kind="plan_changed",
            dedupe_key=f"plan:{plan.id}:carer={carer.id}",
            chat_id=carer.chat_id,
            payload=text_payload(text(carer.reminder_time_local is None, carer.language)),
            family_id=family.id,
            carer_id=carer.id,
        )
    return told
