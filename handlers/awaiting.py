"""Typed answers to a question the bot asked (a time, a date), routed by the state in the database.

Runs before the conversations (group 0). When nothing is awaited, or a note is awaited, the
message goes on to the diary like any other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from bot import conversation
from bot.context import BotApplication, BotContext
from handlers import AWAITING_GROUP, pause, reminder_time

TypedAnswer = Callable[[Update, BotContext, dict], Awaitable[None]]

TYPED_ANSWERS: dict[str, TypedAnswer] = {
    "reminder_time": reminder_time.typed_time,
    "pause_until": pause.typed_date,
}


async def route_typed_answer(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None or context.carer_id is None:
        return
    async with context.db() as session:
        state = await conversation.awaiting(session, user.id)
    if state is not None and state.what in TYPED_ANSWERS:
        await TYPED_ANSWERS[state.what](update, context, state.data)
        raise ApplicationHandlerStop
    if context.choosing_first_time:
        # Typed instead of tapped: still the answer to "when is a good time?", never a note.
        await reminder_time.typed_time(update, context, {"first_time": True})
        raise ApplicationHandlerStop


def register(app: BotApplication) -> None:
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND,
            route_typed_answer,
        ),
        group=AWAITING_GROUP,
    )
