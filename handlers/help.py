"""/help, and the command menu Telegram shows beside the text box (setMyCommands)."""

from __future__ import annotations

from telegram import BotCommand, Update
from telegram.ext import CommandHandler

from bot.context import BotApplication, BotContext
from bot.texts import Texts
from handlers import CONVERSATION_GROUP, NEW_MESSAGES

MENU = ("today", "week", "time", "pause", "resume", "stop", "privacy", "mydata", "help")


def command_menu(texts: Texts) -> list[BotCommand]:
    return [BotCommand(command, texts.label(f"command_{command}")) for command in MENU]


async def help_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    async with context.db() as session:
        family = await context.family(session)
        child_name = family.child_name
    await update.effective_message.reply_html(
        context.texts.render("parent/help.html.j2", child_name=child_name)
    )


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("help", help_command, filters=NEW_MESSAGES), group=CONVERSATION_GROUP
    )
