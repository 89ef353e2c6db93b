"""/announce: write an announcement for one or more groups (words, or a photo with a caption),
say whether it is an event (day, time, place), see it exactly as families will, then send it
now or at a later time. The draft lives in the database, so any instance carries it on."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import announcements, callbacks, conversation, groups
from bot.announcement_messages import announcement_payload, progress_markup, progress_text
from bot.announcements import AnnouncementError, Status
from bot.callbacks import AnnounceTap
from bot.clock import to_local
from bot.context import BotApplication, BotContext
from bot.delivery import deliver
from bot.models import Announcement
from bot.staff import StaffMember
from bot.visits import local_moment
from handlers import NEW_MESSAGES, STAFF_GROUP, replies
from handlers.staff_access import day_picker, refuse, say, staff_only, time_picker

log = logging.getLogger(__name__)

AWAITING_TEXT = "staff_announce_text"
AWAITING_PLACE = "staff_announce_place"
COMPOSE_OPS = ("grp", "next", "ev", "eday", "eat", "now", "sch", "sday", "sat", "drop")


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


async def start(update: Update, context: BotContext, member: StaffMember) -> None:
    async with context.db() as session:
        choices = await groups.announceable_groups(session, member)
        draft = await announcements.start_draft(session, context.clock, member) if choices else None
        draft_id = draft.id if draft else 0
    if not choices:
        await say(update, context, context.texts.render("visitor/announce_no_groups.html.j2"))
        return
    await _pick_groups(update, context, member, draft_id)


async def _pick_groups(
    update: Update, context: BotContext, member: StaffMember, draft_id: int
) -> None:
    async with context.db() as session:
        choices = await groups.announceable_groups(session, member)
        chosen = set(await announcements.group_ids(session, draft_id))
        draft = await session.get(Announcement, draft_id)
        assert draft is not None
        reach = await announcements.audience(session, draft) if chosen else None
    texts = context.texts
    rows = [
        [
            _button(
                texts.label("announce_group", group.name, group.id in chosen),
                callbacks.announce(draft_id, "grp", group.id),
            )
        ]
        for group in choices
    ]
    rows.append([_button(texts.label("announce_next"), callbacks.announce(draft_id, "next"))])
    text = texts.render("visitor/announce_pick_groups.html.j2", audience=reach)
    await say(update, context, text, InlineKeyboardMarkup(rows))


async def owned_announcement(
    update: Update, context: BotContext, member: StaffMember, announcement_id: int, action: str
) -> Announcement | None:
    """The announcement if this member wrote it (or is a manager); refused and audited if not."""
    async with context.db() as session:
        announcement = await announcements.own_announcement(
            session, context.clock, member, announcement_id, action=action
        )
        if announcement is not None:
            session.expunge(announcement)
    if announcement is None:
        await refuse(update, context)
    return announcement


async def compose_tapped(update: Update, context: BotContext, member: StaffMember) -> None:
    query = update.callback_query
    assert query is not None
    tap = callbacks.parse_announce(query.data)
    if tap is None or tap.op not in COMPOSE_OPS:
        await refuse(update, context)
        return
    draft = await owned_announcement(
        update, context, member, tap.announcement_id, f"announce_{tap.op}"
    )
    if draft is None:
        return
    if draft.status != Status.DRAFT and tap.op != "drop":
        # A second tap on "Send now", or an old message: nothing is sent twice.
        await query.answer(context.texts.label("announce_sent_already"))
        return
    await _step(update, context, member, draft, tap)


async def _step(
    update: Update, context: BotContext, member: StaffMember, draft: Announcement, tap: AnnounceTap
) -> None:
    texts = context.texts
    query = update.callback_query
    assert query is not None
    if tap.op == "grp" and tap.number is not None:
        async with context.db() as session:
            loaded = await session.get(Announcement, draft.id)
            assert loaded is not None
            allowed = await announcements.toggle_group(session, member, loaded, tap.number)
        if not allowed:
            await refuse(update, context)
            return
        await _pick_groups(update, context, member, draft.id)
    elif tap.op == "next":
        async with context.db() as session:
            has_groups = bool(await announcements.group_ids(session, draft.id))
            if has_groups:
                await conversation.expect(
                    session,
                    context.clock,
                    member.telegram_user_id or 0,
                    AWAITING_TEXT,
                    {"announcement_id": draft.id},
                )
        if not has_groups:
            await query.answer(texts.label("announce_pick_a_group"))
            return
        await say(update, context, texts.render("visitor/announce_ask_text.html.j2"))
    elif tap.op == "ev" and tap.number == 0:
        async with context.db() as session:
            loaded = await session.get(Announcement, draft.id)
            assert loaded is not None
            announcements.set_event(loaded, context.clock, starts_at_utc=None)
        await query.answer()
        await replies.remove_buttons(query)
        await _preview(update, context, member, draft.id)
    elif tap.op == "ev" and tap.number == 1:
        text = texts.render("visitor/announce_pick_day.html.j2", purpose="event")
        markup = day_picker(context, member, lambda day: callbacks.announce(draft.id, "eday", day))
        await say(update, context, text, markup)
    elif tap.op in ("eday", "sday") and tap.day is not None:
        purpose, next_op = ("event", "eat") if tap.op == "eday" else ("send", "sat")
        text = texts.render("visitor/announce_pick_time.html.j2", day=tap.day, purpose=purpose)
        markup = time_picker(tap.day, lambda moment: callbacks.announce(draft.id, next_op, moment))
        await say(update, context, text, markup)
    elif tap.op == "eat" and tap.moment is not None:
        await _event_time(update, context, member, draft, tap)
    elif tap.op == "now":
        await _send(update, context, member, draft)
    elif tap.op == "sch":
        text = texts.render("visitor/announce_pick_day.html.j2", purpose="send")
        markup = day_picker(context, member, lambda day: callbacks.announce(draft.id, "sday", day))
        await say(update, context, text, markup)
    elif tap.op == "sat" and tap.moment is not None:
        day, at = tap.moment
        again = time_picker(day, lambda moment: callbacks.announce(draft.id, "sat", moment))
        later = local_moment(day, at, member.timezone)
        await _send(update, context, member, draft, later, times_again=again)
    elif tap.op == "drop":
        async with context.db() as session:
            dropped = await announcements.discard(session, draft.id)
        await say(
            update,
            context,
            texts.render(
                "visitor/announce_gone.html.j2", status="discarded" if dropped else draft.status
            ),
        )
    else:
        await refuse(update, context)


async def _event_time(
    update: Update, context: BotContext, member: StaffMember, draft: Announcement, tap: AnnounceTap
) -> None:
    assert tap.moment is not None
    day, at = tap.moment
    try:
        async with context.db() as session:
            loaded = await session.get(Announcement, draft.id)
            assert loaded is not None
            announcements.set_event(
                loaded, context.clock, starts_at_utc=local_moment(day, at, member.timezone)
            )
            await conversation.expect(
                session,
                context.clock,
                member.telegram_user_id or 0,
                AWAITING_PLACE,
                {"announcement_id": draft.id},
            )
    except AnnouncementError as error:
        await say(
            update,
            context,
            context.texts.render("visitor/announce_bad_time.html.j2", reason=error.reason),
            day_picker(context, member, lambda day: callbacks.announce(draft.id, "eday", day)),
        )
        return
    await say(update, context, context.texts.render("visitor/announce_ask_place.html.j2"))


async def _answered_draft(
    session: AsyncSession, context: BotContext, member: StaffMember, draft_id: int, action: str
) -> Announcement | None:
    """The draft a typed answer is for (None if it is not this member's, or no longer a draft).
    The question counts as answered; a bad answer rolls that back with the rest."""
    await conversation.clear(session, member.telegram_user_id or 0)
    draft = await announcements.own_announcement(
        session, context.clock, member, draft_id, action=action
    )
    return draft if draft is not None and draft.status == Status.DRAFT else None


async def typed_text(update: Update, context: BotContext, member: StaffMember, data: dict) -> None:
    """The announcement's words, or a photo with its caption."""
    message = update.effective_message
    assert message is not None
    photo = message.photo[-1].file_id if message.photo else None
    words = (message.caption if photo else message.text) or ""
    draft_id = int(data.get("announcement_id", 0))
    try:
        async with context.db() as session:
            draft = await _answered_draft(session, context, member, draft_id, "announce_text")
            if draft is not None:
                announcements.set_content(draft, words, photo)
    except AnnouncementError as error:
        limit = announcements.CAPTION_TEXT_LIMIT if photo else announcements.TEXT_LIMIT
        await message.reply_html(
            context.texts.render(
                "visitor/announce_bad_text.html.j2",
                reason=error.reason,
                limit=limit,
                photo=bool(photo),
            )
        )
        return
    if draft is None:
        await refuse(update, context)
        return
    texts = context.texts
    rows = [
        [
            _button(texts.label("announce_event_yes"), callbacks.announce(draft_id, "ev", 1)),
            _button(texts.label("announce_event_no"), callbacks.announce(draft_id, "ev", 0)),
        ]
    ]
    await message.reply_html(
        texts.render("visitor/announce_ask_event.html.j2"), reply_markup=InlineKeyboardMarkup(rows)
    )


async def typed_place(update: Update, context: BotContext, member: StaffMember, data: dict) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    draft_id = int(data.get("announcement_id", 0))
    try:
        async with context.db() as session:
            draft = await _answered_draft(session, context, member, draft_id, "announce_place")
            if draft is not None:
                announcements.set_place(draft, message.text)
    except AnnouncementError as error:
        await message.reply_html(
            context.texts.render("visitor/announce_bad_time.html.j2", reason=error.reason)
        )
        return
    if draft is None:
        await refuse(update, context)
        return
    await _preview(update, context, member, draft_id)


def _controls(context: BotContext, draft_id: int) -> InlineKeyboardMarkup:
    texts = context.texts
    return InlineKeyboardMarkup(
        [
            [_button(texts.label("announce_send_now"), callbacks.announce(draft_id, "now"))],
            [_button(texts.label("announce_schedule"), callbacks.announce(draft_id, "sch"))],
            [_button(texts.label("announce_discard"), callbacks.announce(draft_id, "drop"))],
        ]
    )


async def _preview(update: Update, context: BotContext, member: StaffMember, draft_id: int) -> None:
    """The family's message, sent here through the same code that sends it to families, then
    the choices: send now, later, or not at all."""
    chat = update.effective_chat
    assert chat is not None
    async with context.db() as session:
        draft = await session.get(Announcement, draft_id)
        assert draft is not None
        names = await announcements.group_names(session, draft_id)
        reach = await announcements.audience(session, draft)
        payload = announcement_payload(context.texts, draft, names, member.timezone)
        is_event = draft.is_event
    await deliver(context.bot, chat.id, payload)
    text = context.texts.render(
        "visitor/announce_controls.html.j2",
        audience=reach,
        unreachable=reach.unreachable,
        is_event=is_event,
        scheduled_for=None,
    )
    await context.bot.send_message(
        chat.id, text, parse_mode="HTML", reply_markup=_controls(context, draft_id)
    )


async def _send(
    update: Update,
    context: BotContext,
    member: StaffMember,
    draft: Announcement,
    later: datetime | None = None,
    *,
    times_again: InlineKeyboardMarkup | None = None,
) -> None:
    """Now: the controls message becomes the progress message, edited as the fan-out goes.
    Later: it says when (or, for a time that has passed, offers the times again). Only the
    first tap does anything."""
    query = update.callback_query
    assert query is not None
    sending_now = later is None
    tapped = query.message if isinstance(query.message, Message) else None
    try:
        async with context.db() as session:
            loaded = await session.get(Announcement, draft.id)
            assert loaded is not None
            if sending_now and tapped is not None:
                loaded.progress_chat_id = tapped.chat.id
                loaded.progress_message_id = tapped.message_id
            if later is None:
                moved = await announcements.send_at(
                    session, context.clock, member, loaded, context.clock.now()
                )
            else:
                moved = await announcements.schedule(session, context.clock, member, loaded, later)
            if moved and sending_now:
                await announcements.fan_out(session, context.clock, context.texts, draft.id)
            names = await announcements.group_names(session, draft.id)
            reach = await announcements.audience(session, loaded)
    except AnnouncementError as error:
        text = context.texts.render("visitor/announce_bad_time.html.j2", reason=error.reason)
        if error.reason == "past" and times_again is not None:
            await say(update, context, text, times_again)
        else:
            await query.answer()
            await replies.send(query, text)
        return
    if not moved:
        await query.answer(context.texts.label("announce_sent_already"))
        return
    log.info(
        "staff %s: announcement %s %s",
        member.id,
        draft.id,
        "sending" if sending_now else "scheduled",
    )
    if sending_now:
        replies.send_soon(context)
        await say(
            update,
            context,
            progress_text(context.texts, loaded, names, None),
            progress_markup(context.texts, loaded),
        )
    else:
        await say(
            update,
            context,
            context.texts.render(
                "visitor/announce_scheduled.html.j2",
                send_at=to_local(later, member.timezone),
                audience=reach,
            ),
        )


async def preview_tapped(update: Update, context: BotContext, member: StaffMember) -> None:
    """The RSVP buttons on a preview (or on news a manager is also a parent of): nothing to do."""
    assert update.callback_query is not None
    await update.callback_query.answer(context.texts.label("rsvp_preview"))


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("announce", staff_only(start), filters=NEW_MESSAGES), group=STAFF_GROUP
    )
    app.add_handler(
        CallbackQueryHandler(
            staff_only(compose_tapped), pattern=rf"^ac1:[0-9]+:({'|'.join(COMPOSE_OPS)})(:|$)"
        ),
        group=STAFF_GROUP,
    )
    app.add_handler(
        CallbackQueryHandler(staff_only(preview_tapped), pattern=callbacks.RSVP_PREFIX),
        group=STAFF_GROUP,
    )
