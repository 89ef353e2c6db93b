"""/groups: the groups families hear about (drop-ins, play groups), making one, and adding or
taking out families with one tap each, a page at a time."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks, conversation, groups
from bot.context import BotApplication, BotContext
from bot.groups import FamilyPage, GroupError
from bot.staff import StaffMember
from handlers import NEW_MESSAGES, STAFF_GROUP
from handlers.staff_access import refuse, say, staff_only

log = logging.getLogger(__name__)

AWAITING_NAME = "staff_group_name"


async def list_groups(update: Update, context: BotContext, member: StaffMember) -> None:
    async with context.db() as session:
        visible = await groups.visible_groups(session, member)
    rows = [
        [
            InlineKeyboardButton(
                context.texts.label("group_button", group.name, group.families),
                callback_data=callbacks.group(group.id, "show"),
            )
        ]
        for group in visible
    ]
    rows.append(
        [
            InlineKeyboardButton(
                context.texts.label("group_new"), callback_data=callbacks.group(0, "new")
            )
        ]
    )
    text = context.texts.render("visitor/groups.html.j2", groups=visible)
    await say(update, context, text, InlineKeyboardMarkup(rows))


def _page_markup(context: BotContext, page: FamilyPage) -> InlineKeyboardMarkup:
    group_id = page.group.id
    rows = [
        [
            InlineKeyboardButton(
                context.texts.label(
                    "group_family",
                    choice.child_name,
                    choice.family_id,
                    choice.in_group,
                    choice.waiting_list,
                ),
                callback_data=callbacks.group(group_id, "tog", choice.family_id, page.page),
            )
        ]
        for choice in page.choices
    ]
    turns = []
    if page.page > 0:
        turns.append(
            InlineKeyboardButton(
                context.texts.label("group_prev"),
                callback_data=callbacks.group(group_id, "page", page.page - 1),
            )
        )
    if page.page + 1 < page.pages:
        turns.append(
            InlineKeyboardButton(
                context.texts.label("group_next"),
                callback_data=callbacks.group(group_id, "page", page.page + 1),
            )
        )
    if turns:
        rows.append(turns)
    rows.append(
        [
            InlineKeyboardButton(
                context.texts.label("group_back"), callback_data=callbacks.group(0, "list")
            )
        ]
    )
    return InlineKeyboardMarkup(rows)


async def _show_group(
    update: Update, context: BotContext, member: StaffMember, group_id: int, page_number: int
) -> None:
    async with context.db() as session:
        group = await groups.group_view(
            session, context.clock, member, group_id, action="group_view"
        )
        page = await groups.family_page(session, member, group, page_number) if group else None
    if page is None:
        await refuse(update, context)
        return
    text = context.texts.render("visitor/group.html.j2", page=page, member=member)
    await say(update, context, text, _page_markup(context, page))


async def group_tapped(update: Update, context: BotContext, member: StaffMember) -> None:
    query = update.callback_query
    assert query is not None
    tap = callbacks.parse_group(query.data)
    if tap is None:
        await refuse(update, context)
    elif tap.op == "list":
        await list_groups(update, context, member)
    elif tap.op == "new":
        async with context.db() as session:
            await conversation.expect(
                session, context.clock, member.telegram_user_id or 0, AWAITING_NAME
            )
        await say(update, context, context.texts.render("visitor/ask_group_name.html.j2"))
    elif tap.op in ("show", "page"):
        page = tap.arg if tap.op == "page" and tap.arg is not None else 0
        await _show_group(update, context, member, tap.group_id, page)
    elif tap.op == "tog" and tap.arg is not None:
        async with context.db() as session:
            now_in = await groups.toggle_family(
                session, context.clock, member, tap.group_id, tap.arg
            )
        if now_in is None:
            await refuse(update, context)
            return
        log.info(
            "staff %s: family %s %s group %s",
            member.id,
            tap.arg,
            "in" if now_in else "out of",
            tap.group_id,
        )
        await _show_group(update, context, member, tap.group_id, tap.page)
    else:
        await refuse(update, context)


async def typed_name(update: Update, context: BotContext, member: StaffMember, data: dict) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    try:
        async with context.db() as session:
            group = await groups.create_group(session, context.clock, member, message.text)
            await conversation.clear(session, member.telegram_user_id or 0)
    except GroupError:
        await message.reply_html(context.texts.render("visitor/bad_group_name.html.j2"))
        return
    log.info("staff %s made group %s", member.id, group.id)
    await _show_group(update, context, member, group.id, 0)


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("groups", staff_only(list_groups), filters=NEW_MESSAGES),
        group=STAFF_GROUP,
    )
    app.add_handler(
        CallbackQueryHandler(staff_only(group_tapped), pattern=callbacks.GROUP_PREFIX),
        group=STAFF_GROUP,
    )
