"""A simulated Telegram user who talks to the bot in a private chat.

Everything the user does becomes an update the bot fetches with getUpdates,
shaped as Telegram shapes it. Everything the bot sends to the chat lands in the
user's inbox; ``wait_for`` and ``wait_for_answer`` block (on an asyncio
condition, never on fixed sleeps) until the bot has done what the test expects.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .models import CallbackQueryRecord, SentMessage

if TYPE_CHECKING:
    from .server import FakeBotApi
    from .state import ChatState

Predicate = Callable[[SentMessage], bool]

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeUser:
    """One user and the private chat with the bot (chat id == user id)."""

    def __init__(
        self,
        api: FakeBotApi,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> None:
        self._api = api
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self._marker = 0  # index into the chat's bot-write events; wait_for looks after it

    # ----- Telegram objects -------------------------------------------------------------

    @property
    def chat_id(self) -> int:
        return self.id

    def as_user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def as_chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    @property
    def _chat(self) -> ChatState:
        return self._api._chat_state(self.id)

    @property
    def blocked(self) -> bool:
        return self._chat.blocked

    @property
    def chat_actions(self) -> list[str]:
        """Every sendChatAction the bot sent to this chat, in order."""
        return list(self._chat.actions)

    # ----- sending ----------------------------------------------------------------------

    async def _send(self, content: dict[str, Any], reply_to: int | None = None) -> dict:
        chat = self._chat
        if chat.blocked:
            raise AssertionError(
                f"user {self.id} has blocked the bot; call fake.unblock(user) first"
            )
        message: dict[str, Any] = {
            "message_id": chat.new_message_id(),
            "from": self.as_user(),
            "chat": self.as_chat(),
            "date": int(time.time()),
        }
        if reply_to is not None:
            target = chat.live_message(reply_to)
            if target is None:
                raise AssertionError(f"no message {reply_to} in chat {self.id} to reply to")
            message["reply_to_message"] = target.data
        message.update(content)
        self._api._store_user_message(chat, message)
        self._marker = len(chat.events)  # the bot's answer to this comes after this point
        await self._api._push_update("message", message)
        return message

    async def send(
        self, text: str, *, entities: list[dict] | None = None, reply_to: int | None = None
    ) -> dict:
        """Send a text message; a leading /command gets its bot_command entity."""
        if not text.strip():
            raise ValueError("Telegram clients cannot send an empty message")
        if _utf16_len(text) > 4096:
            raise ValueError("Telegram clients split texts over 4096 characters")
        content: dict[str, Any] = {"text": text}
        if entities is None:
            entities = []
            match = _COMMAND.match(text)
            if match:
                entities.append(
                    {"type": "bot_command", "offset": 0, "length": _utf16_len(match.group())}
                )
        if entities:
            content["entities"] = entities
        return await self._send(content, reply_to)

    def _with_caption(self, content: dict[str, Any], caption: str | None) -> dict[str, Any]:
        if caption:
            content["caption"] = caption
        return content

    async def send_photo(self, file_id: str | None = None, caption: str | None = None) -> dict:
        sizes = self._api._files.add_photo(file_id=file_id)
        return await self._send(self._with_caption({"photo": sizes}, caption))

    async def send_voice(self, file_id: str | None = None, duration: int = 4) -> dict:
        stored = self._api._files.add(
            "voice", file_id=file_id, size=duration * 4000, mime_type="audio/ogg"
        )
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": stored.size,
        }
        return await self._send({"voice": voice})

    async def send_sticker(self, file_id: str | None = None, emoji: str = "👍") -> dict:
        stored = self._api._files.add(
            "sticker", file_id=file_id, size=20_000, mime_type="image/webp"
        )
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.size,
        }
        return await self._send({"sticker": sticker})

    async def send_location(self, latitude: float, longitude: float) -> dict:
        return await self._send({"location": {"latitude": latitude, "longitude": longitude}})

    async def send_contact(
        self, phone_number: str, first_name: str, *, user_id: int | None = None
    ) -> dict:
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name}
        if user_id is not None:
            contact["user_id"] = user_id
        return await self._send({"contact": contact})

    async def send_document(
        self,
        file_id: str | None = None,
        file_name: str = "document.pdf",
        *,
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> dict:
        stored = self._api._files.add(
            "document", file_id=file_id, size=12_345, file_name=file_name, mime_type=mime_type
        )
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": stored.size,
        }
        return await self._send(self._with_caption({"document": document}, caption))

    async def send_video(
        self,
        file_id: str | None = None,
        *,
        duration: int = 5,
        width: int = 640,
        height: int = 360,
        caption: str | None = None,
    ) -> dict:
        stored = self._api._files.add(
            "video", file_id=file_id, size=500_000, mime_type="video/mp4", file_name="video.mp4"
        )
        video = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": width,
            "height": height,
            "duration": duration,
            "mime_type": "video/mp4",
            "file_size": stored.size,
        }
        return await self._send(self._with_caption({"video": video}, caption))

    async def send_animation(self, file_id: str | None = None, caption: str | None = None) -> dict:
        stored = self._api._files.add(
            "animation",
            file_id=file_id,
            size=80_000,
            mime_type="video/mp4",
            file_name="animation.mp4",
        )
        base = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": "animation.mp4",
            "mime_type": "video/mp4",
            "file_size": stored.size,
        }
        # Telegram sends animations with a "document" copy for old clients.
        animation = base | {"width": 320, "height": 240, "duration": 2}
        return await self._send(
            self._with_caption({"animation": animation, "document": base}, caption)
        )

    async def forward(
        self, text: str, *, from_user_id: int, from_first_name: str | None = None
    ) -> dict:
        """Forward a text message originally written by another user."""
        known = self._api._users.get(from_user_id)
        sender = (
            known.as_user()
            if known is not None
            else {"id": from_user_id, "is_bot": False, "first_name": from_first_name or "User"}
        )
        origin = {"type": "user", "date": int(time.time()) - 60, "sender_user": sender}
        return await self._send({"text": text, "forward_origin": origin})

    async def edit(self, message: dict | int, new_text: str) -> dict:
        """Edit a text message this user sent earlier; the bot gets an edited_message."""
        message_id = message if isinstance(message, int) else message["message_id"]
        stored = self._chat.live_message(message_id)
        if stored is None or stored.from_bot:
            raise AssertionError(f"user {self.id} has no message {message_id} to edit")
        edited = dict(stored.data)
        edited["text"] = new_text
        edited.pop("entities", None)
        match = _COMMAND.match(new_text)
        if match:
            edited["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(match.group())}
            ]
        edited["edit_date"] = int(time.time())
        stored.data = edited
        self._marker = len(self._chat.events)
        await self._api._push_update("edited_message", edited)
        return edited

    # ----- buttons ----------------------------------------------------------------------

    def _bot_message(self, message: SentMessage | dict | int) -> SentMessage:
        if isinstance(message, SentMessage):
            if message.chat_id != self.id:
                raise AssertionError(f"message {message.message_id} is not in chat {self.id}")
            message_id = message.message_id
        elif isinstance(message, dict):
            message_id = message["message_id"]
        else:
            message_id = message
        stored = self._chat.live_message(message_id)
        if stored is None or stored.sent is None:
            raise AssertionError(f"no bot message {message_id} in chat {self.id}")
        return stored.sent

    async def tap(
        self,
        message: SentMessage | dict | int,
        button_text: str | None = None,
        callback_data: str | None = None,
    ) -> dict:
        """Press an inline button of a bot message, found in its *current* keyboard.

        Returns the callback_query update; pass it to ``wait_for_answer``.
        """
        sent = self._bot_message(message)
        candidates = [
            (text, data)
            for text, data in sent.button_data()
            if (button_text is None or text == button_text)
            and (callback_data is None or data == callback_data)
        ]
        if button_text is None and callback_data is None and len(candidates) != 1:
            raise AssertionError("tap() needs button_text or callback_data to pick a button")
        if not candidates:
            raise AssertionError(
                f"no button text={button_text!r} data={callback_data!r} on message "
                f"{sent.message_id}; buttons are {sent.button_data()}"
            )
        text, data = candidates[0]
        if data is None:
            raise AssertionError(f"button {text!r} is not a callback button")
        return await self._callback(sent.message_id, data)

    async def tap_forged(self, message_id: int, data: str) -> dict:
        """A callback query with arbitrary data, as a modified client could send."""
        return await self._callback(message_id, data)

    async def _callback(self, message_id: int, data: str) -> dict:
        chat = self._chat
        stored = chat.live_message(message_id)
        if stored is not None:
            message = stored.data
        else:
            # Telegram describes a message the bot cannot access with date 0.
            message = {"chat": self.as_chat(), "message_id": message_id, "date": 0}
        record = self._api._new_callback_query(self.id, message_id, data)
        query = {
            "id": record.id,
            "from": self.as_user(),
            "message": message,
            "chat_instance": str(self.id * 7919 % 10**12 + 10**13),
            "data": data,
        }
        self._marker = len(chat.events)
        return await self._api._push_update("callback_query", query)

    # ----- what the bot sent ------------------------------------------------------------

    def inbox(self, *, include_deleted: bool = False) -> list[SentMessage]:
        """Messages the bot sent to this chat, in send order, in their current state."""
        messages = [m.sent for m in self._chat.messages.values() if m.sent is not None]
        return [m for m in messages if include_deleted or not m.deleted]

    def last(self) -> SentMessage | None:
        inbox = self.inbox()
        return inbox[-1] if inbox else None

    async def wait_for(
        self,
        predicate: Predicate | None = None,
        *,
        count: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 (public API, shared with the lead's tests)
    ) -> SentMessage:
        """Wait for a bot message sent or edited after this user's last action.

        "After the last action" means after the last send/tap/edit of this user,
        or after the message a previous ``wait_for`` returned. With ``count=N``
        waits for the N-th matching message and returns it (``inbox()`` has the rest).
        Raises AssertionError with the chat's state on timeout.
        """
        wanted = count or 1
        chat = self._chat

        def found() -> SentMessage | None:
            seen = 0
            for index in range(self._marker, len(chat.events)):
                action, message = chat.events[index]
                if action == "deleted" or message.deleted:
                    continue
                if predicate is None or predicate(message):
                    seen += 1
                    if seen == wanted:
                        self._marker = index + 1
                        return message
            return None

        return await self._api._wait_until(
            found, timeout, lambda: f"no matching bot message for user {self.id}", self.id
        )

    async def wait_for_answer(
        self,
        update: dict | str,
        timeout: float = 5.0,  # noqa: ASYNC109 (public API)
    ) -> dict[str, Any]:
        """Wait until the bot answered the callback query of ``update`` (or a query id).

        Returns ``{"text": ..., "show_alert": ...}``; text is None when the bot sent none.
        """
        query_id = update if isinstance(update, str) else update["callback_query"]["id"]
        record: CallbackQueryRecord = self._api._callbacks[query_id]

        def answered() -> dict[str, Any] | None:
            if record.answer is None:
                return None
            # The full answer (url, cache_time too) stays on fake.callback_queries.
            return {"text": record.answer["text"], "show_alert": record.answer["show_alert"]}

        return await self._api._wait_until(
            answered, timeout, lambda: f"callback query {query_id} was not answered", self.id
        )

    def __repr__(self) -> str:
        return f"FakeUser({self.id}, {self.first_name!r})"
