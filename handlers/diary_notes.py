"""The diary: words, photos, voice notes and videos a carer sends, and saying what each one is."""

from __future__ import annotations

import logging
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot import callbacks, conversation
from bot.context import BotApplication, BotContext
from bot.diary import add_note, is_open, set_note_category, today_for, update_note_from_edit
from handlers import CONVERSATION_GROUP, replies

log = logging.getLogger(__name__)

NOTE_MESSAGES = filters.UpdateType.MESSAGE & (
    (filters.TEXT & ~filters.COMMAND)
    | filters.PHOTO
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.Document.ALL
)


def _what_was_sent(message: Message) -> tuple[str, str | None, str | None]:
    """(kind, text, Telegram file id). Media are kept by file id: Telegram holds the bytes."""
    if message.photo:
        # The largest size is last; the caption, if any, is the parent's words about it.
        return "photo", message.caption, message.photo[-1].file_id
    if message.voice:
        return "voice", message.caption, message.voice.file_id
    if message.audio:
        return "voice", message.caption, message.audio.file_id
    if message.video:
        return "video", message.caption, message.video.file_id
    if message.video_note:
        return "video", None, message.video_note.file_id
    if message.document:
        return "document", message.caption, message.document.file_id
    return "text", message.text, None


def _category_keyboard(context: BotContext, note_id: int) -> InlineKeyboardMarkup:
    label = context.texts.label
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    label("note_new_skill"), callback_data=callbacks.note_category(note_id, "s")
                )
            ],
            [
                InlineKeyboardButton(
                    label("note_question"), callback_data=callbacks.note_category(note_id, "q")
                )
            ],
            [
                InlineKeyboardButton(
                    label("note_just_note"), callback_data=callbacks.note_category(note_id, "n")
                )
            ],
        ]
    )


async def note_received(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    kind, text, file_id = _what_was_sent(message)
    async with context.db() as session:
        carer = await context.carer(session)
        family = await context.family(session)
        today = today_for(family, context.clock)
        day = today
        state = await conversation.awaiting(session, carer.telegram_user_id)
        if state is not None and state.what == "note":
            # "Add a note" on yesterday's card: the note belongs to that day, if still open.
            asked_for = date.fromisoformat(state.data.get("day", today.isoformat()))
            day = asked_for if is_open(asked_for, today) else today
            await conversation.clear(session, carer.telegram_user_id)
        note = await add_note(
            session,
            context.clock,
            carer,
            kind=kind,
            text=text,
            telegram_file_id=file_id,
            source_message_id=message.message_id,
            day=day,
        )
        note_id, child_name = note.id, family.child_name
    log.info("carer %s added %s note %s", context.carer_id, kind, note_id)
    await message.reply_html(
        context.texts.render(
            "parent/note_saved.html.j2",
            kind=kind,
            child_name=child_name,
            day=day,
            not_today=day != today,
        ),
        reply_markup=_category_keyboard(context, note_id),
        do_quote=True,
    )


async def note_edited(update: Update, context: BotContext) -> None:
    message = update.edited_message
    assert message is not None
    text = message.text or message.caption or ""
    async with context.db() as session:
        carer = await context.carer(session)
        updated = await update_note_from_edit(
            session, carer, source_message_id=message.message_id, text=text
        )
    if updated:
        log.info("carer %s edited a note", context.carer_id)
        await message.reply_html(context.texts.render("parent/note_edited.html.j2"))
        return
    # An edit of something that was not a note (say, a typed time): keep the words as a new note.
    await note_received(update, context)


async def category_tapped(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    parsed = callbacks.parse_note_category(query.data)
    async with context.db() as session:
        carer = await context.carer(session)
        family = await context.family(session)
        category = None
        if parsed is not None:
            category = await set_note_category(session, carer, note_id=parsed[0], code=parsed[1])
    if category is None:
        await query.answer(context.texts.label("answer_not_yours"))
        return
    await query.answer(context.texts.label("note_category_saved"))
    await replies.show(
        query,
        context.texts.render(
            "parent/note_category_saved.html.j2", category=category, child_name=family.child_name
        ),
    )


def register(app: BotApplication) -> None:
    app.add_handler(MessageHandler(NOTE_MESSAGES, note_received), group=CONVERSATION_GROUP)
    app.add_handler(
        MessageHandler(
            filters.UpdateType.EDITED_MESSAGE & (filters.TEXT | filters.CAPTION), note_edited
        ),
        group=CONVERSATION_GROUP,
    )
    app.add_handler(
        CallbackQueryHandler(category_tapped, pattern=callbacks.NOTE_CATEGORY_PREFIX),
        group=CONVERSATION_GROUP,
    )
