"""The quarter's workbook as a 考核办 prints it (issue 20): rendered once per test session
by LibreOffice (headless) to PDF, then read back with poppler (pdfinfo, pdftotext) and
pdfplumber (each character's position and printed size).

The data is the sample roster (42 people) through the real dispatcher: reports (one edited,
one answered with a 批复), likes, a voided error, a bonus and a veto — and text that starts
like a spreadsheet formula (issue 16, item 4) in a like's reason, a report, a 批复, a task
and a bonus reason. The PDF tests are skipped only where `soffice` is not installed.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import SendMessage
from openpyxl import load_workbook
from sqlmodel import select

from bot.app import make_bot, make_dispatcher
from bot.config import Settings
from bot.demo import sample_roster_path
from bot.export import build_export
from core.quarter import Quarter
from core.roster import parse_roster
from storage import db, people
from storage.roster_io import read_table
from storage.tables import Record, ReportItem
from tests.conftest import OFFICE_GROUP, SHANGHAI, TEST_TOKEN, Chat, FakeClock, Roster, local
from tests.factories import make_callback, make_group, make_message, make_update
from tests.fakes import FakeSession

Q3 = Quarter(2026, 3)
# one worker builds and prints the workbook once for all of them
pytestmark = pytest.mark.xdist_group("print")
UNIT = "测试市市场监督管理局"
HOSTILE_LIKE = '=HYPERLINK("http://x","点我")'
HOSTILE_REPORT = "=1+1 核对台账"
HOSTILE_REPLY = "@杨帆 请补充走访记录"
HOSTILE_TASK = "-整理迎检档案"
HOSTILE_BONUS = "+抗洪抢险"
EDITED_FROM, EDITED_TO = "走访企业 3 家", "走访企业 4 家"
SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")


@dataclass
class Page:
    """One printed page: the sheet it belongs to (its page header), its text and metrics."""

    number: int
    sheet: str
    text: str
    width: float
    smallest: float
    left: float
    right: float


@dataclass
class Printed:
    """The workbook and, where LibreOffice exists, its PDF."""

    xlsx: Path
    names: list[str]
    pdf: Path | None = None
    pages: list[Page] = field(default_factory=list)

    def of(self, sheet: str) -> list[Page]:
        """The pages of one sheet."""
        return [p for p in self.pages if p.sheet == sheet]


async def _feed(chat: Chat, update: Any) -> list[SendMessage]:
    return await chat.feed(update)


async def _build(url: str, out: Path) -> list[str]:
    """The quarter 2026Q3 (kaohe from 09-21) in the database at `url`; the workbook at `out`;
    the names of everyone on the roster."""
    await _upgrade(url)
    engine = db.make_engine(url)
    try:
        sessionmaker = db.make_sessionmaker(engine)
        entries = parse_roster(read_table(sample_roster_path()))
        async with sessionmaker() as s:
            unit = await people.ensure_unit(s, name=UNIT)
            await people.apply_roster(s, unit=unit, entries=entries)
            await people.set_assessment_start(s, day=local(9, 21, 12).date(), actor="test")
            await s.commit()
        settings = Settings(BOT_TOKEN=TEST_TOKEN, DATABASE_URL=url, REDIS_URL="")  # type: ignore[call-arg]
        fake, clock = FakeSession(), FakeClock()
        bot = make_bot(settings, session=fake)
        dp = make_dispatcher(settings, sessionmaker, clock=clock, catch_errors=False)
        chat, roster = Chat(dp, bot, fake), Roster(sessionmaker)
        try:
            await _story(chat, roster, clock, sessionmaker)
            async with sessionmaker() as s:
                export = await build_export(
                    s,
                    policy=dp["policy"],
                    calendar=dp["calendar"],
                    quarter=Q3,
                    now=datetime(2026, 9, 30, 21, tzinfo=SHANGHAI),
                )
        finally:
            await bot.session.close()
        out.write_bytes(export.data)
    finally:
        await engine.dispose()
    return [e.name for e in entries]


async def _upgrade(url: str) -> None:
    engine = db.make_engine(url)
    try:
        await db.upgrade(engine)
    finally:
        await engine.dispose()


async def _story(chat: Chat, roster: Roster, clock: FakeClock, sessionmaker: Any) -> None:
    admin = await roster.bind("周敏")
    group = make_group(OFFICE_GROUP, "办公室群")
    await chat.feed(make_message("/bindgroup 办公室", user=admin, chat=group))
    head, member = await roster.bind("陈静"), await roster.bind("杨帆")
    other = await roster.bind("赵丽")
    for day in (21, 23, 24, 25, 28, 29, 30):
        await chat.feed(make_message("走访企业", user=member, date=local(9, day, 10)))
        if day % 2:
            await chat.feed(make_message("整理档案", user=other, date=local(9, day, 21)))
    await chat.feed(make_message(HOSTILE_REPORT, user=other, date=local(9, 22, 9)))
    original = make_message(EDITED_FROM, user=member, date=local(9, 22, 9))
    sent = await chat.feed(original)
    edited = original.message.model_copy(  # type: ignore[union-attr]
        update={"text": EDITED_TO, "edit_date": int(local(9, 22, 9, 30).timestamp())}
    )
    await chat.dp.feed_update(chat.bot, make_update(edited_message=edited))
    echo = next(m for m in chat.fake.sent(SendMessage) if m.chat_id == OFFICE_GROUP)
    echo_message = chat.fake._message(
        echo.chat_id, text=echo.text, reply_markup=echo.reply_markup
    ).model_copy(update={"message_id": 7000})
    async with sessionmaker() as s:
        item = (await s.exec(select(ReportItem).where(ReportItem.text == EDITED_TO))).one()
        item.echo_chat_id, item.echo_message_id = OFFICE_GROUP, 7000
        s.add(item)
        await s.commit()
    reply = make_message(
        HOSTILE_REPLY, user=head, chat=group, reply_to=echo_message, date=local(9, 22, 11)
    )
    await chat.feed(reply)
    assert sent is not None
    await chat.feed(make_message(f"点赞 @杨帆 {HOSTILE_LIKE}", user=head, date=local(9, 24, 11)))
    await chat.feed(make_message("错情 @赵丽 数据有误", user=head, date=local(9, 25, 11)))
    await chat.feed(
        make_message(f"/task @杨帆 {HOSTILE_TASK} 截止 09-29", user=head, date=local(9, 24, 12))
    )
    async with sessionmaker() as s:
        error = (await s.exec(select(Record).where(Record.kind == "error"))).one()
    await chat.feed(make_message(f"/void {error.id} 核实无误", user=admin, date=local(9, 25, 15)))
    for command in (f"/bonus 赵丽 1.5 {HOSTILE_BONUS}", "/veto 黄磊 违纪违法 违反工作纪律"):
        await chat.feed(make_message(command, user=admin, date=local(9, 29, 9)))
        clock.at = local(9, 29, 9, 1)
        prompt = chat.fake.last_message(admin.id)
        data = prompt.reply_markup.inline_keyboard[0][0].callback_data
        await chat.feed(make_callback(data, user=admin, message=prompt))


def _pages(pdf: Path) -> list[Page]:
    import pdfplumber

    found = []
    with pdfplumber.open(pdf) as document:
        for number, page in enumerate(document.pages, start=1):
            text = page.extract_text() or ""
            chars = page.chars
            found.append(
                Page(
                    number,
                    text.split("\n", 1)[0].strip(),
                    text,
                    float(page.width),
                    min((c["size"] for c in chars), default=0.0),
                    min((c["x0"] for c in chars), default=0.0),
                    max((c["x1"] for c in chars), default=0.0),
                )
            )
    return found


@pytest.fixture(scope="session")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Printed]:
    """The workbook, built once, and its PDF, converted once per test session."""
    folder = tmp_path_factory.mktemp("print")
    xlsx = folder / "平时考核-2026Q3.xlsx"
    names = asyncio.run(_build(f"sqlite:///{folder / 'print.db'}", xlsx))
    result = Printed(xlsx, names)
    if SOFFICE is not None:
        subprocess.run(
            [
                SOFFICE,
                "--headless",
                f"-env:UserInstallation=file://{folder / 'lo'}",
                "--convert-to",
                "pdf",
                "--outdir",
                str(folder),
                str(xlsx),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        result.pdf = xlsx.with_suffix(".pdf")
        result.pages = _pages(result.pdf)
    yield result


def _pdfinfo(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    return dict(line.split(":", 1) for line in out.stdout.splitlines() if ":" in line)


def _pdftotext(pdf: Path, first: int, last: int) -> str:
    command = ["pdftotext", "-f", str(first), "-l", str(last), "-layout", str(pdf), "-"]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


# ---- the workbook itself (no LibreOffice needed) -------------------------------------------


def test_text_that_looks_like_a_formula_is_stored_as_literal_text(printed: Printed) -> None:
    book = load_workbook(printed.xlsx)
    found: dict[str, list[Any]] = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                    found.setdefault(cell.value, []).append(cell)
    for text in (HOSTILE_LIKE, HOSTILE_BONUS):
        assert text in found  # in 明细 and the 登记表
    assert any(HOSTILE_REPORT in value for value in found)  # 日报档案: the report itself
    assert any(value.startswith(HOSTILE_TASK) for value in found)  # 任务明细
    for cells in found.values():
        for cell in cells:
            assert cell.data_type == "s" and cell.quotePrefix, (cell.parent.title, cell.value)
    assert not [
        cell.coordinate
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def test_summary_sheet_is_first_and_has_what_is_signed(printed: Printed) -> None:
    book = load_workbook(printed.xlsx)
    assert book.sheetnames[:2] == ["汇总表", "登记表"]
    sheet = book["汇总表"]
    cells = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert cells[0] == "平时考核结果汇总表"
    assert f"单位名称：{UNIT}" in cells
    assert "考核期间：2026年9月21日至9月30日（2026年第3季度）" in cells
    header = [c.value for c in sheet[4]]
    assert header == [
        "序号",
        "姓名",
        "工号",
        "部门",
        "职务",
        "类别",
        "得分",
        "排名",
        "等次",
        "备注",
    ]
    rows = [r for r in sheet.iter_rows(min_row=5) if isinstance(r[0].value, int)]
    assert [r[0].value for r in rows] == list(range(1, 43))
    assert sorted(r[1].value for r in rows) == sorted(printed.names)
    assert {r[6].number_format for r in rows} == {"0.00"}
    huang = next(r for r in rows if r[1].value == "黄磊")
    assert (huang[8].value, huang[9].value) == ("较差", "负面清单：违纪违法")
    stats = [
        r for r in sheet.iter_rows() if r[0].value in {"班子成员", "中层干部", "一般工作人员"}
    ]
    assert len(stats) == 3
    for row in stats:
        assert row[4].number_format == "0.0%" and row[5].number_format == "0%"
        assert row[9].value.endswith("符合")
    for text in ("制表人：", "审核人：", "主要负责人（签字）：", "考核委员会（领导小组）意见："):
        assert text in cells
    assert sheet.print_title_rows == "$4:$4"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1


def test_no_emoji_and_percentages_are_numbers(printed: Printed) -> None:
    book = load_workbook(printed.xlsx)
    emoji = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b50]")
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert not emoji.search(cell.value), (sheet.title, cell.value)
    departments = book["部门结果"]
    headers = [c.value for c in departments[2]]
    first = dict(zip(headers, departments[3], strict=True))
    assert isinstance(first["填报率"].value, float) and first["填报率"].value <= 1
    assert first["填报率"].number_format == "0.0%" == first["审阅率"].number_format
    assert "流动红旗" in [c.value for c in departments["M"]]
    tasks = book["任务"]
    assert tasks["F2"].value == "完成率" and tasks["F3"].number_format == "0.0%"
    assert tasks["F3"].value == 0  # the task is overdue: a rate, not a percentage number


def test_report_archive_sheet_holds_every_text_with_revisions_and_pifu(printed: Printed) -> None:
    sheet = load_workbook(printed.xlsx)["日报档案"]
    headers = [c.value for c in sheet[2]]
    rows = [dict(zip(headers, (c.value for c in r), strict=True)) for r in sheet.iter_rows(3)]
    assert len(rows) == 7 + 4 + 2  # 杨帆 7 + 1 days, 赵丽 4 + 1 (the formula-like one)
    edited = next(r for r in rows if r["姓名"] == "杨帆" and r["日期"].day == 22)
    assert edited["内容"].startswith(EDITED_TO) and "修改" in edited["内容"]
    assert edited["修改记录"].startswith(f"原文：{EDITED_FROM}")
    # reviews are stamped at the wall clock when stored: the time is not checked
    assert re.search(rf"陈静 [\d\- :]+ 批复：{HOSTILE_REPLY}$", edited["审阅与批复"])
    assert re.match(r"陈静 [\d\- :]+ 已阅\n", edited["审阅与批复"])
    late = next(r for r in rows if r["姓名"] == "赵丽" and r["日期"].day == 21)
    assert late["类型"] == "日报·迟报" and late["审阅与批复"] == "未审阅"


# ---- the printout ---------------------------------------------------------------------------


@needs_soffice
def test_summary_prints_on_a4_landscape_within_the_width(printed: Printed) -> None:
    assert printed.pdf is not None
    info = _pdfinfo(printed.pdf)
    assert "A4" in info["Page size"]
    pages = printed.of("汇总表")
    assert 1 <= len(pages) <= 3
    for page in pages:
        assert page.width > 800  # landscape
        assert page.left >= 18 and page.right <= page.width - 18  # inside the margins
        assert "序号" in page.text and "备注" in page.text  # the header row on every page
        assert re.search(r"第 \d+ 页 共 \d+ 页", page.text)
    text = _pdftotext(printed.pdf, pages[0].number, pages[-1].number)
    assert f"单位名称：{UNIT}" in text
    assert "考核期间：2026年9月21日至9月30日" in text
    for name in printed.names:
        assert name in text
    for line in ("考核委员会（领导小组）意见", "制表人", "审核人", "主要负责人（签字）", "日期"):
        assert line in text
    assert "等次统计" in text and "符合" in text


@needs_soffice
def test_nothing_prints_below_9_pt(printed: Printed) -> None:
    small = [(p.number, p.sheet, round(p.smallest, 2)) for p in printed.pages if p.smallest < 9]
    assert small == []
    assert {p.sheet for p in printed.pages} >= {"汇总表", "登记表", "明细", "日报档案", "审计日志"}


@needs_soffice
def test_register_prints_one_page_per_person(printed: Printed) -> None:
    pages = printed.of("登记表")
    assert len(pages) == len(printed.names)
    for page in pages:
        assert page.width < 600  # portrait
        assert page.text.count("平时考核登记表") == 1
        assert "本人签字" in page.text and "部门负责人签字" in page.text
    yang = next(p for p in pages if "姓名 杨帆" in p.text)
    assert HOSTILE_LIKE in yang.text  # shown literally, not as a link


@needs_soffice
def test_formula_like_text_prints_literally(printed: Printed) -> None:
    text = re.sub(r"\s", "", "".join(p.text for p in printed.pages))  # wrapped lines joined
    for hostile in (HOSTILE_LIKE, HOSTILE_REPORT, HOSTILE_TASK, HOSTILE_BONUS):  # unwrapped ones
        assert re.sub(r"\s", "", hostile) in text
