"""`kaohe run` starts the job scheduler with the bot and stops it cleanly on SIGTERM."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.fake_api import FakeBotAPI
from tests.test_e2e_run import api, env, kaohe_run, polling, workdir  # noqa: F401 - fixtures


async def test_kaohe_run_starts_and_stops_the_scheduler(
    api: FakeBotAPI,  # noqa: F811
    env: dict[str, str],  # noqa: F811
    workdir: Path,  # noqa: F811
) -> None:
    saturday_evening = "2026-06-06T19:40:00+08:00"  # nothing is due: no job sends
    environ = env | {"KAOHE_SCHEDULER": "on", "KAOHE_CLOCK": saturday_evening}
    async with kaohe_run(environ, workdir) as bot:
        await polling(api)
        await bot.wait_log("scheduler started: missing, escalate, month_end, remind")
        bot.proc.send_signal(signal.SIGTERM)
        assert await bot.wait_exit(15) == 0, bot.log
    assert "scheduler stopped" in bot.log
    assert "Traceback" not in bot.log
    assert api.delivered == []


async def test_kaohe_run_without_the_scheduler_says_so(
    api: FakeBotAPI,  # noqa: F811
    env: dict[str, str],  # noqa: F811
    workdir: Path,  # noqa: F811
) -> None:
    async with kaohe_run(env, workdir) as bot:  # env turns the scheduler off
        await polling(api)
        await bot.wait_log("scheduler off")
        bot.proc.send_signal(signal.SIGTERM)
        assert await bot.wait_exit(15) == 0, bot.log
    assert "scheduler started" not in bot.log
