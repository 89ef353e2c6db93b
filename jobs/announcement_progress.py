"""Every few seconds: bring each sender's progress message up to date (sent / waiting / could
not be delivered), edited in place, and mark an announcement sent when nothing is waiting.

The counts come from the outbox, so any instance can do this after any restart; an edit that
would change nothing is not made.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot import announcements
from bot.announcement_messages import progress_markup, progress_text
from bot.context import BotContext, Services
from bot.models import Announcement
from bot.telegram_bot import edit_not_modified

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3.0


async def update_progress(services: Services, bot: Bot) -> int:
    """Returns how many progress messages were edited."""
    edits: list[tuple[int, int, int, str, object]] = []
    async with services.sessions.begin() as session:
        for announcement in await announcements.in_progress(session):
            progress = await announcements.settle(session, services.clock, announcement)
            where = await announcements.progress_message(session, announcement)
            if where is None:
                continue
            names = await announcements.group_names(session, announcement.id)
            text = progress_text(services.texts, announcement, names, progress)
            if text != announcement.progress_text:
                markup = progress_markup(services.texts, announcement)
                edits.append((announcement.id, *where, text, markup))
    edited = 0
    for announcement_id, chat_id, message_id, text, markup in edits:
        try:
            await bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, parse_mode="HTML", reply_markup=markup
            )
        except BadRequest as error:
            # "Not modified": another instance showed the same counts first.
            if not edit_not_modified(error):
                log.warning("announcement %s: progress not shown: %s", announcement_id, error)
        except TelegramError as error:
            # Shown next time; the sending itself does not depend on it.
            log.warning(
                "announcement %s: progress not shown: %s", announcement_id, type(error).__name__
            )
            continue
        async with services.sessions.begin() as session:
            row = await session.get(Announcement, announcement_id)
            if row is not None:
                row.progress_text = text
        edited += 1
    return edited


async def tick(context: BotContext) -> None:
    await update_progress(context.services, context.bot)
