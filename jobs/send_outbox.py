"""Drain the outbox: send what is due within Telegram's limits and record every outcome."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import outbox
from bot.context import BotApplication, BotContext, Services
from bot.delivery import deliver
from bot.outbox import ClaimedMessage
from bot.send_pace import SendReleased, SharedPace
from bot.telegram_bot import PortageBot

log = logging.getLogger(__name__)

# Rows claimed at a time: about a second of sending, so little waits under a lease.
BATCH = 30
# How long an answered send waits for the rest of its burst before their outcomes are recorded.
GATHER_SECONDS = 0.01


@dataclass(frozen=True)
class SendResult:
    """What Telegram answered one send (sent, retry_after, forbidden, transient or bad_request),
    or released: not sent because the process is stopping."""

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


class OutcomeRecorder:
    """Records send outcomes in groups: the first outcome waits GATHER_SECONDS for others (the
    rest of its burst, bot/send_pace.py) and they are committed in one transaction. Each caller
    returns once its own outcome is committed, or raises if that failed.

    A burst's five answers come within a few milliseconds of each other; one commit for them
    instead of five took a sixth off a fan-out's CPU. A crash can now repeat a send that was
    answered in those milliseconds but not yet recorded, as well as those still in flight."""

    def __init__(self, write: Callable[[list[tuple[ClaimedMessage, SendResult]]], Awaitable[None]]):
        self._write = write
        self._waiting: list[tuple[ClaimedMessage, SendResult]] = []
        # Set while a first outcome gathers others; resolved (with the error, if any) once
        # they are written.
        self._written: asyncio.Future[BaseException | None] | None = None

    async def record(self, message: ClaimedMessage, result: SendResult) -> None:
        self._waiting.append((message, result))
        if self._written is None:
            await self._gather_and_write()
            return
        error = await asyncio.shield(self._written)
        if error is not None:
            # As the writer got it (a database that is away is told apart by its type).
            raise error

    async def _gather_and_write(self) -> None:
        written = self._written = asyncio.get_running_loop().create_future()
        try:
            await asyncio.sleep(GATHER_SECONDS)
        finally:
            # Written even if this task is being cancelled: these sends were made. From here
            # on, outcomes gather for the next write.
            outcomes, self._waiting, self._written = self._waiting, [], None
            try:
                await self._write(outcomes)
            except BaseException as failure:
                written.set_result(failure)
                raise
            written.set_result(None)


class OutboxSender:
    """One per application: one drain at a time. Sends are paced by the shared pace (all
    instances together within the outbox's share of Telegram's rate, in bursts), and outcomes
    are recorded as soon as a burst is answered, so a crash can repeat only the sends in flight
    or just answered."""

    def __init__(self, services: Services, bot: PortageBot) -> None:
        self.services = services
        self.bot = bot
        settings = services.settings
        self.pace = SharedPace(
            services.engine,
            settings.outbox_messages_per_second,
            shared_per_second=settings.outbox_shared_messages_per_second,
        )
        self._lock = asyncio.Lock()

    @property
    def draining(self) -> bool:
        return self._lock.locked()

    def close(self) -> None:
        """The process is stopping: finish the sends in flight and record them; what was claimed
        but not yet sent goes back to pending at once, for the next start or another instance."""
        self.pace.close()

    async def drain(self) -> DrainReport:
        """Send until nothing is due. Returns at once if another drain is already running."""
        report = DrainReport()
        if self.draining:
            return report
        async with self._lock:
            while not self.pace.closed:
                async with self.services.sessions() as session:
                    claimed = await outbox.claim(
                        session,
                        self.services.clock,
                        limit=BATCH,
                        lease=timedelta(seconds=self.services.settings.outbox_lease_seconds),
                    )
                if not claimed:
                    break
                await self._send_batch(claimed, report)
        if report.sent or report.failed or report.unreachable:
            log.info(
                "outbox drained: %s sent, %s retried, %s failed, %s unreachable",
                report.sent,
                report.retried,
                report.failed,
                report.unreachable,
            )
        return report

    async def _send_batch(self, claimed: list[ClaimedMessage], report: DrainReport) -> None:
        """Chats in parallel; one chat's messages in order (a summary's parts, then its chart)."""
        by_chat: dict[int, list[ClaimedMessage]] = {}
        for message in claimed:
            by_chat.setdefault(message.chat_id, []).append(message)

        async def record(outcomes: list[tuple[ClaimedMessage, SendResult]]) -> None:
            async with self.services.engine.begin() as connection:
                await self._record(connection, outcomes, report)

        recorder = OutcomeRecorder(record)

        async def send_in_order(messages: list[ClaimedMessage]) -> None:
            for message in messages:
                result = await self._send(message)
                # Recorded (committed) before the chat's next message goes.
                await recorder.record(message, result)

        await asyncio.gather(*(send_in_order(messages) for messages in by_chat.values()))

    async def _send(self, message: ClaimedMessage) -> SendResult:
        if self.pace.closed:
            return SendResult("released")
        try:
            message_id = await deliver(
                self.bot, message.chat_id, message.payload, outbox_pace=self.pace
            )
        except SendReleased:
            return SendResult("released")
        except RetryAfter as error:
            delay = error.retry_after
            seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
            await self.pace.hold_off(seconds)
            return SendResult("retry_after", retry_after=timedelta(seconds=seconds))
        except Forbidden as error:
            return SendResult("forbidden", reason=f"403 {error.message}")
        except BadRequest as error:
            return SendResult("bad_request", reason=f"400 {error.message}")
        except NetworkError as error:  # includes TimedOut and 5xx answers
            return SendResult("transient", reason=type(error).__name__)
        except TelegramError as error:
            return SendResult("bad_request", reason=error.message)
        return SendResult("sent", telegram_message_id=message_id)

    async def _record(
        self,
        connection: AsyncConnection,
        outcomes: list[tuple[ClaimedMessage, SendResult]],
        report: DrainReport,
    ) -> None:
        sent = [
            (message.id, result.telegram_message_id)
            for message, result in outcomes
            if result.outcome == "sent"
        ]
        if sent:
            await outbox.mark_sent(connection, self.services.clock, sent)
            report.sent += len(sent)
        for message, result in outcomes:
            if result.outcome != "sent":
                await self._record_unsent(connection, message, result, report)

    async def _record_unsent(
        self,
        connection: AsyncConnection,
        message: ClaimedMessage,
        result: SendResult,
        report: DrainReport,
    ) -> None:
        clock = self.services.clock
        if result.outcome == "retry_after":
            assert result.retry_after is not None
            await outbox.mark_retry(
                connection,
                clock,
                message,
                delay=result.retry_after,
                reason="429 too many requests",
                counts_as_attempt=False,
            )
            report.retried += 1
        elif result.outcome == "released":
            await outbox.release(connection, message.id)
        elif result.outcome == "forbidden":
            await outbox.mark_unreachable(connection, clock, message, reason=result.reason)
            report.unreachable += 1
        elif result.outcome == "transient":
            # Transient failures (timeouts, 5xx) wait longer each time: 5 s, 20 s, 80 s...
            backoff = timedelta(seconds=self.services.settings.outbox_backoff_seconds)
            delay = backoff * (4 ** (message.attempts - 1))
            await outbox.mark_retry(connection, clock, message, delay=delay, reason=result.reason)
            report.retried += 1
        else:
            await outbox.mark_failed(connection, message.id, reason=result.reason)
            report.failed += 1


def start_drain(application: BotApplication) -> None:
    """Start a drain unless one is running (it will reach whatever was just queued). A fan-out
    can take minutes, so it runs as an application task, awaited when the application stops."""
    sender: OutboxSender = application.bot_data["outbox_sender"]
    if not sender.draining:
        application.create_task(sender.drain(), name="outbox-drain")


async def drain(context: BotContext) -> None:
    """The scheduled tick, for what fell due without anyone starting a drain (a retry's time,
    a message queued by another instance)."""
    start_drain(context.application)
