"""/privacy: what we keep, why, and who can see it (the notice shown at enrolment)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import BotApplication, BotContext
from handlers import CONVERSATION_GROUP, NEW_MESSAGES


async def privacy_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_html(context.texts.render("parent/privacy_notice.html.j2"))


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("privacy", privacy_command, filters=NEW_MESSAGES), group=CONVERSATION_GROUP
    )
