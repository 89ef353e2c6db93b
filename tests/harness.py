"""The bot under test: built by build_application against the fake Bot API, with a manual clock.

Scheduled work is driven by the test (`tick()`), never by waiting for a time of day.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from bot.app import build_application
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import BotApplication, Services
from bot.enrolment import add_staff, create_family, issue_family_invite, issue_staff_invite
from bot.models import DiaryAnswer, DiaryNote, Target
from bot.plans import TargetSpec, set_plan, specs_from_ids
from jobs.announcement_progress import update_progress
from jobs.enqueue_reminders import TickReport, enqueue_due_reminders
from jobs.event_reminders import queue_event_reminders
from jobs.retention import erase_past_retention
from jobs.send_announcements import fan_out_due
from jobs.send_outbox import DrainReport, OutboxSender
from jobs.send_summaries import queue_due_summaries
from tests.fake_bot_api import FakeBotApi

RESTART_SECONDS = 1.1


def most_in_one_second(moments: list[float]) -> int:
    """The most of `moments` (seconds) in any sliding second: what Telegram's 30 a second counts."""
    ordered = sorted(moments)
    return max(
        (
            sum(1 for later in ordered[index:] if later - moment < 1.0)
            for index, moment in enumerate(ordered)
        ),
        default=0,
    )


@dataclass(frozen=True)
class DiaryContents:
    """What a family's diary holds, as plain values for assertions."""

    answers: dict[tuple[str, str], tuple[str, int | None]]
    notes: list[tuple[str, str | None, str | None, str | None]]


class BotHarness:
    def __init__(self, settings: Settings, clock: ManualClock, fake: FakeBotApi) -> None:
        self.settings = settings
        self.clock = clock
        self.fake = fake
        self.app: BotApplication | None = None

    @property
    def services(self) -> Services:
        assert self.app is not None
        return self.app.bot_data["services"]

    async def start(self) -> None:
        self.app = build_application(self.settings, clock=self.clock, run_jobs=False)
        await self.app.initialize()
        if self.app.post_init:
            await self.app.post_init(self.app)
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=0.0, timeout=1)

    async def stop(self) -> None:
        if self.app is None:
            return
        assert self.app.updater is not None
        await self.app.updater.stop()
        await self.app.stop()
        if self.app.post_stop:
            await self.app.post_stop(self.app)
        await self.app.shutdown()
        if self.app.post_shutdown:
            await self.app.post_shutdown(self.app)
        self.app = None

    async def restart(self) -> None:
        """As if the process had stopped and started again: nothing survives but the database.

        The new process does not know when the old one last wrote to each chat; a real restart
        takes longer than Telegram's one-message-a-second window, so the harness waits that out.
        """
        await self.stop()
        await asyncio.sleep(RESTART_SECONDS)
        await self.start()

    async def outage(self, *, until: datetime) -> None:
        """The bot is down from now until `until` (on the manual clock), then starts again."""
        await self.stop()
        self.clock.set(until)
        await asyncio.sleep(RESTART_SECONDS)
        await self.start()

    async def tick(self) -> tuple[TickReport, DrainReport]:
        """What the JobQueue does every tick: enqueue what is due, then drain the outbox."""
        report = await enqueue_due_reminders(self.services)
        await queue_due_summaries(self.services)
        await fan_out_due(self.services)
        await queue_event_reminders(self.services)
        await erase_past_retention(self.services)
        drained = await self.sender.drain()
        await self.show_progress()
        return report, drained

    @property
    def sender(self) -> OutboxSender:
        assert self.app is not None
        return self.app.bot_data["outbox_sender"]

    async def show_progress(self) -> int:
        """What the progress job does every few seconds: edit the senders' progress messages."""
        assert self.app is not None
        return await update_progress(self.services, self.app.bot)

    async def new_family(self, child_name: str = "Sam", *, timezone: str = "Europe/London") -> int:
        async with self.services.sessions.begin() as session:
            family = await create_family(
                session, self.clock, child_name=child_name, timezone=timezone
            )
            return family.id

    async def staff_invite(self, name: str, *, role: str = "visitor") -> str:
        """What `portage-bot invite visitor|manager NAME` does: a new staff row and its link."""
        async with self.services.sessions.begin() as session:
            member = await add_staff(
                session, self.clock, name=name, timezone="Europe/London", role=role
            )
            issued = await issue_staff_invite(
                session, self.clock, staff_id=member.id, ttl_days=self.settings.invite_ttl_days
            )
            return issued.code

    async def invite(self, family_id: int) -> str:
        async with self.services.sessions.begin() as session:
            issued = await issue_family_invite(
                session, self.clock, family_id=family_id, ttl_days=self.settings.invite_ttl_days
            )
            return issued.code

    async def diary_of(self, family_id: int) -> DiaryContents:
        async with self.services.sessions() as session:
            answer_rows = await session.execute(
                select(
                    Target.title,
                    DiaryAnswer.local_date,
                    DiaryAnswer.answer,
                    DiaryAnswer.tries_succeeded,
                )
                .join(Target, Target.id == DiaryAnswer.target_id)
                .where(DiaryAnswer.family_id == family_id)
            )
            note_rows = await session.execute(
                select(
                    DiaryNote.kind, DiaryNote.text, DiaryNote.telegram_file_id, DiaryNote.category
                )
                .where(DiaryNote.family_id == family_id)
                .order_by(DiaryNote.id)
            )
            return DiaryContents(
                answers={
                    (title, day.isoformat()): (answer, tries)
                    for title, day, answer, tries in answer_rows
                },
                notes=[tuple(row) for row in note_rows],
            )

    async def set_plan(
        self,
        family_id: int,
        activity_ids: list[str],
        starts_on: date | None = None,
        custom: list[TargetSpec] | None = None,
    ) -> None:
        specs = specs_from_ids(self.services.library, activity_ids) + (custom or [])
        async with self.services.sessions.begin() as session:
            await set_plan(
                session,
                self.clock,
                family_id=family_id,
                targets=specs,
                starts_on=starts_on or self.clock.now().date(),
            )
