"""Choosing a language: offered first at enrolment, and again at any time with /language."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks, cards
from bot.context import BotApplication, BotContext
from bot.models import Family
from handlers import CONVERSATION_GROUP, NEW_MESSAGES, enrolment, help, reminder_time, replies

log = logging.getLogger(__name__)


async def language_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_html(
        context.texts.render("parent/choose_language.html.j2", enrolling=False),
        reply_markup=cards.language_keyboard(context.texts, context.language),
    )


async def language_tapped(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    code = callbacks.parse_language(query.data)
    async with context.db() as session:
        carer = await context.carer(session)
        family = await session.get(Family, carer.family_id)
        if code is None or family is None:
            await query.answer(context.texts.label("tap_stale"))
            return
        carer.language = code
        enrolling = carer.consent_at_utc is None
        needs_time = carer.reminder_time_local is None and not family.announcements_only
        child_name, announcements_only = family.child_name, family.announcements_only
    context.language = code
    log.info("carer %s chose a language", context.carer_id)
    await query.answer()
    await replies.remove_buttons(query)
    assert query.message is not None
    await help.set_parent_menu(context, query.message.chat.id)
    if enrolling:
        text, keyboard = enrolment.welcome(
            context, child_name=child_name, announcements_only=announcements_only
        )
        await replies.send(query, text, keyboard)
        return
    await replies.send(query, context.texts.render("parent/language_changed.html.j2"))
    if needs_time:
        # The time question they were answering, again in the language they can read.
        question = reminder_time.time_question(context, current=None, changing=False)
        await replies.send(query, question.text, question.markup)


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("language", language_command, filters=NEW_MESSAGES),
        group=CONVERSATION_GROUP,
    )
    app.add_handler(
        CallbackQueryHandler(language_tapped, pattern=callbacks.LANGUAGE_PREFIX),
        group=CONVERSATION_GROUP,
    )
