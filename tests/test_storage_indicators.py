"""Indicator sheets: import all or nothing with row numbers, revisions keep the old version,
and the indicators component reaching the quarter's scores."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli_indicators import import_indicators
from bot.scores import quarter_results
from core.calendar import WorkCalendar
from core.policy import Policy
from core.quarter import Quarter
from core.scoring import explain
from storage.indicators import versions
from storage.tables import AuditEntry, Indicator
from tests.conftest import SHANGHAI, Roster

HEADER = "编号,部门,姓名,指标,权重,目标值,单位,完成值\n"
GOOD = HEADER + (
    "U1,,,全局年度目标,1,100,%,\n"
    "D1,办公室,,办公室公文办理,1,300,件,120\n"
    "K01,办公室,杨帆,公文起草,2,100,件,90\n"
    "K02,办公室,杨帆,信息报送,1,40,条,10\n"
)


def sheet(tmp_path: Path, text: str, name: str = "指标.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def current(session: AsyncSession) -> list[tuple[str, str, int, float | None]]:
    session.expire_all()
    rows = await session.exec(
        select(Indicator.key, Indicator.level, Indicator.version, Indicator.actual)
        .where(col(Indicator.current).is_(True))
        .order_by(col(Indicator.key))
    )
    return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_import_then_revise_keeps_the_previous_version(
    tmp_path: Path, roster: Roster, session: AsyncSession
) -> None:
    code, text = await import_indicators(
        session, path=sheet(tmp_path, GOOD), year=2026, actor="考核办"
    )
    assert (code, text) == (0, "指标导入完成：新增 4 项，修订 0 项（保留原版本），未变 0 项。")
    assert await current(session) == [
        ("D1", "department", 1, 120.0), ("K01", "person", 1, 90.0),
        ("K02", "person", 1, 10.0), ("U1", "unit", 1, None),
    ]  # fmt: skip
    revised = GOOD.replace("信息报送,1,40,条,10", "信息报送,1,40,条,30")
    code, text = await import_indicators(
        session, path=sheet(tmp_path, revised, "第二轮.csv"), year=2026, actor="李红梅"
    )
    assert text == "指标导入完成：新增 0 项，修订 1 项（保留原版本），未变 3 项。"
    (unit_id,) = (await session.exec(select(Indicator.unit_id).limit(1))).all()
    history = await versions(session, unit_id=unit_id, year=2026, key="K02")
    assert [(v.version, v.current, v.actual, v.changed_by_name) for v in history] == [
        (1, False, 10.0, "考核办"),
        (2, True, 30.0, "李红梅"),
    ]
    actions = (await session.exec(select(AuditEntry.action))).all()
    assert actions.count("indicators_import") == 2


async def test_a_bad_sheet_imports_nothing_and_names_every_row(
    tmp_path: Path, roster: Roster, session: AsyncSession
) -> None:
    bad = HEADER + (
        "K01,办公室,杨帆,公文起草,2,100,件,90\n"
        "K02,办公室,杨帆,,1,40,条,10\n"
        "K03,办公室,无此人,信息报送,1,40,条,10\n"
        "K04,办公室,赵丽,信息报送,x,0,条,10\n"
        "K01,办公室,赵丽,重复编号,1,10,条,\n"
    )
    code, text = await import_indicators(
        session, path=sheet(tmp_path, bad), year=2026, actor="考核办"
    )
    assert code == 1
    assert text.splitlines() == [
        "指标表有 4 处问题，未导入任何数据：",
        "  第 3 行：「指标」为空",
        "  第 5 行：「权重」不是数字：x",
        "  第 5 行：「目标值」须大于 0",
        "  第 6 行：与第 2 行重复（同一编号）",
    ]
    assert await current(session) == []
    # the names are checked against the roster only once the sheet itself is clean
    only_names = HEADER + "K03,办公室,无此人,信息报送,1,40,条,10\nK05,后勤科,杨帆,x,1,1,,\n"
    code, text = await import_indicators(
        session, path=sheet(tmp_path, only_names, "b.csv"), year=2026, actor="考核办"
    )
    assert text.splitlines()[1:] == [
        "  第 2 行：办公室「无此人」名单里没有此人",
        "  第 3 行：名单里没有部门「后勤科」",
    ]
    assert await current(session) == []


async def test_xlsx_sheets_import_too(
    tmp_path: Path, roster: Roster, session: AsyncSession
) -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    for line in GOOD.splitlines():
        ws.append([cell or None for cell in line.split(",")])
    path = tmp_path / "指标.xlsx"
    book.save(path)
    code, _ = await import_indicators(session, path=path, year=2026, actor="考核办")
    assert code == 0 and len(await current(session)) == 4


async def test_the_indicators_component_reaches_the_quarter_score(
    tmp_path: Path, roster: Roster, session: AsyncSession
) -> None:
    await import_indicators(session, path=sheet(tmp_path, GOOD), year=2026, actor="考核办")
    now = datetime(2026, 11, 20, 21, tzinfo=SHANGHAI)
    result, _ = await quarter_results(
        session, policy=Policy(), calendar=WorkCalendar(), quarter=Quarter.of(date(2026, 11, 20)),
        now=now,
    )  # fmt: skip
    (yang,) = [p for p in result.people if p.name == "杨帆"]
    lines = explain(yang)
    # (2 × 90 + 1 × 25) / 3 = 68.33: no tasks, so the indicators take the whole component
    assert any(line.startswith("· 指标完成 68.33") for line in lines)
    assert "    – 公文起草 90（占66.67%）  [目标100件，完成90件，权重2]" in lines
    (chen,) = [p for p in result.people if p.name == "陈静"]
    assert not any(line.startswith("· 指标完成 ") for line in explain(chen))
