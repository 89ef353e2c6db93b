"""Scheduled work: one module per job. The JobQueue only ticks; the database says what is due."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta

from bot.context import BotContext


@contextlib.contextmanager
def now_and_then(context: BotContext, name: str, every: timedelta) -> Iterator[bool]:
    """For a tick that does a quick pass every time and a thorough one now and then: True at the
    first tick and once `every` has passed since the last thorough pass that finished. Kept per
    application; a pass that fails is tried again at the next tick."""
    now = context.services.clock.now()
    last = context.bot_data.get(name)
    thorough = last is None or now - last >= every
    yield thorough
    if thorough:
        context.bot_data[name] = now
