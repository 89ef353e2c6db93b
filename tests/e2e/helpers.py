"""Steps every end-to-end story shares: a parent joining through their invitation link."""

from __future__ import annotations

from tests.fake_bot_api import FakeUser, SentMessage
from tests.harness import BotHarness


async def join(
    bot: BotHarness, parent: FakeUser, code: str, *, at: str = "18:30", days: str = "Every day"
) -> SentMessage:
    """Open the invite, agree to the notice, pick a time and days. Returns the confirmation."""
    await parent.send(f"/start {code}")
    welcome = await parent.wait_for(lambda message: "Is that OK with you?" in message.plain)
    await parent.tap(welcome, button_text="Yes, I agree")
    ask_time = await parent.wait_for(lambda message: "daily reminder" in message.plain)
    await parent.tap(ask_time, button_text=at)
    ask_days = await parent.wait_for(lambda message: "On which days?" in message.plain)
    await parent.tap(ask_days, button_text=days)
    return await parent.wait_for(lambda message: "I’ll send" in message.plain)


def texts_of(parent: FakeUser) -> list[str]:
    return [message.plain for message in parent.inbox()]
