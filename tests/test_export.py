"""`kaohe export`: the workbook's figures are those of `kaohe score --json`."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.annual import annual_rows, annual_view
from bot.cli import main
from bot.export import build_export, build_year_export
from bot.jobs import Jobs
from bot.results import quarter_view
from bot.sender import Limits
from core.jobs import Job, fire_at
from core.quarter import Quarter
from core.quarter_end import window
from storage import export as store
from storage import people
from storage.tables import Person, Record, Report
from tests.annual_year import publish_year
from tests.conftest import SHANGHAI, Chat, FakeClock, Office, Roster, local
from tests.factories import make_callback, make_message

Q3 = Quarter(2026, 3)


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
async def quarter3(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession, clock: FakeClock
) -> None:
    """Q3 from 09-21: reports, a like, a voided error, a bonus and a veto."""
    await people.set_assessment_start(session, day=date(2026, 9, 21), actor="test")
    await session.commit()
    for day in (21, 22, 23, 24, 25, 28, 29, 30):
        await chat.feed(make_message("走访企业", user=office.member, date=local(9, day, 10)))
        if day % 2:
            await chat.feed(make_message("整理档案", user=office.other, date=local(9, day, 21)))
    head = office.head
    await chat.feed(make_message("点赞 @杨帆 材料写得好", user=head, date=local(9, 24, 11)))
    await chat.feed(make_message("错情 @赵丽 数据有误", user=head, date=local(9, 25, 11)))
    error = (await session.exec(select(Record).where(Record.kind == "error"))).one()
    admin = await roster.bind("周敏")
    await chat.feed(make_message(f"/void {error.id} 核实无误", user=admin, date=local(9, 25, 15)))
    for command in ("/bonus 赵丽 1.5 抗洪抢险", "/veto 黄磊 违纪违法 违反工作纪律"):
        await chat.feed(make_message(command, user=admin, date=local(9, 29, 9)))
        clock.at = local(9, 29, 9, 1)
        prompt = chat.fake.last_message(admin.id)
        data = prompt.reply_markup.inline_keyboard[0][0].callback_data
        await chat.feed(make_callback(data, user=admin, message=prompt))


async def test_export_figures_equal_kaohe_score_json(
    cli_env: Path, quarter3: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kaohe("score", "--quarter", "2026Q3", "--json") == 0
    scored = json.loads(capsys.readouterr().out)
    assert await kaohe("export", "--quarter", "2026Q3", "-o", "q3.xlsx") == 0
    assert "已导出 2026年第3季度（实时计算，暂定）：q3.xlsx" in capsys.readouterr().out
    book = load_workbook(cli_env / "q3.xlsx")

    sheet = book["个人结果"]
    assert sheet["A1"].value.endswith("实时计算，截至 2026-09-30，尚未公布")
    headers = [c.value for c in sheet[2]]
    rows = [dict(zip(headers, (c.value for c in row), strict=True)) for row in sheet.iter_rows(3)]
    assert len(rows) == len(scored["people"]) == 42
    for person, row in zip(scored["people"], rows, strict=True):
        assert (row["姓名"], row["部门"], row["类别"]) == (
            person["name"],
            person["department"],
            person["category"],
        )
        assert (row["得分"], row["名次"], row["等次"]) == (
            person["score"],
            person["rank"],
            person["grade_label"],
        )
        for component in person["components"]:
            assert row[component["label"]] == component["value"]  # None: an empty cell
        by_column: dict[str, float] = {}
        for adjustment in person["adjustments"]:  # every 加分 / 扣分 reason in one column
            bonus = adjustment["kind"] in {"bonus", "bonus_cap"}
            column = "加分/扣分" if bonus else adjustment["label"]
            by_column[column] = by_column.get(column, 0) + adjustment["points"]
        for column, points in by_column.items():
            assert row[column] == pytest.approx(points)
    assert not [h for h in headers if "抗洪抢险" in str(h)]  # reasons are rows of 明细
    by_name = {row["姓名"]: row for row in rows}
    assert by_name["黄磊"]["等次"] == "较差" and by_name["黄磊"]["负面清单"] == "违纪违法"

    departments = book["部门结果"]
    headers = [c.value for c in departments[2]]
    drows = [
        dict(zip(headers, (c.value for c in r), strict=True)) for r in departments.iter_rows(3)
    ]
    assert [(r["部门"], r["得分"], r["名次"]) for r in drows] == [
        (d["name"], d["score"], d["rank"]) for d in scored["departments"]
    ]

    details = book["明细"]
    headers = [c.value for c in details[2]]
    records = [dict(zip(headers, (c.value for c in r), strict=True)) for r in details.iter_rows(3)]
    kinds = {(r["姓名"], r["类型"], r["分值"], r["状态"]) for r in records}
    assert ("杨帆", "点赞", 1, "有效") in kinds
    assert ("赵丽", "错情", -1, "已撤销") in kinds and ("赵丽", "加分", 1.5, "有效") in kinds
    assert ("黄磊", "一票否决：违纪违法", 0, "有效") in kinds
    voided = next(r for r in records if r["状态"] == "已撤销")
    assert voided["记录人"] == "陈静"
    assert voided["撤销"].startswith("周敏 20")  # voided at the wall clock
    assert voided["撤销"].endswith("：核实无误")

    _check_audit(book)
    _check_filing(book)

    for ws in book.worksheets[2:]:  # the tables after the 汇总表 and the 登记表
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith("3")
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
        assert ws.print_title_rows == "$2:$2"
        assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"


def _check_audit(book: Any) -> None:
    """审计日志 in Chinese: action names, actor names, readable details."""
    audit = book["审计日志"]
    entries = [[c.value for c in row] for row in audit.iter_rows(3)]
    assert {"作废记录", "加分/扣分", "负面清单"} <= {e[3] for e in entries}
    bonus = next(e for e in entries if e[3] == "加分/扣分")
    assert bonus[2] == "周敏" and bonus[4] == "赵丽"
    assert "人员：赵丽" in bonus[5] and "分值：1.5" in bonus[5] and "原因：抗洪抢险" in bonus[5]


def _check_filing(book: Any) -> None:
    """填报情况 by month, a code per day and a legend."""
    # July and August were before kaohe started: no sheet of 未开始 columns
    assert [n for n in book.sheetnames if n.startswith("填报情况")] == ["填报情况（9月）"]
    filing = book["填报情况（9月）"]
    headers = [c.value for c in filing[2]]
    assert headers[2:32] == [str(day) for day in range(1, 31)]
    frows = {r[0].value: [c.value for c in r] for r in filing.iter_rows(3) if r[1].value}
    member = dict(zip(headers, frows["杨帆"], strict=True))
    other = dict(zip(headers, frows["赵丽"], strict=True))
    assert (member["21"], member["26"], member["20"]) == ("√", "休", "—")
    assert (other["21"], other["22"], member["25"]) == ("迟", "缺", "休")  # 中秋
    assert (member["按时"], member["缺报"], other["缺报"]) == (7, 0, 4)
    legend = [r[0].value for r in filing.iter_rows(3) if not r[1].value]
    assert legend == ["图例：√ 按时　迟 迟报　补 补报　缺 缺报　假 请假　休 非工作日　— 未开始"]


async def test_export_of_a_published_quarter_uses_the_snapshot(
    cli_env: Path,
    quarter3: None,
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
    chat: Chat,
    office: Office,
    capsys: pytest.CaptureFixture[str],
) -> None:
    results = window(dp["policy"], dp["calendar"], Q3).results
    jobs = Jobs(
        sessionmaker=sessionmaker,
        policy=dp["policy"],
        zone=SHANGHAI,
        bot=bot,
        calendar=dp["calendar"],
        clock=clock,
        limits=Limits.unlimited(),
        owner="test",
    )
    clock.at = fire_at(Job.QUARTER_CLOSE, dp["policy"], results, SHANGHAI)
    await jobs.run(Job.QUARTER_CLOSE, results)
    # after publication, a late like for a Q3 day changes live figures, not the published ones
    await chat.feed(make_message("点赞 @赵丽 补记", user=office.head, date=local(9, 30, 11)))
    assert await kaohe("score", "--quarter", "2026Q3", "--json") == 0
    live = json.loads(capsys.readouterr().out)
    assert next(p for p in live["people"] if p["name"] == "赵丽")["likes"] == 1
    assert await kaohe("export", "--quarter", "2026Q3", "-o", "q3.xlsx") == 0
    assert "（已公布的结果）" in capsys.readouterr().out
    sheet = load_workbook(cli_env / "q3.xlsx")["个人结果"]
    assert "已公布结果（2026-10-15 公布）" in sheet["A1"].value
    headers = [c.value for c in sheet[2]]
    row = next(r for r in sheet.iter_rows(3, values_only=True) if r[2] == "赵丽")
    assert dict(zip(headers, row, strict=True))["点赞次数"] == 0  # as published


# ---- issue 20: the CLI's output checks, the streamed archive, the year ---------------------


async def test_export_refuses_a_bad_output_path_in_one_chinese_line(
    cli_env: Path, roster: Roster, session: AsyncSession, capsys: pytest.CaptureFixture[str]
) -> None:
    (cli_env / "old.xlsx").write_bytes(b"keep me")
    cases = [
        (["-o", str(cli_env / "nope" / "x.xlsx")], f"文件夹不存在：{cli_env / 'nope'}"),
        (["-o", str(cli_env)], f"「{cli_env}」是一个文件夹"),
        (["-o", "out.csv"], "导出文件名须以 .xlsx 结尾：out.csv"),
        (["-o", "old.xlsx"], "文件已存在：old.xlsx（要覆盖请加 --force）"),
        (["--quarter", "2026Q3", "--year", "2026", "-o", "y.xlsx"], "只能选一个"),
    ]
    for argv, expected in cases:
        assert await kaohe("export", "--quarter", "2026Q3", *argv) == 2
        captured = capsys.readouterr()
        assert expected in captured.err and captured.err.count("\n") == 1, captured.err
        assert captured.out == ""
    assert not [
        p.name for p in cli_env.iterdir() if p.suffix in {".xlsx", ".csv"} and p.name != "old.xlsx"
    ]
    assert (cli_env / "old.xlsx").read_bytes() == b"keep me"
    await people.set_assessment_start(session, day=date(2026, 9, 21), actor="test")
    await session.commit()
    assert await kaohe("export", "--year", "2025", "-o", "y.xlsx") == 1
    assert capsys.readouterr().err == "2025年没有考核数据（kaohe 从 2026年9月21日 开始考核）。\n"
    assert await kaohe("export", "--quarter", "2026Q3", "-o", "old.xlsx", "--force") == 0
    assert load_workbook(cli_env / "old.xlsx").sheetnames[0] == "汇总表"


async def test_export_reports_alone_holds_every_report_text(
    cli_env: Path,
    quarter3: None,
    chat: Chat,
    office: Office,
    session: AsyncSession,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await chat.feed(
        make_message("=SUM(A1:A3) 汇总台账", user=office.member, date=local(9, 30, 11))
    )
    assert await kaohe("export", "--quarter", "2026Q3", "--reports", "-o", "r.xlsx") == 0
    stored = (await session.exec(select(Report))).all()
    out = capsys.readouterr().out
    assert f"已导出日报档案 2026年第3季度（{len(stored)} 份）：r.xlsx" in out
    sheet = load_workbook(cli_env / "r.xlsx")["日报档案"]
    assert (
        sheet["A1"].value
        == "测试市市场监督管理局 2026年第3季度 日报档案（2026年9月21日至9月30日）"
    )
    headers = [c.value for c in sheet[2]]
    rows = [dict(zip(headers, r, strict=True)) for r in sheet.iter_rows(3, values_only=True)]
    assert len(rows) == len(stored) == 8 + 4
    texts = {(r["姓名"], r["日期"].day): r for r in rows}
    assert texts[("杨帆", 29)]["内容"] == "走访企业" and texts[("赵丽", 21)]["内容"] == "整理档案"
    assert texts[("赵丽", 21)]["类型"] == "日报·迟报"
    hostile = next(r for r in sheet.iter_rows(3) if r[0].value.day == 30 and r[1].value == "杨帆")
    assert hostile[5].value == "1. 走访企业\n2. =SUM(A1:A3) 汇总台账"
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$2:$2"


async def test_export_reports_guards_a_formula_at_the_start_of_a_cell(
    cli_env: Path, chat: Chat, office: Office, session: AsyncSession
) -> None:
    await people.set_assessment_start(session, day=date(2026, 9, 21), actor="test")
    await session.commit()
    await chat.feed(
        make_message('=HYPERLINK("http://x","点我")', user=office.member, date=local(9, 30, 11))
    )
    assert await kaohe("export", "--quarter", "2026Q3", "--reports", "-o", "r.xlsx") == 0
    cell = load_workbook(cli_env / "r.xlsx")["日报档案"]["F3"]
    assert cell.value == '=HYPERLINK("http://x","点我")'
    assert cell.data_type == "s" and cell.quotePrefix


async def test_year_export_puts_the_quarters_side_by_side(
    quarter3: None, session: AsyncSession, dp: Dispatcher
) -> None:
    now = datetime(2026, 10, 10, 12, tzinfo=SHANGHAI)
    export = await build_year_export(
        session, policy=dp["policy"], calendar=dp["calendar"], year=2026, now=now
    )
    assert export.filename == "平时考核-2026年度.xlsx"
    book = load_workbook(BytesIO(export.data))
    assert book.sheetnames[0] == "年度汇总"
    assert "填报情况（9月）" in book.sheetnames and "填报情况（10月）" in book.sheetnames
    assert book["日报档案"].max_row == 2 + 8 + 4  # every report of the year
    sheet = book["年度汇总"]
    headers = [c.value for c in sheet[2]]
    assert headers[5:] == [
        "Q1得分",
        "Q1排名",
        "Q1等次",
        "Q2得分",
        "Q2排名",
        "Q2等次",
        "Q3得分",
        "Q3排名",
        "Q3等次",
        "Q4得分",
        "Q4排名",
        "Q4等次",
        "好（次）",
        "一般及以下（次）",
    ]
    q3 = await quarter_view(
        session, policy=dp["policy"], calendar=dp["calendar"], quarter=Q3, now=now
    )
    rows = {r[2]: dict(zip(headers, r, strict=True)) for r in sheet.iter_rows(3, values_only=True)}
    assert len(rows) == 42  # by 工号: there are two 张伟
    details = await store.person_details(session, unit_id=q3.unit_id)
    for person in q3.people:
        row = rows[details[person["person_id"]].employee_id]
        assert row["姓名"] == person["name"]
        assert (row["Q1得分"], row["Q2得分"]) == ("未考核", "未考核")
        assert (row["Q3得分"], row["Q3等次"]) == (person["score"], person["grade_label"])
        assert row["Q3排名"] == f"{person['rank']}/{person['group_size']}"

    # the 年度考核 sheet holds the same rows as `kaohe annual --json` (bot/annual.py)
    view = await annual_view(
        session, policy=dp["policy"], calendar=dp["calendar"], year=2026, now=now
    )
    expected = [(r["name"], r["department"], r["grade_label"]) for r in annual_rows(view)]
    annual = book["年度考核"]
    header_row = next(
        n for n, r in enumerate(annual.iter_rows(values_only=True), 1) if r and r[0] == "序号"
    )
    shown = [
        (r[1], r[2], r[11])
        for r in annual.iter_rows(header_row + 1, values_only=True)
        if r and isinstance(r[0], int)
    ]
    assert shown == expected and len(expected) == 42


async def test_no_cell_of_the_workbook_is_a_formula_whatever_the_names(
    quarter3: None, session: AsyncSession, dp: Dispatcher
) -> None:
    """A unit or person named like a formula (issue 16, item 4) stays literal text."""
    unit = await people.get_unit(session)
    assert unit is not None
    unit.name = '=HYPERLINK("http://x","单位")'
    yang = (await session.exec(select(Person).where(Person.name == "杨帆"))).one()
    yang.name = "@杨帆"
    session.add_all([unit, yang])
    await session.commit()
    export = await build_export(
        session,
        policy=dp["policy"],
        calendar=dp["calendar"],
        quarter=Q3,
        now=datetime(2026, 9, 30, 21, tzinfo=SHANGHAI),
    )
    book = load_workbook(BytesIO(export.data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [(c.parent.title, c.coordinate) for c in cells if c.data_type == "f"]
    risky = [c for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "@"))]
    assert {c.parent.title for c in risky} >= {"汇总表", "登记表", "个人结果", "明细", "日报档案"}
    assert all(c.quotePrefix for c in risky)


# ---- issue 20: 备注 tells 复核 and 不定等次; the head tells the 公示 ------------------------


def _summary_rows(book: Any) -> dict[str, tuple[str, str]]:
    """The 汇总表's people: name → (等次, 备注)."""
    rows = book["汇总表"].iter_rows(values_only=True)
    return {r[1]: (r[8], r[9] or "") for r in rows if isinstance(r[0], int)}


def _register_remarks(book: Any) -> dict[str, str]:
    """The 登记表's 备注, by name (the form's first line says 姓名)."""
    remarks, name = {}, ""
    for row in book["登记表"].iter_rows(values_only=True):
        if row[0] == "姓名":
            name = row[1]
        elif row[0] == "备注":
            remarks[name] = row[1]
    return remarks


def _jobs(sessionmaker: Any, policy: Any, bot: Bot, dp: Dispatcher, clock: FakeClock) -> Jobs:
    return Jobs(
        sessionmaker=sessionmaker, policy=policy, zone=SHANGHAI, bot=bot,
        calendar=dp["calendar"], clock=clock, limits=Limits.unlimited(), owner="test",
    )  # fmt: skip


async def test_summary_and_register_remarks_tell_appeals_and_undetermined(
    quarter3: None,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
    chat: Chat,
    office: Office,
    roster: Roster,
) -> None:
    # 周婷 on leave from 09-22: required on 1 working day, fewer than 2 → 不定等次
    policy = dp["policy"]
    policy = replace(policy, grades=replace(policy.grades, min_required_days=2))
    admin = await roster.bind("周敏")
    await chat.feed(make_message("/leave 周婷 9-22 9-30 病假", user=admin, date=local(9, 21, 9)))
    results = window(policy, dp["calendar"], Q3).results
    assert results == date(2026, 10, 15)
    clock.at = fire_at(Job.QUARTER_CLOSE, policy, results, SHANGHAI)
    await _jobs(sessionmaker, policy, bot, dp, clock).run(Job.QUARTER_CLOSE, results)

    huang = await roster.bind("黄磊")  # 较差 (veto)
    for user in (office.other, office.member, huang):
        await chat.feed(make_message("/appeal 请复核", user=user, date=local(10, 16, 10)))
    for decision in ("/decide 2 维持 经核实无误", "/decide 3 变更 一般 否决事项已撤销"):
        sent = await chat.feed(make_message(decision, user=admin, date=local(10, 19, 10)))
        assert sent[-1].text.startswith("✅ 复核 #"), sent[-1].text

    session.expire_all()
    export = await build_export(
        session, policy=policy, calendar=dp["calendar"], quarter=Q3,
        now=datetime(2026, 10, 19, 18, tzinfo=SHANGHAI),
    )  # fmt: skip
    book = load_workbook(BytesIO(export.data))
    rows = _summary_rows(book)
    expected = {
        "赵丽": "得分低于60分；已申请复核，待答复（10月30日前）",  # 10 working days
        "杨帆": "复核维持原等次（10月19日）；绩效之星",
        "黄磊": "负面清单：违纪违法；复核变更：原较差→现一般（10月19日）",  # said once
        "周婷": "本季度应报1个工作日，少于2个",
    }
    assert {name: rows[name][1] for name in expected} == expected
    assert (rows["黄磊"][0], rows["周婷"][0]) == ("一般", "不定等次")
    remarks = _register_remarks(book)
    assert {name: remarks[name] for name in expected} == expected


async def test_summary_head_tells_the_publicity_once_published(
    quarter3: None,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
) -> None:
    policy, calendar = dp["policy"], dp["calendar"]

    async def head(now: datetime, rules: Any = policy) -> tuple[list[str], Any]:
        session.expire_all()
        export = await build_export(session, policy=rules, calendar=calendar, quarter=Q3, now=now)
        sheet = load_workbook(BytesIO(export.data))["汇总表"]
        lines = [str(c.value) for r in sheet.iter_rows(max_row=6) for c in r if c.value]
        return [line for line in lines if line.startswith("公示期")], sheet

    before, sheet = await head(datetime(2026, 10, 14, 18, tzinfo=SHANGHAI))
    assert before == [] and sheet["A4"].value == "序号" and sheet.print_title_rows == "$4:$4"

    dates = window(policy, calendar, Q3)
    jobs = _jobs(sessionmaker, policy, bot, dp, clock)
    clock.at = fire_at(Job.QUARTER_CLOSE, policy, dates.results, SHANGHAI)
    await jobs.run(Job.QUARTER_CLOSE, dates.results)
    during, sheet = await head(datetime(2026, 10, 16, 18, tzinfo=SHANGHAI))
    assert during == ["公示期：2026年10月15日至10月21日（公示中）"]  # 5 working days
    assert sheet["A5"].value == "序号" and sheet.print_title_rows == "$5:$5"
    assert sheet.freeze_panes == "A6"

    clock.at = fire_at(Job.RESULTS_FINAL, policy, dates.final, SHANGHAI)
    await jobs.run(Job.RESULTS_FINAL, dates.final)
    after, _ = await head(datetime(2026, 10, 22, 18, tzinfo=SHANGHAI))
    assert after == ["公示期：2026年10月15日至10月21日（已结束，结果已确定）"]

    no_publicity = replace(policy, quarter_end=replace(policy.quarter_end, publicity_days=0))
    none, _ = await head(datetime(2026, 10, 22, 18, tzinfo=SHANGHAI), no_publicity)
    assert none == []


async def test_year_workbook_tells_annual_appeals_in_the_annual_sheet(
    roster: Roster,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    dp: Dispatcher,
    chat: Chat,
) -> None:
    await publish_year(sessionmaker)
    received = window(dp["policy"], dp["calendar"], Quarter(2026, 4)).final
    admin = await roster.bind("周敏")
    filed = datetime.combine(received + timedelta(days=1), time(10), tzinfo=SHANGHAI)
    decided = filed + timedelta(days=2)
    for name in ("赵丽", "徐丽娟", "黄磊"):
        user = await roster.bind(name)
        await chat.feed(make_message("/appeal 年度 请复核", user=user, date=filed))
    for decision in ("/decide 2 维持 名额已满", "/decide 3 变更 称职 否决已撤销"):
        sent = await chat.feed(make_message(decision, user=admin, date=decided))
        assert sent[-1].text.startswith("✅ 复核 #"), sent[-1].text

    session.expire_all()
    export = await build_year_export(
        session, policy=dp["policy"], calendar=dp["calendar"], year=2026,
        now=decided + timedelta(hours=8),
    )  # fmt: skip
    sheet = load_workbook(BytesIO(export.data))["年度考核"]
    headers = [c.value for c in sheet[2]]
    rows = {r[1]: dict(zip(headers, r, strict=True)) for r in sheet.iter_rows(3, values_only=True)}
    due, day = received + timedelta(days=31), decided.date()
    assert rows["赵丽"]["说明"].endswith(f"；已申请复核，待答复（{due.month}月{due.day}日前）")
    assert rows["徐丽娟"]["说明"].endswith(f"；复核维持原等次（{day.month}月{day.day}日）")
    assert rows["黄磊"]["说明"] == f"复核变更：原基本称职→现称职（{day.month}月{day.day}日）"
    assert rows["黄磊"]["年度等次"] == "称职"
