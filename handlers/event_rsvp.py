"""A family's answer to an event ("I'll come" / "Can't make it"), changeable with a tap; the
tapped message's buttons show the answer given."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot import callbacks, events
from bot.announcement_messages import rsvp_keyboard
from bot.context import BotApplication, BotContext
from bot.events import RsvpOutcome
from handlers import CONVERSATION_GROUP, replies

log = logging.getLogger(__name__)


async def rsvp_tapped(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    tap = callbacks.parse_rsvp(query.data)
    if tap is None:
        await query.answer(context.texts.label("rsvp_not_found"))
        return
    announcement_id, choice = tap
    async with context.db() as session:
        carer = await context.carer(session)
        result = await events.answer(session, context.clock, carer, announcement_id, choice)
    if result.outcome is not RsvpOutcome.SAVED:
        await query.answer(context.texts.label(f"rsvp_{result.outcome.value}"))
        return
    log.info("family %s answered event %s", context.family_id, announcement_id)
    await query.answer(context.texts.label(f"rsvp_saved_{choice}"))
    await replies.show_buttons(query, rsvp_keyboard(context.texts, announcement_id, choice))


def register(app: BotApplication) -> None:
    app.add_handler(
        CallbackQueryHandler(rsvp_tapped, pattern=callbacks.RSVP_PREFIX), group=CONVERSATION_GROUP
    )
