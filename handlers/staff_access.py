"""What every visitor and manager conversation shares: the role check, the refusal, and the
family picker. Each staff handler is wrapped in `staff_only`, so for a parent it does nothing and
the parent's own handlers (in later groups) take the update."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from functools import wraps

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop

from bot import callbacks
from bot.clock import local_date
from bot.context import BotContext
from bot.message_split import split_html
from bot.models import Family
from bot.staff import StaffMember, caseload, family_for, record_action
from handlers import replies

log = logging.getLogger(__name__)

StaffCallback = Callable[[Update, BotContext, StaffMember], Awaitable[None]]
OpenFamily = Callable[[Update, BotContext, StaffMember, int], Awaitable[None]]


def staff_only(
    callback: StaffCallback, *, managers_only: bool = False
) -> Callable[[Update, BotContext], Awaitable[None]]:
    @wraps(callback)
    async def handler(update: Update, context: BotContext) -> None:
        member = context.staff
        if member is None:
            return
        if managers_only and not member.is_manager:
            async with context.db() as session:
                await record_action(
                    session,
                    context.clock,
                    member,
                    action=callback.__name__,
                    allowed=False,
                    detail="managers only",
                )
            await refuse(update, context, managers_only=True)
        else:
            await callback(update, context, member)
        raise ApplicationHandlerStop

    return handler


async def say(
    update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Answer a command with a message, or a tap by editing the tapped message."""
    if update.callback_query is not None:
        await update.callback_query.answer()
        await replies.show(update.callback_query, text, markup)
    elif update.effective_message is not None:
        await update.effective_message.reply_html(text, reply_markup=markup)


async def say_long(update: Update, context: BotContext, text: str) -> None:
    """A list that grows with a caseload: as many messages as Telegram's limit needs."""
    message = update.effective_message
    if update.callback_query is not None:
        await update.callback_query.answer()
    assert message is not None
    for part in split_html(text):
        await message.reply_html(part)


async def refuse(update: Update, context: BotContext, *, managers_only: bool = False) -> None:
    """Say no, kindly and without naming the family; nothing was changed."""
    log.warning("update %s: staff refused a family or action outside their reach", update.update_id)
    template, label = (
        ("managers_only", "staff_managers_only")
        if managers_only
        else (
            "not_yours",
            "staff_not_yours",
        )
    )
    if update.callback_query is not None:
        await update.callback_query.answer(context.texts.label(label), show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_html(
            context.texts.render(f"visitor/{template}.html.j2")
        )


async def reachable_family(
    update: Update, context: BotContext, member: StaffMember, family_id: int, *, action: str
) -> Family | None:
    """The family if this member may act on it; otherwise the refusal is said and audited."""
    async with context.db() as session:
        family = await family_for(session, context.clock, member, family_id, action=action)
        if family is not None:
            session.expunge(family)
    if family is None:
        await refuse(update, context)
    return family


def typed_family_id(context: BotContext) -> int | None | str:
    """`/plan 12` names family 12; None when no id was typed; "bad" for anything else."""
    if not context.args:
        return None
    value = context.args[0]
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else "bad"


async def pick_family(
    update: Update, context: BotContext, member: StaffMember, purpose: str
) -> None:
    """Ask which family, with one button per family in the caseload."""
    async with context.db() as session:
        families = [(family.id, family.child_name) for family in await caseload(session, member)]
    if not families:
        await say(update, context, context.texts.render("visitor/no_families.html.j2"))
        return
    rows = [
        [
            InlineKeyboardButton(
                context.texts.label("family_button", child_name, family_id),
                callback_data=callbacks.pick_family(purpose, family_id),
            )
        ]
        for family_id, child_name in families
    ]
    await say(
        update,
        context,
        context.texts.render("visitor/pick_family.html.j2", purpose=purpose),
        InlineKeyboardMarkup(rows),
    )


def family_entry(purpose: str, open_family: OpenFamily) -> tuple[StaffCallback, StaffCallback]:
    """The two ways into a family's conversation: the command (`/plan 12`, or `/plan` and a list
    to pick from) and the tap on that list. `open_family` checks the caseload itself."""

    async def command(update: Update, context: BotContext, member: StaffMember) -> None:
        family_id = typed_family_id(context)
        if family_id is None:
            await pick_family(update, context, member, purpose)
        elif isinstance(family_id, int):
            await open_family(update, context, member, family_id)
        else:
            await refuse(update, context)

    async def picked(update: Update, context: BotContext, member: StaffMember) -> None:
        query = update.callback_query
        tap = callbacks.parse_pick_family(query.data if query else None)
        if tap is None or tap[0] != purpose:
            await refuse(update, context)
        else:
            await open_family(update, context, member, tap[1])

    command.__name__ = f"{purpose}_command"
    picked.__name__ = f"{purpose}_picked"
    return command, picked


DAYS_AHEAD = 14
TIMES = [time(hour, minute) for hour in range(8, 18) for minute in (0, 30)]


def _grid(buttons: list[InlineKeyboardButton], per_row: int = 4) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [buttons[start : start + per_row] for start in range(0, len(buttons), per_row)]
    )


def day_picker(
    context: BotContext, member: StaffMember, data_for: Callable[[date], str]
) -> InlineKeyboardMarkup:
    """The next two weeks, from today in the member's time zone, four days a row."""
    today = local_date(context.clock.now(), member.timezone)
    days = [today + timedelta(days=offset) for offset in range(DAYS_AHEAD)]
    return _grid(
        [
            InlineKeyboardButton(context.texts.label("visit_day", day), callback_data=data_for(day))
            for day in days
        ]
    )


def time_picker(
    day: date, data_for: Callable[[datetime], str], times: list[time] = TIMES
) -> InlineKeyboardMarkup:
    """Half-hours through the working day."""
    return _grid(
        [
            InlineKeyboardButton(
                f"{moment:%H:%M}", callback_data=data_for(datetime.combine(day, moment))
            )
            for moment in times
        ]
    )
