"""年度考核 through the CLI and the chat: `kaohe annual`, `/annual`, `/mark`, `annual_close`."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli import main
from bot.jobs import Jobs
from bot.sender import Limits
from core.jobs import Job, fire_at, is_due_day
from core.quarter import Quarter
from core.quarter_end import window
from storage.tables import AuditEntry, PersonStanding
from tests.annual_year import publish_year
from tests.conftest import SHANGHAI, Chat, FakeClock, Roster, db_counts, local
from tests.factories import make_group, make_message
from tests.fakes import FakeSession

UNIT_GROUP = -100_901
JANUARY = local(1, 20, 10, year=2027)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> Path:
    for name in ("BOT_TOKEN", "TELEGRAM_API_BASE", "REDIS_URL", "KAOHE_POLICY", "KAOHE_TZ"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def kaohe(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def annual_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert await kaohe("annual", "--year", "2026", "--json", "--as-of", "2027-01-31") == 0
    return json.loads(capsys.readouterr().out)


def row(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in data["people"] if r["name"] == name)


@pytest.fixture
async def year2026(roster: Roster, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    await publish_year(sessionmaker)


async def test_kaohe_annual_json_grades_the_year_from_published_quarters(
    cli_env: Path, year2026: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = await annual_json(capsys)
    assert data["complete"] is True and data["quarters"] == [f"2026Q{q}" for q in (1, 2, 3, 4)]
    yang = row(data, "杨帆")
    assert (yang["department"], yang["grade_label"], yang["score"]) == ("办公室", "优秀", 98.0)
    assert [(q["quarter"], q["grade_label"]) for q in yang["quarters"]] == [
        (f"2026Q{q}", "好") for q in (1, 2, 3, 4)
    ]
    assert "名额" in yang["reason"]
    staff = next(g for g in data["groups"] if g["group"] == "一般工作人员")
    assert staff["size"] == 30 and staff["excellent_quota"] == 6
    assert staff["counts"]["excellent"] == 6
    # A vetoed (较差) quarter: 基本称职 under the standard policy, never 优秀.
    huang = row(data, "黄磊")
    assert huang["grade_label"] == "基本称职" and "较差" in huang["reason"]
    assert huang["quarters"][2]["vetoed"] is True


async def test_probation_year_person_gets_no_grade_and_frees_no_quota_place(
    cli_env: Path,
    year2026: None,
    chat: Chat,
    roster: Roster,
    sessionmaker: async_sessionmaker[AsyncSession],
    capsys: pytest.CaptureFixture[str],
) -> None:
    admin = await roster.bind("周敏")
    sent = await chat.feed(make_message("/mark 杨帆 试用期 2026 2026年7月录用", user=admin,
                                        date=JANUARY))  # fmt: skip
    assert sent[-1].text.startswith("✅ 已标记：杨帆 2026年 试用期")
    data = await annual_json(capsys)
    yang = row(data, "杨帆")
    assert (yang["grade"], yang["grade_label"]) == ("undetermined", "不定等次")
    assert "试用期" in yang["reason"] and yang["rank"] is None
    staff = next(g for g in data["groups"] if g["group"] == "一般工作人员")
    assert staff["size"] == 29 and staff["excellent_quota"] == 5
    async with sessionmaker() as s:
        actions = [e.action for e in (await s.exec(select(AuditEntry))).all()]
    assert "standing_mark" in actions

    # The person sees the mark in /status; /annual tells them the outcome and why.
    member = await roster.bind("杨帆")
    status = await chat.feed(make_message("/status", user=member, date=JANUARY))
    assert "年度考核标记：" in status[-1].text and "2026年 试用期" in status[-1].text
    mine = await chat.feed(make_message("/annual 2026", user=member, date=JANUARY))
    assert "不定等次" in mine[-1].text and "试用期内，只写评语，不确定等次" in mine[-1].text

    # Cleared (e.g. marked by mistake): graded again.
    await chat.feed(make_message("/unmark 杨帆 试用期 2026", user=admin, date=JANUARY))
    assert row(await annual_json(capsys), "杨帆")["grade_label"] == "优秀"


async def test_investigation_and_long_leave(
    cli_env: Path, year2026: None, chat: Chat, roster: Roster, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = await roster.bind("周敏")
    await chat.feed(make_message("/mark 赵丽 立案 2026", user=admin, date=JANUARY))
    await chat.feed(make_message("/mark 周婷 长期病事假 2026", user=admin, date=JANUARY))
    data = await annual_json(capsys)
    assert row(data, "赵丽")["grade_label"] == "不定等次"
    assert "结案后再确定等次" in row(data, "赵丽")["reason"]
    assert row(data, "周婷")["grade_label"] == "不参加"
    assert (
        await kaohe("annual", "--year", "2026", "--explain", "周婷", "--as-of", "2027-01-31") == 0
    )
    explained = capsys.readouterr().out
    assert "不参加" in explained and "病事假累计超过考核年度的一半" in explained


async def test_mark_refuses_non_admins_and_bad_input_changing_nothing(
    year2026: None,
    chat: Chat,
    roster: Roster,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    member = await roster.bind("杨帆")
    admin = await roster.bind("周敏")
    before = await db_counts(sessionmaker)
    denied = await chat.feed(make_message("/mark 赵丽 试用期", user=member, date=JANUARY))
    assert "只有考核办" in denied[-1].text
    usage = await chat.feed(make_message("/mark 赵丽 休假", user=admin, date=JANUARY))
    assert usage[-1].text.startswith("用法：/mark")
    nobody = await chat.feed(make_message("/mark 查无此人 试用期", user=admin, date=JANUARY))
    assert "查无此人" in nobody[-1].text
    again = await chat.feed(make_message("/unmark 赵丽 试用期", user=admin, date=JANUARY))
    assert "没有此标记" in again[-1].text
    assert await db_counts(sessionmaker) == before
    async with sessionmaker() as s:
        assert (await s.exec(select(PersonStanding))).all() == []


async def test_annual_while_the_year_runs_is_marked_provisional(
    roster: Roster, sessionmaker: async_sessionmaker[AsyncSession], chat: Chat
) -> None:
    await publish_year(sessionmaker, quarters=3)
    member = await roster.bind("杨帆")
    sent = await chat.feed(make_message("/annual", user=member, date=local(12, 1, 10)))
    assert "2026年第4季度尚未结束，年度结果暂定" in sent[-1].text
    assert "· 2026年第3季度 98.00分 好" in sent[-1].text
    bad = await chat.feed(make_message("/annual 明年", user=member, date=local(12, 1, 10)))
    assert bad[-1].text.startswith("用法：/annual")


async def test_annual_close_runs_after_q4_is_published(
    year2026: None,
    sessionmaker: async_sessionmaker[AsyncSession],
    roster: Roster,
    chat: Chat,
    dp: Dispatcher,
    bot: Bot,
    clock: FakeClock,
    fake: FakeSession,
) -> None:
    admin = await roster.bind("周敏")
    await chat.feed(
        make_message("/bindgroup 全单位", user=admin, chat=make_group(UNIT_GROUP, "全局"))
    )
    member = await roster.bind("杨帆")
    fake.clear()
    policy, calendar = dp["policy"], dp["calendar"]
    day = window(policy, calendar, Quarter(2026, 4)).final
    assert day.year == 2027 and day.month == 1
    assert is_due_day(Job.ANNUAL_CLOSE, policy, calendar, day)
    assert not is_due_day(Job.ANNUAL_CLOSE, policy, calendar, date(2027, 4, 20))
    jobs = Jobs(
        sessionmaker=sessionmaker, policy=policy, zone=SHANGHAI, bot=bot, calendar=calendar,
        clock=clock, limits=Limits.unlimited(), owner="test",
    )  # fmt: skip
    clock.at = fire_at(Job.ANNUAL_CLOSE, policy, day, SHANGHAI)
    result = await jobs.run(Job.ANNUAL_CLOSE, day)
    assert result.status == "done", result.error
    unit = fake.last_message(UNIT_GROUP).text
    assert unit.startswith("📘 2026年度考核结果：优秀 ") and "称职" in unit
    private = fake.last_message(member.id).text
    assert private.startswith("📘 你的2026年度考核结果：\n杨帆（办公室）：98.00分，优秀")
    assert "复核" in private


async def test_the_annual_sheet_shows_the_json_rows(
    cli_env: Path, year2026: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from openpyxl import Workbook

    from bot.annual_export import ANNUAL_HEADERS, write_annual_sheet

    data = await annual_json(capsys)
    book = Workbook()
    sheet = write_annual_sheet(book, data["people"], title="测试局 2026年度考核")
    grade, name = ANNUAL_HEADERS.index("年度等次"), ANNUAL_HEADERS.index("姓名")
    cells = [(r[name], r[grade]) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert cells == [(r["name"], r["grade_label"]) for r in data["people"]]
    assert sheet["A1"].value == "测试局 2026年度考核" and sheet.print_title_rows == "$2:$2"
    first = next(sheet.iter_rows(min_row=3, max_row=3, values_only=True))
    assert first[ANNUAL_HEADERS.index("第1季度")].endswith(" 好")
