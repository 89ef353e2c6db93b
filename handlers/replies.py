"""Answering a button tap in place: edit the tapped message, or, when Telegram no longer lets
the bot see that message (deleted, or too old), send the answer as a new one."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import BotContext
from bot.telegram_bot import PortageBot, edit_not_modified, edited_message_gone
from jobs import send_outbox


def _can_edit(query: CallbackQuery) -> bool:
    # PTB parses an inaccessible message (Telegram sends date 0) as a Message or an
    # InaccessibleMessage depending on version; is_accessible tells either way.
    return isinstance(query.message, Message) and query.message.is_accessible


def _chat_id(query: CallbackQuery) -> int:
    return query.message.chat.id if query.message is not None else query.from_user.id


async def show(
    query: CallbackQuery,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    send_if_gone: bool = True,
) -> None:
    if _can_edit(query):
        bot: PortageBot = query.get_bot()  # type: ignore[assignment]
        try:
            # What Telegram answers (the edited message) is not read, so not parsed either.
            await bot.call_unparsed(
                "edit_message_text",
                {
                    "chat_id": query.message.chat.id,
                    "message_id": query.message.message_id,
                    "text": text,
                    "parse_mode": ParseMode.HTML,
                    "reply_markup": markup,
                },
            )
            return
        except BadRequest as error:
            # The same tap twice leaves the message as it was.
            if edit_not_modified(error):
                return
            if not edited_message_gone(error):
                raise
    if send_if_gone:
        await query.get_bot().send_message(
            _chat_id(query), text, parse_mode=ParseMode.HTML, reply_markup=markup
        )


async def send(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """A new message in the chat the tap came from."""
    await query.get_bot().send_message(
        _chat_id(query), text, parse_mode=ParseMode.HTML, reply_markup=markup
    )


async def show_buttons(query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    """Change only the tapped message's buttons. A message that has gone keeps none to change."""
    if not _can_edit(query):
        return
    try:
        await query.edit_message_reply_markup(reply_markup=markup)
    except BadRequest as error:
        if not (edit_not_modified(error) or edited_message_gone(error)):
            raise


async def remove_buttons(query: CallbackQuery) -> None:
    if _can_edit(query) and query.message.reply_markup is not None:
        await show_buttons(query, None)


def send_soon(context: BotContext) -> None:
    """Something was just queued in the outbox: start a drain rather than wait for the tick."""
    send_outbox.start_drain(context.application)
