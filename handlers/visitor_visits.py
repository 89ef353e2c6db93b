"""/visit: book a family's next visit (once, weekly or fortnightly), move it, cancel it, or mark
it done. Every step is a button whose data names the family or visit, re-checked on each tap."""

from __future__ import annotations

import logging
from datetime import date, time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks, visits
from bot.callbacks import VisitTap
from bot.clock import as_utc, local_date, to_local
from bot.context import BotApplication, BotContext
from bot.models import Family, Visit
from bot.staff import StaffMember, family_for, record_action
from bot.summary_schedule import visit_summary_at
from handlers import NEW_MESSAGES, STAFF_GROUP
from handlers.staff_access import (
    day_picker,
    family_entry,
    reachable_family,
    refuse,
    say,
    staff_only,
    time_picker,
)

log = logging.getLogger(__name__)


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


async def show_visits(
    update: Update, context: BotContext, member: StaffMember, family_id: int, *, note: str = ""
) -> None:
    family = await reachable_family(update, context, member, family_id, action="view_visits")
    if family is None:
        return
    now = context.clock.now()
    async with context.db() as session:
        upcoming = await visits.next_visit(session, family.id, now)
        # The one before the next (today's visit, not yet marked done, is the next one).
        last = await visits.last_visit_before(
            session, family.id, as_utc(upcoming.starts_at_utc) if upcoming else now
        )
        upcoming_view = visits.view(upcoming, member.timezone) if upcoming else None
        last_view = visits.view(last, member.timezone) if last else None
    rows: list[list[InlineKeyboardButton]] = []
    summary_at = None
    if upcoming_view is not None:
        assert upcoming is not None
        summary_at = to_local(
            visit_summary_at(upcoming, member.timezone, context.settings.summary_lead_time),
            member.timezone,
        )
        texts = context.texts
        rows.append(
            [
                _button(texts.label("visit_move"), callbacks.visit("move", upcoming_view.id)),
                _button(texts.label("visit_cancel"), callbacks.visit("cancel", upcoming_view.id)),
            ]
        )
        if upcoming_view.starts_at_local.date() <= local_date(now, member.timezone):
            rows.append(
                [_button(texts.label("visit_done"), callbacks.visit("done", upcoming_view.id))]
            )
    else:
        rows.append(
            [_button(context.texts.label("visit_book"), callbacks.visit("book", family.id))]
        )
    await say(
        update,
        context,
        context.texts.render(
            "visitor/visits.html.j2",
            child_name=family.child_name,
            upcoming=upcoming_view,
            last=last_view,
            summary_at=summary_at,
            note=note,
        ),
        InlineKeyboardMarkup(rows),
    )


def _day_picker(context: BotContext, member: StaffMember, op: str, target_id: int):
    return day_picker(context, member, lambda day: callbacks.visit(op, target_id, day))


def _time_picker(context: BotContext, op: str, target_id: int, day: date):
    return time_picker(day, lambda moment: callbacks.visit(op, target_id, day, moment.time()))


async def _owned_visit(
    update: Update, context: BotContext, member: StaffMember, visit_id: int, action: str
) -> tuple[Visit, Family] | None:
    async with context.db() as session:
        visit = await session.get(Visit, visit_id)
        family = None
        if visit is not None:
            family = await family_for(
                session, context.clock, member, visit.family_id, action=action
            )
        else:
            await record_action(
                session,
                context.clock,
                member,
                action=action,
                allowed=False,
                detail=f"no visit {visit_id}",
            )
        if visit is not None:
            session.expunge(visit)
        if family is not None:
            session.expunge(family)
    if visit is None or family is None:
        await refuse(update, context)
        return None
    return visit, family


async def visit_tapped(update: Update, context: BotContext, member: StaffMember) -> None:
    query = update.callback_query
    assert query is not None
    tap = callbacks.parse_visit(query.data)
    if tap is None:
        await refuse(update, context)
    elif tap.op in ("book", "day", "at", "rep"):
        family = await reachable_family(update, context, member, tap.id, action=f"visit_{tap.op}")
        if family is not None:
            await _booking_step(update, context, member, family, tap)
    else:
        owned = await _owned_visit(update, context, member, tap.id, f"visit_{tap.op}")
        if owned is not None:
            await _change_step(update, context, member, *owned, tap)


async def _booking_step(
    update: Update, context: BotContext, member: StaffMember, family: Family, tap: VisitTap
) -> None:
    """Book: pick a day, then a time, then whether it repeats."""
    texts = context.texts
    if tap.op == "book":
        text = texts.render("visitor/pick_day.html.j2", child_name=family.child_name)
        await say(update, context, text, _day_picker(context, member, "day", family.id))
    elif tap.op == "day" and tap.day:
        text = texts.render("visitor/pick_time.html.j2", day=tap.day)
        await say(update, context, text, _time_picker(context, "at", family.id, tap.day))
    elif tap.op == "at" and tap.day and tap.at:
        rows = [
            [
                _button(
                    texts.label(f"repeat_{repeat}"),
                    callbacks.visit("rep", family.id, tap.day, tap.at, repeat),
                )
            ]
            for repeat in (0, *visits.REPEATS)
        ]
        text = texts.render("visitor/pick_repeat.html.j2", day=tap.day, at=tap.at)
        await say(update, context, text, InlineKeyboardMarkup(rows))
    elif tap.op == "rep" and tap.day and tap.at and tap.repeat in (0, *visits.REPEATS):
        await _book(update, context, member, family, tap.day, tap.at, tap.repeat or None)
    else:
        await refuse(update, context)


async def _change_step(
    update: Update,
    context: BotContext,
    member: StaffMember,
    visit: Visit,
    family: Family,
    tap: VisitTap,
) -> None:
    """Move (a day, then a time), cancel (after a confirmation) or mark done."""
    texts = context.texts
    if tap.op == "move":
        text = texts.render("visitor/pick_day.html.j2", child_name=family.child_name)
        await say(update, context, text, _day_picker(context, member, "mday", visit.id))
    elif tap.op == "mday" and tap.day:
        text = texts.render("visitor/pick_time.html.j2", day=tap.day)
        await say(update, context, text, _time_picker(context, "mat", visit.id, tap.day))
    elif tap.op == "cancel":
        choices = [("visit_cancel_once", callbacks.visit("cancelok", visit.id, repeat=0))]
        if visit.repeat_days:
            choices.append(("visit_cancel_series", callbacks.visit("cancelok", visit.id, repeat=1)))
        choices.append(("visit_keep", callbacks.pick_family("visit", family.id)))
        rows = [[_button(texts.label(label), data)] for label, data in choices]
        text = texts.render(
            "visitor/confirm_cancel.html.j2",
            child_name=family.child_name,
            repeating=bool(visit.repeat_days),
        )
        await say(update, context, text, InlineKeyboardMarkup(rows))
    elif tap.op in ("mat", "cancelok", "done") and (tap.op != "mat" or (tap.day and tap.at)):
        await _change(update, context, member, visit.id, family.id, tap)
    else:
        await refuse(update, context)


async def _book(
    update: Update,
    context: BotContext,
    member: StaffMember,
    family: Family,
    day: date,
    at: time,
    repeat_days: int | None,
) -> None:
    starts_at = visits.local_moment(day, at, member.timezone)
    try:
        async with context.db() as session:
            await visits.book(
                session,
                context.clock,
                family_id=family.id,
                visitor_id=family.visitor_id or member.id,
                starts_at_utc=starts_at,
                repeat_days=repeat_days,
            )
    except visits.VisitError:
        await show_visits(update, context, member, family.id, note="not_booked")
        return
    log.info("staff %s booked a visit for family %s", member.id, family.id)
    await show_visits(update, context, member, family.id, note="booked")


async def _change(
    update: Update,
    context: BotContext,
    member: StaffMember,
    visit_id: int,
    family_id: int,
    tap: VisitTap,
) -> None:
    notes = {"mat": "moved", "cancelok": "cancelled", "done": "done"}
    try:
        async with context.db() as session:
            visit = await session.get(Visit, visit_id)
            assert visit is not None
            if tap.op == "mat":
                assert tap.day is not None and tap.at is not None
                starts_at = visits.local_moment(tap.day, tap.at, member.timezone)
                await visits.move(session, context.clock, visit, starts_at)
            elif tap.op == "cancelok":
                await visits.cancel(session, context.clock, visit, stop_repeating=tap.repeat == 1)
            else:
                await visits.mark_done(session, context.clock, visit)
    except visits.VisitError:
        await show_visits(update, context, member, family_id, note="not_changed")
        return
    log.info("staff %s: visit %s %s", member.id, visit_id, notes[tap.op])
    await show_visits(update, context, member, family_id, note=notes[tap.op])


def register(app: BotApplication) -> None:
    command, picked = family_entry("visit", show_visits)
    app.add_handler(
        CommandHandler("visit", staff_only(command), filters=NEW_MESSAGES), group=STAFF_GROUP
    )
    app.add_handler(
        CallbackQueryHandler(staff_only(picked), pattern=r"^sf1:visit:"), group=STAFF_GROUP
    )
    app.add_handler(
        CallbackQueryHandler(staff_only(visit_tapped), pattern=callbacks.VISIT_PREFIX),
        group=STAFF_GROUP,
    )
