"""The typed CallbackContext handlers and jobs receive: `context.db()`, `context.texts`, ..."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot

from bot.activities import ActivityLibrary
from bot.batching import Batcher
from bot.clock import Clock
from bot.config import Settings
from bot.diary import Answered, Tap
from bot.enrolment import CarerAtHome
from bot.i18n import DEFAULT_LANGUAGE
from bot.models import Carer, Family
from bot.staff import StaffMember
from bot.texts import Texts


@dataclass
class Services:
    """What the bot is built from; one per application, created by build_application."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    texts: Texts
    library: ActivityLibrary


@dataclass
class Batchers:
    """Work done for many updates at once (bot/batching.py); one of each per application."""

    carers_at_home: Batcher[int, CarerAtHome | None]
    answers: Batcher[Tap, Answered]


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """One per update; `handlers.access` fills in who the user is before any handler runs."""

    carer_id: int | None = None
    family_id: int | None = None
    # The family as `handlers.access` read it for this update, outside any handler's session:
    # for a handler that only reads it (its zone, the child's name), one query fewer. A handler
    # that changes the family takes it into its session with `family()`.
    family_as_read: Family | None = None
    # Consented but no reminder time yet: typed text is taken as the time.
    choosing_first_time: bool = False
    # A home visitor or manager: the staff conversations take the update.
    staff: StaffMember | None = None
    # What the user reads: a parent's chosen language, else their Telegram app's (if we speak
    # it); staff read the service's own language.
    language: str = DEFAULT_LANGUAGE

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]

    async def carer(self, session: AsyncSession) -> Carer:
        """The carer `handlers.access` identified, loaded in `session`."""
        carer = await session.get(Carer, self.carer_id)
        if carer is None:
            raise LookupError(f"carer {self.carer_id} is gone")
        return carer

    async def family(self, session: AsyncSession) -> Family:
        family = await session.get(Family, self.family_id)
        if family is None:
            raise LookupError(f"family {self.family_id} is gone")
        return family

    @property
    def carers_at_home(self) -> Batcher[int, CarerAtHome | None]:
        """The carer a Telegram user is (`find_carers_at_home`), looked up with the others
        arriving at the same moment."""
        return self.application.bot_data["batchers"].carers_at_home

    @property
    def answers(self) -> Batcher[Tap, Answered]:
        """A parent's answer tap recorded (`record_answers`) with the others arriving with it."""
        return self.application.bot_data["batchers"].answers

    def db(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session in a transaction, committed when the block ends without error."""
        return self.services.sessions.begin()

    @property
    def texts(self) -> Texts:
        """Texts in the user's language (templates for staff stay in English)."""
        return self.services.texts.for_language(self.language)

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def settings(self) -> Settings:
        return self.services.settings


class BotApplication(Application[ExtBot, BotContext, dict, dict, dict, object]):
    """PTB's Application, stopping the outbox sender first: `stop()` waits for running tasks,
    and a fan-out of thousands would otherwise hold a restart up for minutes."""

    async def stop(self) -> None:
        sender = self.bot_data.get("outbox_sender")
        if sender is not None:
            sender.close()
        await super().stop()
