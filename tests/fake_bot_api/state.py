"""In-memory state of the fake: chats and their messages, files, the update queue."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .models import SentMessage

if TYPE_CHECKING:
    from .users import FakeUser

# Update kinds Telegram sends when getUpdates has no allowed_updates list.
DEFAULT_UPDATE_KINDS = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post",
        "business_connection", "business_message", "edited_business_message",
        "deleted_business_messages", "inline_query", "chosen_inline_result",
        "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media",
        "poll", "poll_answer", "my_chat_member", "chat_join_request", "chat_boost",
        "removed_chat_boost",
    }
)  # fmt: skip

# Telegram's file_id prefixes encode the file type; mimicking them keeps ids realistic.
_FILE_ID_PREFIX = {
    "photo": "AgACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
}


@dataclass
class StoredMessage:
    """A message in a chat, from the user or from the bot."""

    message_id: int
    from_bot: bool
    data: dict[str, Any]  # the Telegram Message object, current state
    sent: SentMessage | None = None  # set for bot messages
    deleted: bool = False


@dataclass
class ChatState:
    """A private chat between the bot and one fake user (chat id == user id)."""

    user: FakeUser
    next_message_id: int = 1
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    blocked: bool = False
    # Every bot write in send order: ("sent" | "edited" | "deleted", message).
    events: list[tuple[str, SentMessage]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)  # sendChatAction values

    @property
    def id(self) -> int:
        return self.user.id

    def new_message_id(self) -> int:
        # One counter per chat, shared by the user's and the bot's messages, as in Telegram.
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def live_message(self, message_id: int) -> StoredMessage | None:
        stored = self.messages.get(message_id)
        return None if stored is None or stored.deleted else stored


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    size: int
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    data: bytes | None = None  # uploaded bytes; generated on download otherwise


class FileStore:
    """Files known to the fake: uploaded by the bot or sent by fake users."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        # Every PhotoSize file_id -> all sizes of that photo, smallest first.
        self._photo_sizes: dict[str, list[dict]] = {}
        self._count = 0

    def add(
        self,
        kind: str,
        *,
        file_id: str | None = None,
        size: int = 0,
        file_name: str | None = None,
        mime_type: str | None = None,
        data: bytes | None = None,
    ) -> StoredFile:
        if file_id is not None and file_id in self._by_id:
            return self._by_id[file_id]
        self._count += 1
        file_id = file_id or f"{_FILE_ID_PREFIX.get(kind, 'BQAC')}{secrets.token_urlsafe(24)}"
        extension = (file_name or "").rpartition(".")[2] if file_name and "." in file_name else ""
        folder = {"photo": "photos", "voice": "voice", "video": "videos"}.get(kind, "documents")
        path = f"{folder}/file_{self._count}" + (f".{extension}" if extension else "")
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=f"AQAD{secrets.token_urlsafe(9)}",
            kind=kind,
            size=len(data) if data is not None else size,
            file_path=path,
            file_name=file_name,
            mime_type=mime_type,
            data=data,
        )
        self._by_id[file_id] = stored
        self._by_path[path] = stored
        return stored

    def add_photo(self, *, file_id: str | None = None, data: bytes | None = None) -> list[dict]:
        """Register a photo in three sizes (the largest gets ``file_id``); return PhotoSizes."""
        if file_id is not None and file_id in self._photo_sizes:
            return self._photo_sizes[file_id]
        dimensions = [(90, 68), (320, 240), (1280, 960)]
        sizes: list[dict] = []
        for index, (width, height) in enumerate(dimensions):
            is_largest = index == len(dimensions) - 1
            stored = self.add(
                "photo",
                file_id=file_id if is_largest else None,
                size=len(data) if is_largest and data is not None else width * height // 8,
                data=data if is_largest else None,
                file_name="photo.jpg",
                mime_type="image/jpeg",
            )
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": stored.size,
                }
            )
        for size in sizes:
            self._photo_sizes[size["file_id"]] = sizes
        return sizes

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def photo_sizes(self, file_id: str) -> list[dict] | None:
        return self._photo_sizes.get(file_id)

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)


class UpdateQueue:
    """Pending updates with getUpdates' offset/confirmation semantics."""

    def __init__(self) -> None:
        self._items: list[dict] = []
        self._next_id = 1
        self._delivered_upto = 0  # highest update_id ever returned by getUpdates
        self.allowed: frozenset[str] = DEFAULT_UPDATE_KINDS

    def push(self, kind: str, payload: dict) -> dict:
        update = {"update_id": self._next_id, kind: payload}
        self._next_id += 1
        self._items.append(update)
        return update

    def confirm(self, offset: int | None) -> None:
        """Forget updates as Telegram does for an ``offset`` passed to getUpdates."""
        if offset is None:
            return
        if offset < 0:
            # A negative offset keeps only the last -offset updates.
            self._items = self._items[offset:]
        else:
            self._items = [u for u in self._items if u["update_id"] >= offset]

    def set_allowed(self, kinds: list[str] | None) -> None:
        # An empty list means "the default set"; the setting persists across calls.
        self.allowed = frozenset(kinds) if kinds else DEFAULT_UPDATE_KINDS

    def available(self, limit: int) -> list[dict]:
        # Updates of kinds the bot did not ask for are never delivered.
        self._items = [u for u in self._items if self._kind(u) in self.allowed]
        return self._items[:limit]

    def mark_delivered(self, updates: list[dict]) -> None:
        if updates:
            self._delivered_upto = max(self._delivered_upto, updates[-1]["update_id"])

    def clear(self) -> None:
        self._items.clear()

    @property
    def pending(self) -> int:
        return len(self._items)

    @property
    def undelivered(self) -> int:
        return sum(
            1
            for u in self._items
            if u["update_id"] > self._delivered_upto and self._kind(u) in self.allowed
        )

    @staticmethod
    def _kind(update: dict) -> str:
        return next(k for k in update if k != "update_id")
