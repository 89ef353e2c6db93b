"""/settings: what the bot sends this carer, with group news switched on or off in one tap
(daily reminders carry on either way)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.context import BotApplication, BotContext
from handlers import CONVERSATION_GROUP, NEW_MESSAGES, replies

log = logging.getLogger(__name__)


async def _settings_view(context: BotContext) -> tuple[str, InlineKeyboardMarkup]:
    async with context.db() as session:
        carer = await context.carer(session)
        family = await context.family(session)
        text = context.texts.render(
            "parent/settings.html.j2",
            announcements_only=family.announcements_only,
            reminder_time=carer.reminder_time_local,
            reminder_days=carer.reminder_days,
            paused=carer.paused,
            muted=carer.announcements_muted,
        )
        choice = "news_on" if carer.announcements_muted else "news_off"
    button = InlineKeyboardButton(
        context.texts.label(choice), callback_data=callbacks.settings(choice)
    )
    return text, InlineKeyboardMarkup([[button]])


async def settings_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    text, markup = await _settings_view(context)
    await update.effective_message.reply_html(text, reply_markup=markup)


async def settings_tapped(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    choice = callbacks.parse_settings(query.data)
    if choice is None:
        await query.answer(context.texts.label("tap_stale"))
        return
    async with context.db() as session:
        carer = await context.carer(session)
        carer.announcements_muted = choice == "news_off"
    log.info("carer %s turned group news %s", context.carer_id, choice.removeprefix("news_"))
    await query.answer(context.texts.label(f"news_now_{choice.removeprefix('news_')}"))
    text, markup = await _settings_view(context)
    await replies.show(query, text, markup)


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("settings", settings_command, filters=NEW_MESSAGES),
        group=CONVERSATION_GROUP,
    )
    app.add_handler(
        CallbackQueryHandler(settings_tapped, pattern=callbacks.SETTINGS_PREFIX),
        group=CONVERSATION_GROUP,
    )
