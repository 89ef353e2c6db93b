"""Logging without personal data: our own lines carry ids only, and libraries that log payloads
(request parameters, SQL parameters, URLs with the token) are held above their DEBUG level."""

from __future__ import annotations

import logging

# Each of these logs message text, notes or the bot token at the levels below the one given.
PAYLOAD_LOGGERS = {
    "telegram": logging.INFO,  # DEBUG: every API call's parameters and every update
    "httpx": logging.WARNING,  # INFO: request URLs, which carry the bot token
    "httpcore": logging.WARNING,
    "aiosqlite": logging.WARNING,  # DEBUG: SQL with its parameters
    "sqlalchemy.engine": logging.WARNING,  # INFO: SQL with its parameters when echo is on
    "asyncpg": logging.WARNING,
    "aiohttp": logging.WARNING,  # its client and server may name URLs, which carry the token
}


def keep_payloads_out_of_logs() -> None:
    for name, lowest_level in PAYLOAD_LOGGERS.items():
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < lowest_level:
            logger.setLevel(lowest_level)


def configure(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    keep_payloads_out_of_logs()
