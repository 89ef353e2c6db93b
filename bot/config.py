"""Configuration from the environment or a `.env` file (pydantic-settings)."""

from __future__ import annotations

import re
from datetime import time

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.clock import checked_timezone

# Telegram's rule for setWebhook's secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -.
SECRET_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    """Everything the bot reads from its environment; names match the README's table."""

    # hide_input_in_errors: a mistyped setting must not print the token or the secret.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True
    )

    telegram_bot_token: str = Field(default="", repr=False)
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_bot_username: str = ""
    database_url: str = "sqlite+aiosqlite:///./portage.db"
    default_timezone: str = "Europe/London"
    # A reminder missed while the bot was down is still sent if it is at most this late.
    catch_up_window_minutes: int = Field(default=180, ge=0)
    invite_ttl_days: int = Field(default=14, ge=1)
    # How often the scheduler ticks; the database decides what is due, so this is only latency.
    tick_seconds: float = Field(default=30.0, gt=0)
    # Telegram's limit on new messages a second, all chats together (a local Bot API server or a
    # test double may allow more).
    telegram_messages_per_second: float = Field(default=30.0, gt=0)
    # The outbox's share of that while one instance sends alone; replies go first within the
    # rest. Near 30 is safe alone: the instance's own window counts every message it sends
    # until a second after Telegram's answer (bot/send_pace.py).
    outbox_messages_per_second: float = Field(default=29.5, gt=0)
    # The outbox's rate, all instances together, while more than one is sending. Only the
    # shared pace keeps their total, so it leaves room for sends that arrive a few milliseconds
    # late: at 28.6, two instances on one machine drew an occasional 429 from a strict double.
    outbox_shared_messages_per_second: float = Field(default=27.0, gt=0)
    # A claimed outbox row not recorded within this long is taken by another sender (its
    # instance died mid-send).
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    # A timeout or 5xx is tried again after this, then 4 times longer each time (5 s, 20 s, ...).
    outbox_backoff_seconds: float = Field(default=5.0, gt=0)
    log_level: str = "INFO"
    # A visit's summary reaches the visitor at this local time on the working day before it
    # (or soon after booking, when the visit is booked later than that).
    summary_lead_time: time = time(18, 0)
    # Families without a booked visit: a weekly summary on this day (0 = Monday) and time.
    weekly_summary_weekday: int = Field(default=4, ge=0, le=6)
    weekly_summary_time: time = time(16, 0)
    # How far back a summary looks when there was no earlier visit or summary.
    summary_max_days: int = Field(default=28, ge=1, le=62)
    # Families who said they would come to an event hear of it at this local time the day before.
    event_reminder_time: time = time(17, 0)
    # A discharged family's diary is erased this many days later (about 12 months).
    retention_days: int = Field(default=365, ge=1)
    # Webhook mode (`portage-bot run --webhook`): where the bot listens, behind a reverse proxy
    # that terminates TLS, and the public https URL Telegram calls (`/telegram` is appended).
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_public_url: str = ""
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token; updates without it are refused.
    webhook_secret_token: str = Field(default="", repr=False)

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return checked_timezone(value)

    @field_validator("webhook_public_url")
    @classmethod
    def _https_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.lower().startswith("https://"):
            raise ValueError("must be an https:// URL (Telegram calls webhooks over HTTPS only)")
        return value

    @field_validator("webhook_secret_token")
    @classmethod
    def _telegram_secret_shape(cls, value: str) -> str:
        if value and not SECRET_TOKEN_SHAPE.fullmatch(value):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and - only")
        return value

    @property
    def database_is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class MissingTokenError(RuntimeError):
    """Raised when the bot is asked to run without TELEGRAM_BOT_TOKEN."""


def require_token(settings: Settings) -> str:
    if not settings.telegram_bot_token.strip():
        raise MissingTokenError(
            "TELEGRAM_BOT_TOKEN is not set: put it in the environment or in .env "
            "(see .env.example)."
        )
    return settings.telegram_bot_token.strip()


class MissingWebhookSettingsError(RuntimeError):
    """Raised when webhook mode is asked for without its public URL or secret token."""


def require_webhook(settings: Settings) -> None:
    missing = [
        name
        for name, value in (
            ("WEBHOOK_PUBLIC_URL", settings.webhook_public_url),
            ("WEBHOOK_SECRET_TOKEN", settings.webhook_secret_token),
        )
        if not value
    ]
    if missing:
        raise MissingWebhookSettingsError(
            f"{' and '.join(missing)} must be set for webhook mode: put them in the environment "
            "or in .env (see .env.example)."
        )
