"""Configuration from the environment and .env; the token is never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.logs import RedactFilter
from storage.db import async_url


def test_defaults(no_env: Path) -> None:
    settings = Settings()
    assert settings.bot_token is None
    assert settings.database_url == "sqlite:///kaohe.db"
    assert (settings.policy, settings.tz, settings.redis_url) == (
        "standard",
        "Asia/Shanghai",
        None,
    )


def test_dotenv_file_is_read(no_env: Path) -> None:
    (no_env / ".env").write_text(
        "BOT_TOKEN=123:secret\nTELEGRAM_API_BASE=http://127.0.0.1:8081\nKAOHE_POLICY=xinyu\n"
        "KAOHE_TZ=Asia/Urumqi\nREDIS_URL=\n",
        encoding="utf-8",
    )
    settings = Settings()
    assert settings.bot_token is not None and settings.bot_token.get_secret_value() == "123:secret"
    assert settings.telegram_api_base == "http://127.0.0.1:8081"
    assert (settings.policy, settings.tz, settings.redis_url) == ("xinyu", "Asia/Urumqi", None)
    assert "secret" not in repr(settings) and "secret" not in str(settings.model_dump())


def test_unknown_time_zone_is_refused(no_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAOHE_TZ", "Mars/Olympus")
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///kaohe.db", "sqlite+aiosqlite:///kaohe.db"),
        ("postgresql://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_database_urls_get_async_drivers(url: str, expected: str) -> None:
    assert async_url(url) == expected


def test_log_redaction_hides_the_token(caplog: pytest.LogCaptureFixture) -> None:
    record = logging.LogRecord(
        "x", logging.INFO, "", 0, "url %s", ("https://x/bot123:secret/getMe",), None
    )
    RedactFilter(["123:secret"]).filter(record)
    assert record.getMessage() == "url https://x/bot***/getMe"


def test_scheduler_is_on_unless_turned_off(no_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().scheduler is True
    monkeypatch.setenv("KAOHE_SCHEDULER", "off")
    assert Settings().scheduler is False


def test_clock_starts_at_the_given_instant_and_runs_on(
    no_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    monkeypatch.setenv("KAOHE_CLOCK", "2027-01-01T08:00:00+08:00")
    clock = Settings().make_clock()
    first, second = clock(), clock()
    start = datetime(2027, 1, 1, tzinfo=UTC)
    assert start <= first <= second < start + timedelta(minutes=5)
    monkeypatch.setenv("KAOHE_CLOCK", "")
    real = Settings().make_clock()()
    assert abs(real - datetime.now(UTC)) < timedelta(minutes=1)


def test_clock_without_an_offset_is_refused(no_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAOHE_CLOCK", "2027-01-01T08:00:00")
    with pytest.raises(ValidationError, match="KAOHE_CLOCK"):
        Settings()
