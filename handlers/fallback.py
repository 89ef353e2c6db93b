"""Everything no conversation claimed: a kind reply, and nothing changed. Registered last."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.context import BotApplication, BotContext
from handlers import CONVERSATION_GROUP

log = logging.getLogger(__name__)


async def _child_name(context: BotContext) -> str:
    async with context.db() as session:
        family = await context.family(session)
        return family.child_name


async def unknown_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    async with context.db() as session:
        family = await context.family(session)
        child_name, waiting_list = family.child_name, family.announcements_only
    await update.effective_message.reply_html(
        context.texts.render(
            "parent/unknown_command.html.j2", child_name=child_name, waiting_list=waiting_list
        )
    )


async def sticker(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_html(
        context.texts.render("parent/not_understood_sticker.html.j2")
    )


async def location(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_html(
        context.texts.render(
            "parent/not_kept_location.html.j2", child_name=await _child_name(context)
        )
    )


async def contact(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_html(
        context.texts.render("parent/not_kept_contact.html.j2")
    )


async def anything_else(update: Update, context: BotContext) -> None:
    log.info("update %s of a kind the diary does not keep", update.update_id)
    if update.effective_message is not None:
        await update.effective_message.reply_html(
            context.texts.render("parent/not_kept_other.html.j2")
        )


async def stale_button(update: Update, context: BotContext) -> None:
    assert update.callback_query is not None
    log.info("update %s: unrecognised button data", update.update_id)
    await update.callback_query.answer(context.texts.label("tap_stale"))


async def quietly_ignore(update: Update, context: BotContext) -> None:
    """Edits the diary does not keep, such as a live location moving: answering each would
    flood the chat."""


def register(app: BotApplication) -> None:
    new_message = filters.UpdateType.MESSAGE
    for message_filter, callback in (
        (new_message & filters.COMMAND, unknown_command),
        (new_message & filters.Sticker.ALL, sticker),
        (new_message & (filters.LOCATION | filters.VENUE), location),
        (new_message & filters.CONTACT, contact),
        (new_message, anything_else),
        (filters.UpdateType.EDITED_MESSAGE, quietly_ignore),
    ):
        app.add_handler(MessageHandler(message_filter, callback), group=CONVERSATION_GROUP)
    app.add_handler(CallbackQueryHandler(stale_button), group=CONVERSATION_GROUP)
