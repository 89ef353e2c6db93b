"""The Bot API methods the fake implements, with Telegram's validation and errors.

Each ``api_<methodName>`` coroutine takes the request's Params and returns the
``result`` of a successful answer or raises ApiError. FakeBotApi (server.py)
routes requests here, case-insensitively, and owns the state used below.
"""

from __future__ import annotations

import copy
import json
import mimetypes
import re
import time
from typing import TYPE_CHECKING, Any

from .errors import BLOCKED, ApiError, bad_request, too_many_requests
from .formatting import caption_text, message_text
from .html_check import ParsedText
from .markup import ReplyMarkup, parse_reply_markup
from .models import CallbackQueryRecord, SentFile, SentMessage
from .params import Params, Upload
from .state import ChatState, FileStore, StoredFile, StoredMessage, UpdateQueue

if TYPE_CHECKING:
    from .limits import RateLimiter
    from .users import FakeUser

# Real Bot API methods this double does not implement: answered 501 so that a test
# failure says so plainly instead of looking like a typo in the method name.
KNOWN_UNIMPLEMENTED = frozenset(
    {
        "sendLocation", "sendContact", "sendVenue", "sendPoll", "sendDice", "sendMediaGroup",
        "sendVideoNote", "sendInvoice", "editMessageMedia", "deleteMessages", "copyMessages",
        "forwardMessages", "getChatMember", "setMessageReaction", "pinChatMessage",
        "unpinChatMessage", "getUserProfilePhotos", "answerInlineQuery", "stopPoll",
        "editMessageLiveLocation",
    }
)  # fmt: skip

CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip

COMMAND_SCOPES = frozenset(
    {
        "default", "all_private_chats", "all_group_chats", "all_chat_administrators",
        "chat", "chat_administrators", "chat_member",
    }
)  # fmt: skip

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]*")
_MAX_UPLOAD = {"photo": 10 * 1024 * 1024}
_DEFAULT_MAX_UPLOAD = 50 * 1024 * 1024


def _now() -> int:
    return int(time.time())


def _required(name: str) -> ApiError:
    return bad_request(f'parameter "{name}" is required')


class MethodsMixin:
    """Bot API method implementations; mixed into FakeBotApi."""

    # State owned by FakeBotApi.
    token: str
    bot_id: int
    bot_username: str
    bot_first_name: str
    strict_html: bool
    webhook_url: str
    webhook_secret_token: str
    commands: list[dict] | None
    too_many_requests: int
    _users: dict[int, FakeUser]
    _chats: dict[int, ChatState]
    _files: FileStore
    _updates: UpdateQueue
    _callbacks: dict[str, CallbackQueryRecord]
    _limiter: RateLimiter | None
    _command_lists: dict[tuple[str, str], list[dict]]
    _bot_texts: dict[tuple[str, str], str]
    _menu_buttons: dict[int | None, dict]
    _poll_generation: int
    _sent: list[SentMessage]
    _polls_waiting: int
    _stopping: bool

    async def _notify(self, *, activity: bool = True) -> None:
        raise NotImplementedError

    async def _wait_condition(self, ready: Any, seconds: float) -> bool:
        raise NotImplementedError

    # ----- shared helpers -------------------------------------------------------------

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _chat_id_param(self, p: Params, name: str = "chat_id") -> int:
        if not p.has(name):
            raise bad_request(f"{name} is empty")
        try:
            return p.get_int(name) or 0
        except ApiError:
            # "@channelusername" and other strings: no such chat in this double.
            raise bad_request("chat not found") from None

    def _chat_for(self, chat_id: int) -> ChatState:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _check_blocked(self, chat: ChatState) -> None:
        if chat.blocked:
            raise BLOCKED

    def _take_rate_slot(self, chat: ChatState) -> None:
        if self._limiter is None:
            return
        retry_after = self._limiter.acquire(chat.id)
        if retry_after is not None:
            raise too_many_requests(retry_after)

    def _reply_target(self, chat: ChatState, p: Params) -> dict | None:
        """The message this one replies to (reply_parameters or legacy reply_to_message_id)."""
        params = p.get_json("reply_parameters", error="can't parse reply parameters JSON object")
        if params is None and p.has("reply_to_message_id"):
            params = {
                "message_id": p.get_int("reply_to_message_id"),
                "allow_sending_without_reply": p.get_bool("allow_sending_without_reply"),
            }
        if params is None:
            return None
        if not isinstance(params, dict):
            raise bad_request("can't parse reply parameters JSON object")
        if "message_id" not in params:
            raise bad_request('can\'t find field "message_id"')
        reply = Params(params)
        message_id = reply.get_int("message_id") or 0
        target_chat = chat
        if reply.has("chat_id"):
            target_chat = self._chat_for(self._chat_id_param(reply))
        stored = target_chat.live_message(message_id)
        if stored is None:
            if params.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        replied = copy.deepcopy(stored.data)
        replied.pop("reply_to_message", None)  # Telegram does not nest replies further
        return replied

    def _text_of(self, p: Params, name: str = "text") -> tuple[str | None, str | None, Any]:
        entities_name = "entities" if name == "text" else "caption_entities"
        entities = p.get_json(entities_name, error="can't parse entities JSON object")
        return p.get_str(name), p.get_str("parse_mode"), entities

    async def _store_bot_message(
        self,
        p: Params,
        chat: ChatState,
        kind: str,
        content: dict[str, Any],
        *,
        raw_text: str | None,
        parsed: ParsedText | None,
        markup: ReplyMarkup | None,
        sent_file: SentFile | None = None,
    ) -> dict:
        """Final checks (reply target, blocked, flood limits), then store and announce.

        Every method that sends a message ends here, so all of them (and nothing
        else: not edits, chat actions or callback answers) count against the limits.
        """
        reply = self._reply_target(chat, p)
        self._check_blocked(chat)
        self._take_rate_slot(chat)
        message: dict[str, Any] = {
            "message_id": chat.new_message_id(),
            "from": self.bot_user(),
            "chat": chat.user.as_chat(),
            "date": _now(),
        }
        if reply is not None:
            message["reply_to_message"] = reply
        message.update(content)
        if markup is not None and markup.inline is not None:
            message["reply_markup"] = markup.inline
        sent = SentMessage(
            message_id=message["message_id"],
            chat_id=chat.id,
            kind=kind,
            text=raw_text,
            parse_mode=p.get_str("parse_mode"),
            reply_markup=markup.sent if markup else None,
            date=message["date"],
            file=sent_file,
            entities=parsed.entities if parsed else [],
            visible=parsed.text if parsed else "",
            params=p.for_log(),
            message=message,
        )
        chat.messages[sent.message_id] = StoredMessage(sent.message_id, True, message, sent)
        chat.events.append(("sent", sent))
        self._sent.append(sent)
        await self._notify()
        return message

    # ----- bot and updates ------------------------------------------------------------

    async def api_getMe(self, p: Params) -> dict:
        return self.bot_user() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def api_logOut(self, p: Params) -> bool:
        return True

    async def api_close(self, p: Params) -> bool:
        return True

    async def api_getUpdates(self, p: Params) -> list[dict]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = p.get_int("offset")
        limit = min(max(p.get_int("limit") or 100, 1), 100)
        timeout = max(p.get_int("timeout") or 0, 0)
        allowed = p.get_json("allowed_updates", error="can't parse allowed updates JSON object")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise bad_request("can't parse allowed updates JSON object")
            self._updates.set_allowed([str(kind) for kind in allowed])
        self._updates.confirm(offset)

        # A newer getUpdates terminates an older one that is still waiting, like Telegram.
        self._poll_generation += 1
        generation = self._poll_generation

        def ready() -> bool:
            return (
                generation != self._poll_generation
                or self._stopping
                or bool(self._updates.available(limit))
            )

        self._polls_waiting += 1
        await self._notify(activity=False)
        try:
            await self._wait_condition(ready, float(timeout))
        finally:
            self._polls_waiting -= 1
        if generation != self._poll_generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        updates = copy.deepcopy(self._updates.available(limit))
        self._updates.mark_delivered(updates)
        if updates:
            await self._notify()
        return updates

    async def api_setWebhook(self, p: Params) -> bool:
        url = p.get_str("url") or ""
        if url and not url.lower().startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        # Optional; when given, 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule).
        secret = p.get_str("secret_token") or ""
        if len(secret) > 256:
            raise bad_request("secret token is too long")
        if not _SECRET_TOKEN.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = p.get_json("allowed_updates", error="can't parse allowed updates JSON object")
        if isinstance(allowed, list):
            self._updates.set_allowed([str(kind) for kind in allowed])
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        # Webhook delivery is not simulated; a set webhook only blocks getUpdates, as on Telegram.
        self.webhook_url = url
        self.webhook_secret_token = secret if url else ""
        return True

    async def api_deleteWebhook(self, p: Params) -> bool:
        if p.get_bool("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = ""
        self.webhook_secret_token = ""
        return True

    async def api_getWebhookInfo(self, p: Params) -> dict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": self._updates.pending,
        }

    # ----- commands and bot profile ---------------------------------------------------

    def _command_key(self, p: Params) -> tuple[str, str]:
        scope = p.get_json("scope", error="can't parse BotCommandScope JSON object")
        scope = scope or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in COMMAND_SCOPES:
            raise bad_request("can't parse BotCommandScope JSON object")
        language = p.get_str("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return json.dumps(scope, sort_keys=True), language

    async def api_setMyCommands(self, p: Params) -> bool:
        commands = p.get_json("commands", error="can't parse commands JSON object")
        if commands is None:
            raise _required("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        checked: list[dict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand: expected an Object")
            for field in ("command", "description"):
                if field not in command:
                    raise bad_request(f"can't parse BotCommand: Can't find field \"{field}\"")
                if not isinstance(command[field], str):
                    raise bad_request(
                        f'can\'t parse BotCommand: Field "{field}" must be of type String'
                    )
            if not _COMMAND_NAME.fullmatch(command["command"]):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"].strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            checked.append({"command": command["command"], "description": command["description"]})
        self._command_lists[self._command_key(p)] = checked
        self.commands = checked
        return True

    async def api_getMyCommands(self, p: Params) -> list[dict]:
        return list(self._command_lists.get(self._command_key(p), []))

    async def api_deleteMyCommands(self, p: Params) -> bool:
        self._command_lists.pop(self._command_key(p), None)
        self.commands = None  # `commands` tracks the last list set; deleting clears it
        return True

    def _set_bot_text(self, p: Params, field: str, limit: int) -> bool:
        value = p.get_str(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field} is too long")
        self._bot_texts[(field, p.get_str("language_code") or "")] = value
        return True

    def _get_bot_text(self, p: Params, field: str) -> dict:
        return {field: self._bot_texts.get((field, p.get_str("language_code") or ""), "")}

    async def api_setMyDescription(self, p: Params) -> bool:
        return self._set_bot_text(p, "description", 512)

    async def api_getMyDescription(self, p: Params) -> dict:
        return self._get_bot_text(p, "description")

    async def api_setMyShortDescription(self, p: Params) -> bool:
        return self._set_bot_text(p, "short_description", 120)

    async def api_getMyShortDescription(self, p: Params) -> dict:
        return self._get_bot_text(p, "short_description")

    async def api_setMyName(self, p: Params) -> bool:
        return self._set_bot_text(p, "name", 64)

    async def api_getMyName(self, p: Params) -> dict:
        return {"name": self._get_bot_text(p, "name")["name"] or self.bot_first_name}

    async def api_setChatMenuButton(self, p: Params) -> bool:
        button = p.get_json("menu_button", error="can't parse menu button JSON object")
        if button is not None and (not isinstance(button, dict) or "type" not in button):
            raise bad_request("can't parse menu button JSON object")
        chat_id = self._chat_for(self._chat_id_param(p)).id if p.has("chat_id") else None
        self._menu_buttons[chat_id] = button or {"type": "default"}
        return True

    async def api_getChatMenuButton(self, p: Params) -> dict:
        chat_id = self._chat_for(self._chat_id_param(p)).id if p.has("chat_id") else None
        button = self._menu_buttons.get(chat_id) or self._menu_buttons.get(None)
        return button if button and button["type"] != "default" else {"type": "commands"}

    # ----- chats ----------------------------------------------------------------------

    async def api_getChat(self, p: Params) -> dict:
        chat = self._chat_for(self._chat_id_param(p))
        gifts = dict.fromkeys(
            ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription"), True
        )
        return chat.user.as_chat() | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts | {"gifts_from_channels": True},
        }

    async def api_sendChatAction(self, p: Params) -> bool:
        chat_id = self._chat_id_param(p)
        action = p.get_str("action")
        if not action:
            raise _required("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat = self._chat_for(chat_id)
        self._check_blocked(chat)
        chat.actions.append(action)
        await self._notify()
        return True

    # ----- sending --------------------------------------------------------------------

    async def api_sendMessage(self, p: Params) -> dict:
        chat_id = self._chat_id_param(p)
        raw, parse_mode, entities = self._text_of(p)
        if not raw:
            raise bad_request("message text is empty")
        chat = self._chat_for(chat_id)
        parsed = message_text(raw, parse_mode, entities, strict_html=self.strict_html)
        markup = parse_reply_markup(p.raw("reply_markup"))
        content: dict[str, Any] = {"text": parsed.text}
        if parsed.entities:
            content["entities"] = parsed.entities
        return await self._store_bot_message(
            p, chat, "text", content, raw_text=raw, parsed=parsed, markup=markup
        )

    async def api_sendPhoto(self, p: Params) -> dict:
        return await self._send_media(p, "photo")

    async def api_sendDocument(self, p: Params) -> dict:
        return await self._send_media(p, "document")

    async def api_sendVoice(self, p: Params) -> dict:
        return await self._send_media(p, "voice")

    async def api_sendVideo(self, p: Params) -> dict:
        return await self._send_media(p, "video")

    async def api_sendAnimation(self, p: Params) -> dict:
        return await self._send_media(p, "animation")

    async def api_sendAudio(self, p: Params) -> dict:
        return await self._send_media(p, "audio")

    async def api_sendSticker(self, p: Params) -> dict:
        return await self._send_media(p, "sticker")

    async def _send_media(self, p: Params, kind: str) -> dict:
        chat = self._chat_for(self._chat_id_param(p))
        stored, sent_file = self._media_input(p, kind)
        caption: ParsedText | None = None
        raw_caption: str | None = None
        if kind != "sticker":
            raw_caption, parse_mode, entities = self._text_of(p, "caption")
            caption = caption_text(raw_caption, parse_mode, entities, strict_html=self.strict_html)
        markup = parse_reply_markup(p.raw("reply_markup"))
        content = self._media_content(p, kind, stored)
        if caption is not None:
            content["caption"] = caption.text
            if caption.entities:
                content["caption_entities"] = caption.entities
        return await self._store_bot_message(
            p,
            chat,
            kind,
            content,
            raw_text=raw_caption,
            parsed=caption,
            markup=markup,
            sent_file=sent_file,
        )

    def _media_input(self, p: Params, kind: str) -> tuple[StoredFile | list[dict], SentFile]:
        """Resolve the file parameter: upload, attach://, URL or existing file_id."""
        value = p.raw(kind)
        upload: Upload | None = p.uploads.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = p.uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad_request(f"there is no {kind} in the request")
        if upload is not None:
            return self._register_upload(kind, upload)
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {kind} in the request")
        if value.lower().startswith(("http://", "https://")):
            # Telegram downloads URLs itself; pretend it got a reasonable file.
            name = value.rstrip("/").rpartition("/")[2] or None
            stored = self._register(kind, size=50_000, file_name=name, mime_type=None, data=None)
            file_id = stored[0]["file_id"] if isinstance(stored, list) else stored.file_id
            return stored, SentFile(stored_file_id=file_id, url=value)
        known = self._files.get(value)
        if known is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        compatible = known.kind == kind or (kind == "document" and known.kind == "animation")
        if not compatible:
            raise bad_request(f"can't use file of type {known.kind.title()} as {kind.title()}")
        resolved: StoredFile | list[dict] = known
        if kind == "photo":
            resolved = self._files.photo_sizes(value) or []
        sent = SentFile(
            stored_file_id=value,
            file_id=value,
            file_name=known.file_name,
            size=known.size,
            mime_type=known.mime_type,
        )
        return resolved, sent

    def _register(
        self,
        kind: str,
        *,
        size: int,
        file_name: str | None,
        mime_type: str | None,
        data: bytes | None,
    ) -> StoredFile | list[dict]:
        if kind == "photo":
            return self._files.add_photo(data=data)
        return self._files.add(kind, size=size, file_name=file_name, mime_type=mime_type, data=data)

    def _register_upload(
        self, kind: str, upload: Upload
    ) -> tuple[StoredFile | list[dict], SentFile]:
        if not upload.data:
            raise bad_request("file must be non-empty")
        if len(upload.data) > _MAX_UPLOAD.get(kind, _DEFAULT_MAX_UPLOAD):
            raise ApiError(413, "Request Entity Too Large")
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(upload.filename)[0] or mime
        stored = self._register(
            kind,
            size=len(upload.data),
            file_name=upload.filename,
            mime_type=mime,
            data=upload.data,
        )
        file_id = stored[-1]["file_id"] if isinstance(stored, list) else stored.file_id
        sent = SentFile(
            stored_file_id=file_id,
            uploaded=True,
            file_name=upload.filename,
            size=len(upload.data),
            mime_type=mime,
        )
        return stored, sent

    def _media_content(self, p: Params, kind: str, stored: StoredFile | list[dict]) -> dict:
        if isinstance(stored, list):
            return {"photo": stored}
        base: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
        }
        duration = p.get_int("duration") or 1
        if kind == "document":
            obj = base | {
                "file_name": stored.file_name or "document",
                "mime_type": stored.mime_type or "application/octet-stream",
            }
            return {"document": obj}
        if kind == "voice":
            return {"voice": base | {"duration": duration, "mime_type": "audio/ogg"}}
        if kind == "audio":
            return {
                "audio": base
                | {"duration": duration, "mime_type": stored.mime_type or "audio/mpeg"}
            }
        if kind == "sticker":
            return {
                "sticker": base
                | {
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            }
        size = {"width": p.get_int("width") or 640, "height": p.get_int("height") or 360}
        media = base | size | {"duration": duration, "mime_type": stored.mime_type or "video/mp4"}
        if kind == "animation":
            document = base | {
                "file_name": stored.file_name or "animation.mp4",
                "mime_type": stored.mime_type or "video/mp4",
            }
            return {"animation": media | {"file_name": document["file_name"]}, "document": document}
        return {kind: media}

    def _copy_source(self, p: Params, verb: str) -> tuple[ChatState, StoredMessage]:
        chat = self._chat_for(self._chat_id_param(p))
        source_chat = self._chat_for(self._chat_id_param(p, "from_chat_id"))
        message_id = p.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        source = source_chat.live_message(message_id)
        if source is None:
            raise bad_request(f"message to {verb} not found")
        return chat, source

    @staticmethod
    def _kind_of(message: dict) -> str:
        for kind in ("photo", "animation", "document", "voice", "video", "audio", "sticker"):
            if kind in message:
                return kind
        return "text" if "text" in message else "other"

    async def api_forwardMessage(self, p: Params) -> dict:
        chat, source = self._copy_source(p, "forward")
        keep = {k: v for k, v in source.data.items() if k not in _ENVELOPE_KEYS}
        sender = source.data.get("from", self.bot_user())
        keep["forward_origin"] = source.data.get(
            "forward_origin", {"type": "user", "date": source.data["date"], "sender_user": sender}
        )
        return await self._store_copy(p, chat, source, keep, markup=None)

    async def api_copyMessage(self, p: Params) -> dict:
        chat, source = self._copy_source(p, "copy")
        keep = {k: v for k, v in source.data.items() if k not in _ENVELOPE_KEYS}
        keep.pop("forward_origin", None)
        markup = parse_reply_markup(p.raw("reply_markup"))
        message = await self._store_copy(p, chat, source, keep, markup=markup)
        return {"message_id": message["message_id"]}

    async def _store_copy(
        self,
        p: Params,
        chat: ChatState,
        source: StoredMessage,
        content: dict,
        markup: ReplyMarkup | None,
    ) -> dict:
        text = content.get("text", content.get("caption"))
        entities = content.get("entities", content.get("caption_entities", []))
        parsed = ParsedText(text, entities) if text is not None else None
        return await self._store_bot_message(
            p,
            chat,
            self._kind_of(content),
            content,
            raw_text=text,
            parsed=parsed,
            markup=markup,
        )

    # ----- editing and deleting -------------------------------------------------------

    def _target(self, p: Params, verb: str) -> tuple[ChatState, StoredMessage]:
        if p.has("inline_message_id"):
            # This double sends no inline messages, so no inline message id is valid.
            raise bad_request("MESSAGE_ID_INVALID")
        message_id = p.get_int("message_id", error="message identifier is not specified")
        if message_id is None:
            if verb == "delete":
                raise _required("message_id")
            raise bad_request("message identifier is not specified")
        chat = self._chat_for(self._chat_id_param(p))
        stored = chat.live_message(message_id)
        if stored is None:
            raise bad_request(f"message to {verb} not found")
        return chat, stored

    def _bot_target(self, p: Params) -> tuple[ChatState, StoredMessage, SentMessage]:
        chat, stored = self._target(p, "edit")
        if stored.sent is None:
            raise bad_request("message can't be edited")
        return chat, stored, stored.sent

    async def _apply_edit(
        self,
        p: Params,
        chat: ChatState,
        stored: StoredMessage,
        sent: SentMessage,
        changes: dict[str, Any],
        markup: ReplyMarkup | None,
    ) -> dict:
        """Replace text/caption fields (None removes one) and the keyboard."""
        self._check_blocked(chat)
        current = stored.data
        data = {k: v for k, v in current.items() if k not in changes and k != "reply_markup"}
        data.update({k: v for k, v in changes.items() if v is not None})
        # Editing without reply_markup removes the inline keyboard, as on Telegram.
        if markup is not None and markup.inline is not None:
            data["reply_markup"] = markup.inline
        if all(data.get(k) == current.get(k) for k in _CONTENT_KEYS):
            raise bad_request(
                "message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message"
            )
        data["edit_date"] = _now()
        stored.data = data  # a new dict: updates already queued keep their snapshot
        sent.message = data
        sent.reply_markup = markup.sent if markup else None
        sent.edited += 1
        sent.params = p.for_log()
        chat.events.append(("edited", sent))
        await self._notify()
        return data

    async def api_editMessageText(self, p: Params) -> dict:
        chat, stored, sent = self._bot_target(p)
        if sent.kind != "text":
            raise bad_request("there is no text in the message to edit")
        raw, parse_mode, entities = self._text_of(p)
        parsed = message_text(raw, parse_mode, entities, strict_html=self.strict_html)
        markup = parse_reply_markup(p.raw("reply_markup"), inline_only=True)
        changes = {"text": parsed.text, "entities": parsed.entities or None}
        result = await self._apply_edit(p, chat, stored, sent, changes, markup)
        self._record_text(sent, raw, parse_mode, parsed)
        return result

    async def api_editMessageCaption(self, p: Params) -> dict:
        chat, stored, sent = self._bot_target(p)
        if sent.kind in ("text", "sticker"):
            raise bad_request("there is no caption in the message to edit")
        raw, parse_mode, entities = self._text_of(p, "caption")
        parsed = caption_text(raw, parse_mode, entities, strict_html=self.strict_html)
        markup = parse_reply_markup(p.raw("reply_markup"), inline_only=True)
        changes = {
            "caption": parsed.text if parsed else None,
            "caption_entities": (parsed.entities or None) if parsed else None,
        }
        result = await self._apply_edit(p, chat, stored, sent, changes, markup)
        self._record_text(sent, raw if parsed else None, parse_mode, parsed)
        return result

    async def api_editMessageReplyMarkup(self, p: Params) -> dict:
        chat, stored, sent = self._bot_target(p)
        markup = parse_reply_markup(p.raw("reply_markup"), inline_only=True)
        return await self._apply_edit(p, chat, stored, sent, {}, markup)

    @staticmethod
    def _record_text(
        sent: SentMessage, raw: str | None, parse_mode: str | None, parsed: ParsedText | None
    ) -> None:
        sent.history.append(sent.text)
        sent.text = raw
        sent.parse_mode = parse_mode
        sent.entities = parsed.entities if parsed else []
        sent.visible = parsed.text if parsed else ""

    async def api_deleteMessage(self, p: Params) -> bool:
        chat, stored = self._target(p, "delete")
        stored.deleted = True
        if stored.sent is not None:
            stored.sent.deleted = True
            chat.events.append(("deleted", stored.sent))
        await self._notify()
        return True

    # ----- callback queries and files -------------------------------------------------

    async def api_answerCallbackQuery(self, p: Params) -> bool:
        query_id = p.get_str("callback_query_id")
        if not query_id:
            raise _required("callback_query_id")
        record = self._callbacks.get(query_id)
        if record is None or record.answer is not None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = p.get_str("text") or ""
        if len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answer = {
            "text": text or None,
            "show_alert": p.get_bool("show_alert"),
            "url": p.get_str("url"),
            "cache_time": p.get_int("cache_time") or 0,
        }
        await self._notify()
        return True

    async def api_getFile(self, p: Params) -> dict:
        file_id = p.get_str("file_id")
        if not file_id:
            raise _required("file_id")
        stored = self._files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }


# What "message is not modified" compares.
_CONTENT_KEYS = ("text", "entities", "caption", "caption_entities", "reply_markup")

# Keys of a Message that describe where it was, not what it says.
_ENVELOPE_KEYS = frozenset(
    {"message_id", "from", "chat", "date", "edit_date", "reply_markup", "reply_to_message"}
)


def implemented_methods() -> dict[str, str]:
    """Lowercased method name -> canonical name, for case-insensitive routing."""
    names = [n.removeprefix("api_") for n in dir(MethodsMixin) if n.startswith("api_")]
    return {name.lower(): name for name in names}
