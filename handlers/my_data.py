"""/mydata: the parent receives everything the bot holds about them and their child."""

from __future__ import annotations

import logging

from telegram import InputFile, Update
from telegram.ext import CommandHandler

from bot.context import BotApplication, BotContext
from bot.data_export import export_family
from handlers import CONVERSATION_GROUP, NEW_MESSAGES

log = logging.getLogger(__name__)


async def my_data_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    async with context.db() as session:
        carer = await context.carer(session)
        family = await context.family(session)
        export = await export_family(session, context.clock, carer)
        child_name = family.child_name
    log.info("carer %s asked for their data", context.carer_id)
    await message.reply_document(
        InputFile(export.json_bytes, filename=f"{export.file_stem}.json"),
        caption=context.texts.render("parent/my_data.html.j2", child_name=child_name),
        parse_mode="HTML",
    )
    await message.reply_document(
        InputFile(export.diary_csv_bytes, filename=f"{export.file_stem}.csv"),
        caption=context.texts.render("parent/my_data_csv.html.j2"),
        parse_mode="HTML",
    )


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("mydata", my_data_command, filters=NEW_MESSAGES), group=CONVERSATION_GROUP
    )
