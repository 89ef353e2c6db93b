"""Choosing a language: offered first at enrolment, and again at any time with /language."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks, cards
from bot.context import BotApplication, BotContext
from bot.enrolment import choose_language
from handlers import CONVERSATION_GROUP, NEW_MESSAGES, enrolment, help, reminder_time, replies

log = logging.getLogger(__name__)


async def language_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    question = cards.language_question(context.texts, context.language, enrolling=False)
    await update.effective_message.reply_html(question.text, reply_markup=question.markup)


async def language_tapped(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    code = callbacks.parse_language(query.data)
    chosen = None
    if code is not None:
        async with context.db() as session:
            chosen = await choose_language(session, await context.carer(session), code)
    if code is None or chosen is None:
        await query.answer(context.texts.label("tap_stale"))
        return
    context.language = code
    log.info("carer %s chose a language", context.carer_id)
    await query.answer()
    await replies.remove_buttons(query)
    assert query.message is not None
    await help.set_parent_menu(context, query.message.chat.id)
    if chosen.enrolling:
        text, keyboard = enrolment.welcome(
            context, child_name=chosen.child_name, announcements_only=chosen.announcements_only
        )
        await replies.send(query, text, keyboard)
        return
    await replies.send(query, context.texts.render("parent/language_changed.html.j2"))
    if chosen.needs_time:
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
