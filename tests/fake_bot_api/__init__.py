"""A strict fake of Telegram's Bot API for end-to-end tests of the bot.

``FakeBotApi`` serves the Bot API over real HTTP on 127.0.0.1 inside the test's
event loop; ``FakeUser`` plays a user chatting with the bot; ``SentMessage``
and ``ApiCall`` are what tests assert on. Typical use::

    fake = FakeBotApi(token="123456:TEST-TOKEN", bot_username="portage_test_bot")
    await fake.start()
    app = ApplicationBuilder().token(fake.token).base_url(fake.base_url).build()
    ...  # initialize, start, app.updater.start_polling(poll_interval=0.0, timeout=1)
    parent = fake.user(user_id=1001, first_name="Ana", language_code="en")
    await parent.send("/start")
    menu = await parent.wait_for(lambda m: "Welcome" in m.plain)
    update = await parent.tap(menu, button_text="Diary")
    assert (await parent.wait_for_answer(update))["show_alert"] is False
    assert fake.errors == []

Module map: server.py (HTTP, state, waiting, fault hooks), methods.py (the Bot
API methods), users.py (FakeUser), html_check.py / markdown_check.py /
formatting.py (text validation), markup.py (keyboards), limits.py (flood
limits), faults.py, control.py and __main__.py (standalone server).
"""

from .errors import ApiError
from .models import ApiCall, CallbackQueryRecord, SentFile, SentMessage
from .server import FakeBotApi
from .users import FakeUser

__all__ = [
    "ApiCall",
    "ApiError",
    "CallbackQueryRecord",
    "FakeBotApi",
    "FakeUser",
    "SentFile",
    "SentMessage",
]
