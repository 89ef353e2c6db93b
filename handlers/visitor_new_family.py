"""/newfamily: a visitor adds a family by the child's first name and gets the invitation link,
as text to forward and as a QR code to show the parent at the visit. /waitinglist: the same for
a family on the waiting list (news of groups only, until a plan is set). /invite N: a link for
another carer of family N."""

from __future__ import annotations

import asyncio
import logging

from telegram import InputFile, Update
from telegram.ext import CommandHandler

from bot import conversation
from bot.context import BotApplication, BotContext
from bot.enrolment import (
    EnrolmentError,
    IssuedInvite,
    create_family,
    invite_link,
    issue_family_invite,
)
from bot.qr import qr_png
from bot.staff import StaffMember, record_action
from handlers import NEW_MESSAGES, STAFF_GROUP
from handlers.staff_access import reachable_family, say, staff_only, typed_family_id

log = logging.getLogger(__name__)

AWAITING_NAME = "staff_new_family"


async def _ask_or_create(
    update: Update, context: BotContext, member: StaffMember, *, waiting_list: bool
) -> None:
    if context.args:
        await _create(update, context, member, " ".join(context.args), waiting_list=waiting_list)
        return
    async with context.db() as session:
        await conversation.expect(
            session,
            context.clock,
            member.telegram_user_id or 0,
            AWAITING_NAME,
            {"waiting_list": waiting_list},
        )
    text = context.texts.render("visitor/ask_child_name.html.j2", waiting_list=waiting_list)
    await say(update, context, text)


async def new_family(update: Update, context: BotContext, member: StaffMember) -> None:
    await _ask_or_create(update, context, member, waiting_list=False)


async def waiting_list_family(update: Update, context: BotContext, member: StaffMember) -> None:
    await _ask_or_create(update, context, member, waiting_list=True)


async def typed_name(update: Update, context: BotContext, member: StaffMember, data: dict) -> None:
    assert update.message is not None and update.message.text is not None
    waiting_list = bool(data.get("waiting_list"))
    await _create(update, context, member, update.message.text, waiting_list=waiting_list)


async def _create(
    update: Update, context: BotContext, member: StaffMember, name: str, *, waiting_list: bool
) -> None:
    message = update.effective_message
    assert message is not None
    try:
        async with context.db() as session:
            # A manager's new family waits unassigned (managers reach every family) until
            # they /move it to a visitor.
            family = await create_family(
                session,
                context.clock,
                child_name=name,
                timezone=member.timezone,
                visitor_id=None if member.is_manager else member.id,
                announcements_only=waiting_list,
            )
            issued = await issue_family_invite(
                session,
                context.clock,
                family_id=family.id,
                ttl_days=context.settings.invite_ttl_days,
            )
            await record_action(
                session, context.clock, member, action="new_family", family_id=family.id
            )
            await conversation.clear(session, member.telegram_user_id or 0)
            family_id, child_name = family.id, family.child_name
    except EnrolmentError:
        await message.reply_html(context.texts.render("visitor/bad_child_name.html.j2"))
        return
    log.info("staff %s added family %s", member.id, family_id)
    await _send_invite(update, context, family_id, child_name, issued, waiting_list=waiting_list)


async def another_carer(update: Update, context: BotContext, member: StaffMember) -> None:
    family_id = typed_family_id(context)
    if not isinstance(family_id, int):
        await say(update, context, context.texts.render("visitor/invite_usage.html.j2"))
        return
    family = await reachable_family(update, context, member, family_id, action="invite_carer")
    if family is None:
        return
    async with context.db() as session:
        issued = await issue_family_invite(
            session, context.clock, family_id=family.id, ttl_days=context.settings.invite_ttl_days
        )
    await _send_invite(
        update,
        context,
        family.id,
        family.child_name,
        issued,
        waiting_list=family.announcements_only,
    )


async def _send_invite(
    update: Update,
    context: BotContext,
    family_id: int,
    child_name: str,
    issued: IssuedInvite,
    *,
    waiting_list: bool,
) -> None:
    message = update.effective_message
    assert message is not None
    link = invite_link(context.bot.username, issued.code)
    await message.reply_html(
        context.texts.render(
            "visitor/family_invite.html.j2",
            child_name=child_name,
            family_id=family_id,
            link=link,
            expires=issued.expires_at_utc,
            waiting_list=waiting_list,
        )
    )
    png = await asyncio.to_thread(qr_png, link)
    await message.reply_photo(
        InputFile(png, filename="invite.png"),
        caption=context.texts.render("visitor/family_invite_qr.html.j2", child_name=child_name),
        parse_mode="HTML",
    )


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("newfamily", staff_only(new_family), filters=NEW_MESSAGES),
        group=STAFF_GROUP,
    )
    app.add_handler(
        CommandHandler("waitinglist", staff_only(waiting_list_family), filters=NEW_MESSAGES),
        group=STAFF_GROUP,
    )
    app.add_handler(
        CommandHandler("invite", staff_only(another_carer), filters=NEW_MESSAGES),
        group=STAFF_GROUP,
    )
