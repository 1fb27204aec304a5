"""The quarter's Excel workbook (`kaohe export`, `/export`): 个人结果, 部门结果, 明细,
填报情况, 审计日志 — from the published snapshot once the quarter is closed, else from live
results (each sheet's title row says which).

Every sheet: a title row, one header row (frozen, repeated on every printed page),
column widths from the content, A4 landscape fitted to the page width.

Other features add sheets by appending a writer to `SHEET_WRITERS`: an async function
taking the `ExportContext`, which calls `ctx.table(...)` (e.g. issue 9's 任务 sheet).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.calendars import calendar_from_db
from bot.results import QuarterView, quarter_view
from bot.task_export import tasks_sheet
from core.calendar import WorkCalendar
from core.grades import GRADE_ORDER
from core.policy import Policy
from core.quarter import Quarter
from core.records import KIND_LABELS, RecordKind
from storage import export as store
from storage.facts import scored_people
from storage.people import assessment_start, get_unit, positions
from storage.reports import leaves

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(bold=True, size=13)
HEADER_FONT = Font(bold=True)
MIN_WIDTH, MAX_WIDTH = 6, 60


@dataclass
class ExportContext:
    """What a sheet writer needs: the workbook, the database, the quarter and its results."""

    workbook: Workbook
    session: AsyncSession
    unit_id: int
    unit: str
    quarter: Quarter
    view: QuarterView
    policy: Policy
    calendar: WorkCalendar
    now: datetime

    def title(self, sheet: str) -> str:
        """The title row of a sheet: unit, quarter, sheet, and where the figures come from."""
        published = None
        if self.view.published and self.view.published_at is not None:
            at = self.view.published_at.astimezone(self.now.tzinfo)
            published = f"{at:%Y-%m-%d}"
        return texts.export_title(
            unit=self.unit,
            quarter=self.quarter.label,
            sheet=sheet,
            published=published,
            until=f"{self.view.end:%Y-%m-%d}",
            provisional=self.view.provisional,
        )

    def local(self, moment: datetime | None) -> str:
        """A stored UTC time as local 'YYYY-MM-DD HH:MM'."""
        return "" if moment is None else f"{moment.astimezone(self.now.tzinfo):%Y-%m-%d %H:%M}"

    def table(
        self,
        name: str,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        freeze_columns: int = 0,
    ) -> Worksheet:
        """A sheet: title row, frozen header row, the rows, widths and A4 print setup."""
        sheet = self.workbook.create_sheet(name)
        sheet.append([self.title(name)])
        sheet["A1"].font = TITLE_FONT
        sheet.append(list(headers))
        for cell in sheet[2]:
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for row in rows:
            sheet.append(list(row))
        sheet.freeze_panes = sheet.cell(row=3, column=freeze_columns + 1)
        _fit_widths(sheet, headers, rows)
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


def _display_width(value: Any) -> int:
    """Roughly how many Latin characters wide a value is (CJK characters count two)."""
    text = "" if value is None else str(value)
    longest = max((line for line in text.split("\n")), key=len, default="")
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in longest)


def _fit_widths(sheet: Worksheet, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    for index, header in enumerate(headers):
        widest = max([_display_width(header)] + [_display_width(r[index]) for r in rows[:2000]])
        width = min(max(widest + 2, MIN_WIDTH), MAX_WIDTH)
        sheet.column_dimensions[get_column_letter(index + 1)].width = width


SheetWriter = Callable[[ExportContext], Awaitable[None]]


# ---- the sheets ----------------------------------------------------------------------------


def _number(value: Any) -> Any:
    return "" if value is None else value


async def people_sheet(ctx: ExportContext) -> None:
    """个人结果: name, department, category, component values, adjustments, score, rank, grade."""
    people = ctx.view.people
    components: list[tuple[str, str]] = []
    adjustments: list[tuple[str, str]] = []
    for p in people:
        for c in p["components"]:
            if (c["component"], c["label"]) not in components:
                components.append((c["component"], c["label"]))
        for a in p["adjustments"]:
            if (a["kind"], a["label"]) not in adjustments:
                adjustments.append((a["kind"], a["label"]))
    position_of = await positions(ctx.session, unit_id=ctx.unit_id)
    headers = ["排名组", "名次", "姓名", "部门", "职务", "类别"]
    headers += [label for _, label in components]
    headers += ["基础分"] + [label for _, label in adjustments] + ["加减分合计"]
    headers += [
        "得分",
        "等次",
        "等次说明",
        "点赞次数",
        "错情次数",
        "填报率",
        "负面清单",
        "绩效之星",
    ]
    rows = []
    for p in people:
        values = {c["component"]: c["value"] for c in p["components"]}
        base = round(sum(c["points"] or 0 for c in p["components"]), 2)
        adjusted = {a["kind"]: a["points"] for a in p["adjustments"]}
        rows.append(
            [p["group"], p["rank"], p["name"], p["department"]]
            + [position_of.get(p.get("person_id") or 0, ""), p["category"]]
            + [_number(values.get(key)) for key, _ in components]
            + [base]
            + [_number(adjusted.get(key)) for key, _ in adjustments]
            + [round(sum(a["points"] or 0 for a in p["adjustments"]), 2)]
            + [
                p["score"],
                p["grade_label"],
                p["grade_reason"],
                p["likes"],
                p["errors"],
                _number(p["filing_rate"]),
                "、".join(p["vetoes"]),
                "★" if p.get("star") else "",
            ]
        )
    ctx.table(texts.EXPORT_SHEETS["people"], headers, rows, freeze_columns=3)


async def departments_sheet(ctx: ExportContext) -> None:
    """部门结果: rank, score, figures, grade counts, 流动红旗."""
    counts = ctx.view.grade_counts()
    headers = ["名次", "部门", "得分", "人数", "填报率", "审阅率", "点赞次数", "错情次数"]
    headers += [g.label for g in GRADE_ORDER] + ["流动红旗"]
    rows = []
    for d in ctx.view.departments:
        grades = counts.get(d["department_id"], {})
        rows.append(
            [d["rank"], d["name"], d["score"], d["members"], _number(d["filing_rate"]),
             _number(d["review_rate"]), d["likes"], d["errors"]]
            + [grades.get(g, 0) for g in GRADE_ORDER]
            + ["🚩" if d["red_flag"] else ""]
        )  # fmt: skip
    ctx.table(texts.EXPORT_SHEETS["departments"], headers, rows, freeze_columns=2)


async def records_sheet(ctx: ExportContext) -> None:
    """明细: every like, error, notice, missed day, bonus and veto, voided ones marked."""
    found = await store.records_between(
        ctx.session, unit_id=ctx.unit_id, start=ctx.quarter.start, end=ctx.quarter.end
    )
    names = {d["department_id"]: d["name"] for d in ctx.view.departments}
    headers = ["编号", "日期", "姓名", "部门", "类型", "分值", "事由", "记录人", "记录时间"]
    headers += ["状态", "撤销人", "撤销原因", "撤销时间"]
    rows = []
    for row in found:
        r = row.record
        label = texts.severity_label(r.kind, r.severity)
        if r.kind == RecordKind.VETO.value:
            label = f"{KIND_LABELS[RecordKind.VETO]}：{r.severity or ''}"
        elif r.kind == RecordKind.BONUS.value and r.points < 0:
            label = "扣分"
        rows.append(
            [r.id, r.day, row.person, names.get(row.department_id, ""), label, r.points,
             r.reason, row.issuer or "系统", ctx.local(r.created_at),
             "已撤销" if r.voided_at else "有效", row.voided_by or "", r.void_reason or "",
             ctx.local(r.voided_at)]
        )  # fmt: skip
    ctx.table(texts.EXPORT_SHEETS["records"], headers, rows, freeze_columns=3)


async def filing_sheet(ctx: ExportContext) -> None:
    """填报情况: per person and day of the quarter, 按时 / 迟报 / 补报 / 缺报 / 请假 / 非工作日."""
    quarter, labels = ctx.quarter, texts.EXPORT_FILING_STATUS
    people = await scored_people(ctx.session, unit_id=ctx.unit_id)
    ids = [p.id for p in people]
    statuses = await store.daily_statuses(
        ctx.session, unit_id=ctx.unit_id, start=quarter.start, end=quarter.end
    )
    away = await leaves(ctx.session, person_ids=ids, start=quarter.start, end=quarter.end)
    first = await assessment_start(ctx.session) or quarter.start
    days = [
        quarter.start + timedelta(days=i) for i in range((quarter.end - quarter.start).days + 1)
    ]
    workdays = {d for d in days if ctx.calendar.is_workday(d)}
    names = {d["department_id"]: d["name"] for d in ctx.view.departments}
    counted = ("on_time", "late", "backfill", "missed", "leave")
    headers = ["姓名", "部门"] + [labels[k] for k in counted]
    headers += [f"{d.month}-{d.day}" for d in days]
    rows = []
    for person in people:
        cells = [_filing_cell(person.id, d, first, ctx.view.end, workdays, statuses, away)
                 for d in days]  # fmt: skip
        tally = [sum(1 for c in cells if c == k) for k in counted]
        rows.append(
            [person.name, names.get(person.department_id, "")] + tally + [labels[c] for c in cells]
        )
    sheet = ctx.table(texts.EXPORT_SHEETS["filing"], headers, rows, freeze_columns=2)
    for index in range(len(headers) - len(days), len(headers)):
        sheet.column_dimensions[get_column_letter(index + 1)].width = 7


def _filing_cell(
    person_id: int,
    day: date,
    first: date,
    until: date,
    workdays: set[date],
    statuses: dict[tuple[int, date], str],
    away: dict[int, list[Any]],
) -> str:
    """The key of texts.EXPORT_FILING_STATUS for one person and day."""
    status = statuses.get((person_id, day))
    if day not in workdays:
        return "rest"
    if any(period.covers(day) for period in away.get(person_id, [])):
        return "leave"
    if status in {"on_time", "late", "backfill"}:
        return status
    if day < first:
        return "before"
    if day > until:
        return "future"
    return "missed"


async def audit_sheet(ctx: ExportContext) -> None:
    """审计日志: every audited action since the quarter began."""
    since = datetime.combine(ctx.quarter.start, time(0), tzinfo=ctx.now.tzinfo).astimezone(UTC)
    entries = await store.audit_since(ctx.session, unit_id=ctx.unit_id, since=since)
    headers = ["编号", "时间", "操作人", "操作", "对象", "详情"]
    rows = [
        [e.id, ctx.local(e.at), e.actor, e.action, e.subject, store.detail_text(e.detail)]
        for e in entries
    ]
    ctx.table(texts.EXPORT_SHEETS["audit"], headers, rows, freeze_columns=0)


# Sheets in order; other features append theirs (e.g. 任务, issue 9).
SHEET_WRITERS: list[SheetWriter] = [
    people_sheet,
    departments_sheet,
    records_sheet,
    filing_sheet,
    tasks_sheet,  # issue 9 (bot/task_export.py)
    audit_sheet,
]


@dataclass(frozen=True, slots=True)
class Export:
    """A built workbook."""

    data: bytes
    filename: str
    published: bool


async def build_export(
    session: AsyncSession,
    *,
    policy: Policy,
    calendar: WorkCalendar,
    quarter: Quarter,
    now: datetime,
) -> Export:
    """The quarter's workbook as XLSX bytes; LookupError if no roster was imported."""
    unit = await get_unit(session)
    if unit is None or unit.id is None:
        raise LookupError("no roster imported yet")
    view = await quarter_view(session, policy=policy, calendar=calendar, quarter=quarter, now=now)
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    ctx = ExportContext(
        workbook, session, unit.id, unit.name, quarter, view, policy, calendar, now
    )
    for writer in SHEET_WRITERS:
        await writer(ctx)
    buffer = BytesIO()
    workbook.save(buffer)
    return Export(buffer.getvalue(), f"平时考核-{quarter}.xlsx", view.published)


# ---- `kaohe export` -------------------------------------------------------------------------


def add_parser(sub: Any) -> None:
    """Register `kaohe export` on the CLI's subparsers."""
    export = sub.add_parser("export", help="the quarter's results as an Excel workbook")
    export.add_argument("--quarter", help="e.g. 2026Q4 (default: the current quarter)")
    export.add_argument("-o", "--output", type=Path, help="the .xlsx file to write")


async def run_export(args: argparse.Namespace, settings: Any, session: AsyncSession) -> int:
    """The body of `kaohe export`, on an open session."""
    from bot.policies import load_policy

    policy = load_policy(settings.policy)
    now = datetime.now(UTC).astimezone(settings.zone)
    quarter = Quarter.parse(args.quarter) if args.quarter else Quarter.of(now.date())
    try:
        export = await build_export(
            session, policy=policy, calendar=await calendar_from_db(session, policy.calendar),
            quarter=quarter,
            now=now,
        )  # fmt: skip
    except LookupError:
        sys.stderr.write("还没有名单。请先运行：kaohe import 名单.xlsx\n")
        return 1
    path: Path = args.output or Path(export.filename)
    path.write_bytes(export.data)
    state = "已公布的结果" if export.published else "实时计算，暂定"
    sys.stdout.write(f"已导出 {quarter.label}（{state}）：{path}\n")
    return 0
