"""日报档案 (issue 20): every 日报 / 周报 of a period, per person and day, with its status,
its items (edited ones marked, earlier texts kept), reviews and 批复 — the 考核档案.

The same rows feed a sheet of the quarter's workbook and `kaohe export --reports`, which
streams them into an openpyxl write-only workbook, a few hundred reports at a time, so a
year of a large unit never sits in memory at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.export_style import (
    BODY,
    BOLD,
    CENTER,
    GRID,
    HEADER_FILL,
    LEFT,
    SUBTITLE,
    TOP_LEFT,
    guard,
    look,
    print_setup,
    row_height,
    set_widths,
    text_lines,
)
from storage import export as store

HEADERS = ("日期", "姓名", "部门", "类型", "提交时间", "内容", "修改记录", "审阅与批复")
WIDTHS = (10, 7, 10, 9, 11, 40, 16, 22)
CONTENT, HISTORY, REVIEWS = 5, 6, 7  # indexes into HEADERS
CHUNK = 500


def _local(moment: datetime | None, zone: tzinfo) -> str:
    return "" if moment is None else f"{moment.astimezone(zone):%m-%d %H:%M}"


def archive_row(
    report: store.ArchivedReport,
    who: store.PersonDetails | None,
    zone: tzinfo,
) -> list[Any]:
    """One report as a row of the archive."""
    numbered = len(report.items) > 1
    content, history = [], []
    for item in report.items:
        prefix = f"{item.seq}. " if numbered else ""
        mark = f"（{_local(item.edited_at, zone)} 修改）" if item.earlier else ""
        content.append(f"{prefix}{item.text}{mark}")
        for text, replaced in item.earlier:
            history.append(f"{prefix}原文：{text}（{_local(replaced, zone)} 前）")
    seen = [f"{name} {_local(at, zone)} 已阅" for name, at in report.reviews]
    seen += [f"{name} {_local(at, zone)} 批复：{text}" for name, text, at in report.replies]
    kind = texts.EXPORT_REPORT_KIND.get(report.kind, report.kind)
    status = texts.EXPORT_REPORT_STATUS.get(report.status, report.status)
    return [
        report.day,
        who.name if who else "",
        who.department if who else "",
        f"{kind}·{status}",
        _local(report.filed_at, zone),
        "\n".join(content),
        "\n".join(history),
        "\n".join(seen) or "未审阅",
    ]


async def archive_rows(
    session: AsyncSession,
    *,
    unit_id: int,
    start: date,
    end: date,
    zone: tzinfo,
) -> AsyncIterator[list[Any]]:
    """The archive's rows for [start, end], fetched `CHUNK` reports at a time."""
    details = await store.person_details(session, unit_id=unit_id)
    ids = await store.report_ids_between(session, unit_id=unit_id, start=start, end=end)
    for offset in range(0, len(ids), CHUNK):
        reports = await store.archived_reports(session, report_ids=ids[offset : offset + CHUNK])
        for report in reports:
            yield archive_row(report, details.get(report.person_id), zone)


def _height(row: Sequence[Any]) -> float:
    lines = max(text_lines(row[i], WIDTHS[i]) for i in (CONTENT, HISTORY, REVIEWS))
    return row_height(lines)


def _setup(sheet: Any) -> None:
    set_widths(sheet, WIDTHS)
    sheet.freeze_panes = "A3"
    print_setup(sheet, widths=WIDTHS, title_rows="2:2")


async def archive_sheet(ctx: Any) -> None:
    """日报档案 as a sheet of the workbook (quarter or year)."""
    sheet = ctx.workbook.create_sheet(texts.EXPORT_FORM_SHEETS["archive"])
    sheet.append([f"{ctx.unit} {ctx.period_label} {texts.ARCHIVE_TITLE}（{ctx.period_text}）"])
    guard(sheet["A1"]).font = SUBTITLE
    sheet.append(list(HEADERS))
    for cell in sheet[2]:
        look(cell, font=BOLD, alignment=CENTER, border=GRID, fill=HEADER_FILL)
    index = 2
    async for row in archive_rows(
        ctx.session, unit_id=ctx.unit_id, start=ctx.first_day, end=ctx.end, zone=ctx.zone
    ):
        sheet.append(row)
        index += 1
        for column, cell in enumerate(sheet[index]):
            guard(cell)
            look(cell, font=BODY, border=GRID)
            look(cell, alignment=TOP_LEFT if column in (CONTENT, HISTORY, REVIEWS) else CENTER)
        sheet.cell(row=index, column=1).number_format = "yyyy-mm-dd"
        sheet.row_dimensions[index].height = _height(row)
    _setup(sheet)


async def write_archive(
    session: AsyncSession,
    path: Path,
    *,
    unit_id: int,
    unit: str,
    label: str,
    start: date,
    end: date,
    zone: tzinfo,
) -> int:
    """`kaohe export --reports`: the archive alone, streamed to `path`; how many reports."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(texts.ARCHIVE_TITLE)
    _setup(sheet)
    period = texts.period_text(start, end)
    title = guard(WriteOnlyCell(sheet, value=f"{unit} {label} {texts.ARCHIVE_TITLE}（{period}）"))
    title.font = SUBTITLE
    sheet.append([title])
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(sheet, value=text)
        look(cell, font=BOLD, alignment=CENTER, border=GRID, fill=HEADER_FILL)
        header.append(cell)
    sheet.append(header)
    count = 0
    async for row in archive_rows(session, unit_id=unit_id, start=start, end=end, zone=zone):
        cells = []
        for column, value in enumerate(row):
            cell = guard(WriteOnlyCell(sheet, value=value))
            look(cell, font=BODY, border=GRID)
            look(cell, alignment=LEFT if column in (CONTENT, HISTORY, REVIEWS) else CENTER)
            if column == 0:
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    book.save(path)
    return count
