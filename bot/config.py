"""Settings from the environment (and an optional `.env`), checked before anything starts.

A wrong value must stop the start with one clear line, so `load_settings` turns pydantic's report into a
`ConfigError` whose message names the variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kkrcore.models import known_timezone

Language = Literal["da", "en"]
LANGUAGES: tuple[Language, ...] = ("da", "en")


class ConfigError(Exception):
    """A setting is wrong; the message is one line meant for the person starting the bot."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KKRBOT_", env_file=".env", extra="ignore")

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_file_url: str | None = None
    bot_username: str = Field(default="KKRNordjyllandBot", pattern=r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
    database: Path = Path("kkrbot.sqlite3")
    timezone: str = "Europe/Copenhagen"
    default_language: Language = "da"
    data_file: Path | None = None
    invite_ttl_days: int = Field(default=14, ge=1, le=365)
    reminder_days: int = Field(default=3, ge=0, le=60)
    substitute_answer_hours: int = Field(default=48, ge=1, le=24 * 30)
    poll_timeout: int = Field(default=30, ge=0, le=50)
    # Telegram's documented flood limit for a bot is about 30 messages a second; 0 turns the limiter off
    # (only for a Bot API server without Telegram's limits, such as the benchmark's fake).
    telegram_max_messages_per_second: float = Field(default=30, ge=0)
    # First wait after a network error or 5xx; doubles per consecutive failure, up to 30 s.
    retry_base_seconds: float = Field(default=0.5, gt=0, le=30)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return known_timezone(value)

    @field_validator("telegram_token")
    @classmethod
    def _empty_token_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            return None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def file_url(self) -> str:
        if self.telegram_file_url:
            return self.telegram_file_url
        return self.telegram_api_url.replace("/bot", "/file/bot", 1)


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"KKRBOT_{field.upper()}: {first['msg']}") from None
