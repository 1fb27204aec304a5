"""`kaohe run --webhook` as a real process: setWebhook with the secret on start, Telegram's
POSTs answered only with the right secret header, /healthz for the load balancer."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.conftest import Roster
from tests.fake_api import FakeBotAPI
from tests.test_e2e_run import (  # noqa: F401 - fixtures
    STARTUP_TIMEOUT,
    TOKEN,
    BotProcess,
    api,
    env,
    sent_to,
    stored,
    workdir,
)

SECRET = "kaohe-Webhook_secret-42"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def kaohe(environ: dict[str, str], cwd: Path, *args: str) -> AsyncIterator[BotProcess]:
    """Start `kaohe ARGS…`; always kill it afterwards."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=environ,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    process = BotProcess(proc)
    try:
        yield process
    finally:
        await process.kill()


def start_update(update_id: int, text: str, user_id: int, username: str | None) -> dict[str, Any]:
    """The JSON body Telegram posts for a private text message."""
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "敏"}
    if username:
        user["username"] = username
    command = len(text.split(maxsplit=1)[0])
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "敏"},
            "from": user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": command}],
        },
    }


async def test_webhook_mode_checks_the_secret_and_answers(
    api: FakeBotAPI,  # noqa: F811
    env: dict[str, str],  # noqa: F811
    workdir: Path,  # noqa: F811
    roster: Roster,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg/hook"
    webhook_env = env | {
        "WEBHOOK_URL": url,
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET": SECRET,
        "KAOHE_LOG_FORMAT": "json",
    }
    zhou = await roster.person("周敏")
    async with (
        kaohe(webhook_env, workdir, "run", "--webhook") as bot,
        aiohttp.ClientSession() as http,
    ):
        hook = await api.wait_for("setWebhook", timeout=3 * STARTUP_TIMEOUT)
        assert hook["url"] == url and hook["secret_token"] == SECRET
        assert "message" in hook["allowed_updates"]
        assert "callback_query" in hook["allowed_updates"]
        await bot.wait_log("webhook listening")

        async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
            assert health.status == 200

        forged = start_update(9001, "/start", 710_001, zhou.tg_username)
        for headers in ({}, {HEADER: "wrong"}):
            async with http.post(url, json=forged, headers=headers) as refused:
                assert refused.status == 401

        async with http.post(url, json=forged, headers={HEADER: SECRET}) as accepted:
            assert accepted.status == 200
        await api.wait_for("sendMessage", sent_to(710_001, "绑定成功", "周敏"))
        assert (await stored(sessionmaker, "周敏")).tg_user_id == 710_001

        async with http.post(url, json=forged, headers={HEADER: SECRET}) as again:
            assert again.status == 200  # Telegram redelivers: accepted, handled once
        await asyncio.sleep(1.0)
        assert len(api.calls_of("sendMessage")) == 1

        # a private report: its 「已记录」 is the response itself (Telegram runs it when it
        # has the response), so a crash cannot leave it sent with the update still due
        report = start_update(9002, "起草年度工作总结", 710_001, zhou.tg_username)
        del report["message"]["entities"]
        async with http.post(url, json=report, headers={HEADER: SECRET}) as filed:
            assert filed.status == 200
            body = (await filed.read()).decode()
        assert "sendMessage" in body and "已记录" in body and "710001" in body
        async with http.post(url, json=report, headers={HEADER: SECRET}) as redelivered:
            assert redelivered.status == 200
            assert "已记录" not in (await redelivered.read()).decode()  # answered once
        await asyncio.sleep(0.5)
        assert not [p for p in api.calls_of("sendMessage") if "已记录" in str(p.get("text"))]

        bot.proc.send_signal(signal.SIGTERM)
        assert await bot.wait_exit(15) == 0, bot.log
    assert not api.calls_of("getUpdates") and not api.calls_of("deleteWebhook")
    assert "stopped cleanly" in bot.log
    assert "Traceback" not in bot.log
    assert "TEST-TOKEN" not in bot.log and SECRET not in bot.log
    assert all(line.startswith("{") for line in bot.lines), bot.log  # KAOHE_LOG_FORMAT=json
