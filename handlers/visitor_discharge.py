"""/discharge: a family leaves the service (the child starts nursery or school, or they move
away). Reminders stop, future visits are cancelled, the carers get a farewell, and the diary is
erased after the retention period by the daily retention job."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.context import BotApplication, BotContext
from bot.erasure import discharge
from bot.leaving import say_farewell
from bot.staff import StaffMember
from handlers import NEW_MESSAGES, STAFF_GROUP
from handlers.replies import send_soon
from handlers.staff_access import family_entry, reachable_family, refuse, say, staff_only

log = logging.getLogger(__name__)


async def _confirm(
    update: Update, context: BotContext, member: StaffMember, family_id: int
) -> None:
    family = await reachable_family(update, context, member, family_id, action="discharge_ask")
    if family is None:
        return
    button = InlineKeyboardButton(
        context.texts.label("discharge_button"), callback_data=callbacks.discharge(family.id)
    )
    await say(
        update,
        context,
        context.texts.render(
            "visitor/discharge_confirm.html.j2",
            child_name=family.child_name,
            retention_days=context.settings.retention_days,
        ),
        InlineKeyboardMarkup([[button]]),
    )


async def discharge_tapped(update: Update, context: BotContext, member: StaffMember) -> None:
    family_id = callbacks.parse_discharge(update.callback_query.data)  # type: ignore[union-attr]
    if family_id is None:
        await refuse(update, context)
        return
    family = await reachable_family(update, context, member, family_id, action="discharge")
    if family is None:
        return
    async with context.db() as session:
        chats = await discharge(session, context.clock, family.id)
        if chats is not None:
            await say_farewell(
                session,
                context.clock,
                context.texts,
                family_id=family.id,
                child_name=family.child_name,
                carer_chats=chats,
            )
    log.info("staff %s discharged family %s", member.id, family.id)
    send_soon(context)
    await say(
        update,
        context,
        context.texts.render(
            "visitor/discharged.html.j2",
            child_name=family.child_name,
            already=chats is None,
            retention_days=context.settings.retention_days,
        ),
    )


def register(app: BotApplication) -> None:
    command, picked = family_entry("discharge", _confirm)
    app.add_handler(
        CommandHandler("discharge", staff_only(command), filters=NEW_MESSAGES), group=STAFF_GROUP
    )
    app.add_handler(
        CallbackQueryHandler(staff_only(picked), pattern=r"^sf1:discharge:"), group=STAFF_GROUP
    )
    app.add_handler(
        CallbackQueryHandler(staff_only(discharge_tapped), pattern=callbacks.DISCHARGE_PREFIX),
        group=STAFF_GROUP,
    )
