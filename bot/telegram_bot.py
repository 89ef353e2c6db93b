"""The bot's ExtBot: PTB's, with Telegram answers that are not failures taken for what they mean.

A tap's callback query can be answered only for a while. Past it (the bot was restarting, or
busy) Telegram answers 400 "query is too old", and the parent's app has already stopped its
spinner: there is nothing left to answer, but the tap itself still counts. The handler goes on
(saving the answer, updating the card) instead of failing and telling the parent that something
went wrong.

An edit can be refused the same way: "not modified" (the message already says that) and "message
to edit not found" / "message can't be edited" (the person deleted it meanwhile). Whoever edits,
a handler or a job, reads those answers with the two functions below.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from telegram.error import BadRequest
from telegram.ext import ExtBot
from telegram.warnings import PTBUserWarning

log = logging.getLogger(__name__)

QUERY_TOO_OLD = "query is too old"
# Telegram's answers when the message went between the tap and the edit (the person deleted it)
# or can no longer be edited.
_MESSAGE_GONE = ("message to edit not found", "message can't be edited")


def edit_not_modified(error: BadRequest) -> bool:
    """The edit would leave the message as it was; Telegram calls that an error."""
    return "not modified" in error.message.lower()


def edited_message_gone(error: BadRequest) -> bool:
    """The message to edit is no longer there to edit."""
    reason = error.message.lower()
    return any(gone in reason for gone in _MESSAGE_GONE)


# The calls `PortageBot.call_unparsed` makes. PTB warns when a call it has a typed method for
# goes through `do_api_request`, to steer code to the typed method; for these it is deliberate.
UNPARSED_CALLS = ("send_message", "edit_message_text")
warnings.filterwarnings(
    "ignore",
    message=rf"Please use 'Bot\.({'|'.join(UNPARSED_CALLS)})' instead",
    category=PTBUserWarning,
)


class PortageBot(ExtBot[Any]):
    async def call_unparsed(
        self, method: str, params: dict[str, Any], *, rate_limit_args: Any = None
    ) -> Any:
        """`method` (one of UNPARSED_CALLS) with Telegram's answer kept as its JSON, not parsed
        into PTB's objects: the same request, limits and errors as the typed method, through
        PTB's `do_api_request`. For the bot's two commonest calls, whose answers it barely
        reads: an outbox send keeps only the new message's id, and a card edited after a tap
        nothing. Not parsing the Message Telegram answers with took a fan-out's CPU a message
        to 0.82x in same-machine pairs (bench/RESULTS.md)."""
        if method not in UNPARSED_CALLS:
            raise ValueError(f"{method} is not one of {UNPARSED_CALLS}")
        return await self.do_api_request(method, api_kwargs=params, rate_limit_args=rate_limit_args)

    async def answer_callback_query(
        self, callback_query_id: str, *args: Any, **kwargs: Any
    ) -> bool:
        """As PTB's; False (not an error) when the query can no longer be answered."""
        try:
            return await super().answer_callback_query(callback_query_id, *args, **kwargs)
        except BadRequest as error:
            if QUERY_TOO_OLD not in error.message.lower():
                raise
            log.info("callback query answered too late for Telegram to show it")
            return False
