"""Choosing when the daily reminder comes: at enrolment and with /time."""

from __future__ import annotations

import logging
from datetime import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks, conversation
from bot.cards import Rendered
from bot.clock import to_local
from bot.context import BotApplication, BotContext
from bot.models import Carer
from bot.schedule import (
    COMMON_REMINDER_TIMES,
    next_reminder,
    parse_typed_time,
    set_reminder_days,
    set_reminder_time,
)
from handlers import CONVERSATION_GROUP, NEW_MESSAGES, replies

log = logging.getLogger(__name__)


def _time_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(f"{choice:%H:%M}", callback_data=callbacks.reminder_time(choice))
        for choice in COMMON_REMINDER_TIMES
    ]
    rows = [buttons[start : start + 3] for start in range(0, len(buttons), 3)]
    rows.append(
        [
            InlineKeyboardButton(
                context.texts.label("type_time"), callback_data=callbacks.reminder_time(None)
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


def _days_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    context.texts.label("days_daily"),
                    callback_data=callbacks.reminder_days("daily"),
                ),
                InlineKeyboardButton(
                    context.texts.label("days_weekdays"),
                    callback_data=callbacks.reminder_days("weekdays"),
                ),
            ]
        ]
    )


def time_question(context: BotContext, *, current: time | None, changing: bool) -> Rendered:
    """The "when would you like the reminder?" message and its buttons."""
    text = context.texts.render(
        "parent/ask_reminder_time.html.j2", current=current, changing=changing
    )
    return Rendered(text, _time_keyboard(context))


async def time_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    async with context.db() as session:
        carer = await context.carer(session)
        current = carer.reminder_time_local
    question = time_question(context, current=current, changing=current is not None)
    await update.effective_message.reply_html(question.text, reply_markup=question.markup)


async def _time_chosen(context: BotContext, carer: Carer, choice: time) -> bool:
    """Stores the time; returns whether this finishes enrolment (the carer had no time yet)."""
    first_time = carer.reminder_time_local is None
    set_reminder_time(context.clock, carer, choice)
    return first_time


async def time_tapped(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    choice = callbacks.parse_reminder_time(query.data)
    if choice is None:
        await query.answer(context.texts.label("tap_stale"))
        return
    async with context.db() as session:
        carer = await context.carer(session)
        if choice == "typed":
            await conversation.expect(
                session,
                context.clock,
                carer.telegram_user_id,
                "reminder_time",
                {"first_time": carer.reminder_time_local is None},
            )
        else:
            first_time = await _time_chosen(context, carer, choice)
            await conversation.expect(
                session,
                context.clock,
                carer.telegram_user_id,
                "reminder_days",
                {"first_time": first_time},
            )
    await query.answer()
    if choice == "typed":
        await replies.show(query, context.texts.render("parent/ask_typed_time.html.j2"))
        return
    await replies.show(
        query,
        context.texts.render("parent/ask_reminder_days.html.j2", reminder_time=choice),
        _days_keyboard(context),
    )


async def typed_time(update: Update, context: BotContext, data: dict) -> None:
    """The answer to "please type the time" (dispatched by handlers.awaiting)."""
    message = update.effective_message
    assert message is not None and message.text is not None
    choice = parse_typed_time(message.text)
    if choice is None:
        await message.reply_html(context.texts.render("parent/bad_time.html.j2"))
        return
    async with context.db() as session:
        carer = await context.carer(session)
        first_time = await _time_chosen(context, carer, choice) or bool(data.get("first_time"))
        await conversation.expect(
            session,
            context.clock,
            carer.telegram_user_id,
            "reminder_days",
            {"first_time": first_time},
        )
    await message.reply_html(
        context.texts.render("parent/ask_reminder_days.html.j2", reminder_time=choice),
        reply_markup=_days_keyboard(context),
    )


async def days_tapped(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    days = callbacks.parse_reminder_days(query.data)
    text = await _days_chosen(context, days) if days is not None else None
    if text is None:
        await query.answer(context.texts.label("tap_stale"))
        return
    log.info("carer %s set reminder days", context.carer_id)
    await query.answer()
    await replies.show(query, text)


async def _days_chosen(context: BotContext, days: str) -> str | None:
    """Stores the days; returns the confirmation to show, or None for a carer with no time yet
    (an old days question)."""
    async with context.db() as session:
        carer = await context.carer(session)
        if carer.reminder_time_local is None:
            return None
        state = await conversation.awaiting(session, carer.telegram_user_id)
        first_time = bool(state and state.what == "reminder_days" and state.data.get("first_time"))
        await conversation.clear(session, carer.telegram_user_id)
        set_reminder_days(context.clock, carer, days)
        family = await context.family(session)
        upcoming = next_reminder(carer, family.timezone, context.clock.now())
        return context.texts.render(
            "parent/schedule_confirmed.html.j2",
            first_time=first_time,
            child_name=family.child_name,
            reminder_time=carer.reminder_time_local,
            days=days,
            next_reminder=to_local(upcoming.scheduled_at_utc, family.timezone)
            if upcoming
            else None,
        )


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("time", time_command, filters=NEW_MESSAGES), group=CONVERSATION_GROUP
    )
    app.add_handler(
        CallbackQueryHandler(time_tapped, pattern=callbacks.REMINDER_TIME_PREFIX),
        group=CONVERSATION_GROUP,
    )
    app.add_handler(
        CallbackQueryHandler(days_tapped, pattern=callbacks.REMINDER_DAYS_PREFIX),
        group=CONVERSATION_GROUP,
    )
