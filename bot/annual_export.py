"""Workbook sheets of the year: 年度考核 (`write_annual_sheet`) and the incentive pool's
奖金分配表 (`pool_workbook`). Print-ready like bot/export.py's sheets: a title row, one
frozen header row repeated on every printed page, column widths from the content, A4
fitted to the page width. Kept apart from bot/export.py so that `kaohe export --year`
can add the 年度考核 sheet to its workbook by calling `write_annual_sheet`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(bold=True, size=13)
HEADER_FONT = Font(bold=True)
MIN_WIDTH, MAX_WIDTH = 6, 60

ANNUAL_SHEET = "年度考核"
ANNUAL_HEADERS = (
    "序号", "姓名", "部门", "类别", "第1季度", "第2季度", "第3季度", "第4季度",
    "“好”次数", "年度得分", "组内名次", "年度等次", "说明",
)  # fmt: skip


def _width(value: Any) -> int:
    text = "" if value is None else str(value)
    longest = max(text.split("\n"), key=len, default="")
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in longest)


def table(
    workbook: Workbook,
    name: str,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    footer: Sequence[str] = (),
    money: Sequence[int] = (),
) -> Worksheet:
    """A print-ready sheet: title row, frozen header row, the rows, then footer lines."""
    sheet = workbook.create_sheet(name)
    sheet.append([title])
    sheet["A1"].font = TITLE_FONT
    sheet.append(list(headers))
    for cell in sheet[2]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        sheet.append(list(row))
    for column in money:  # yuan: exact decimals, shown with two places
        for (cell,) in sheet.iter_rows(min_row=3, min_col=column + 1, max_col=column + 1):
            cell.number_format = "#,##0.00"
    for line in footer:
        sheet.append([line])
    sheet.freeze_panes = sheet.cell(row=3, column=3)
    for index, header in enumerate(headers):
        widest = max([_width(header)] + [_width(r[index]) for r in rows[:2000]])
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(
            max(widest + 2, MIN_WIDTH), MAX_WIDTH
        )
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "2:2"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    return sheet


def _quarter_cell(row: dict[str, Any], number: int) -> str:
    for q in row["quarters"]:
        if q["quarter"].endswith(f"Q{number}"):
            return f"{q['score']:.2f} {q['grade_label']}"
    return "—"


def write_annual_sheet(
    workbook: Workbook, rows: Sequence[dict[str, Any]], *, title: str
) -> Worksheet:
    """The 年度考核 sheet from `bot.annual.annual_rows` (the rows of `kaohe annual --json`)."""
    cells = [
        (
            n,
            r["name"],
            r["department"],
            r["category"],
            *(_quarter_cell(r, q) for q in (1, 2, 3, 4)),
            r["good_quarters"],
            "" if r["score"] is None else r["score"],
            "" if r["rank"] is None else f"{r['rank']}/{r['group_size']}",
            r["grade_label"],
            r["reason"],
        )
        for n, r in enumerate(rows, 1)
    ]
    return table(workbook, ANNUAL_SHEET, title, ANNUAL_HEADERS, cells)


POOL_HEADERS = (
    "序号", "姓名", "部门", "等次", "系数", "得分", "权重（系数×得分）", "部门金额（元）",
    "金额（元）", "计算",
)  # fmt: skip
POOL_DEPARTMENT_HEADERS = ("名次", "部门", "部门得分", "人数", "金额（元）")


def pool_workbook(pool: dict[str, Any], *, title: str) -> bytes:
    """奖金分配表: one sheet per person, one per department, from `bot.pool.pool_json`."""
    book = Workbook()
    book.remove(book.active)
    people = [
        (
            n,
            p["name"],
            p["department"],
            p["grade_label"],
            p["coefficient"],
            p["score"],
            p["weight"],
            Decimal(p["department_amount"]),
            Decimal(p["amount"]),
            p["explain"],
        )
        for n, p in enumerate(pool["people"], 1)
    ]
    footer = [f"合计：{pool['distributed']} 元（资金总额 {pool['pool']} 元）", pool["rounding"]]
    table(book, "个人分配", f"{title} · 个人分配", POOL_HEADERS, people, footer=footer,
          money=(7, 8))  # fmt: skip
    departments = [
        (n, d["name"], d["score"], d["headcount"], Decimal(d["amount"]))
        for n, d in enumerate(pool["departments"], 1)
    ]
    table(book, "部门分配", f"{title} · 部门分配", POOL_DEPARTMENT_HEADERS, departments,
          footer=footer, money=(4,))  # fmt: skip
    out = BytesIO()
    book.save(out)
    return out.getvalue()
