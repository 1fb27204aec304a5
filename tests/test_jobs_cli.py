"""`kaohe jobs list` and `kaohe jobs run` (DESIGN §5 operations)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli import main
from bot.policies import load_policy
from core.calendar import WorkCalendar
from core.jobs import Job
from core.quarter import Quarter
from core.quarter_end import window
from storage.audit import audit_entries
from storage.tables import JobRun, PublishedQuarter, SentMessage
from tests.conftest import TEST_TOKEN, Chat, Office, Roster, local
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
    assert await kaohe("jobs", "run", "remind", "--date", "11-31", "--dry-run") == 2
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


# ---- guard rails (issue 24): no publishing on behalf of the future, re-publication audited

TODAY = local(12, 3, 10)  # Thursday 2026-12-03, 10:00 in Shanghai


def at_today() -> datetime:
    return TODAY


async def kaohe_on(clock: Callable[[], datetime], *argv: str) -> int:
    """`kaohe …` with a fixed "now"."""
    return await asyncio.to_thread(main, list(argv), clock=clock)


def q4_results_day() -> date:
    policy = load_policy("standard")
    return window(policy, WorkCalendar(policy.calendar), Quarter(2026, 4)).results


async def nothing_stored(session: AsyncSession) -> bool:
    return (
        (await session.exec(select(SentMessage))).all() == []
        and (await session.exec(select(JobRun))).all() == []
        and (await session.exec(select(PublishedQuarter))).all() == []
    )


async def test_a_future_quarter_close_is_refused_and_nothing_is_sent(
    cli_env: Path,
    friday: None,
    api: FakeBotAPI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    session: AsyncSession,
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE", api.base)
    results = q4_results_day()
    assert results > TODAY.date()
    assert await kaohe_on(at_today, "jobs", "run", "quarter_close", "--date", str(results)) == 2
    out = capsys.readouterr().out
    assert out.strip() == (
        f"{results} 还没到（今天是 2026-12-03），不能提前运行 quarter_close（季度结果公布）："
        "没有发送、也没有记录任何东西。想先看看会发什么，请加 --dry-run。"
    )
    assert await kaohe_on(at_today, "jobs", "run", "remind", "--date", "2026-12-04") == 2
    assert "2026-12-04 还没到" in capsys.readouterr().out
    assert api.delivered == []
    assert await nothing_stored(session)


async def test_a_dry_run_for_the_future_still_shows_what_would_happen(
    cli_env: Path, friday: None, capsys: pytest.CaptureFixture[str], session: AsyncSession
) -> None:
    argv = ("jobs", "run", "remind", "--date", "2026-12-04", "--dry-run")
    assert await kaohe_on(at_today, *argv) == 0
    first, second, *_ = capsys.readouterr().out.splitlines()
    assert first == "注意：2026-12-04 还没到（今天是 2026-12-03），真的运行会被拒绝。"
    assert second.startswith("演练，不发送：remind（日报提醒） 2026-12-04，将发送 5 条")
    assert await nothing_stored(session)


async def test_a_quarter_close_before_its_results_day_is_refused(
    cli_env: Path,
    friday: None,
    api: FakeBotAPI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    session: AsyncSession,
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE", api.base)
    late = local(12, 31, 10)  # the quarter's last working day: its results come later
    argv = ("jobs", "run", "quarter_close", "--date", "2026-12-31")
    assert await kaohe_on(lambda: late, *argv) == 2
    out = capsys.readouterr().out
    assert out.startswith("2026-12-31 不是 quarter_close（季度结果公布） 的运行日")
    assert f"下一个运行日：{q4_results_day()}。" in out
    assert api.delivered == []
    assert await nothing_stored(session)


async def test_republishing_is_explicit_audited_and_sends_again(
    cli_env: Path,
    friday: None,
    api: FakeBotAPI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    session: AsyncSession,
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE", api.base)
    run = ("jobs", "run", "remind", "--date", "2026-11-20")
    assert await kaohe_on(at_today, *run) == 0
    assert await kaohe_on(at_today, *run) == 0  # a plain re-run sends nothing again
    assert "发送 0 条，跳过 4 条" in capsys.readouterr().out
    assert len(api.delivered) == 4

    assert await kaohe_on(at_today, *run, "--republish") == 2
    assert "--republish 要写明理由" in capsys.readouterr().err
    assert await kaohe_on(at_today, *run, "--reason", "误删") == 2
    assert "--reason 只和 --republish 一起用" in capsys.readouterr().err
    assert len(api.delivered) == 4
    assert await audit_entries(session, action="job_republish") == []

    assert await kaohe_on(at_today, *run, "--republish", "--reason", "提醒被误删") == 0
    out = capsys.readouterr().out
    assert out.startswith("重新发布，之前发过的也再发一次（理由：提醒被误删；已记入审计日志）")
    assert "发送 4 条，跳过 0 条" in out
    assert len(api.delivered) == 8
    (entry,) = await audit_entries(session, action="job_republish")
    assert (entry.actor, entry.subject) == ("cli", "remind 2026-11-20")
    assert entry.detail == {"job": "remind", "day": "2026-11-20", "reason": "提醒被误删"}


async def test_dry_run_names_namesakes_with_their_department(
    cli_env: Path, friday: None, roster: Roster, capsys: pytest.CaptureFixture[str]
) -> None:
    await roster.bind("张伟", nth=0)
    await roster.bind("张伟", nth=1)
    assert await kaohe("jobs", "run", "remind", "--date", "2026-11-20", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "→ 张伟（局领导）：" in out and "→ 张伟（城西市场监管所）：" in out
    assert "→ 张伟：" not in out
    assert "→ 赵丽：" in out  # a name nobody shares stays short
