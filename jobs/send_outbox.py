"""Drain the outbox: send what is due within Telegram's limits and record every outcome."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import outbox
from bot.context import BotContext, Services
from bot.delivery import deliver
from bot.outbox import ClaimedMessage
from bot.rate_limit import SlidingWindow

log = logging.getLogger(__name__)

BATCH = 30
# Transient failures (timeouts, 5xx) wait longer each time: 5 s, 20 s, 80 s...
BACKOFF_BASE = timedelta(seconds=5)


@dataclass(frozen=True)
class SendResult:
    """What Telegram answered one send: sent, retry_after, forbidden, transient or bad_request."""

    outcome: str
    telegram_message_id: int | None = None
    retry_after: timedelta | None = None
    reason: str = ""


@dataclass
class DrainReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0


class OutboxSender:
    """One per application: one drain at a time, within the outbox's share of the send rate
    (the bot's rate limiter keeps the total, replies included, within Telegram's limits)."""

    def __init__(self, services: Services, bot: Bot) -> None:
        self.services = services
        self.bot = bot
        self.limiter = SlidingWindow(services.settings.outbox_messages_per_second)
        self._lock = asyncio.Lock()
        self._closing = False

    @property
    def draining(self) -> bool:
        return self._lock.locked()

    def close(self) -> None:
        """The process is stopping: finish the batch in flight, record it, take no more. What is
        left stays pending for the next start (or another instance)."""
        self._closing = True

    async def drain(self) -> DrainReport:
        """Send until nothing is due. Returns at once if another drain is already running."""
        report = DrainReport()
        if self.draining:
            return report
        async with self._lock:
            while not self._closing:
                async with self.services.sessions() as session:
                    claimed = await outbox.claim(session, self.services.clock, limit=BATCH)
                if not claimed:
                    break
                results = await self._send_batch(claimed)
                async with self.services.sessions.begin() as session:
                    for message, result in zip(claimed, results, strict=True):
                        await self._record(session, message, result, report)
        if report.sent or report.failed or report.unreachable:
            log.info(
                "outbox drained: %s sent, %s retried, %s failed, %s unreachable",
                report.sent,
                report.retried,
                report.failed,
                report.unreachable,
            )
        return report

    async def _send_batch(self, claimed: list[ClaimedMessage]) -> list[SendResult]:
        """Chats in parallel; one chat's messages in order (a summary's parts, then its chart)."""
        by_chat: dict[int, list[ClaimedMessage]] = {}
        for message in claimed:
            by_chat.setdefault(message.chat_id, []).append(message)
        results: dict[int, SendResult] = {}

        async def send_in_order(messages: list[ClaimedMessage]) -> None:
            for message in messages:
                results[message.id] = await self._send(message)

        await asyncio.gather(*(send_in_order(messages) for messages in by_chat.values()))
        return [results[message.id] for message in claimed]

    async def _send(self, message: ClaimedMessage) -> SendResult:
        async with self.limiter:
            try:
                sent = await deliver(self.bot, message.chat_id, message.payload)
            except RetryAfter as error:
                delay = error.retry_after
                seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
                return SendResult("retry_after", retry_after=timedelta(seconds=seconds))
            except Forbidden as error:
                return SendResult("forbidden", reason=f"403 {error.message}")
            except BadRequest as error:
                return SendResult("bad_request", reason=f"400 {error.message}")
            except NetworkError as error:  # includes TimedOut and 5xx answers
                return SendResult("transient", reason=type(error).__name__)
            except TelegramError as error:
                return SendResult("bad_request", reason=error.message)
        return SendResult("sent", telegram_message_id=sent.message_id)

    async def _record(
        self,
        session: AsyncSession,
        message: ClaimedMessage,
        result: SendResult,
        report: DrainReport,
    ) -> None:
        clock = self.services.clock
        if result.outcome == "sent":
            await outbox.mark_sent(session, clock, message.id, result.telegram_message_id)
            report.sent += 1
        elif result.outcome == "retry_after":
            assert result.retry_after is not None
            await outbox.mark_retry(
                session,
                clock,
                message,
                delay=result.retry_after,
                reason="429 too many requests",
                counts_as_attempt=False,
            )
            report.retried += 1
        elif result.outcome == "forbidden":
            await outbox.mark_unreachable(session, clock, message, reason=result.reason)
            report.unreachable += 1
        elif result.outcome == "transient":
            delay = BACKOFF_BASE * (4 ** (message.attempts - 1))
            await outbox.mark_retry(session, clock, message, delay=delay, reason=result.reason)
            report.retried += 1
        else:
            await outbox.mark_failed(session, message.id, reason=result.reason)
            report.failed += 1


async def drain(context: BotContext) -> None:
    """The scheduled tick: start a drain unless one is running. A fan-out can take minutes, so
    it runs as an application task (awaited when the application stops) and the tick returns."""
    sender: OutboxSender = context.application.bot_data["outbox_sender"]
    if not sender.draining:
        context.application.create_task(sender.drain(), name="outbox-drain")
