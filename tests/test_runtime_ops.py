"""Operations (DESIGN §9): `kaohe backup`, JSON logs, and no secret in any log line."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.cli import main
from bot.config import Settings
from bot.logs import setup_logging
from storage import db
from tests.conftest import Roster

TOKEN = "42:AAH-very-secret-token"


@pytest.fixture(autouse=True)
def keep_logging() -> Iterator[None]:
    """`kaohe` replaces the root log handlers; give pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> Path:
    """An empty working directory; only DATABASE_URL set."""
    for name in ("BOT_TOKEN", "TELEGRAM_API_BASE", "REDIS_URL", "KAOHE_POLICY", "WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_backup_is_a_complete_copy_and_never_overwrites(
    cli_env: Path, roster: Roster, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backup"]) == 0
    made = sorted(cli_env.glob("kaohe-backup-*"))
    assert len(made) == 1 and str(made[0].name) in capsys.readouterr().out
    assert not list(cli_env.glob("*.partial"))
    if db.is_sqlite(db_url):
        with sqlite3.connect(made[0]) as copy:
            people = copy.execute("SELECT count(*) FROM person").fetchone()[0]
        with sqlite3.connect(make_url(db_url).database or "") as live:
            assert people == live.execute("SELECT count(*) FROM person").fetchone()[0] > 40
    else:
        assert made[0].read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format, for pg_restore

    assert main(["backup", "-o", str(made[0])]) == 1  # an existing file is kept as it is
    assert "已存在" in capsys.readouterr().err


def test_json_logs_carry_no_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(secrets=[TOKEN, "hook-secret"], json_format=True)
    log = logging.getLogger("kaohe.test")
    log.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    try:
        raise RuntimeError(f"bad url /bot{TOKEN}/sendMessage with hook-secret")
    except RuntimeError:
        log.exception("request failed")
    lines = capsys.readouterr().err.strip().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["level"] for e in entries] == ["INFO", "ERROR"]
    assert entries[0]["message"] == "calling https://api.telegram.org/bot***/getMe"
    assert "RuntimeError" in entries[1]["exception"]
    assert all(TOKEN not in line and "hook-secret" not in line for line in lines)


def test_webhook_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(BOT_TOKEN=TOKEN, WEBHOOK_URL="https://bot.example.org/tg/hook")  # type: ignore[call-arg]
    assert settings.webhook_listen_path == "/tg/hook"
    derived = settings.webhook_secret_token()  # no WEBHOOK_SECRET: the same on every replica
    assert derived == Settings(BOT_TOKEN=TOKEN).webhook_secret_token()  # type: ignore[call-arg]
    assert TOKEN not in derived and len(derived) == 64
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        Settings(BOT_TOKEN=TOKEN, WEBHOOK_SECRET="has spaces!")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="WEBHOOK_URL"):
        Settings(BOT_TOKEN=TOKEN, WEBHOOK_URL="bot.example.org")  # type: ignore[call-arg]


def test_webhook_mode_without_url_explains(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    assert main(["run", "--webhook"]) == 2
    assert "WEBHOOK_URL" in capsys.readouterr().err
