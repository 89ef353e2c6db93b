"""Announcements as messages: what families see (the same for the sender's preview), the RSVP
buttons, and the sender's progress line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.clock import as_utc, to_local
from bot.delivery import media_payload, text_payload
from bot.models import Announcement
from bot.texts import Texts

if TYPE_CHECKING:
    from bot.announcements import Progress

# Families see at most this many group names; "and 2 more" says the rest.
NAMES_SHOWN = 3


@dataclass(frozen=True)
class EventView:
    starts_at_local: datetime
    place: str
    cancelled: bool


@dataclass(frozen=True)
class ListItem:
    """One line of the sender's list of announcements."""

    when: datetime
    text: str
    status_label: str


def list_item(texts: Texts, announcement: Announcement, timezone: str) -> ListItem:
    """An announcement in the sender's list: when it went (or goes), its words, its state."""
    if announcement.event_cancelled_at_utc is not None:
        status = texts.label("status_cancelled")
    else:
        status = texts.label(f"status_{announcement.status}")
    when = as_utc(announcement.send_at_utc or announcement.created_at_utc)
    return ListItem(to_local(when, timezone), announcement.text, status)


def event_view(announcement: Announcement, timezone: str) -> EventView | None:
    if not announcement.is_event or announcement.event_starts_at_utc is None:
        return None
    return EventView(
        to_local(as_utc(announcement.event_starts_at_utc), timezone),
        announcement.event_place or "",
        announcement.event_cancelled_at_utc is not None,
    )


def rsvp_keyboard(
    texts: Texts, announcement_id: int, chosen: str | None = None
) -> InlineKeyboardMarkup:
    """ "I'll come" / "Can't make it", the family's answer ticked; tapping the other changes it."""

    def button(answer: str) -> InlineKeyboardButton:
        label = texts.label(f"rsvp_{answer}")
        if answer == chosen:
            label = texts.label("chosen", label)
        return InlineKeyboardButton(label, callback_data=callbacks.rsvp(announcement_id, answer))

    return InlineKeyboardMarkup([[button("yes"), button("no")]])


def shown_names(names: list[str]) -> tuple[list[str], int]:
    return names[:NAMES_SHOWN], max(0, len(names) - NAMES_SHOWN)


def announcement_payload(
    texts: Texts, announcement: Announcement, group_names: list[str], timezone: str
) -> dict[str, Any]:
    """The message a family gets (and the sender previews), in the family's time zone."""
    names, more = shown_names(group_names)
    event = event_view(announcement, timezone)
    text = texts.render(
        "parent/announcement.html.j2",
        groups=names,
        more_groups=more,
        text=announcement.text,
        event=event,
    )
    markup = rsvp_keyboard(texts, announcement.id) if event else None
    if announcement.photo_file_id:
        return media_payload("photo", announcement.photo_file_id, text, markup)
    return text_payload(text, markup)


def progress_text(
    texts: Texts, announcement: Announcement, group_names: list[str], progress: Progress | None
) -> str:
    names, more = shown_names(group_names)
    return texts.render(
        "visitor/announce_progress.html.j2",
        groups=names,
        more_groups=more,
        progress=progress,
        finished=progress is not None and progress.done,
        is_event=announcement.is_event,
    )


def progress_markup(texts: Texts, announcement: Announcement) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.label("announce_details"),
                    callback_data=callbacks.announce(announcement.id, "view"),
                )
            ]
        ]
    )


def progress_payload(
    texts: Texts, announcement: Announcement, group_names: list[str], progress: Progress | None
) -> dict[str, Any]:
    return text_payload(
        progress_text(texts, announcement, group_names, progress),
        progress_markup(texts, announcement),
    )
