"""Taking a break: /pause (optionally until a date) and /resume. /stop is in `leaving`."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks, conversation, schedule
from bot.clock import to_local
from bot.context import BotApplication, BotContext
from bot.diary import today_for
from handlers import CONVERSATION_GROUP, NEW_MESSAGES, replies

log = logging.getLogger(__name__)


def options_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    label = context.texts.label
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label("pause_week"), callback_data=callbacks.pause("7")),
                InlineKeyboardButton(label("pause_two_weeks"), callback_data=callbacks.pause("14")),
            ],
            [
                InlineKeyboardButton(label("pause_date"), callback_data=callbacks.pause("date")),
                InlineKeyboardButton(label("pause_open"), callback_data=callbacks.pause("open")),
            ],
        ]
    )


async def _pause_until(context: BotContext, until: date | None) -> str:
    async with context.db() as session:
        carer = await context.carer(session)
        schedule.pause(carer, until)
        await conversation.clear(session, carer.telegram_user_id)
    log.info("carer %s paused reminders", context.carer_id)
    return context.texts.render("parent/paused.html.j2", until=until)


async def _today(context: BotContext) -> date:
    async with context.db() as session:
        family = await context.family(session)
        return today_for(family, context.clock)


async def pause_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    if context.args:
        today = await _today(context)
        until = schedule.parse_typed_date(" ".join(context.args), today)
        if not schedule.valid_pause_end(until, today):
            await _reply_bad_date(message, context, today)
            return
        await message.reply_html(await _pause_until(context, until))
        return
    await message.reply_html(
        context.texts.render("parent/pause_options.html.j2"),
        reply_markup=options_keyboard(context),
    )


async def _reply_bad_date(message: Message, context: BotContext, today: date) -> None:
    await message.reply_html(
        context.texts.render("parent/bad_date.html.j2", example=today + timedelta(days=14))
    )


async def pause_tapped(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    choice = callbacks.parse_pause(query.data)
    if choice is None:
        await query.answer(context.texts.label("tap_stale"))
        return
    await query.answer()
    today = await _today(context)
    if choice == "date":
        async with context.db() as session:
            carer = await context.carer(session)
            await conversation.expect(session, context.clock, carer.telegram_user_id, "pause_until")
        example = today + timedelta(days=14)
        await replies.show(
            query, context.texts.render("parent/ask_pause_date.html.j2", example=example)
        )
        return
    until = None if choice == "open" else today + timedelta(days=int(choice))
    await replies.show(query, await _pause_until(context, until))


async def typed_date(update: Update, context: BotContext, data: dict) -> None:
    """The answer to "until which date?" (dispatched by handlers.awaiting)."""
    message = update.effective_message
    assert message is not None and message.text is not None
    today = await _today(context)
    until = schedule.parse_typed_date(message.text, today)
    if not schedule.valid_pause_end(until, today):
        await _reply_bad_date(message, context, today)
        return
    await message.reply_html(await _pause_until(context, until))


async def resume_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    async with context.db() as session:
        carer = await context.carer(session)
        family = await context.family(session)
        was_off = carer.paused or carer.stopped_at_utc is not None
        if was_off:
            schedule.resume(context.clock, carer)
        upcoming = schedule.next_reminder(carer, family.timezone, context.clock.now())
        text = context.texts.render(
            "parent/resumed.html.j2" if was_off else "parent/not_paused.html.j2",
            reminder_time=carer.reminder_time_local,
            next_reminder=to_local(upcoming.scheduled_at_utc, family.timezone)
            if upcoming
            else None,
        )
    log.info("carer %s resume: %s", context.carer_id, "resumed" if was_off else "was on")
    await message.reply_html(text)


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("pause", pause_command, filters=NEW_MESSAGES), group=CONVERSATION_GROUP
    )
    app.add_handler(
        CallbackQueryHandler(pause_tapped, pattern=callbacks.PAUSE_PREFIX), group=CONVERSATION_GROUP
    )
    app.add_handler(
        CommandHandler("resume", resume_command, filters=NEW_MESSAGES), group=CONVERSATION_GROUP
    )
