"""A manager's conversations: the visitors and their caseloads, moving a family to another
visitor, sign-in links for new visitors, and the school holidays repeating visits skip."""

from __future__ import annotations

import logging
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks, staff, visits
from bot.context import BotApplication, BotContext
from bot.enrolment import EnrolmentError, add_staff, invite_link, issue_staff_invite
from bot.staff import StaffMember, record_action
from handlers import NEW_MESSAGES, STAFF_GROUP
from handlers.staff_access import pick_family, reachable_family, refuse, say, say_long, staff_only

log = logging.getLogger(__name__)


async def list_visitors(update: Update, context: BotContext, member: StaffMember) -> None:
    async with context.db() as session:
        await record_action(session, context.clock, member, action="view_visitors")
        loads = await staff.visitors(session)
    await say_long(
        update, context, context.texts.render("visitor/visitors.html.j2", visitors=loads)
    )


async def move_command(update: Update, context: BotContext, member: StaffMember) -> None:
    await pick_family(update, context, member, "move")


async def move_picked(update: Update, context: BotContext, member: StaffMember) -> None:
    picked = callbacks.parse_pick_family(update.callback_query.data)  # type: ignore[union-attr]
    if picked is None:
        await refuse(update, context)
        return
    family = await reachable_family(update, context, member, picked[1], action="move_pick")
    if family is None:
        return
    async with context.db() as session:
        loads = await staff.visitors(session)
    rows = [
        [
            InlineKeyboardButton(
                context.texts.label("visitor_button", load.name, load.families),
                callback_data=callbacks.move_to(family.id, load.id),
            )
        ]
        for load in loads
        if load.id != family.visitor_id
    ]
    await say(
        update,
        context,
        context.texts.render("visitor/pick_visitor.html.j2", child_name=family.child_name),
        InlineKeyboardMarkup(rows),
    )


async def move_tapped(update: Update, context: BotContext, member: StaffMember) -> None:
    tap = callbacks.parse_move_to(update.callback_query.data)  # type: ignore[union-attr]
    moved = None
    if tap is not None:
        async with context.db() as session:
            family = await staff.move_family(
                session, context.clock, member, family_id=tap[0], visitor_id=tap[1]
            )
            moved = (family.child_name, family.id) if family else None
    if moved is None:
        await refuse(update, context)
        return
    log.info("manager %s moved family %s", member.id, moved[1])
    await list_visitors(update, context, member)


async def invite_visitor(update: Update, context: BotContext, member: StaffMember) -> None:
    name = " ".join(context.args or [])
    if not name:
        await say(update, context, context.texts.render("visitor/invite_visitor_usage.html.j2"))
        return
    try:
        async with context.db() as session:
            visitor = await add_staff(
                session, context.clock, name=name, timezone=member.timezone, role="visitor"
            )
            issued = await issue_staff_invite(
                session,
                context.clock,
                staff_id=visitor.id,
                ttl_days=context.settings.invite_ttl_days,
            )
            await record_action(
                session,
                context.clock,
                member,
                action="invite_visitor",
                detail=f"visitor {visitor.id}",
            )
            visitor_id = visitor.id
    except EnrolmentError:
        await say(update, context, context.texts.render("visitor/invite_visitor_usage.html.j2"))
        return
    await say(
        update,
        context,
        context.texts.render(
            "visitor/staff_invite.html.j2",
            name=name,
            staff_id=visitor_id,
            link=invite_link(context.bot.username, issued.code),
            expires=issued.expires_at_utc,
        ),
    )


async def holidays(update: Update, context: BotContext, member: StaffMember) -> None:
    """/holidays lists them; /holidays 2026-12-21 2027-01-03 Christmas adds one."""
    args = context.args or []
    problem = False
    if len(args) >= 3:
        try:
            first, last = date.fromisoformat(args[0]), date.fromisoformat(args[1])
            async with context.db() as session:
                await visits.add_holiday(
                    session, name=" ".join(args[2:]), starts_on=first, ends_on=last
                )
                await record_action(session, context.clock, member, action="add_holiday")
        except (ValueError, visits.VisitError):
            problem = True
    elif args:
        problem = True
    async with context.db() as session:
        listed = [
            (holiday.name, holiday.starts_on, holiday.ends_on)
            for holiday in await visits.holidays(session)
        ]
    await say(
        update,
        context,
        context.texts.render("visitor/holidays.html.j2", holidays=listed, problem=problem),
    )


def register(app: BotApplication) -> None:
    for command, callback in (
        ("visitors", list_visitors),
        ("move", move_command),
        ("invitevisitor", invite_visitor),
        ("holidays", holidays),
    ):
        app.add_handler(
            CommandHandler(command, staff_only(callback, managers_only=True), filters=NEW_MESSAGES),
            group=STAFF_GROUP,
        )
    app.add_handler(
        CallbackQueryHandler(staff_only(move_picked, managers_only=True), pattern=r"^sf1:move:"),
        group=STAFF_GROUP,
    )
    app.add_handler(
        CallbackQueryHandler(
            staff_only(move_tapped, managers_only=True), pattern=callbacks.MOVE_TO_PREFIX
        ),
        group=STAFF_GROUP,
    )
