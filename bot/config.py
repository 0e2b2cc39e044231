"""Settings from the environment (and an optional `.env`), checked before anything starts.

A wrong value must stop the start with one clear line, so `load_settings` turns pydantic's report into a
`ConfigError` whose message names the variable.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kkrcore.models import known_timezone

Language = Literal["da", "en"]
LANGUAGES: tuple[Language, ...] = ("da", "en")
# Recipients the Telegram outbox sends to at once; bench/bench_delivery.py measured the choice (docs/benchmarks.md).
DEFAULT_TELEGRAM_IN_FLIGHT = 4


def is_loopback_host(host: str) -> bool:
    """A host name or address that only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip("[]").lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
    # Processed updates and delivered messages lose their contents (what people wrote, what they were sent)
    # after this many days; absences and everything the minutes need are kept apart and stay.
    retention_days: int = Field(default=30, ge=1, le=3650)
    # Telegram's documented flood limit for a bot is about 30 messages a second; 0 turns the limiter off
    # (only for a Bot API server without Telegram's limits, such as the benchmark's fake).
    telegram_max_messages_per_second: float = Field(default=30, ge=0)
    # Recipients the outbox sends to at once (each recipient's messages stay in order, one at a time); a
    # crash repeats at most one message per recipient in flight.
    telegram_in_flight: int = Field(default=DEFAULT_TELEGRAM_IN_FLIGHT, ge=1, le=64)
    # First wait after a network error or 5xx; doubles per consecutive failure, up to 30 s.
    retry_base_seconds: float = Field(default=0.5, gt=0, le=30)
    # `kkrbot health` calls polling or the outbox stale after this long without progress (the clock: one
    # tick interval more).
    health_max_age_seconds: float = Field(default=120, gt=0)
    # The HTTP endpoint (Teams' /api/messages, /healthz, the calendar feed) listens only when Teams is
    # configured or KKRBOT_PUBLIC_URL is set; behind a TLS reverse proxy, so it binds to localhost by default.
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=3978, ge=0, le=65535)
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    # Microsoft Teams (an Azure Bot, single-tenant): all three or none.
    teams_client_id: str | None = None
    teams_client_secret: SecretStr | None = None
    teams_tenant_id: str | None = None
    # Where the Bot Connector's signing keys and our access tokens come from; other values only for a
    # sovereign cloud or the tests' fake Bot Connector.
    teams_openid_url: str = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    teams_login_url: str = "https://login.microsoftonline.com"
    # Emulator mode, for trying the bot in Microsoft 365 Agents Playground without an Azure registration: Teams
    # without credentials, activities without a token from loopback only, replies to loopback only (docs/teams.md).
    teams_emulator: bool = False
    # Automatic backups: off unless a folder is set; one a day after the quiet hour (local time), the newest
    # `backup_keep` kept.
    backup_dir: Path | None = None
    backup_keep: int = Field(default=14, ge=1, le=3650)
    backup_hour: int = Field(default=3, ge=0, le=23)
    # E-mail (bot/channels/email.py): off unless a mail server is set. A relay with a user name and password,
    # or Microsoft 365 with OAuth 2.0 (XOAUTH2, a client-credentials token from an Entra app registration).
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_oauth_tenant_id: str | None = None
    smtp_oauth_client_id: str | None = None
    smtp_oauth_client_secret: SecretStr | None = None
    # Where the OAuth token comes from; another value only for a sovereign cloud or the tests' fake.
    smtp_oauth_token_url: str | None = None
    mail_from: str | None = Field(default=None, pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
    # Exchange Online accepts 30 messages a minute per mailbox.
    mail_per_second: float = Field(default=0.5, gt=0, le=1000)
    # Calendar invitations (iTIP REQUEST/CANCEL) to everyone with an address.
    mail_invitations: bool = False

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

    @field_validator(
        "teams_client_id",
        "teams_tenant_id",
        "public_url",
        "smtp_host",
        "smtp_username",
        "smtp_oauth_tenant_id",
        "smtp_oauth_client_id",
        "smtp_oauth_token_url",
        "mail_from",
    )
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value.strip().rstrip("/") or None if value is not None else None

    @field_validator("teams_client_secret", "smtp_password", "smtp_oauth_client_secret")
    @classmethod
    def _empty_secret_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None

    @model_validator(mode="after")
    def _teams_all_or_none(self) -> Settings:
        given = {
            "teams_client_id": self.teams_client_id,
            "teams_client_secret": self.teams_client_secret,
            "teams_tenant_id": self.teams_tenant_id,
        }
        missing = [name for name, value in given.items() if value is None]
        if missing and len(missing) < len(given):
            raise ValueError(f"KKRBOT_{missing[0].upper()} is needed too: set all three KKRBOT_TEAMS_* or none")
        if self.teams_emulator:
            present = [name for name, value in given.items() if value is not None]
            if present:
                raise ValueError(
                    f"KKRBOT_TEAMS_EMULATOR=1 runs Teams without credentials: unset KKRBOT_{present[0].upper()}"
                )
            if not is_loopback_host(self.http_host):
                raise ValueError(
                    f"KKRBOT_TEAMS_EMULATOR=1 accepts activities without a token, so KKRBOT_HTTP_HOST must be a "
                    f"loopback address such as 127.0.0.1, not {self.http_host}"
                )
        return self

    @model_validator(mode="after")
    def _mail_settings(self) -> Settings:
        if self.smtp_host is None:
            return self
        if self.mail_from is None:
            raise ValueError("KKRBOT_MAIL_FROM is needed when KKRBOT_SMTP_HOST is set")
        if self.smtp_security == "none" and self.smtp_host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("KKRBOT_SMTP_SECURITY=none is only allowed for a mail server on this machine (127.0.0.1)")
        oauth = {
            "smtp_oauth_tenant_id": self.smtp_oauth_tenant_id,
            "smtp_oauth_client_id": self.smtp_oauth_client_id,
            "smtp_oauth_client_secret": self.smtp_oauth_client_secret,
        }
        missing = [name for name, value in oauth.items() if value is None]
        if missing and len(missing) < len(oauth):
            raise ValueError(f"KKRBOT_{missing[0].upper()} is needed too: set all three KKRBOT_SMTP_OAUTH_* or none")
        if not missing and self.smtp_password is not None:
            raise ValueError("set either KKRBOT_SMTP_PASSWORD or the KKRBOT_SMTP_OAUTH_* settings, not both")
        if self.smtp_password is not None and self.smtp_username is None:
            raise ValueError("KKRBOT_SMTP_USERNAME is needed with KKRBOT_SMTP_PASSWORD")
        return self

    @property
    def email_enabled(self) -> bool:
        return self.smtp_host is not None

    @property
    def teams_enabled(self) -> bool:
        return self.teams_client_id is not None or self.teams_emulator

    @property
    def http_enabled(self) -> bool:
        return self.teams_enabled or self.public_url is not None

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
        if not field:  # a check across settings names its variables itself
            raise ConfigError(first["msg"].removeprefix("Value error, ")) from None
        raise ConfigError(f"KKRBOT_{field.upper()}: {first['msg']}") from None
