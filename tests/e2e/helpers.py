"""Steps the end-to-end stories share: a parent joining through their invitation link, a
visitor signing in, adding a family and booking a visit."""

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


async def sign_in(bot, fake, user_id: int, name: str, role: str = "visitor") -> FakeUser:
    """A visitor or manager opens the sign-in link `portage-bot invite visitor|manager` prints."""
    user = fake.user(user_id=user_id, first_name=name)
    await user.send(f"/start {await bot.staff_invite(name, role=role)}")
    await user.wait_for(lambda m: "You are signed in" in m.plain)
    return user


async def add_family(visitor: FakeUser, child: str) -> str:
    """/newfamily CHILD: returns the invitation code from the link."""
    await visitor.send(f"/newfamily {child}")
    invite = await visitor.wait_for(lambda m: f"{child} is added as family" in m.plain)
    await visitor.wait_for(lambda m: m.kind == "photo" and child in m.plain)
    return invite.plain.split("start=")[1].split()[0]


async def book_visit(
    visitor: FakeUser, day: str, at: str, repeat: str, family_id: int = 1
) -> SentMessage:
    """/visit, Book, a day, a time and whether it repeats, by the buttons' labels."""
    await visitor.send(f"/visit {family_id}")
    view = await visitor.wait_for(lambda m: "Visits with" in m.plain)
    await visitor.tap(view, button_text="📅 Book a visit")
    await visitor.tap(await visitor.wait_for(lambda m: "Which day" in m.plain), button_text=day)
    await visitor.tap(await visitor.wait_for(lambda m: "what time?" in m.plain), button_text=at)
    await visitor.tap(await visitor.wait_for(lambda m: "repeat?" in m.plain), button_text=repeat)
    return await visitor.wait_for(lambda m: "Booked" in m.plain)


async def family_with_a_diary(bot, fake, note: str) -> tuple[FakeUser, FakeUser]:
    """Priya adds Sam; Ana joins, builds a tower ("Yes" today) and writes `note`.
    Returns (visitor, parent)."""
    visitor = await sign_in(bot, fake, 2001, "Priya")
    code = await add_family(visitor, "Sam")
    parent = fake.user(user_id=1001, first_name="Ana")
    await join(bot, parent, code)
    await bot.set_plan(1, ["cog-stack-blocks"])
    await parent.send("/today")
    card = await parent.wait_for(lambda m: "Today’s practice" in m.plain)
    await parent.wait_for_answer(await parent.tap(card, button_text="1️⃣ Yes"))
    await parent.send(note)
    await parent.wait_for(lambda m: "Saved in Sam’s diary" in m.plain)
    return visitor, parent
