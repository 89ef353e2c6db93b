"""The stack's floor for a tap: a bot with nothing of ours but its plumbing, for `python -m bench
--only floor`.

It is built as `portage-bot run` builds the real bot: the same Bot API client (bot.app.build_bot:
its HTTP client, rate limiter and address), update processor, uvloop's event loop, and polling
with the same allowed updates and interval. It has one handler: a tap is answered ("Saved") and
its card edited with the card's own text (and what was tapped) and buttons, as the real bot does
after an answer, but with no database, no templates and no checks. What it costs a tap is what
python-telegram-bot, aiohttp and the event loop cost; the real bot's figure minus this one is
what the project's own code costs.

Usage: .venv/bin/python bench/bare_bot.py (settings from the environment, as `portage-bot run`).
"""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes

from bot.app import build_bot
from bot.cli import POLL_INTERVAL_SECONDS, new_event_loop
from bot.config import Settings
from bot.updates import PerChatUpdateProcessor
from bot.webhook import ALLOWED_UPDATES

_MARK = "\n\nTapped: "


async def _tapped(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer("Saved")
    card = query.message
    # A different text each time, as the real card's marks change: Telegram refuses an edit that
    # changes nothing.
    text = card.text_html.split(_MARK)[0] + f"{_MARK}{query.data}"  # type: ignore[union-attr]
    await query.get_bot().call_unparsed(
        "edit_message_text",
        {
            "chat_id": card.chat.id,
            "message_id": card.message_id,
            "text": text,
            "parse_mode": "HTML",
            "reply_markup": card.reply_markup,  # type: ignore[union-attr]
        },
    )


async def _menu(application) -> None:  # type: ignore[no-untyped-def]
    # The benchmark knows a bot has started when it sets its commands, as the real one does.
    await application.bot.set_my_commands([("start", "Start")])


def main() -> None:
    application = (
        ApplicationBuilder()
        .bot(build_bot(Settings()))
        .post_init(_menu)
        .concurrent_updates(PerChatUpdateProcessor())
        .build()
    )
    application.add_handler(CallbackQueryHandler(_tapped))
    asyncio.set_event_loop(new_event_loop())
    application.run_polling(allowed_updates=ALLOWED_UPDATES, poll_interval=POLL_INTERVAL_SECONDS)


if __name__ == "__main__":
    main()
