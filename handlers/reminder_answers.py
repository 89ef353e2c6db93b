"""One-tap answers on a day card (Yes / A little / Not today, or tries that worked)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot import callbacks, cards, conversation
from bot.context import BotApplication, BotContext
from bot.diary import Answered, AnswerOutcome, Tap, is_open, today_for
from handlers import CONVERSATION_GROUP, replies

log = logging.getLogger(__name__)

_OUTCOME_LABELS = {
    AnswerOutcome.SAVED: "answer_saved",
    AnswerOutcome.DAY_CLOSED: "answer_day_closed",
    AnswerOutcome.NOT_YOURS: "answer_not_yours",
    AnswerOutcome.INVALID: "answer_invalid",
}


async def answer_tapped(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    parsed = callbacks.parse_answer(query.data)
    assert context.carer_id is not None and context.family_as_read is not None
    if parsed is None:
        answered = Answered(AnswerOutcome.INVALID)
    else:
        answered = await context.answers.run(
            Tap(
                carer_id=context.carer_id,
                # A tap is the commonest update: the family is not read a second time.
                family=context.family_as_read,
                target_id=parsed.target_id,
                day=parsed.day,
                code=parsed.code,
            )
        )
    outcome = answered.outcome
    log.info("carer %s answer tap: %s", context.carer_id, outcome.value)
    # The parent's spinner stops first; the card is drawn after.
    await query.answer(context.texts.label(_OUTCOME_LABELS[outcome]))
    if answered.card is not None:
        rendered = cards.day_card(context.texts, answered.card)
        # If the card can no longer be seen, the answer is saved and said; no new card.
        await replies.show(query, rendered.text, rendered.markup, send_if_gone=False)


async def add_note_tapped(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    day = callbacks.parse_add_note(query.data)
    assert context.family_as_read is not None
    today = today_for(context.family_as_read, context.clock)
    if day is None or not is_open(day, today):
        await query.answer(context.texts.label("answer_day_closed"))
        return
    if day < today:
        # An earlier day's note: the next thing they send is for that day, not today.
        async with context.db() as session:
            carer = await context.carer(session)
            await conversation.expect(
                session, context.clock, carer.telegram_user_id, "note", {"day": day.isoformat()}
            )
    await query.answer()
    await replies.send(
        query,
        context.texts.render("parent/add_note_prompt.html.j2", day=day, not_today=day != today),
    )


def register(app: BotApplication) -> None:
    app.add_handler(
        CallbackQueryHandler(answer_tapped, pattern=callbacks.ANSWER_PREFIX),
        group=CONVERSATION_GROUP,
    )
    app.add_handler(
        CallbackQueryHandler(add_note_tapped, pattern=callbacks.ADD_NOTE_PREFIX),
        group=CONVERSATION_GROUP,
    )
