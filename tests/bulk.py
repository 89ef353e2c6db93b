"""Thousands of enrolled families at once, for fault tests and the benchmark.

Enrolling one family through the bot takes a dozen messages; a county's worth is put straight
into the database with bulk INSERTs instead, shaped exactly as enrolment and `set_plan` leave it
(the same columns `tests/factories.enrolled_carer` fills in one at a time).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select

from bot.context import Services
from bot.enrolment import PRIVACY_NOTICE_VERSION
from bot.models import Carer, DiaryAnswer, DiaryNote, Family, Plan, Staff, Target
from bot.plans import specs_from_ids

ACTIVITIES = ["com-point-to-toy", "cog-stack-blocks"]
CHUNK = 1000
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Seeded:
    family_ids: list[int]
    user_ids: list[int]


async def seed_families(
    services: Services,
    count: int,
    *,
    reminder_time: time | None,
    first_user_id: int = 100_000,
    timezone: str = "Europe/London",
    visitor_id: int | None = None,
    visitor_ids: Sequence[int] | None = None,
    plan_from: date = date(2026, 1, 1),
    enrolled_at: datetime = LONG_AGO,
) -> Seeded:
    """`count` families, each with one consenting carer (Telegram user and chat id
    `first_user_id + n`) whose daily reminder is at `reminder_time`, and a two-target plan.

    `reminder_time=None`: no reminder time chosen yet (nothing is due until one is set).
    `visitor_ids`: one visitor per family (instead of `visitor_id` for all of them).
    `enrolled_at`: when the families were created and the carers enrolled, consented and chose
    their time; reminders scheduled before it are never due (the benchmark enrols at "now").
    """
    if visitor_ids is not None and len(visitor_ids) != count:
        raise ValueError("visitor_ids needs one visitor per family")
    specs = specs_from_ids(services.library, ACTIVITIES)
    family_ids: list[int] = []
    user_ids = list(range(first_user_id, first_user_id + count))
    async with services.sessions.begin() as session:
        for start in range(0, count, CHUNK):
            chunk = user_ids[start : start + CHUNK]
            first_family = await _next_id(session, Family)
            await session.execute(
                insert(Family),
                [
                    {
                        "id": first_family + n,
                        "child_name": f"Child {user_id}",
                        "timezone": timezone,
                        "visitor_id": (
                            visitor_ids[start + n] if visitor_ids is not None else visitor_id
                        ),
                        "created_at_utc": enrolled_at,
                    }
                    for n, user_id in enumerate(chunk)
                ],
            )
            ids = [first_family + n for n in range(len(chunk))]
            first_plan = await _next_id(session, Plan)
            await session.execute(
                insert(Plan),
                [
                    {
                        "id": first_plan + n,
                        "family_id": family_id,
                        "starts_on": plan_from,
                        "created_at_utc": LONG_AGO,
                    }
                    for n, family_id in enumerate(ids)
                ],
            )
            await session.execute(
                insert(Target),
                [
                    {
                        "plan_id": first_plan + n,
                        "position": position,
                        "activity_id": spec.activity_id,
                        "title": spec.content.title,
                        "target_text": spec.content.target,
                        "criterion_text": spec.content.criterion.text,
                        "criterion_tries": spec.content.criterion.tries,
                        "criterion_successes": spec.content.criterion.successes,
                        "criterion_days": spec.content.criterion.days,
                        "why": spec.content.why,
                        "steps": list(spec.content.steps),
                        "materials": list(spec.content.materials),
                        "tip": spec.content.tip,
                    }
                    for n in range(len(ids))
                    for position, spec in enumerate(specs, start=1)
                ],
            )
            await session.execute(
                insert(Carer),
                [
                    {
                        "family_id": family_id,
                        "telegram_user_id": user_id,
                        "chat_id": user_id,
                        "enrolled_at_utc": enrolled_at,
                        "consent_at_utc": enrolled_at,
                        "consent_version": PRIVACY_NOTICE_VERSION,
                        "reminder_time_local": reminder_time,
                        "reminder_days": "daily",
                        "schedule_changed_at_utc": enrolled_at,
                        "paused": False,
                    }
                    for family_id, user_id in zip(ids, chunk, strict=True)
                ],
            )
            family_ids.extend(ids)
    await _advance_postgres_sequences(services)
    return Seeded(family_ids, user_ids)


async def seed_visitors(
    services: Services, count: int, *, first_user_id: int = 900_000
) -> list[int]:
    """`count` home visitors, signed in (Telegram ids from `first_user_id`)."""
    async with services.sessions.begin() as session:
        first = await _next_id(session, Staff)
        await session.execute(
            insert(Staff),
            [
                {
                    "id": first + n,
                    "name": f"Visitor {n + 1}",
                    "role": "visitor",
                    "telegram_user_id": first_user_id + n,
                    "timezone": "Europe/London",
                    "created_at_utc": LONG_AGO,
                }
                for n in range(count)
            ],
        )
    await _advance_postgres_sequences(services)
    return [first + n for n in range(count)]


NOTE_TEXTS = (
    ("She stacked three blocks on her own today!", "new_skill"),
    ("Should we try the bigger cup next week?", "question"),
    ("Tired after nursery, we tried again after tea.", "note"),
    ("He pointed at the ball & laughed <3", None),
)


async def seed_diary(
    services: Services,
    family_ids: Sequence[int],
    *,
    end: date,
    days: int = 14,
    notes_per_family: int = 3,
    seed: int = 0,
) -> int:
    """A diary for each family: an answer for most targets on most of the `days` days up to
    `end` (yes / a little / not today, or tries that worked; some days left unanswered), and
    `notes_per_family` notes (text, one a photo by file id). Returns how many answers."""
    rng = random.Random(seed)
    dates = [end - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    answered = 0
    async with services.sessions.begin() as session:
        for start in range(0, len(family_ids), CHUNK):
            chunk = list(family_ids[start : start + CHUNK])
            carers = dict(
                (
                    await session.execute(
                        select(Carer.family_id, func.min(Carer.id))
                        .where(Carer.family_id.in_(chunk))
                        .group_by(Carer.family_id)
                    )
                ).all()
            )
            targets = (
                await session.execute(
                    select(Plan.family_id, Target.id, Target.criterion_tries)
                    .join(Target, Target.plan_id == Plan.id)
                    .where(Plan.family_id.in_(chunk))
                )
            ).all()
            answers = []
            for family_id, target_id, tries in targets:
                for day in dates:
                    roll = rng.random()
                    if roll < 0.15:
                        continue  # not answered that day
                    if tries is not None:
                        answer, succeeded = "tries", rng.randint(0, tries)
                    else:
                        answer = (
                            "yes" if roll < 0.65 else "a_little" if roll < 0.85 else "not_today"
                        )
                        succeeded = None
                    answers.append(
                        {
                            "family_id": family_id,
                            "target_id": target_id,
                            "local_date": day,
                            "answer": answer,
                            "tries_succeeded": succeeded,
                            "answered_by_carer_id": carers[family_id],
                            "answered_at_utc": datetime.combine(day, time(19, 0), tzinfo=UTC),
                        }
                    )
            if answers:
                await session.execute(insert(DiaryAnswer), answers)
            answered += len(answers)
            notes = []
            for family_id in chunk:
                if family_id not in carers:
                    continue
                for n in range(notes_per_family):
                    text, category = NOTE_TEXTS[(family_id + n) % len(NOTE_TEXTS)]
                    day = dates[rng.randrange(len(dates))]
                    photo = n == notes_per_family - 1
                    notes.append(
                        {
                            "family_id": family_id,
                            "carer_id": carers[family_id],
                            "local_date": day,
                            "kind": "photo" if photo else "text",
                            "text": None if photo else text,
                            "telegram_file_id": f"AgACAgIAAxkBAAI-bench-{family_id}-{n}"
                            if photo
                            else None,
                            "category": category,
                            "source_message_id": None,
                            "created_at_utc": datetime.combine(day, time(20, 0), tzinfo=UTC),
                        }
                    )
            if notes:
                await session.execute(insert(DiaryNote), notes)
    return answered


async def _next_id(session, model) -> int:  # type: ignore[no-untyped-def]
    # Ids are chosen here so children can point at their parents within one bulk INSERT.
    return int(await session.scalar(select(func.coalesce(func.max(model.id), 0)))) + 1


async def _advance_postgres_sequences(services: Services) -> None:
    """Rows inserted with explicit ids leave PostgreSQL's sequences behind; move them on so the
    bot's own inserts do not collide."""
    if services.engine.dialect.name != "postgresql":
        return
    async with services.sessions.begin() as session:
        for table in ("families", "plans", "targets", "carers", "staff"):
            await session.execute(
                select(
                    func.setval(
                        func.pg_get_serial_sequence(table, "id"),
                        select(func.coalesce(func.max(_column(table)), 1)).scalar_subquery(),
                    )
                )
            )


def _column(table: str):  # type: ignore[no-untyped-def]
    model = {"families": Family, "plans": Plan, "targets": Target, "carers": Carer, "staff": Staff}
    return model[table].id
