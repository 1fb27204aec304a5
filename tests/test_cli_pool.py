"""`kaohe pool`: the incentive pool split to the fen, explainable, and its 分配表."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import SendDocument
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli import main
from tests.annual_year import publish_year
from tests.conftest import Chat, Roster, local
from tests.factories import make_message
from tests.fakes import FakeSession

CENT = Decimal("0.01")


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> Path:
    for name in ("BOT_TOKEN", "TELEGRAM_API_BASE", "REDIS_URL", "KAOHE_POLICY", "KAOHE_TZ"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


async def kaohe(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


@pytest.fixture
async def year2026(roster: Roster, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    await publish_year(sessionmaker)


async def pool(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    assert await kaohe("pool", "--year", "2026", "--as-of", "2027-01-31", "--json", *extra) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("amount", ["500000", "500000.01", "12345.67", "0.07", "99999.99"])
async def test_the_pool_adds_up_to_the_fen(
    cli_env: Path, year2026: None, capsys: pytest.CaptureFixture[str], amount: str
) -> None:
    data = await pool(capsys, "--amount", amount)
    fen = int(Decimal(amount) * 100)
    assert data["pool_fen"] == fen and data["pool"] == f"{Decimal(amount):.2f}"
    assert sum(p["amount_fen"] for p in data["people"]) == fen
    assert sum(d["amount_fen"] for d in data["departments"]) == fen
    for d in data["departments"]:
        inside = [p for p in data["people"] if p["department_id"] == d["department_id"]]
        assert sum(p["amount_fen"] for p in inside) == d["amount_fen"]
    assert data["undistributed_fen"] == 0 and "取整规则" in data["rounding"]


async def test_each_line_is_explained_and_better_grades_get_more(
    cli_env: Path, year2026: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = await pool(capsys, "--amount", "500000")
    yang = next(p for p in data["people"] if p["name"] == "杨帆")
    assert (yang["grade_label"], yang["coefficient"]) == ("优秀", 1.2)
    assert yang["explain"].startswith(f"部门金额{yang['department_amount']}元 × 1.2×98.00 ÷ ")
    office = [p for p in data["people"] if p["department"] == "办公室"]
    best = max(office, key=lambda p: p["amount_fen"])
    assert best["name"] == "杨帆"


async def test_a_quarter_pool_uses_the_quarter_grades(
    cli_env: Path, year2026: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = await pool(capsys, "--amount", "100000.03", "--quarter", "2026Q3")
    assert data["period"] == "2026Q3" and sum(p["amount_fen"] for p in data["people"]) == 10000003
    huang = next(p for p in data["people"] if p["name"] == "黄磊")
    assert (huang["grade_label"], huang["amount_fen"]) == ("较差", 0)  # coefficient 0


async def test_the_sheet_agrees_with_the_json(
    cli_env: Path, year2026: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = await pool(capsys, "--amount", "500000.01", "-o", "分配表.xlsx")
    book = load_workbook(cli_env / "分配表.xlsx")
    sheet = book["个人分配"]
    assert sheet["A1"].value == "2026年度 激励资金分配表（资金总额 500000.01 元） · 个人分配"
    headers = [c.value for c in sheet[2]]
    lines = [
        (r[headers.index("姓名")], Decimal(str(r[headers.index("金额（元）")])).quantize(CENT))
        for r in sheet.iter_rows(min_row=3, values_only=True)
        if isinstance(r[0], int)
    ]
    assert lines == [(p["name"], Decimal(p["amount"])) for p in data["people"]]
    assert sum(a for _, a in lines) == Decimal("500000.01")
    assert sheet.cell(row=3, column=9).number_format == "#,##0.00"
    assert sheet.print_title_rows == "$2:$2" and sheet.page_setup.orientation == "landscape"
    assert "部门分配" in book.sheetnames


@pytest.mark.parametrize("amount", ["-5", "0", "abc", "1.005", "1e3x"])
async def test_a_bad_amount_is_refused(
    cli_env: Path, year2026: None, capsys: pytest.CaptureFixture[str], amount: str
) -> None:
    assert await kaohe("pool", "--year", "2026", "--amount", amount) == 2
    assert "金额有误" in capsys.readouterr().err
    assert not list(cli_env.glob("*.xlsx"))


async def test_a_quarter_not_over_or_of_another_year_is_refused(
    cli_env: Path, year2026: None, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("pool", "--year", "2026", "--amount", "100", "--as-of", "2026-11-01")
    assert await kaohe(*args, "--quarter", "2026Q4") == 1
    assert "尚未结束" in capsys.readouterr().err
    assert await kaohe(*args, "--quarter", "2025Q4") == 2
    assert "不在2026年" in capsys.readouterr().err


async def test_pool_in_chat_is_for_admins_and_sends_the_sheet(
    year2026: None, chat: Chat, roster: Roster, fake: FakeSession
) -> None:
    member = await roster.bind("杨帆")
    admin = await roster.bind("周敏")
    when = local(1, 25, 10, year=2027)
    denied = await chat.feed(make_message("/pool 2026 500000", user=member, date=when))
    assert denied[-1].text == "只有考核办可以分配激励资金。"
    bad = await chat.feed(make_message("/pool 2026 五十万", user=admin, date=when))
    assert bad[-1].text.startswith("金额有误")
    assert fake.sent(SendDocument) == []
    await chat.feed(make_message("/pool 2026 500000.01", user=admin, date=when))
    [document] = fake.sent(SendDocument)
    assert document.caption == (
        "💰 2026年度 激励资金分配表：资金总额 500000.01 元，42人合计 500000.01 元。"
    )
    book = load_workbook(BytesIO(document.document.data))  # type: ignore[union-attr]
    assert book["个人分配"]["A1"].value.startswith("2026年度 激励资金分配表")
