"""Typed answers to a question the bot asked a visitor (a child's name, a goal, a custom
target), routed by the chat's state in the database; anything else gets the visitor's help."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, TypeHandler, filters

from bot import conversation
from bot.context import BotApplication, BotContext
from bot.staff import StaffMember
from handlers import STAFF_GROUP, staff_announce, staff_groups, visitor_new_family, visitor_plan
from handlers.staff_access import say, staff_only

TYPED_ANSWERS = {
    visitor_new_family.AWAITING_NAME: visitor_new_family.typed_name,
    visitor_plan.CUSTOM: visitor_plan.typed_custom,
    visitor_plan.GOAL: visitor_plan.typed_goal,
    staff_groups.AWAITING_NAME: staff_groups.typed_name,
    staff_announce.AWAITING_TEXT: staff_announce.typed_text,
    staff_announce.AWAITING_PLACE: staff_announce.typed_place,
}
# The questions a photo answers (an announcement's poster, its words in the caption).
PHOTO_ANSWERS = {staff_announce.AWAITING_TEXT}


async def typed(update: Update, context: BotContext, member: StaffMember) -> None:
    async with context.db() as session:
        state = await conversation.awaiting(session, member.telegram_user_id or 0)
    is_photo = bool(update.message and update.message.photo)
    if (
        state is not None
        and state.what in TYPED_ANSWERS
        and (not is_photo or state.what in PHOTO_ANSWERS)
    ):
        await TYPED_ANSWERS[state.what](update, context, member, state.data)
    else:
        await anything_else(update, context, member)


async def anything_else(update: Update, context: BotContext, member: StaffMember) -> None:
    """Commands a visitor has not got, stickers, photos: the visitor's menu, nothing changed."""
    await say(update, context, context.texts.render("visitor/help.html.j2", member=member))


async def ignore(update: Update, context: BotContext, member: StaffMember) -> None:
    """Nothing to say."""


async def stale_button(update: Update, context: BotContext, member: StaffMember) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(context.texts.label("tap_stale"))


def register(app: BotApplication) -> None:
    """Registered after every other staff conversation: these are the staff's fallbacks."""
    new_message = filters.UpdateType.MESSAGE
    app.add_handler(
        MessageHandler(
            new_message & ((filters.TEXT & ~filters.COMMAND) | filters.PHOTO), staff_only(typed)
        ),
        group=STAFF_GROUP,
    )
    app.add_handler(MessageHandler(new_message, staff_only(anything_else)), group=STAFF_GROUP)
    app.add_handler(CallbackQueryHandler(staff_only(stale_button)), group=STAFF_GROUP)
    # Edits, blocks and the rest: nothing for a visitor, and never the parents' handlers.
    app.add_handler(TypeHandler(Update, staff_only(ignore)), group=STAFF_GROUP)
