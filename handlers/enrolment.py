"""Joining: /start with an invite code, the privacy notice and consent."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot import callbacks, cards
from bot.context import BotApplication, BotContext
from bot.enrolment import (
    RedeemStatus,
    consent_needed,
    decline_consent,
    find_carer,
    record_consent,
    redeem_invite,
)
from bot.i18n import DEFAULT_LANGUAGE
from bot.models import Carer, Family, Staff
from handlers import CONVERSATION_GROUP, NEW_MESSAGES, help, reminder_time, replies

log = logging.getLogger(__name__)


def _consent_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    context.texts.label("consent_yes"), callback_data=callbacks.consent(True)
                ),
                InlineKeyboardButton(
                    context.texts.label("consent_no"), callback_data=callbacks.consent(False)
                ),
            ]
        ]
    )


def welcome(
    context: BotContext, *, child_name: str, announcements_only: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """What the service offers, the privacy notice and the consent question."""
    text = context.texts.render(
        "parent/welcome.html.j2", child_name=child_name, announcements_only=announcements_only
    )
    return text, _consent_keyboard(context)


async def start(update: Update, context: BotContext) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    code = context.args[0] if context.args else None
    async with context.db() as session:
        if code is None:
            carer = await find_carer(session, user.id)
            family = await session.get(Family, carer.family_id) if carer else None
            status = RedeemStatus.ALREADY_ENROLLED if carer else None
            child_name = family.child_name if family else None
        else:
            result = await redeem_invite(
                session,
                context.clock,
                code=code,
                telegram_user_id=user.id,
                chat_id=message.chat_id,
                language=context.language,
            )
            status, child_name = result.status, result.child_name
            carer = await find_carer(session, user.id)
            family = await session.get(Family, carer.family_id) if carer else None
            member = await session.get(Staff, result.staff_id) if result.staff_id else None
            staff_name, staff_role = (member.name, member.role) if member else ("", "")
        announcements_only = family is not None and family.announcements_only
        if carer is not None:
            context.language = carer.language
    log.info("start from update %s: %s", update.update_id, status or "no code")
    texts = context.texts
    if status is RedeemStatus.STAFF_JOINED:
        # Staff read the service's own language, whatever their Telegram app is set to.
        context.language = DEFAULT_LANGUAGE
        await help.set_staff_menu(context, message.chat_id, staff_role)
        await message.reply_html(
            texts.render("visitor/staff_welcome.html.j2", name=staff_name, role=staff_role)
        )
        return
    if status is None or status in (
        RedeemStatus.UNKNOWN,
        RedeemStatus.USED,
        RedeemStatus.EXPIRED,
        RedeemStatus.TOO_MANY_TRIES,
    ):
        reason = status.value if status else None
        await message.reply_html(texts.render("parent/no_invite.html.j2", reason=reason))
        return
    assert carer is not None
    if status is RedeemStatus.ENROLLED:
        # Asked first: the notice is only worth agreeing to in a language the parent reads.
        question = cards.language_question(texts, context.language, enrolling=True)
        await message.reply_html(question.text, reply_markup=question.markup)
    elif carer.consent_at_utc is None:
        text, keyboard = welcome(
            context, child_name=child_name or "", announcements_only=announcements_only
        )
        await message.reply_html(text, reply_markup=keyboard)
    elif consent_needed(carer):
        await message.reply_html(
            texts.render("parent/notice_changed.html.j2"), reply_markup=_consent_keyboard(context)
        )
    elif carer.reminder_time_local is None and announcements_only:
        await message.reply_html(
            texts.render("parent/waiting_list_welcome.html.j2", child_name=child_name)
        )
    elif carer.reminder_time_local is None:
        question = reminder_time.time_question(context, current=None, changing=False)
        await message.reply_html(question.text, reply_markup=question.markup)
    else:
        await message.reply_html(
            texts.render("parent/already_enrolled.html.j2", child_name=child_name)
        )


@dataclass(frozen=True)
class _Consent:
    """A carer's answer to the privacy notice, as recorded, and what decides the reply."""

    has_time: bool
    stopped: bool
    waiting_list: bool
    child_name: str
    removed: bool


async def _record_consent_answer(context: BotContext, agreed: bool) -> _Consent | None:
    """None when there is no question to answer (an old notice, already answered)."""
    async with context.db() as session:
        carer = await session.get(Carer, context.carer_id)
        if carer is None or not consent_needed(carer):
            return None
        family = await session.get(Family, carer.family_id)
        # Read before the answer is recorded: declining may remove the carer.
        has_time = carer.reminder_time_local is not None
        stopped = carer.stopped_at_utc is not None
        removed = False
        if agreed:
            await record_consent(session, context.clock, carer)
        else:
            removed = await decline_consent(session, context.clock, carer)
        return _Consent(
            has_time=has_time,
            stopped=stopped,
            waiting_list=family is not None and family.announcements_only,
            child_name=family.child_name if family else "",
            removed=removed,
        )


async def consent_tapped(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    agreed = callbacks.parse_consent(query.data)
    consent = await _record_consent_answer(context, agreed) if agreed is not None else None
    if consent is None:
        await query.answer(context.texts.label("tap_stale"))
        return
    await query.answer()
    await replies.remove_buttons(query)
    if agreed and consent.has_time:
        log.info("carer %s agreed to the changed notice", context.carer_id)
        await replies.send(
            query, context.texts.render("parent/consent_given.html.j2", stopped=consent.stopped)
        )
    elif agreed and consent.waiting_list:
        log.info("carer %s consented (waiting list)", context.carer_id)
        welcome = context.texts.render(
            "parent/waiting_list_welcome.html.j2", child_name=consent.child_name
        )
        await replies.send(query, welcome)
    elif agreed:
        log.info("carer %s consented", context.carer_id)
        question = reminder_time.time_question(context, current=None, changing=False)
        await replies.send(query, question.text, question.markup)
    elif consent.removed:
        log.info("update %s: consent declined, carer removed", update.update_id)
        await replies.send(query, context.texts.render("parent/consent_declined.html.j2"))
    else:
        log.info("carer %s declined the changed notice: reminders stopped", context.carer_id)
        await replies.send(query, context.texts.render("parent/notice_declined.html.j2"))


def register(app: BotApplication) -> None:
    app.add_handler(
        CommandHandler("start", start, filters=filters.ChatType.PRIVATE & NEW_MESSAGES),
        group=CONVERSATION_GROUP,
    )
    app.add_handler(
        CallbackQueryHandler(consent_tapped, pattern=callbacks.CONSENT_PREFIX),
        group=CONVERSATION_GROUP,
    )
