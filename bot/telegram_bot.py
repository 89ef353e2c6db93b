"""The bot's ExtBot: PTB's, with one Telegram answer taken for what it means.

A tap's callback query can be answered only for a while. Past it (the bot was restarting, or
busy) Telegram answers 400 "query is too old", and the parent's app has already stopped its
spinner: there is nothing left to answer, but the tap itself still counts. The handler goes on
(saving the answer, updating the card) instead of failing and telling the parent that something
went wrong.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.error import BadRequest
from telegram.ext import ExtBot

log = logging.getLogger(__name__)

QUERY_TOO_OLD = "query is too old"


class PortageBot(ExtBot[Any]):
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
