"""A family leaving: erasing their data with its audit record, and telling the people who need
to know (the visitor and other carers when a diary is erased, the carers when their visitor
discharges them). Notices are queued in the outbox like every message the bot starts, without a
family id, so erasing the family later cannot leave them behind half-sent."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot import audit
from bot.clock import Clock
from bot.delivery import text_payload
from bot.erasure import CarerChat, Erasure, erase_family
from bot.models import Staff
from bot.outbox import enqueue
from bot.texts import Texts


async def erase_and_tell(
    session: AsyncSession,
    clock: Clock,
    texts: Texts,
    family_id: int,
    *,
    reason: str,
    action: str,
    detail: str | None = None,
    telegram_user_id: int | None = None,
    asked_from_chat: int | None = None,
) -> Erasure | None:
    """Erase the family's data, write the audit record (by default with the anonymous counts)
    and queue the notices. None if there was nothing to erase (unknown, or erased already)."""
    erasure = await erase_family(session, clock, family_id, reason=reason)
    if erasure is None:
        return None
    counts = erasure.counts
    await audit.record(
        session,
        clock,
        action=action,
        outcome=audit.ALLOWED,
        telegram_user_id=telegram_user_id,
        family_id=family_id,
        detail=detail
        if detail is not None
        else (
            f"{counts['carers']} carers, {counts['days_answered']} days answered, "
            f"{counts['notes']} notes"
        ),
    )
    await tell_about_erasure(session, clock, texts, erasure, asked_from_chat=asked_from_chat)
    return erasure


async def tell_about_erasure(
    session: AsyncSession,
    clock: Clock,
    texts: Texts,
    erasure: Erasure,
    *,
    asked_from_chat: int | None = None,
) -> None:
    """The visitor hears which family (by number: the name is gone); the other carers are told
    why the diary has gone. The carer who asked is answered directly, not here."""
    visitor = await session.get(Staff, erasure.visitor_id) if erasure.visitor_id else None
    if visitor is not None and visitor.telegram_user_id is not None:
        await enqueue(
            session,
            clock,
            kind="erased",
            dedupe_key=f"erased:{erasure.family_id}:visitor",
            chat_id=visitor.telegram_user_id,
            payload=text_payload(
                texts.render(
                    "visitor/family_erased.html.j2",
                    family_id=erasure.family_id,
                    reason=erasure.counts["reason"],
                )
            ),
        )
    for chat_id, language in erasure.carer_chats:
        if chat_id == asked_from_chat:
            continue
        await enqueue(
            session,
            clock,
            kind="erased",
            dedupe_key=f"erased:{erasure.family_id}:chat:{chat_id}",
            chat_id=chat_id,
            payload=text_payload(
                texts.for_language(language).render(
                    "parent/erased.html.j2", reason=erasure.counts["reason"]
                )
            ),
        )


async def say_farewell(
    session: AsyncSession,
    clock: Clock,
    texts: Texts,
    *,
    family_id: int,
    child_name: str,
    carer_chats: list[CarerChat],
) -> None:
    for chat_id, language in carer_chats:
        text = texts.for_language(language).render("parent/farewell.html.j2", child_name=child_name)
        await enqueue(
            session,
            clock,
            kind="farewell",
            dedupe_key=f"farewell:{family_id}:chat:{chat_id}",
            chat_id=chat_id,
            payload=text_payload(text),
        )
