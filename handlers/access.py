"""Who is writing, and may they go on? Runs before every other handler (group -1)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot import callbacks, conversation
from bot.context import BotApplication, BotContext
from bot.enrolment import consent_needed, find_staff, mark_reachable
from bot.i18n import language_of
from bot.models import ChatState
from bot.staff import member_of
from handlers import ACCESS_GROUP

log = logging.getLogger(__name__)

# Taps and commands that belong to finishing enrolment.
_CONSENT_STEP = (callbacks.CONSENT_PREFIX, callbacks.LANGUAGE_PREFIX)
_TIME_STEP = (
    callbacks.REMINDER_TIME_PREFIX,
    callbacks.REMINDER_DAYS_PREFIX,
    callbacks.LANGUAGE_PREFIX,
)
_LEAVE_STEP = (callbacks.LEAVE_PREFIX,)
_RIGHTS_COMMANDS = ("/privacy", "/mydata", "/forget")


def _command(update: Update) -> str | None:
    """ "/time@our_bot 9" -> "/time"; None for anything that is not a new command message."""
    text = update.message.text if update.message and update.message.text else ""
    return text.split()[0].split("@")[0] if text.startswith("/") else None


def _is_start(update: Update) -> bool:
    return _command(update) == "/start"


def _callback_matches(update: Update, prefixes: tuple[str, ...]) -> bool:
    data = update.callback_query.data if update.callback_query else None
    return bool(data) and any(data.startswith(prefix.lstrip("^")) for prefix in prefixes)


async def identify(update: Update, context: BotContext) -> None:
    chat = update.effective_chat
    user = update.effective_user
    # The parent's side lives in private chats; groups and channels are not ours to talk in.
    if user is None or chat is None or chat.type != chat.PRIVATE:
        raise ApplicationHandlerStop
    message = update.effective_message
    is_command = _command(update) is not None
    # Every update starts here: a parent's (nearly every update) is found with the others
    # arriving at the same moment, in one query (bot/batching.py); only someone who is not a
    # carer is looked for in staff, and a write is made only when there is something to change.
    at_home = await context.carers_at_home.run(user.id)
    if at_home is None or at_home.staff_id is not None:
        async with context.db() as session:
            staff = await find_staff(session, user.id)
            if staff is not None:
                # A visitor or manager: their own conversations take it from here.
                context.staff = member_of(staff)
                state = await session.get(ChatState, user.id)
                if conversation.is_stale(state, context.clock.now(), is_command=is_command):
                    await conversation.clear(session, user.id)
                return
    # Until we know their choice, a parent reads the language their Telegram app is set to.
    context.language = language_of(user.language_code).code
    if _is_start(update):
        return
    if at_home is not None:
        carer = at_home.carer
        context.carer_id, context.family_id = carer.id, carer.family_id
        context.family_as_read = at_home.family
        context.language = carer.language
        # They are talking to us again, so they unblocked the bot.
        unblocked = carer.unreachable_at_utc is not None and bool(message or update.callback_query)
        stale = conversation.is_stale(at_home.awaiting, context.clock.now(), is_command=is_command)
        if unblocked or stale:
            async with context.db() as session:
                if unblocked:
                    await mark_reachable(session, carer.id)
                if stale:
                    await conversation.clear(session, user.id)
    if update.my_chat_member is not None:
        # Blocking and unblocking are not something to answer; chat_member records them.
        return
    if at_home is None:
        log.info("update %s from a user who is not enrolled", update.update_id)
        if update.callback_query:
            await update.callback_query.answer(context.texts.label("tap_not_enrolled"))
        elif message is not None:
            await message.reply_html(context.texts.render("parent/no_invite.html.j2", reason=None))
        raise ApplicationHandlerStop
    carer = at_home.carer
    if consent_needed(carer):
        # Someone who said no to a changed notice may still read it, take their data or erase it.
        consented_before = carer.consent_at_utc is not None
        may_leave = consented_before and (
            _command(update) in _RIGHTS_COMMANDS or _callback_matches(update, _LEAVE_STEP)
        )
        choosing_language = _command(update) == "/language"
        if not (may_leave or choosing_language or _callback_matches(update, _CONSENT_STEP)):
            await _ask_to_finish(
                update, context, "consent_again" if consented_before else "consent"
            )
    # A family on the waiting list gets announcements only: no reminder time to choose.
    elif carer.reminder_time_local is None and not at_home.family.announcements_only:
        context.choosing_first_time = True
        if not (_callback_matches(update, _TIME_STEP) or _is_time_step_message(update)):
            await _ask_to_finish(update, context, "time")


def _is_time_step_message(update: Update) -> bool:
    # A typed time, or /time itself, is how a carer finishes choosing the reminder time (and
    # /language may come first: the question is easier to answer in their own language).
    has_text = bool(update.message and update.message.text)
    return has_text and _command(update) in (None, "/time", "/language")


async def _ask_to_finish(update: Update, context: BotContext, step: str) -> None:
    if update.callback_query:
        await update.callback_query.answer(context.texts.label("tap_stale"))
    elif update.effective_message is not None:
        await update.effective_message.reply_html(
            context.texts.render("parent/finish_enrolment.html.j2", step=step)
        )
    raise ApplicationHandlerStop


def register(app: BotApplication) -> None:
    app.add_handler(TypeHandler(Update, identify), group=ACCESS_GROUP)
