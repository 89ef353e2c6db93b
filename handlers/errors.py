"""The last resort: log the failure by ids only, and tell the user kindly instead of going quiet."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import BotApplication, BotContext

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    # The exception's type and where it happened, not its message: messages can carry user text.
    error = context.error
    log.error(
        "update %s failed: %s",
        update_id,
        type(error).__name__,
        exc_info=(type(error), error, error.__traceback__) if error else None,
    )
    if not isinstance(update, Update):
        return
    chat = update.effective_chat
    if chat is None or chat.type != chat.PRIVATE:
        return
    try:
        # A message, not a callback answer: the tap may already have been answered, and a
        # second answer is an error of its own.
        await context.bot.send_message(
            chat.id, context.texts.render("parent/something_went_wrong.html.j2"), parse_mode="HTML"
        )
    except TelegramError:
        log.warning("update %s: could not tell the user about the failure", update_id)


def register(app: BotApplication) -> None:
    app.add_error_handler(on_error)
