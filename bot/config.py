"""Configuration from the environment or a `.env` file (pydantic-settings)."""

from __future__ import annotations

from datetime import time

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.clock import checked_timezone


class Settings(BaseSettings):
    """Everything the bot reads from its environment; names match the README's table."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

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
    # The share of Telegram's 30 messages a second the outbox may use, leaving room for replies.
    outbox_messages_per_second: float = Field(default=25.0, gt=0)
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

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return checked_timezone(value)

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
