"""/week: this week's practice per target, told warmly."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot.cards import week_in_language
from bot.context import BotApplication, BotContext
from bot.diary import today_for, week_view
from handlers import CONVERSATION_GROUP, NEW_MESSAGES


async def week_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    async with context.db() as session:
        family = await context.family(session)
        week = await week_view(session, family, today_for(family, context.clock))
    await update.effective_message.reply_html(
        context.texts.render("parent/week.html.j2", week=week_in_language(context.texts, week))
    )


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("week", week_command, filters=NEW_MESSAGES), group=CONVERSATION_GROUP
    )
