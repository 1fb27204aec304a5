"""End to end: the real `kaohe run` process, long polling a fake Bot API over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from storage.tables import Person
from tests.conftest import Roster
from tests.fake_api import FakeBotAPI, Predicate

TOKEN = "42:TEST-TOKEN"
STARTUP_TIMEOUT = 60.0  # a busy 2-core machine imports aiogram slowly
CJK = re.compile(r"[\u4e00-\u9fff]")
KAOHE_VARIABLES = (
    "BOT_TOKEN",
    "DATABASE_URL",
    "TELEGRAM_API_BASE",
    "REDIS_URL",
    "KAOHE_POLICY",
    "BOT_USERNAME",
    "KAOHE_SCHEDULER",
    "KAOHE_CLOCK",
)


class BotProcess:
    """A running `python -m bot run`, its stderr collected line by line."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        assert proc.stderr is not None
        self._reader = asyncio.create_task(self._read(proc.stderr))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        """Collect stderr until EOF."""
        while line := await stream.readline():
            self.lines.append(line.decode("utf-8", errors="replace"))
            self._changed.set()

    @property
    def log(self) -> str:
        """Everything the process wrote to stderr so far."""
        return "".join(self.lines)

    async def wait_log(self, needle: str, timeout: float = 10) -> None:
        """Wait until stderr contains `needle`."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while needle not in self.log and not self._reader.done():
                    self._changed.clear()
                    await self._changed.wait()
        assert needle in self.log, f"{needle!r} not logged within {timeout} s:\n{self.log}"

    async def wait_exit(self, timeout: float) -> int:
        """The exit code, once the process ends (within `timeout` seconds) and stderr is read."""
        try:
            code = await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"still running after {timeout} s:\n{self.log}") from None
        await asyncio.wait_for(self._reader, 5)
        return code

    async def kill(self) -> None:
        """Kill the process if it still runs; keep what it logged."""
        if self.proc.returncode is None:
            self.proc.kill()
        await asyncio.wait_for(self.proc.wait(), 10)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._reader, 5)


@contextlib.asynccontextmanager
async def kaohe_run(env: dict[str, str], cwd: Path) -> AsyncIterator[BotProcess]:
    """Start `kaohe run`; always kill it afterwards."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    process = BotProcess(proc)
    try:
        yield process
    finally:
        await process.kill()


def clean_env() -> dict[str, str]:
    """This environment without any of kaohe's variables, with unbuffered output."""
    env = {k: v for k, v in os.environ.items() if k not in KAOHE_VARIABLES}
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
async def api(request: pytest.FixtureRequest) -> AsyncIterator[FakeBotAPI]:
    """The fake Bot API (privacy mode on, unless parametrized indirectly with False)."""
    async with FakeBotAPI(token=TOKEN, privacy_mode=getattr(request, "param", True)) as server:
        yield server


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty working directory (no .env) for the process."""
    path = tmp_path / "cwd"
    path.mkdir()
    return path


@pytest.fixture
def env(api: FakeBotAPI, db_url: str) -> dict[str, str]:
    """The environment of a `kaohe run` that talks to the fake API and the test database.

    The scheduler is off: what a job sends depends on the hour, and these tests must not.
    Tests of the scheduler turn it on with a clock of their own (KAOHE_CLOCK).
    """
    return clean_env() | {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": api.base,
        "DATABASE_URL": db_url,
        "KAOHE_SCHEDULER": "off",
    }


async def polling(api: FakeBotAPI) -> None:
    """Wait until the bot has started long polling."""
    await api.wait_for("getUpdates", timeout=STARTUP_TIMEOUT)


async def stored(sessionmaker: async_sessionmaker[AsyncSession], name: str) -> Person:
    """The roster person called `name`, fresh from the database."""
    async with sessionmaker() as s:
        return (await s.exec(select(Person).where(Person.name == name))).one()


def sent_to(chat_id: int, *fragments: str) -> Predicate:
    """A predicate: a sendMessage to `chat_id` whose text contains every fragment."""
    return lambda p: (
        str(p.get("chat_id")) == str(chat_id)
        and all(f in str(p.get("text", "")) for f in fragments)
    )


async def test_binding_over_long_polling(
    api: FakeBotAPI,
    env: dict[str, str],
    workdir: Path,
    roster: Roster,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """/start binds by matching username, and /start CODE binds by invite code."""
    zhou = await roster.person("周敏")
    zhao = await roster.person("赵丽")
    assert zhou.tg_username and zhou.tg_user_id is None
    assert zhao.tg_username is None and zhao.tg_user_id is None
    async with kaohe_run(env, workdir):
        await polling(api)

        api.push_message("/start", user_id=710_001, first_name="敏", username=zhou.tg_username)
        await api.wait_for("sendMessage", sent_to(710_001, "绑定成功", "周敏"))
        assert (await stored(sessionmaker, "周敏")).tg_user_id == 710_001

        api.push_message(f"/start {zhao.invite_code}", user_id=710_002, first_name="丽")
        await api.wait_for("sendMessage", sent_to(710_002, "绑定成功", "赵丽"))
        assert (await stored(sessionmaker, "赵丽")).tg_user_id == 710_002


async def test_startup_sets_commands_and_warns_about_privacy(
    api: FakeBotAPI, env: dict[str, str], workdir: Path
) -> None:
    """Start-up: getMe, the Chinese command menus, the privacy warning, no token in the log."""
    async with kaohe_run(env, workdir) as bot:
        await polling(api)
        await bot.wait_log("/setprivacy")
    assert api.calls_of("getMe")
    menus = {p["scope"]["type"]: p["commands"] for p in api.calls_of("setMyCommands")}
    assert set(menus) == {"all_private_chats", "all_group_chats"}
    expected = {
        "all_private_chats": texts.PRIVATE_COMMANDS,
        "all_group_chats": texts.GROUP_COMMANDS,
    }
    for scope, commands in menus.items():
        assert [(c["command"], c["description"]) for c in commands] == list(expected[scope])
        assert all(CJK.search(c["description"]) for c in commands)
    assert "TEST-TOKEN" not in bot.log


@pytest.mark.parametrize("api", [False], indirect=True)
async def test_no_privacy_warning_when_bot_reads_group_messages(
    api: FakeBotAPI, env: dict[str, str], workdir: Path
) -> None:
    """With privacy mode off, start-up does not warn."""
    async with kaohe_run(env, workdir) as bot:
        await polling(api)
    assert "starting long polling" in bot.log
    assert "/setprivacy" not in bot.log


async def test_sigterm_stops_cleanly(api: FakeBotAPI, env: dict[str, str], workdir: Path) -> None:
    """SIGTERM while long polling: exit code 0, promptly, with "stopped cleanly" logged."""
    async with kaohe_run(env, workdir) as bot:
        await polling(api)
        bot.proc.send_signal(signal.SIGTERM)
        assert await bot.wait_exit(15) == 0, bot.log
    assert "stopped cleanly" in bot.log
    assert "Traceback" not in bot.log
    assert "TEST-TOKEN" not in bot.log


async def test_run_without_token_explains(tmp_path: Path) -> None:
    """No BOT_TOKEN anywhere: exit code 2 and a Chinese explanation naming BOT_TOKEN."""
    empty = tmp_path / "empty"
    empty.mkdir()
    async with kaohe_run(clean_env(), empty) as bot:
        assert await bot.wait_exit(STARTUP_TIMEOUT) == 2, bot.log
    assert "BOT_TOKEN" in bot.log
    assert "没有设置 BOT_TOKEN" in bot.log
    assert "Traceback" not in bot.log


async def test_wrong_token_is_reported(
    api: FakeBotAPI, env: dict[str, str], workdir: Path
) -> None:
    """A token Telegram refuses (401): exit code 2, a log line saying so, the token redacted."""
    async with kaohe_run(env | {"BOT_TOKEN": "42:WRONG"}, workdir) as bot:
        assert await bot.wait_exit(STARTUP_TIMEOUT) == 2, bot.log
    assert "refused BOT_TOKEN" in bot.log
    assert "WRONG" not in bot.log
    assert api.calls_of("getMe")
    assert not api.calls_of("getUpdates")
