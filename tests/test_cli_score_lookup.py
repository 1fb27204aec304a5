"""`kaohe score`: --explain by name or 工号 (spaces forgiven, namesakes each listed), and
the default quarter when the current one has no data yet."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from bot.cli import main
from tests.conftest import Chat, Office, local
from tests.factories import make_message


@pytest.fixture
async def filed(chat: Chat, office: Office, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """杨帆 filed on 2026-11-20 (2026Q4); the CLI reads the same database."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    await chat.feed(make_message("走访企业", user=office.member, date=local(11, 20, 10)))


async def kaohe(*argv: str, now: datetime | None = None) -> int:
    if now is None:
        return await asyncio.to_thread(main, list(argv))
    return await asyncio.to_thread(main, list(argv), clock=lambda: now)


Q4 = ("score", "--quarter", "2026年第四季度", "--as-of", "2026-11-20")


async def test_explain_by_employee_id_or_name_with_spaces(
    filed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kaohe(*Q4, "--explain", "SJ 806") == 0
    out = capsys.readouterr().out
    assert out.startswith("【城西市场监管所】\n张伟：") and "【局领导】" not in out

    assert await kaohe(*Q4, "--explain", "张 伟") == 0
    out = capsys.readouterr().out
    assert (
        out.splitlines()[0]
        == "有 2 人同名：张伟（局领导）、张伟（城西市场监管所），逐一列出如下。"
    )
    assert out.count("张伟：") == 2

    assert await kaohe(*Q4, "--explain", "杨帆") == 0
    assert "同名" not in capsys.readouterr().out

    assert await kaohe(*Q4, "--explain", "SJ999") == 1
    assert "没有找到「SJ999」（按姓名或工号查找" in capsys.readouterr().err


async def test_default_quarter_without_data_names_the_last_one_with_data(
    filed: None, capsys: pytest.CaptureFixture[str]
) -> None:
    later = datetime(2027, 2, 10, 4, tzinfo=UTC)  # 2027Q1: nothing filed yet
    assert await kaohe("score", "--json", now=later) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["period"] == "2026Q4"
    assert captured.err.strip() == (
        "2027年第1季度还没有人报送日报，以下是最近有日报的2026年第4季度"
        "（可用 --quarter 指定季度）。"
    )
    # asked for explicitly, the quarter is shown as it is, without the note
    assert await kaohe("score", "--json", "--quarter", "2027Q1", now=later) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["period"] == "2027Q1" and captured.err == ""
    # in a quarter with data, no note either
    assert await kaohe("score", "--json", now=datetime(2026, 11, 20, 13, tzinfo=UTC)) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["period"] == "2026Q4" and captured.err == ""


async def test_an_empty_explain_and_a_bad_policy_are_said_in_chinese(
    filed: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kaohe(*Q4, "--explain", " ") == 2
    captured = capsys.readouterr()
    assert captured.err == "--explain 后面请写姓名或工号，如 --explain 杨帆。\n"
    assert captured.out == ""  # not the whole table instead

    monkeypatch.setenv("KAOHE_POLICY", "nosuch")
    assert await kaohe(*Q4) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "考核方案有误（KAOHE_POLICY），请改正后再试：\n  KAOHE_POLICY = 'nosuch'："
    )
    assert "应为 内置方案（chengdu、golmud、standard" in err and "expected" not in err
