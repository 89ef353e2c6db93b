"""Building the application: one factory, everything injected (settings, clock, HTTP request)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.error import TelegramError
from telegram.ext import ApplicationBuilder, BaseRateLimiter, ContextTypes
from telegram.request import BaseRequest

from bot import logs
from bot.activities import load_library
from bot.batching import Batcher
from bot.clock import Clock, SystemClock, next_tick_at
from bot.config import Settings, require_token
from bot.context import Batchers, BotApplication, BotContext, Services
from bot.db import make_engine, make_sessionmaker
from bot.diary import Answered, Tap, record_answers
from bot.enrolment import find_carers_at_home
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES
from bot.migrate import upgrade_to_head
from bot.rate_limit import TelegramLimits
from bot.telegram_bot import PortageBot
from bot.telegram_http import AiohttpRequest
from bot.texts import CONTENT_DIR, Texts
from bot.updates import PerChatUpdateProcessor
from handlers import (
    access,
    awaiting,
    chat_member,
    diary_notes,
    enrolment,
    errors,
    event_rsvp,
    fallback,
    help,
    language,
    leaving,
    manager,
    my_data,
    my_settings,
    pause,
    privacy,
    reminder_answers,
    reminder_time,
    staff_announce,
    staff_announcements,
    staff_groups,
    staff_typed,
    today,
    visitor_discharge,
    visitor_families,
    visitor_new_family,
    visitor_plan,
    visitor_summary,
    visitor_visits,
    week,
)
from jobs import (
    announcement_progress,
    enqueue_reminders,
    event_reminders,
    retention,
    send_announcements,
    send_outbox,
    send_summaries,
)

log = logging.getLogger(__name__)

# Registration order matters inside the conversation group: the first match wins, so the
# specific conversations come first and `fallback` last.
HANDLER_MODULES = (
    access,
    visitor_families,
    visitor_new_family,
    visitor_plan,
    visitor_visits,
    visitor_summary,
    visitor_discharge,
    manager,
    staff_groups,
    staff_announce,
    staff_announcements,
    staff_typed,
    awaiting,
    enrolment,
    language,
    reminder_time,
    reminder_answers,
    today,
    week,
    pause,
    leaving,
    my_settings,
    event_rsvp,
    help,
    privacy,
    my_data,
    chat_member,
    diary_notes,
    fallback,
    errors,
)

OUTBOX_DRAIN_SECONDS = 1.0


def file_url_for(base_url: str) -> str:
    """Telegram serves files from `/file/bot<token>` beside `/bot<token>`."""
    head, separator, tail = base_url.rstrip("/").rpartition("/bot")
    return f"{head}/file/bot{tail}" if separator else f"{base_url.rstrip('/')}/file/bot"


def build_services(settings: Settings, clock: Clock) -> Services:
    engine = make_engine(settings.database_url)
    library = load_library(CONTENT_DIR / "activities")
    return Services(
        settings=settings,
        clock=clock,
        engine=engine,
        sessions=make_sessionmaker(engine),
        texts=Texts(CONTENT_DIR, retention_days=settings.retention_days, library=library),
        library=library,
    )


def build_bot(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    rate_limiter: BaseRateLimiter | None = None,
) -> PortageBot:
    """The bot's Bot API client: its HTTP client, limits and API address (bench/bare_bot.py
    builds its bare bot with it too, so the two differ only in what runs on top)."""
    token = require_token(settings)
    # First: PTB logs its API address, token and all, at DEBUG as the bot is made.
    logs.keep_payloads_out_of_logs()
    return PortageBot(
        token,
        base_url=settings.telegram_api_base_url,
        base_file_url=file_url_for(settings.telegram_api_base_url),
        # The outbox sends several messages at once; replies must not queue behind them.
        request=request or AiohttpRequest(connection_pool_size=32, pool_timeout=10),
        get_updates_request=request or AiohttpRequest(),
        rate_limiter=(
            rate_limiter or TelegramLimits(overall_per_second=settings.telegram_messages_per_second)
        ),
    )


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    run_jobs: bool = True,
    rate_limiter: BaseRateLimiter | None = None,
) -> BotApplication:
    """A ready Application. Tests pass a ManualClock and `run_jobs=False`, and drive the ticks."""
    bot = build_bot(settings, request=request, rate_limiter=rate_limiter)
    services = build_services(settings, clock or SystemClock())
    builder = (
        ApplicationBuilder()
        .application_class(BotApplication)
        .bot(bot)
        .context_types(ContextTypes(context=BotContext))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .concurrent_updates(PerChatUpdateProcessor())
    )
    application: BotApplication = builder.build()  # type: ignore[assignment]
    application.bot_data["services"] = services
    application.bot_data["outbox_sender"] = send_outbox.OutboxSender(services, application.bot)
    application.bot_data["batchers"] = _batchers(services)
    application.bot_data["run_jobs"] = run_jobs
    for module in HANDLER_MODULES:
        module.register(application)
    return application


def _batchers(services: Services) -> Batchers:
    async def record(session: AsyncSession, taps: list[Tap]) -> list[Answered]:
        return await record_answers(session, services.clock, taps)

    return Batchers(
        carers_at_home=Batcher(services.sessions, find_carers_at_home, name="carers at home"),
        answers=Batcher(services.sessions, record, name="answers"),
    )


async def _post_init(application: BotApplication) -> None:
    services: Services = application.bot_data["services"]
    await upgrade_to_head(services.engine)
    try:
        await application.bot.set_my_commands(help.command_menu(services.texts))
        # Telegram shows these to users whose app is set to one of our other languages.
        for code in LANGUAGES:
            if code != DEFAULT_LANGUAGE:
                menu = help.command_menu(services.texts.for_language(code))
                await application.bot.set_my_commands(menu, language_code=code)
    except TelegramError as error:
        # The menu is a convenience: a bot that cannot set it still serves parents.
        log.warning("could not set the command menu: %s", type(error).__name__)
    if application.bot_data["run_jobs"]:
        assert application.job_queue is not None
        job_queue = application.job_queue
        tick = services.settings.tick_seconds
        # The scheduled ticks: (name, job, offset). Each runs once soon after start (to catch up
        # after a restart), then on the wall clock's multiples of the tick plus its offset:
        # reminders are set to the minute, so with 30 s ticks a reminder is queued a tenth of a
        # second into its minute rather than up to 30 s later. Offsets keep ticks from piling up.
        ticks = (
            ("enqueue_reminders", enqueue_reminders.tick, 0.1),
            ("send_announcements", send_announcements.tick, 0.2),
            ("send_summaries", send_summaries.tick, 0.5),
            ("event_reminders", event_reminders.tick, 0.7),
        )
        # The JobQueue runs on the real clock, not the services' (injected) one.
        started = datetime.now(UTC)
        for name, job, offset in ticks:
            job_queue.run_once(job, when=1 + offset, name=f"{name} (start)")
            # From 2 s on, so the first aligned run never lands on top of the start run.
            first = next_tick_at(started + timedelta(seconds=2), tick, offset)
            job_queue.run_repeating(job, interval=tick, first=first, name=name)
        # (name, job, every so many seconds, first run after)
        repeating = (
            ("send_outbox", send_outbox.drain, OUTBOX_DRAIN_SECONDS, 2),
            (
                "announcement_progress",
                announcement_progress.tick,
                announcement_progress.INTERVAL_SECONDS,
                3,
            ),
            ("retention", retention.tick, retention.INTERVAL_SECONDS, 60),
        )
        for name, job, interval, after in repeating:
            job_queue.run_repeating(job, interval=interval, first=after, name=name)
    log.info("bot ready (event loop: %s)", type(asyncio.get_running_loop()).__module__)


async def _post_shutdown(application: BotApplication) -> None:
    services: Services = application.bot_data["services"]
    await services.engine.dispose()
