"""/help, and the command menu Telegram shows beside the text box (setMyCommands)."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler

from bot.context import BotApplication, BotContext
from bot.texts import Texts
from handlers import CONVERSATION_GROUP, NEW_MESSAGES

log = logging.getLogger(__name__)

MENU = (
    "today", "week", "time", "settings", "pause", "resume", "stop", "privacy", "mydata", "forget",
    "language", "help",
)  # fmt: skip
STAFF_MENU = (
    "families", "newfamily", "waitinglist", "plan", "visit", "summary", "invite", "discharge",
    "groups", "announce", "announcements", "help",
)  # fmt: skip
MANAGER_MENU = (*STAFF_MENU[:-1], "visitors", "move", "invitevisitor", "holidays", "help")


def command_menu(texts: Texts) -> list[BotCommand]:
    return [BotCommand(command, texts.label(f"command_{command}")) for command in MENU]


async def set_parent_menu(context: BotContext, chat_id: int) -> None:
    """The parent's menu in the language they chose, for their chat only (the default menus
    follow the language of the Telegram app, which may not be the one they chose)."""
    try:
        await context.bot.set_my_commands(
            command_menu(context.texts), scope=BotCommandScopeChat(chat_id)
        )
    except TelegramError as error:
        log.warning("could not set a parent's command menu: %s", type(error).__name__)


async def set_staff_menu(context: BotContext, chat_id: int, role: str) -> None:
    """A visitor's or manager's own command menu, for their chat only."""
    menu = MANAGER_MENU if role == "manager" else STAFF_MENU
    commands = [BotCommand(command, context.texts.label(f"command_{command}")) for command in menu]
    try:
        await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except TelegramError as error:
        # A convenience: the commands work without the menu.
        log.warning("could not set a staff command menu: %s", type(error).__name__)


async def help_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    async with context.db() as session:
        family = await context.family(session)
        child_name, waiting_list = family.child_name, family.announcements_only
    await update.effective_message.reply_html(
        context.texts.render(
            "parent/help.html.j2", child_name=child_name, waiting_list=waiting_list
        )
    )


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("help", help_command, filters=NEW_MESSAGES), group=CONVERSATION_GROUP
    )
