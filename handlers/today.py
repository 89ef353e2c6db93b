"""/today: today's activities again, with their buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from bot import cards
from bot.context import BotApplication, BotContext
from bot.diary import day_card, today_for
from handlers import CONVERSATION_GROUP, NEW_MESSAGES


async def today_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    async with context.db() as session:
        family = await context.family(session)
        today = today_for(family, context.clock)
        rendered = cards.day_card(context.texts, await day_card(session, family, today, today))
    await update.effective_message.reply_html(rendered.text, reply_markup=rendered.markup)


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("today", today_command, filters=NEW_MESSAGES), group=CONVERSATION_GROUP
    )
