"""`kaohe jobs list` and `kaohe jobs run` (DESIGN §5 operations)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli import main
from core.jobs import Job
from storage.tables import JobRun, SentMessage
from tests.conftest import TEST_TOKEN, Chat, Office, local
from tests.factories import make_message
from tests.fake_api import FakeBotAPI


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> Path:
    """An empty working directory; only DATABASE_URL set."""
    for name in ("BOT_TOKEN", "TELEGRAM_API_BASE", "REDIS_URL", "KAOHE_POLICY", "KAOHE_TZ"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def kaohe(*argv: str) -> int:
    """Run the `kaohe` command (it runs its own event loop, so in a thread)."""
    return await asyncio.to_thread(main, list(argv))


@pytest.fixture
async def friday(chat: Chat, office: Office) -> None:
    """杨帆 filed on Friday 11-20; 陈静, 赵丽 and the others did not."""
    await chat.feed(make_message("走访企业", user=office.member, date=local(11, 20, 10)))


async def test_dry_run_shows_the_messages_and_sends_nothing(
    cli_env: Path, friday: None, capsys: pytest.CaptureFixture[str], session: AsyncSession
) -> None:
    assert await kaohe("jobs", "run", "remind", "--date", "2026-11-20", "--dry-run") == 0
    out = capsys.readouterr().out
    assert out.startswith("演练，不发送：remind（日报提醒） 2026-11-20，将发送 4 条")
    assert "→ 赵丽：⏰ 11月20日的日报还没填" in out
    assert "杨帆" not in out
    assert (await session.exec(select(SentMessage))).all() == []
    assert (await session.exec(select(JobRun))).all() == []


async def test_dry_run_of_a_notice_records_nothing(
    cli_env: Path,
    chat: Chat,
    office: Office,
    capsys: pytest.CaptureFixture[str],
    session: AsyncSession,
) -> None:
    await chat.feed(make_message("走访企业", user=office.member, date=local(11, 17, 10)))
    assert await kaohe("jobs", "run", "escalate", "--date", "2026-11-20", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "将记通报" in out and "→ 办公室群：📢 通报：赵丽" in out
    assert (await session.exec(select(SentMessage))).all() == []


async def test_real_run_needs_a_token(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await kaohe("jobs", "run", "remind") == 2
    err = capsys.readouterr().err
    assert "没有设置 BOT_TOKEN" in err and "--dry-run" in err


async def test_bad_date_and_a_day_without_the_job(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kaohe("jobs", "run", "remind", "--date", "11-20", "--dry-run") == 2
    assert "看不懂" in capsys.readouterr().err
    assert await kaohe("jobs", "run", "digest", "--date", "2026-10-09", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "2026-10-09 不是 digest（部门周报摘要） 的运行日（每周最后一个工作日 20:30）" in out


async def test_list_shows_each_job_its_trigger_and_next_run(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kaohe("jobs", "list") == 0
    out = capsys.readouterr().out
    for job, trigger in [
        ("remind", "每个工作日 17:00"),
        ("missing", "每个工作日 09:00"),
        ("escalate", "每个工作日 09:00"),
        ("weekly_remind", "每周最后一个工作日 17:00"),
        ("digest", "每周最后一个工作日 20:30"),
        ("month_end", "每月最后 2 个工作日 09:00"),
        ("leaderboard", "每周最后一个工作日 21:00"),
    ]:
        block = out.split(f"\n{job}  ", 1)[1]
        assert f"触发：{trigger}" in block.split("\n")[2]
        assert "下次：20" in block
    assert out.count("上次：—") == len(Job)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(token=TEST_TOKEN) as server:
        yield server


async def test_real_run_sends_once_over_the_bot_api(
    cli_env: Path,
    friday: None,
    api: FakeBotAPI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    session: AsyncSession,
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE", api.base)
    assert await kaohe("jobs", "run", "remind", "--date", "2026-11-20") == 0
    assert "发送 4 条，跳过 0 条" in capsys.readouterr().out
    assert await kaohe("jobs", "run", "remind", "--date", "2026-11-20") == 0
    assert "发送 0 条，跳过 4 条" in capsys.readouterr().out
    assert len(api.delivered) == 4
    assert await kaohe("jobs", "list") == 0
    assert "上次：2026-11-20 已完成，发送 4 条" in capsys.readouterr().out
    runs = (await session.exec(select(JobRun))).all()
    assert [(r.job, r.status, r.runs) for r in runs] == [("remind", "done", 2)]
