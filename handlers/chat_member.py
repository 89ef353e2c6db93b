"""The parent blocked or unblocked the bot (my_chat_member): stop or allow sending at once."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.ext import ChatMemberHandler

from bot.context import BotApplication, BotContext
from handlers import CONVERSATION_GROUP

log = logging.getLogger(__name__)


async def membership_changed(update: Update, context: BotContext) -> None:
    change = update.my_chat_member
    if change is None or context.carer_id is None:
        return
    blocked = change.new_chat_member.status in (ChatMember.BANNED, ChatMember.LEFT)
    async with context.db() as session:
        carer = await context.carer(session)
        carer.unreachable_at_utc = context.clock.now() if blocked else None
    log.info("carer %s %s the bot", context.carer_id, "blocked" if blocked else "unblocked")


def register(app: BotApplication) -> None:
    app.add_handler(
        ChatMemberHandler(membership_changed, ChatMemberHandler.MY_CHAT_MEMBER),
        group=CONVERSATION_GROUP,
    )
