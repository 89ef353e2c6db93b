"""Leaving, the parent's way: /stop offers a pause, stopping the reminders, or leaving and erasing
the diary; /forget goes straight to that erasure, after a clear confirmation."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks, schedule
from bot.context import BotApplication, BotContext
from bot.leaving import erase_and_tell
from handlers import CONVERSATION_GROUP, NEW_MESSAGES, pause, replies
from handlers.replies import send_soon

log = logging.getLogger(__name__)


def _buttons(context: BotContext, *choices: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    context.texts.label(f"leave_{choice}"), callback_data=callbacks.leave(choice)
                )
            ]
            for choice in choices
        ]
    )


async def stop_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_html(
        context.texts.render("parent/stop_choices.html.j2"),
        reply_markup=_buttons(context, "pause", "stop", "forget"),
    )


async def forget_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    async with context.db() as session:
        child_name = (await context.family(session)).child_name
    await update.effective_message.reply_html(
        context.texts.render("parent/forget_confirm.html.j2", child_name=child_name),
        reply_markup=_buttons(context, "erase", "keep"),
    )


async def leave_tapped(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    choice = callbacks.parse_leave(query.data)
    texts = context.texts
    if choice == "pause":
        await query.answer()
        await replies.show(
            query, texts.render("parent/pause_options.html.j2"), pause.options_keyboard(context)
        )
    elif choice == "stop":
        async with context.db() as session:
            schedule.stop(context.clock, await context.carer(session))
        log.info("carer %s stopped reminders", context.carer_id)
        await query.answer()
        await replies.show(query, texts.render("parent/stopped.html.j2"))
    elif choice == "forget":
        await query.answer()
        async with context.db() as session:
            child_name = (await context.family(session)).child_name
        await replies.show(
            query,
            texts.render("parent/forget_confirm.html.j2", child_name=child_name),
            _buttons(context, "erase", "keep"),
        )
    elif choice == "erase":
        await _erase(update, context)
    elif choice == "keep":
        await query.answer()
        await replies.show(query, texts.render("parent/forget_kept.html.j2"))
    else:
        await query.answer(texts.label("tap_stale"))


async def _erase(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    family_id = context.family_id
    assert family_id is not None
    async with context.db() as session:
        erasure = await erase_and_tell(
            session,
            context.clock,
            context.texts,
            family_id,
            reason="parent_request",
            action="erase_family",
            detail="parent_request",
            telegram_user_id=query.from_user.id,
            asked_from_chat=query.message.chat.id,
        )
    if erasure is None:
        await query.answer(context.texts.label("tap_stale"))
        return
    log.info("family %s erased at a carer's request", family_id)
    await query.answer()
    await replies.show(query, context.texts.render("parent/forgotten.html.j2"))
    send_soon(context)


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("stop", stop_command, filters=NEW_MESSAGES), group=CONVERSATION_GROUP
    )
    app.add_handler(
        CommandHandler("forget", forget_command, filters=NEW_MESSAGES), group=CONVERSATION_GROUP
    )
    app.add_handler(
        CallbackQueryHandler(leave_tapped, pattern=callbacks.LEAVE_PREFIX), group=CONVERSATION_GROUP
    )
