"""Settings from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///kaohe.db"
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as secret_token


class Settings(BaseSettings):
    """Runtime configuration; `BOT_TOKEN` stays a `SecretStr` so it is never printed."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = Field(default=None, validation_alias="BOT_TOKEN")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    telegram_api_base: str | None = Field(default=None, validation_alias="TELEGRAM_API_BASE")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    policy: str = Field(default="standard", validation_alias="KAOHE_POLICY")
    tz: str = Field(default="Asia/Shanghai", validation_alias=AliasChoices("KAOHE_TZ"))
    bot_username: str | None = Field(default=None, validation_alias="BOT_USERNAME")
    webhook_url: str | None = Field(default=None, validation_alias="WEBHOOK_URL")
    webhook_path: str | None = Field(default=None, validation_alias="WEBHOOK_PATH")
    webhook_key: SecretStr | None = Field(default=None, validation_alias="WEBHOOK_SECRET")
    webhook_host: str = Field(default="127.0.0.1", validation_alias="WEBHOOK_HOST")
    webhook_port: int = Field(default=8080, validation_alias="WEBHOOK_PORT")
    log_format: str = Field(default="text", validation_alias="KAOHE_LOG_FORMAT")
    # Off: `kaohe run` fires no scheduled job (they run only by `kaohe jobs run`) — for tests
    # and for an instance that should only answer chat.
    scheduler: bool = Field(default=True, validation_alias="KAOHE_SCHEDULER")
    # Start the process clock at this instant (ISO 8601 with an offset); it then runs at real
    # speed. For tests and rehearsals only: jobs and button presses see this time.
    clock_start: datetime | None = Field(default=None, validation_alias="KAOHE_CLOCK")
    # Seconds an instance that stored a report has to send its 「已记录」 before another one
    # seeing the update again sends it instead (the first is taken to have died). Tests
    # shorten it; in production keep it well above a Bot API call's time.
    answer_grace: float = Field(default=20.0, gt=0, validation_alias="KAOHE_ANSWER_GRACE")

    # the web console (issue 23): on when WEB_URL (its public address, for links) is set
    web_url: str | None = Field(default=None, validation_alias="WEB_URL")
    web_host: str = Field(default="127.0.0.1", validation_alias="WEB_HOST")
    web_port: int = Field(default=8081, validation_alias="WEB_PORT")

    @field_validator(
        "bot_token",
        "telegram_api_base",
        "redis_url",
        "bot_username",
        "webhook_url",
        "webhook_path",
        "webhook_key",
        "web_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("clock_start", mode="before")
    @classmethod
    def _empty_clock_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("clock_start")
    @classmethod
    def _aware_clock(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.utcoffset() is None:
            raise ValueError("KAOHE_CLOCK needs an offset, e.g. 2026-06-03T09:30:00+08:00")
        return value

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}, expected e.g. Asia/Shanghai") from exc
        return value

    @field_validator("webhook_key")
    @classmethod
    def _secret_token_charset(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not SECRET_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("WEBHOOK_SECRET: 1–256 characters of A–Z, a–z, 0–9, _ and -")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in {"http", "https"}:
            raise ValueError("WEBHOOK_URL must be a full URL, e.g. https://bot.example.org/tg")
        return value

    @field_validator("web_url")
    @classmethod
    def _web_base(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in {"http", "https"}:
            raise ValueError("WEB_URL must be a full URL, e.g. https://kaohe.example.org")
        return value.rstrip("/") if value is not None else None

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value.lower() not in {"text", "json"}:
            raise ValueError("KAOHE_LOG_FORMAT is text or json")
        return value.lower()

    @property
    def webhook_listen_path(self) -> str:
        """The path the webhook server answers on: WEBHOOK_PATH, else WEBHOOK_URL's path."""
        path = self.webhook_path or urlsplit(self.webhook_url or "").path or "/webhook"
        return "/" + path.lstrip("/")

    def webhook_secret_token(self) -> str:
        """WEBHOOK_SECRET, else one derived from the token (the same on every replica)."""
        if self.webhook_key is not None:
            return self.webhook_key.get_secret_value()
        if self.bot_token is None:
            raise ValueError("BOT_TOKEN is not set")
        seed = b"kaohe-webhook:" + self.bot_token.get_secret_value().encode()
        return hashlib.sha256(seed).hexdigest()

    def make_clock(self) -> Callable[[], datetime]:
        """The process clock: the real UTC time, or KAOHE_CLOCK's instant running from now."""
        if self.clock_start is None:
            return _utcnow
        offset = self.clock_start.astimezone(UTC) - datetime.now(UTC)
        return lambda: datetime.now(UTC) + offset

    @property
    def zone(self) -> ZoneInfo:
        """The unit's time zone."""
        return ZoneInfo(self.tz)


def _utcnow() -> datetime:
    return datetime.now(UTC)
