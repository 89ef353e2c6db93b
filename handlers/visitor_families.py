"""A visitor's or manager's home: /start, /help and /families (the caseload at a glance)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.caseload import caseload_rows
from bot.context import BotApplication, BotContext
from bot.staff import StaffMember, record_action
from handlers import NEW_MESSAGES, STAFF_GROUP
from handlers.staff_access import say, say_long, staff_only


async def staff_help(update: Update, context: BotContext, member: StaffMember) -> None:
    await say(update, context, context.texts.render("visitor/help.html.j2", member=member))


async def families(update: Update, context: BotContext, member: StaffMember) -> None:
    async with context.db() as session:
        await record_action(session, context.clock, member, action="view_caseload")
        rows = await caseload_rows(
            session,
            member,
            context.services.library,
            now_utc=context.clock.now(),
            max_days=context.settings.summary_max_days,
        )
    await say_long(update, context, context.texts.render("visitor/families.html.j2", rows=rows))


def register(app: BotApplication) -> None:
    for command, callback in (("start", staff_help), ("help", staff_help), ("families", families)):
        app.add_handler(
            CommandHandler(command, staff_only(callback), filters=NEW_MESSAGES), group=STAFF_GROUP
        )
