"""Edges of `kaohe run` (issue 16): webhook requests that are not Telegram's or not
updates, an update type this aiogram does not know, a bad WEBHOOK_SECRET, and a database
that does not answer at start — each a short answer and a short log line, never a
traceback, never what people wrote or the secret."""

from __future__ import annotations

import signal
from pathlib import Path

import aiohttp

from tests.fake_api import FakeBotAPI
from tests.test_e2e_run import (  # noqa: F401 - fixtures
    STARTUP_TIMEOUT,
    api,
    clean_env,
    env,
    workdir,
)
from tests.test_runtime_webhook import HEADER, SECRET, free_port, kaohe

PRIVATE = "机密：某某同志的谈话记录"


async def test_webhook_requests_that_are_not_updates_get_short_answers(
    api: FakeBotAPI,  # noqa: F811
    env: dict[str, str],  # noqa: F811
    workdir: Path,  # noqa: F811
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg/hook"
    webhook_env = env | {"WEBHOOK_URL": url, "WEBHOOK_PORT": str(port), "WEBHOOK_SECRET": SECRET}
    async with (
        kaohe(webhook_env, workdir, "run", "--webhook") as bot,
        aiohttp.ClientSession() as http,
    ):
        await bot.wait_log("webhook listening", 3 * STARTUP_TIMEOUT)
        update = {"update_id": 9100, "message": {"text": PRIVATE}}
        for header in ("sécret", "密钥", SECRET + "é"):  # not ASCII: not the secret
            async with http.post(url, json=update, headers={HEADER: header}) as refused:
                assert refused.status == 401
        right = {HEADER: SECRET, "Content-Type": "application/json"}
        for body in (b"{not json", b'{"text": "' + PRIVATE.encode() + b'"}', b"\xff\xfe"):
            async with http.post(url, data=body, headers=right) as bad:
                assert bad.status == 400
        unknown = {"update_id": 9101, "new_kind_of_update": {"text": PRIVATE}}
        async with http.post(url, json=unknown, headers={HEADER: SECRET}) as skipped:
            assert skipped.status == 200
        await bot.wait_log("unknown type (new_kind_of_update)")
        bot.proc.send_signal(signal.SIGTERM)
        assert await bot.wait_exit(30) == 0, bot.log
    assert bot.log.count("not an update") == 3
    assert "Traceback" not in bot.log
    assert PRIVATE not in bot.log and SECRET not in bot.log
    assert not api.calls_of("sendMessage")


async def test_a_bad_webhook_secret_is_not_echoed(workdir: Path) -> None:  # noqa: F811
    bad = "my-secret-with space"
    environ = clean_env() | {"BOT_TOKEN": "42:TEST-TOKEN", "WEBHOOK_SECRET": bad}
    async with kaohe(environ, workdir, "run", "--webhook") as bot:
        assert await bot.wait_exit(3 * STARTUP_TIMEOUT) == 2, bot.log
    assert "配置有误" in bot.log and "WEBHOOK_SECRET" in bot.log
    assert bad not in bot.log


async def test_an_unreachable_database_at_start_is_one_clear_line(
    workdir: Path,  # noqa: F811
) -> None:
    environ = clean_env() | {
        "BOT_TOKEN": "42:TEST-TOKEN",
        "DATABASE_URL": f"postgresql://kaohe:pw-{free_port()}@127.0.0.1:{free_port()}/kaohe",
    }
    async with kaohe(environ, workdir, "run") as bot:
        assert await bot.wait_exit(3 * STARTUP_TIMEOUT) == 1, bot.log
    assert "连不上数据库" in bot.log and "DATABASE_URL" in bot.log
    assert "Traceback" not in bot.log and "pw-" not in bot.log
    assert len(bot.log.strip().splitlines()) == 1, bot.log
