"""The last resort: log the failure by ids only, and tell the user kindly instead of going quiet.

When the database cannot be reached, the bot keeps answering: "try again shortly", and a tapped
button stops spinning. Nothing it could not save is claimed to be saved.
"""

from __future__ import annotations

import logging

from asyncpg.exceptions import PostgresConnectionError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

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
    if chat is not None and chat.type == chat.PRIVATE:
        await _tell_the_user(update, context, update_id)
    # The update stops here: the handlers of later groups would fail again (access found no
    # one) and the person would be told twice.
    raise ApplicationHandlerStop


async def _tell_the_user(update: Update, context: BotContext, update_id: int | None) -> None:
    assert update.effective_chat is not None
    unreachable = database_unreachable(context.error)
    try:
        if unreachable and update.callback_query is not None:
            # The database was needed before anything answered the tap: answer it now.
            await update.callback_query.answer(context.texts.label("tap_try_again_shortly"))
            return
        # A message, not a callback answer: the tap may already have been answered, and a
        # second answer is an error of its own.
        template = "try_again_shortly" if unreachable else "something_went_wrong"
        await context.bot.send_message(
            update.effective_chat.id,
            context.texts.render(f"parent/{template}.html.j2"),
            parse_mode="HTML",
        )
    except TelegramError:
        log.warning("update %s: could not tell the user about the failure", update_id)


def database_unreachable(error: BaseException | None) -> bool:
    """The database is down or unreachable (not a bug in a query): connection refused, reset or
    timed out, on SQLite or PostgreSQL."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, OperationalError | InterfaceError):
        return True
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError | TimeoutError | PostgresConnectionError):
            return True
        error = error.__cause__ or error.__context__
    return False


def register(app: BotApplication) -> None:
    app.add_error_handler(on_error)
