"""Request parameters of a Bot API call, from any encoding Telegram accepts.

Telegram takes parameters from the query string, urlencoded or multipart forms
and JSON bodies. Form values are strings; clients such as python-telegram-bot
JSON-encode everything that is not a string (``chat_id='1001'``,
``reply_markup='{"inline_keyboard": ...}'``). The typed getters below decode
per parameter, so a text that merely looks like JSON stays a string.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import bad_request


@dataclass(frozen=True)
class Upload:
    """A file sent as a multipart part."""

    filename: str
    content_type: str
    data: bytes


# Parameters that are free text or identifiers: never JSON-decoded for the call log.
_TEXT_PARAMS = frozenset(
    {
        "text", "caption", "description", "short_description", "name", "title", "url",
        "callback_query_id", "file_id", "parse_mode", "action", "language_code",
        "secret_token", "inline_message_id", "photo", "document", "voice", "video",
        "animation", "audio", "sticker", "thumbnail", "business_connection_id",
        "phone_number", "first_name", "last_name", "emoji",
    }
)  # fmt: skip


class Params:
    """Typed access to one request's parameters."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.uploads = uploads or {}

    @classmethod
    async def from_request(cls, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad_request("can't parse JSON encoded request") from None
                if not isinstance(body, dict):
                    raise bad_request("JSON object expected")
                values.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[key] = Upload(value.filename, value.content_type, value.file.read())
                    else:
                        values[key] = value
        return cls(values, uploads)

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "") or name in self.uploads

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value)

    def get_int(self, name: str, *, error: str | None = None) -> int | None:
        """An integer parameter; None when absent. Unparsable -> 400 ``error``."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise bad_request(error or f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(error or f'field "{name}" must be of type Integer') from None

    def get_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Number') from None

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str, *, error: str) -> Any:
        """A JSON-serialized parameter (object or array); None when absent."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error) from None
        return value

    def for_log(self) -> dict[str, Any]:
        """Parameters as readable values for ``ApiCall.params`` (JSON decoded, files summarized)."""
        decoded: dict[str, Any] = {}
        for key, value in self.values.items():
            if isinstance(value, str) and key not in _TEXT_PARAMS:
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            decoded[key] = value
        for key, upload in self.uploads.items():
            decoded[key] = {"filename": upload.filename, "size": len(upload.data)}
        return decoded
