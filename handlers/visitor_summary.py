"""/summary: a family's summary on demand, for the days since the last visit or the last 7, 14
or 28 days (`/summary 12 2026-11-01 2026-11-20` for any period)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.clock import local_date
from bot.context import BotApplication, BotContext
from bot.delivery import deliver
from bot.models import Family
from bot.staff import StaffMember
from bot.summaries import build_summary, period_start_for
from bot.summary_messages import summary_messages
from bot.visits import next_visit, view
from handlers import NEW_MESSAGES, STAFF_GROUP
from handlers.staff_access import (
    family_entry,
    pick_family,
    reachable_family,
    refuse,
    say,
    staff_only,
    typed_family_id,
)

log = logging.getLogger(__name__)

PERIODS = ("since", "7", "14", "28")
LONGEST_PERIOD = 92


def _typed_period(args: list[str]) -> tuple[date, date] | None | str:
    if len(args) < 3:
        return None
    try:
        first, last = date.fromisoformat(args[1]), date.fromisoformat(args[2])
    except ValueError:
        return "bad"
    if last < first or (last - first).days >= LONGEST_PERIOD:
        return "bad"
    return first, last


async def summary_command(update: Update, context: BotContext, member: StaffMember) -> None:
    family_id = typed_family_id(context)
    if family_id is None:
        await pick_family(update, context, member, "summary")
        return
    if family_id == "bad":
        await refuse(update, context)
        return
    assert isinstance(family_id, int)
    period = _typed_period(context.args or [])
    if period == "bad":
        await say(update, context, context.texts.render("visitor/summary_usage.html.j2"))
        return
    family = await reachable_family(update, context, member, family_id, action="summary")
    if family is None:
        return
    if period is None:
        await _ask_period(update, context, family)
    else:
        assert isinstance(period, tuple)
        await _send_summary(update, context, member, family, *period)


async def _open(update: Update, context: BotContext, member: StaffMember, family_id: int) -> None:
    family = await reachable_family(update, context, member, family_id, action="summary")
    if family is not None:
        await _ask_period(update, context, family)


async def _ask_period(update: Update, context: BotContext, family: Family) -> None:
    rows = [
        [
            InlineKeyboardButton(
                context.texts.label(f"summary_{period}"),
                callback_data=callbacks.summary(family.id, period),
            )
        ]
        for period in PERIODS
    ]
    await say(
        update,
        context,
        context.texts.render(
            "visitor/pick_period.html.j2", child_name=family.child_name, family_id=family.id
        ),
        InlineKeyboardMarkup(rows),
    )


async def period_tapped(update: Update, context: BotContext, member: StaffMember) -> None:
    query = update.callback_query
    assert query is not None
    tap = callbacks.parse_summary(query.data)
    if tap is None:
        await refuse(update, context)
        return
    family = await reachable_family(update, context, member, tap[0], action="summary")
    if family is None:
        return
    now = context.clock.now()
    today = local_date(now, family.timezone)
    if tap[1] == "since":
        async with context.db() as session:
            first = await period_start_for(
                session,
                family,
                period_end=today,
                before_utc=now,
                max_days=context.settings.summary_max_days,
            )
    else:
        first = today - timedelta(days=int(tap[1]) - 1)
    await _send_summary(update, context, member, family, first, today)


async def _send_summary(
    update: Update,
    context: BotContext,
    member: StaffMember,
    family: Family,
    first: date,
    last: date,
) -> None:
    async with context.db() as session:
        data = await build_summary(
            session, family, context.services.library, period_start=first, period_end=last
        )
        upcoming = await next_visit(session, family.id, context.clock.now())
        next_at = view(upcoming, member.timezone).starts_at_local if upcoming else None
    if update.callback_query is not None:
        await update.callback_query.answer()
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    payloads = summary_messages(context.texts, data, next_visit_at=next_at, on_demand=True)
    log.info(
        "staff %s asked for family %s's summary: %s messages", member.id, family.id, len(payloads)
    )
    for payload in payloads:
        await deliver(context.bot, chat_id, payload)


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("summary", staff_only(summary_command), filters=NEW_MESSAGES),
        group=STAFF_GROUP,
    )
    _, picked = family_entry("summary", _open)
    app.add_handler(
        CallbackQueryHandler(staff_only(picked), pattern=r"^sf1:summary:"), group=STAFF_GROUP
    )
    app.add_handler(
        CallbackQueryHandler(staff_only(period_tapped), pattern=callbacks.SUMMARY_PREFIX),
        group=STAFF_GROUP,
    )
