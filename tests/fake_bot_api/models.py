"""Records the fake keeps for assertions: API calls and the bot's messages."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ApiCall:
    """One HTTP request to the fake Bot API and the answer it got.

    ``status`` is 0 when no answer was sent (client went away, or a "drop" fault).
    ``at`` is ``time.monotonic()`` when the request arrived.
    """

    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any]
    at: float
    injected: bool = False  # the answer came from fail_next/fault_rate
    content_type: str = ""  # of the request's body: application/json, multipart/form-data, ...

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def description(self) -> str | None:
        return self.response.get("description")


@dataclass(frozen=True)
class SentFile:
    """The media input of a bot message, as the bot sent it.

    Exactly one of ``file_id`` (an existing file), ``url`` (Telegram downloads it)
    or ``uploaded`` (multipart upload with ``file_name`` and ``size`` in bytes).
    ``stored_file_id`` is the file_id Telegram answered with.
    """

    stored_file_id: str
    file_id: str | None = None
    url: str | None = None
    uploaded: bool = False
    file_name: str | None = None
    size: int | None = None
    mime_type: str | None = None


@dataclass(eq=False)
class SentMessage:
    """A message the bot sent, in its current state (edits applied).

    ``text`` is the raw text or caption as the bot sent it (HTML tags and
    character references included); ``plain`` is what the user sees.
    """

    message_id: int
    chat_id: int
    kind: str  # "text", "photo", "document", "voice", "video", "animation", ...
    text: str | None
    parse_mode: str | None
    reply_markup: dict | None
    date: int
    file: SentFile | None = None
    entities: list[dict] = field(default_factory=list)
    visible: str = ""
    edited: int = 0
    deleted: bool = False
    params: dict[str, Any] = field(default_factory=dict)  # of the last send/edit call
    message: dict[str, Any] = field(default_factory=dict)  # the Telegram Message object
    history: list[str | None] = field(default_factory=list)  # texts before each edit

    @property
    def html(self) -> str | None:
        """The raw text as sent (same as ``text``; reads better in HTML assertions)."""
        return self.text

    @property
    def plain(self) -> str:
        """The text with markup removed and character references decoded."""
        return self.visible

    @property
    def caption(self) -> str | None:
        return self.text if self.kind != "text" else None

    def buttons(self) -> list[list[str]]:
        """Rows of button texts of the current keyboard (inline or reply keyboard)."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in rows]

    def button_data(self) -> list[tuple[str, str | None]]:
        """(text, callback_data) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [(b.get("text", ""), b.get("callback_data")) for row in rows for b in row]

    def __repr__(self) -> str:
        flags = f" edited={self.edited}" if self.edited else ""
        flags += " deleted" if self.deleted else ""
        return (
            f"SentMessage(#{self.message_id} {self.kind} {self.plain!r}"
            f" buttons={self.buttons()}{flags})"
        )


@dataclass
class CallbackQueryRecord:
    """A callback query the fake issued, and the bot's answer once it came.

    ``created_at`` is ``time.monotonic()`` when the query was made (the update pushed), on the
    same clock as ``ApiCall.at``, so latency to the answer is ``answer call .at - created_at``.
    """

    id: str
    chat_id: int
    message_id: int
    data: str | None
    answer: dict[str, Any] | None = None
    created_at: float = field(default_factory=time.monotonic)
