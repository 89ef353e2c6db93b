"""Everything the bot holds about a family, as files a parent can keep (/mydata; UK GDPR access)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.clock import Clock, as_utc
from bot.models import (
    Announcement,
    Carer,
    DiaryAnswer,
    DiaryNote,
    Family,
    Group,
    GroupMember,
    Plan,
    Rsvp,
    Target,
)

ANSWER_WORDS = {"yes": "yes", "a_little": "a little", "not_today": "not today", "tries": "tries"}


@dataclass(frozen=True)
class FamilyExport:
    json_bytes: bytes
    diary_csv_bytes: bytes
    file_stem: str


def _when(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment else None


async def export_family(session: AsyncSession, clock: Clock, carer: Carer) -> FamilyExport:
    """What one carer asked for with /mydata: their own details, other carers by role only."""
    return await _export(session, clock, carer.family_id, carer)


async def export_for_service(session: AsyncSession, clock: Clock, family_id: int) -> FamilyExport:
    """A request that reached the service by letter or email: every carer's details, numbered."""
    return await _export(session, clock, family_id, None)


def _carer_profile(carer: Carer) -> dict[str, Any]:
    return {
        "joined_at_utc": _when(carer.enrolled_at_utc),
        "agreed_to_privacy_notice_at_utc": _when(carer.consent_at_utc),
        "privacy_notice_version": carer.consent_version,
        "reminder_time": carer.reminder_time_local.strftime("%H:%M")
        if carer.reminder_time_local
        else None,
        "reminder_days": carer.reminder_days,
        "paused": carer.paused,
        "paused_until": carer.paused_until.isoformat() if carer.paused_until else None,
        "reminders_stopped_at_utc": _when(carer.stopped_at_utc),
        "group_news_off": carer.announcements_muted,
        "language": carer.language,
    }


async def _export(
    session: AsyncSession, clock: Clock, family_id: int, carer: Carer | None
) -> FamilyExport:
    family = await session.get(Family, family_id)
    if family is None or family.erased_at_utc is not None:
        raise LookupError(f"there is no family {family_id} with data to export")
    carers = list(
        await session.scalars(select(Carer).where(Carer.family_id == family.id).order_by(Carer.id))
    )
    numbers = {each.id: index for index, each in enumerate(carers, start=1)}
    plans = list(
        await session.scalars(
            select(Plan)
            .where(Plan.family_id == family.id)
            .order_by(Plan.id)
            .options(selectinload(Plan.targets))
        )
    )
    targets = {
        target.id: target
        for target in await session.scalars(
            select(Target).where(Target.plan_id.in_([plan.id for plan in plans]))
        )
    }
    answers = list(
        await session.scalars(
            select(DiaryAnswer)
            .where(DiaryAnswer.family_id == family.id)
            .order_by(DiaryAnswer.local_date, DiaryAnswer.target_id)
        )
    )
    notes = list(
        await session.scalars(
            select(DiaryNote).where(DiaryNote.family_id == family.id).order_by(DiaryNote.id)
        )
    )

    group_names = list(
        await session.scalars(
            select(Group.name)
            .join(GroupMember, GroupMember.group_id == Group.id)
            .where(GroupMember.family_id == family.id)
            .order_by(Group.name)
        )
    )
    event_answers = list(
        await session.execute(
            select(Announcement.event_starts_at_utc, Announcement.event_place, Rsvp)
            .join(Rsvp, Rsvp.announcement_id == Announcement.id)
            .where(Rsvp.family_id == family.id)
            .order_by(Announcement.event_starts_at_utc)
        )
    )

    def who(carer_id: int | None) -> str:
        # Other carers are named by role only: their own data is theirs to ask for.
        if carer is None:
            return f"carer {numbers.get(carer_id, '?')}" if carer_id else "a carer"
        return "you" if carer_id == carer.id else "another carer"

    document: dict[str, Any] = {
        "exported_at_utc": clock.now().isoformat(),
        "child": {"first_name_or_nickname": family.child_name, "time_zone": family.timezone},
        **(
            {"you": _carer_profile(carer), "other_carers": len(carers) - 1}
            if carer is not None
            else {"carers": [_carer_profile(each) for each in carers]}
        ),
        "on_waiting_list": family.announcements_only,
        "groups": group_names,
        "event_answers": [
            {
                "event_starts_at_utc": _when(starts_at),
                "place": place,
                "answer": "coming" if rsvp.answer == "yes" else "can't make it",
                "by": who(rsvp.carer_id),
                "answered_at_utc": _when(rsvp.answered_at_utc),
            }
            for starts_at, place, rsvp in event_answers
        ],
        "plans": [
            {
                "starts_on": plan.starts_on.isoformat(),
                "targets": [
                    {
                        "title": target.title,
                        "target": target.target_text,
                        "aim": target.criterion_text,
                        "steps": list(target.steps),
                        "materials": list(target.materials),
                        "tip": target.tip,
                        "library_activity": target.activity_id,
                    }
                    for target in plan.targets
                ],
            }
            for plan in plans
        ],
        "diary": [
            {
                "date": answer.local_date.isoformat(),
                "target": targets[answer.target_id].title,
                "answer": ANSWER_WORDS.get(answer.answer, answer.answer),
                "tries_that_worked": answer.tries_succeeded,
                "out_of": targets[answer.target_id].criterion_tries,
                "by": who(answer.answered_by_carer_id),
            }
            for answer in answers
        ],
        "notes": [
            {
                "date": note.local_date.isoformat(),
                "kind": note.kind,
                "text": note.text,
                "telegram_file_id": note.telegram_file_id,
                "what_it_is": note.category,
                "by": who(note.carer_id),
                "sent_at_utc": _when(note.created_at_utc),
            }
            for note in notes
        ],
    }
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["date", "target", "answer", "tries that worked", "out of", "by"])
    for row in document["diary"]:
        writer.writerow(
            [
                row["date"],
                row["target"],
                row["answer"],
                row["tries_that_worked"] or "",
                row["out_of"] or "",
                row["by"],
            ]
        )
    return FamilyExport(
        json_bytes=json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8"),
        # A byte-order mark so that spreadsheet programs read the UTF-8 (names, emoji) right.
        diary_csv_bytes=table.getvalue().encode("utf-8-sig"),
        file_stem=f"portage-diary-{clock.now():%Y-%m-%d}",
    )
