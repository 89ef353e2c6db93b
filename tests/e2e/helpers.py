"""Steps the end-to-end stories share: a parent joining through their invitation link, a
visitor signing in, adding a family and booking a visit."""

from __future__ import annotations

from datetime import time

from bot.enrolment import PRIVACY_NOTICE_VERSION, create_family
from bot.models import Carer
from tests.fake_bot_api import FakeBotApi, FakeUser, SentMessage
from tests.harness import BotHarness


async def settle_past_chat_pacing(fake: FakeBotApi) -> None:
    """Wait until the bot has been quiet for longer than a chat's one-message-a-second pacing,
    so a message that pacing held back (a "something went wrong", say) has arrived by now. The
    pacing runs on the wall clock, so this waits in real time."""
    await fake.wait_idle(timeout=5, quiet=1.5)


async def join(
    bot: BotHarness, parent: FakeUser, code: str, *, at: str = "18:30", days: str = "Every day"
) -> SentMessage:
    """Open the invite, keep English, agree to the notice, pick a time and days. Returns the
    confirmation."""
    await parent.send(f"/start {code}")
    await choose_language(parent, "en")
    welcome = await parent.wait_for(lambda message: "Is that OK with you?" in message.plain)
    await parent.tap(welcome, button_text="Yes, I agree")
    ask_time = await parent.wait_for(lambda message: "daily reminder" in message.plain)
    await parent.tap(ask_time, button_text=at)
    ask_days = await parent.wait_for(lambda message: "On which days?" in message.plain)
    await parent.tap(ask_days, button_text=days)
    return await parent.wait_for(lambda message: "I’ll send" in message.plain)


async def choose_language(parent: FakeUser, code: str) -> None:
    """Answer the language question enrolment opens with."""
    question = await parent.wait_for(lambda message: "🌐" in message.plain)
    await parent.wait_for_answer(await parent.tap(question, callback_data=f"lg1:{code}"))


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


async def enrolled_families(
    bot, fake, count: int, *, first_user_id: int = 5001, announcements_only: bool = False
) -> list[tuple[int, FakeUser]]:
    """`count` families, each with one carer who has joined and agreed (written straight to the
    database: enrolling hundreds through the chat would test nothing new). Returns
    (family id, the carer's Telegram user)."""
    joined: list[tuple[int, FakeUser]] = []
    async with bot.services.sessions.begin() as session:
        for index in range(count):
            user_id = first_user_id + index
            family = await create_family(
                session,
                bot.clock,
                child_name=f"Child {index + 1}",
                timezone="Europe/London",
                announcements_only=announcements_only,
            )
            session.add(
                Carer(
                    family_id=family.id,
                    telegram_user_id=user_id,
                    chat_id=user_id,
                    enrolled_at_utc=bot.clock.now(),
                    consent_at_utc=bot.clock.now(),
                    consent_version=PRIVACY_NOTICE_VERSION,
                    reminder_time_local=None if announcements_only else time(18, 30),
                    reminder_days="daily",
                    paused=False,
                )
            )
            joined.append((family.id, fake.user(user_id=user_id, first_name=f"Carer {index}")))
    return joined


async def make_group(manager: FakeUser, name: str, children: list[str]) -> SentMessage:
    """/groups, New group, its name, then a tap on each child's button. Returns the group's page."""
    await manager.send("/groups")
    listing = await manager.wait_for(lambda m: "Groups" in m.plain)
    await manager.tap(listing, button_text="➕ New group")
    await manager.wait_for(lambda m: "What is the group called?" in m.plain)
    await manager.send(name)
    page = await manager.wait_for(lambda m: name in m.plain and "Tap a family" in m.plain)
    for child in children:
        label = next(text for text, _ in page.button_data() if text.split(" · ")[0] == child)
        await manager.tap(page, button_text=label)
        page = await manager.wait_for(
            lambda m, label=label: any(text == f"✓ {label}" for text, _ in m.button_data())
        )
    return page


async def write_announcement(
    sender: FakeUser,
    groups: list[str],
    text: str,
    *,
    event: tuple[str, str, str] | None = None,
    with_photo: bool = False,
) -> tuple[SentMessage, SentMessage]:
    """/announce for `groups`, the words (as a photo's caption `with_photo`), and the event's
    (day button, time, place) if any. Returns (the preview, the message with Send now / later)."""
    await sender.send("/announce")
    pick = await sender.wait_for(lambda m: "Who is it for?" in m.plain)
    for group in groups:
        await sender.tap(pick, button_text=group)
        pick = await sender.wait_for(
            lambda m, group=group: any(label == f"✓ {group}" for label, _ in m.button_data())
        )
    await sender.tap(pick, button_text="Next ➡️")
    await sender.wait_for(lambda m: "Now type the announcement" in m.plain)
    if with_photo:
        await sender.send_photo(caption=text)
    else:
        await sender.send(text)
    ask = await sender.wait_for(lambda m: "Is this an event" in m.plain)
    if event is None:
        await sender.tap(ask, button_text="No, just news")
    else:
        day, at, place = event
        await sender.tap(ask, button_text="📅 Yes, an event")
        await sender.tap(
            await sender.wait_for(lambda m: "Which day is it?" in m.plain), button_text=day
        )
        await sender.tap(
            await sender.wait_for(lambda m: "what time does it start?" in m.plain), button_text=at
        )
        await sender.wait_for(lambda m: "Where is it?" in m.plain)
        await sender.send(place)
    preview = await sender.wait_for(lambda m: text in m.plain)
    controls = await sender.wait_for(lambda m: "exactly how families will see it" in m.plain)
    return preview, controls
