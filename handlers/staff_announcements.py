"""/announcements: what was sent, how the sending went, who is coming; stopping a scheduled
announcement, and cancelling or moving an event (everyone told who had not declined)."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import announcements, callbacks, events
from bot.announcement_messages import event_view, list_item, shown_names
from bot.announcements import Status
from bot.callbacks import AnnounceTap
from bot.clock import as_utc, to_local
from bot.context import BotApplication, BotContext
from bot.models import Announcement
from bot.staff import StaffMember
from bot.visits import local_moment
from handlers import NEW_MESSAGES, STAFF_GROUP, replies
from handlers.staff_access import (
    day_picker,
    refuse,
    say,
    say_long,
    staff_only,
    time_picker,
)
from handlers.staff_announce import owned_announcement

log = logging.getLogger(__name__)

FOLLOW_UP_OPS = ("list", "view", "who", "stop", "cancel", "cancelok", "move", "mday", "mat")


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


async def list_announcements(update: Update, context: BotContext, member: StaffMember) -> None:
    async with context.db() as session:
        recent = await announcements.recent(session, member)
    items = [list_item(context.texts, item, member.timezone) for item in recent]
    rows = [
        [
            _button(
                context.texts.label("announcement_button", item.when, item.text),
                callbacks.announce(announcement.id, "view"),
            )
        ]
        for item, announcement in zip(items, recent, strict=True)
    ]
    text = context.texts.render(
        "visitor/announcements.html.j2",
        items=items,
        any_events=any(announcement.is_event for announcement in recent),
    )
    await say(update, context, text, InlineKeyboardMarkup(rows) if rows else None)


async def _details(
    update: Update,
    context: BotContext,
    member: StaffMember,
    announcement_id: int,
    *,
    note: str | None = None,
    told: int = 0,
) -> None:
    async with context.db() as session:
        announcement = await session.get(Announcement, announcement_id)
        assert announcement is not None
        names, more = shown_names(await announcements.group_names(session, announcement_id))
        sending = announcement.status in (Status.SENDING, Status.SENT)
        progress = await announcements.progress(session, announcement_id) if sending else None
        attendance = (
            await events.attendance(session, announcement)
            if announcement.is_event and sending
            else None
        )
        changeable = events.changeable(announcement, context.clock.now())
    scheduled_for = (
        to_local(as_utc(announcement.send_at_utc), member.timezone)
        if announcement.status == Status.SCHEDULED and announcement.send_at_utc
        else None
    )
    text = context.texts.render(
        "visitor/announcement.html.j2",
        groups=names,
        more_groups=more,
        text=announcement.text,
        event=event_view(announcement, member.timezone),
        scheduled_for=scheduled_for,
        progress=progress,
        attendance=attendance,
        note=note,
        told=told,
    )
    texts = context.texts
    rows = [[_button(texts.label("announce_refresh"), callbacks.announce(announcement_id, "view"))]]
    if attendance is not None:
        rows.append(
            [_button(texts.label("announce_who"), callbacks.announce(announcement_id, "who"))]
        )
    if announcement.status == Status.SCHEDULED:
        rows.append(
            [_button(texts.label("announce_stop"), callbacks.announce(announcement_id, "stop"))]
        )
    if changeable:
        rows.append(
            [
                _button(
                    texts.label("announce_move_event"), callbacks.announce(announcement_id, "move")
                ),
                _button(
                    texts.label("announce_cancel_event"),
                    callbacks.announce(announcement_id, "cancel"),
                ),
            ]
        )
    rows.append([_button(texts.label("announce_back"), callbacks.announce(0, "list"))])
    await say(update, context, text, InlineKeyboardMarkup(rows))


async def follow_up_tapped(update: Update, context: BotContext, member: StaffMember) -> None:
    query = update.callback_query
    assert query is not None
    tap = callbacks.parse_announce(query.data)
    if tap is None or tap.op not in FOLLOW_UP_OPS:
        await refuse(update, context)
        return
    if tap.op == "list":
        await list_announcements(update, context, member)
        return
    announcement = await owned_announcement(
        update, context, member, tap.announcement_id, f"announcement_{tap.op}"
    )
    if announcement is None:
        return
    if announcement.status in (Status.DRAFT, Status.DISCARDED):
        await refuse(update, context)
        return
    await _step(update, context, member, tap)


async def _step(update: Update, context: BotContext, member: StaffMember, tap: AnnounceTap) -> None:
    texts = context.texts
    announcement_id = tap.announcement_id
    if tap.op == "view":
        await _details(update, context, member, announcement_id)
    elif tap.op == "who":
        async with context.db() as session:
            announcement = await session.get(Announcement, announcement_id)
            assert announcement is not None
            attendance = await events.attendance(session, announcement)
            event = event_view(announcement, member.timezone)
        if event is None:
            await refuse(update, context)
            return
        text = texts.render("visitor/attendance.html.j2", event=event, attendance=attendance)
        await say_long(update, context, text)
    elif tap.op == "stop":
        async with context.db() as session:
            stopped = await announcements.discard(session, announcement_id)
        if stopped:
            await say(
                update, context, texts.render("visitor/announce_gone.html.j2", status="discarded")
            )
        else:
            await _details(update, context, member, announcement_id)
    elif tap.op == "cancel":
        rows = [
            [
                _button(
                    texts.label("announce_cancel_yes"),
                    callbacks.announce(announcement_id, "cancelok"),
                )
            ],
            [_button(texts.label("announce_keep"), callbacks.announce(announcement_id, "view"))],
        ]
        await say(
            update,
            context,
            texts.render("visitor/event_cancel_confirm.html.j2"),
            InlineKeyboardMarkup(rows),
        )
    elif tap.op == "cancelok":
        async with context.db() as session:
            announcement = await session.get(Announcement, announcement_id)
            assert announcement is not None
            told = await events.cancel(session, context.clock, texts, member, announcement)
        await _changed(update, context, member, announcement_id, "cancelled", told)
    elif tap.op == "move":
        text = texts.render("visitor/announce_pick_day.html.j2", purpose="move")
        markup = day_picker(
            context, member, lambda day: callbacks.announce(announcement_id, "mday", day)
        )
        await say(update, context, text, markup)
    elif tap.op == "mday" and tap.day is not None:
        text = texts.render("visitor/announce_pick_time.html.j2", day=tap.day, purpose="move")
        markup = time_picker(
            tap.day, lambda moment: callbacks.announce(announcement_id, "mat", moment)
        )
        await say(update, context, text, markup)
    elif tap.op == "mat" and tap.moment is not None:
        day, at = tap.moment
        async with context.db() as session:
            announcement = await session.get(Announcement, announcement_id)
            assert announcement is not None
            told = await events.move(
                session,
                context.clock,
                texts,
                member,
                announcement,
                local_moment(day, at, member.timezone),
            )
        await _changed(update, context, member, announcement_id, "moved", told)
    else:
        await refuse(update, context)


async def _changed(
    update: Update,
    context: BotContext,
    member: StaffMember,
    announcement_id: int,
    what: str,
    told: int | None,
) -> None:
    if told is None:
        await _details(update, context, member, announcement_id, note="not_changed")
        return
    log.info("staff %s: event %s %s, %s told", member.id, announcement_id, what, told)
    replies.send_soon(context)
    await _details(update, context, member, announcement_id, note=what, told=told)


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("announcements", staff_only(list_announcements), filters=NEW_MESSAGES),
        group=STAFF_GROUP,
    )
    app.add_handler(
        CallbackQueryHandler(
            staff_only(follow_up_tapped),
            pattern=rf"^ac1:[0-9]+:({'|'.join(FOLLOW_UP_OPS)})(:|$)",
        ),
        group=STAFF_GROUP,
    )
