"""Settings from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///kaohe.db"


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

    @field_validator("bot_token", "telegram_api_base", "redis_url", "bot_username", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}, expected e.g. Asia/Shanghai") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The unit's time zone."""
        return ZoneInfo(self.tz)
