"""The Excel workbooks (`kaohe export`, `/export`, issue 8 and 20).

The quarter's workbook: 汇总表 (the signable 平时考核结果汇总表) and 登记表 (one page per
person) first (bot/export_forms.py), then 个人结果, 部门结果, 明细, 填报情况 (one sheet per
month), 任务, 任务明细, 日报档案 (bot/export_reports.py) and 审计日志 — from the published
snapshot once the quarter is closed, else from live results (each title says which).
`kaohe export --year 2026` writes the year's workbook: the quarters side by side, then the
year's details. `kaohe export --reports` writes the 日报档案 alone, streamed.

Every sheet prints on A4 with nothing below 9 pt, borders, the header row repeated and
「第 X 页 共 Y 页」 (bot/export_style.py); every text cell that starts like a formula is
written as literal text.

Other features add sheets by appending a writer to `SHEET_WRITERS` (the quarter) or
`YEAR_SHEET_WRITERS` (the year, e.g. the 年度考核 grades): an async function taking the
`ExportContext`, which calls `ctx.table(...)` or builds its own sheet on `ctx.workbook`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.annual import annual_rows, annual_view
from bot.annual_export import write_annual_sheet
from bot.calendars import calendar_from_db
from bot.export_forms import appeal_notes, register_sheet, summary_sheet
from bot.export_reports import archive_sheet, write_archive
from bot.export_style import (
    BODY,
    BOLD,
    CENTER,
    GRID,
    HEADER_FILL,
    LEFT,
    PERCENT_FORMAT,
    SCORE_FORMAT,
    SUBTITLE,
    display_width,
    guard,
    look,
    print_setup,
    row_height,
    set_widths,
    text_lines,
)
from bot.results import QuarterView, quarter_view
from bot.task_export import tasks_sheet
from core.appeals import AppealKind, AppealStatus
from core.calendar import WorkCalendar
from core.grades import GRADE_ORDER
from core.policy import Policy
from core.quarter import Quarter
from core.quarter_end import window
from core.records import KIND_LABELS, RecordKind
from storage import export as store
from storage.appeals import appeals_of_period
from storage.facts import scored_people
from storage.people import assessment_start, get_unit, positions
from storage.reports import leaves
from storage.tables import Appeal

MIN_WIDTH, MAX_WIDTH = 6, 40
WRAP_WIDTH = 24  # text columns wider than this wrap instead of growing


@dataclass
class ExportContext:
    """What a sheet writer needs: the workbook, the database, the period and its results.

    For the quarter's workbook `view` is that quarter's results; for the year's, `views`
    holds each assessed quarter's and `view` the latest of them."""

    workbook: Workbook
    session: AsyncSession
    unit_id: int
    unit: str
    quarter: Quarter
    view: QuarterView
    policy: Policy
    calendar: WorkCalendar
    now: datetime
    start: date = date.min  # the calendar period: a quarter or a year
    end: date = date.max
    label: str = ""
    views: dict[Quarter, QuarterView | None] = field(default_factory=dict)
    _details: dict[int, store.PersonDetails] | None = None
    _records: list[store.RecordRow] | None = None
    _appeals: dict[AppealKind, dict[int, list[Appeal]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.start == date.min:
            self.start, self.end = self.quarter.start, self.quarter.end
        self.label = self.label or self.quarter.label

    @property
    def zone(self) -> tzinfo:
        """The unit's time zone."""
        return self.now.tzinfo or UTC

    @property
    def period_label(self) -> str:
        """2026年第2季度 / 2026年度."""
        return self.label

    @property
    def period_text(self) -> str:
        """The real dates assessed: 2026年6月1日至6月30日."""
        return texts.period_text(
            self.view.start if not self.views else self.first_day, self.view.end
        )

    @property
    def first_day(self) -> date:
        """The first day assessed in the period."""
        starts = [v.start for v in self.views.values() if v is not None]
        return min(starts) if starts else self.view.start

    @property
    def published_on(self) -> date | None:
        """The local day the results were published, if they were."""
        if self.view.published and self.view.published_at is not None:
            return self.view.published_at.astimezone(self.zone).date()
        return None

    @property
    def publicity(self) -> tuple[date, date, bool] | None:
        """The 公示 of the published quarter: (first day, planned last day, ended); None
        when the results are not published or the policy has no 公示."""
        first = self.published_on
        if first is None or not self.policy.quarter_end.publicity_days:
            return None
        last = window(self.policy, self.calendar, self.view.quarter).publicity_end
        return first, max(first, last), self.view.final_at is not None

    async def appeals(self, kind: AppealKind) -> dict[int, list[Appeal]]:
        """Person id → their 复核 of the period (the quarter's, or the year's for
        `AppealKind.ANNUAL`), in the order filed; fetched once per kind."""
        if kind not in self._appeals:
            period = str(self.quarter) if kind is AppealKind.QUARTER else str(self.quarter.year)
            rows = await appeals_of_period(
                self.session, unit_id=self.unit_id, kind=kind, period=period
            )
            by_person: dict[int, list[Appeal]] = {}
            for row in rows:
                by_person.setdefault(row.person_id, []).append(row)
            self._appeals[kind] = by_person
        return self._appeals[kind]

    async def details(self) -> dict[int, store.PersonDetails]:
        """Everyone's 工号, 部门, 职务 …, fetched once."""
        if self._details is None:
            self._details = await store.person_details(self.session, unit_id=self.unit_id)
        return self._details

    async def records(self) -> list[store.RecordRow]:
        """Every record of the period (voided ones too), fetched once."""
        if self._records is None:
            self._records = await store.records_between(
                self.session, unit_id=self.unit_id, start=self.start, end=self.end
            )
        return self._records

    def title(self, sheet: str) -> str:
        """The title row of a sheet: unit, period, sheet, and where the figures come from."""
        published = self.published_on
        return texts.export_title(
            unit=self.unit,
            quarter=self.label,
            sheet=sheet,
            published=None if published is None else f"{published:%Y-%m-%d}",
            until=f"{self.view.end:%Y-%m-%d}",
            provisional=self.view.provisional,
        )

    def local(self, moment: datetime | None) -> str:
        """A stored UTC time as local 'YYYY-MM-DD HH:MM'."""
        return "" if moment is None else f"{moment.astimezone(self.zone):%Y-%m-%d %H:%M}"

    def table(
        self,
        name: str,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        freeze_columns: int = 0,
        formats: dict[str, str] | None = None,
        widths: Sequence[float] | None = None,
        note: str | None = None,
    ) -> Worksheet:
        """A sheet: title row, frozen header row repeated on every page, the rows with
        borders (text guarded), number formats by header, widths and A4 print set-up."""
        sheet = self.workbook.create_sheet(name)
        sheet.append([self.title(name)])
        guard(sheet["A1"]).font = SUBTITLE
        sheet.append(list(headers))
        for cell in sheet[2]:
            guard(cell)
            look(cell, font=BOLD, alignment=CENTER, border=GRID, fill=HEADER_FILL)
        widths = list(widths or _fit_widths(headers, rows))
        set_widths(sheet, widths)
        header_lines = max(text_lines(h, w) for h, w in zip(headers, widths, strict=True))
        sheet.row_dimensions[2].height = row_height(header_lines)
        by_column = {i: (formats or {}).get(h) for i, h in enumerate(headers)}
        for index, row in enumerate(rows, start=3):
            sheet.append(list(row))
            lines = 1
            for column, cell in enumerate(sheet[index]):
                guard(cell)
                look(cell, font=BODY, border=GRID)
                if isinstance(cell.value, str):
                    look(cell, alignment=LEFT)
                    lines = max(lines, text_lines(cell.value, widths[column]))
                else:
                    look(cell, alignment=CENTER)
                if by_column.get(column):
                    cell.number_format = by_column[column]
                elif isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
            if lines > 1:
                sheet.row_dimensions[index].height = row_height(lines)
        if note:
            sheet.append([note])
            guard(sheet.cell(row=sheet.max_row, column=1)).font = BODY
        sheet.freeze_panes = sheet.cell(row=3, column=freeze_columns + 1)
        print_setup(sheet, widths=widths, title_rows="2:2", title_columns=freeze_columns)
        return sheet


def _fit_widths(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[float]:
    widths = []
    for index, header in enumerate(headers):
        header_width = min(display_width(header), 12)
        widest = max([header_width] + [display_width(r[index]) for r in rows[:2000]])
        widths.append(min(max(widest + 2, MIN_WIDTH), MAX_WIDTH))
    return widths


SheetWriter = Callable[[ExportContext], Awaitable[None]]


# ---- the sheets ----------------------------------------------------------------------------


def _number(value: Any) -> Any:
    return "" if value is None else value


def _adjustment_column(kind: str, label: str) -> str:
    """Adjustment kinds as columns: every 加分 / 扣分 reason in one column (the reasons are
    rows of 明细, never columns)."""
    if kind in {"bonus", "bonus_cap"}:
        return "加分/扣分"
    return label


async def people_sheet(ctx: ExportContext) -> None:
    """个人结果: name, department, category, component values, adjustments by kind, score,
    rank, grade."""
    people = ctx.view.people
    components: list[tuple[str, str]] = []
    adjustments: list[str] = []
    for p in people:
        for c in p["components"]:
            if (c["component"], c["label"]) not in components:
                components.append((c["component"], c["label"]))
        for a in p["adjustments"]:
            column = _adjustment_column(a["kind"], a["label"])
            if column not in adjustments:
                adjustments.append(column)
    position_of = await positions(ctx.session, unit_id=ctx.unit_id)
    headers = ["排名组", "名次", "姓名", "部门", "职务", "类别"]
    headers += [label for _, label in components]
    headers += ["基础分", *adjustments, "加减分合计"]
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
        adjusted: dict[str, float] = {}
        for a in p["adjustments"]:
            column = _adjustment_column(a["kind"], a["label"])
            adjusted[column] = round(adjusted.get(column, 0) + (a["points"] or 0), 2)
        rows.append(
            [p["group"], p["rank"], p["name"], p["department"]]
            + [position_of.get(p.get("person_id") or 0, ""), p["category"]]
            + [values.get(key) for key, _ in components]
            + [base]
            + [adjusted.get(column) for column in adjustments]
            + [round(sum(a["points"] or 0 for a in p["adjustments"]), 2)]
            + [
                p["score"],
                p["grade_label"],
                p["grade_reason"],
                p["likes"],
                p["errors"],
                p["filing_rate"],
                "、".join(p["vetoes"]),
                texts.STAR_TEXT if p.get("star") else "",
            ]
        )
    formats = {"得分": SCORE_FORMAT, "基础分": SCORE_FORMAT, "填报率": PERCENT_FORMAT}
    ctx.table(texts.EXPORT_SHEETS["people"], headers, rows, freeze_columns=3, formats=formats)


async def departments_sheet(ctx: ExportContext) -> None:
    """部门结果: rank, score, figures, grade counts, 流动红旗."""
    counts = ctx.view.grade_counts()
    headers = ["名次", "部门", "得分", "人数", "填报率", "审阅率", "点赞次数", "错情次数"]
    headers += [g.label for g in GRADE_ORDER] + [texts.RED_FLAG_TEXT]
    rows = []
    for d in ctx.view.departments:
        grades = counts.get(d["department_id"], {})
        rows.append(
            [
                d["rank"],
                d["name"],
                d["score"],
                d["members"],
                d["filing_rate"],
                d["review_rate"],
                d["likes"],
                d["errors"],
            ]
            + [grades.get(g, 0) for g in GRADE_ORDER]
            + [texts.RED_FLAG_TEXT if d["red_flag"] else ""]
        )
    formats = {"得分": SCORE_FORMAT, "填报率": PERCENT_FORMAT, "审阅率": PERCENT_FORMAT}
    ctx.table(texts.EXPORT_SHEETS["departments"], headers, rows, freeze_columns=2, formats=formats)


async def records_sheet(ctx: ExportContext) -> None:
    """明细: every adjustment as a row — date, kind, points, reason, by whom — voided ones
    marked."""
    found = await ctx.records()
    details = await ctx.details()
    headers = ["编号", "日期", "姓名", "部门", "类型", "分值", "事由", "记录人", "记录时间"]
    headers += ["状态", "撤销"]
    rows = []
    for row in found:
        r = row.record
        label = texts.severity_label(r.kind, r.severity)
        if r.kind == RecordKind.VETO.value:
            label = f"{KIND_LABELS[RecordKind.VETO]}：{r.severity or ''}"
        elif r.kind == RecordKind.BONUS.value and r.points < 0:
            label = "扣分"
        who = details.get(r.person_id)
        voided = ""
        if r.voided_at:
            voided = f"{row.voided_by or ''} {ctx.local(r.voided_at)}：{r.void_reason or ''}"
        rows.append(
            [
                r.id,
                r.day,
                row.person,
                who.department if who else "",
                label,
                r.points,
                r.reason,
                row.issuer or "系统",
                ctx.local(r.created_at),
                "已撤销" if r.voided_at else "有效",
                voided,
            ]
        )
    widths = [5, 10, 7, 12, 10, 5, 26, 7, 15, 6, 20]
    ctx.table(texts.EXPORT_SHEETS["records"], headers, rows, freeze_columns=3, widths=widths)


def _months(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar months of [start, end], each clipped to it."""
    months = []
    first = start.replace(day=1)
    while first <= end:
        following = (first + timedelta(days=32)).replace(day=1)
        months.append((max(first, start), min(following - timedelta(days=1), end)))
        first = following
    return months


async def filing_sheet(ctx: ExportContext) -> None:
    """填报情况, one sheet per month (≤ 31 day columns), a code per person and day with a
    legend: 按时 / 迟报 / 补报 / 缺报 / 请假 / 非工作日 / 未开始; months wholly before the
    first day assessed are left out."""
    labels, codes = texts.EXPORT_FILING_STATUS, texts.FILING_CODES
    people = await scored_people(ctx.session, unit_id=ctx.unit_id)
    ids = [p.id for p in people]
    statuses = await store.daily_statuses(
        ctx.session, unit_id=ctx.unit_id, start=ctx.start, end=ctx.end
    )
    away = await leaves(ctx.session, person_ids=ids, start=ctx.start, end=ctx.end)
    first = await assessment_start(ctx.session) or ctx.start
    until = ctx.view.end
    names = {p.person_id: p.department for p in (await ctx.details()).values()}
    counted = ("on_time", "late", "backfill", "missed", "leave")
    for month_start, month_end in _months(ctx.start, ctx.end):
        if month_end < first:
            continue
        days = [month_start + timedelta(days=i) for i in range((month_end - month_start).days + 1)]
        workdays = {d for d in days if ctx.calendar.is_workday(d)}
        headers = ["姓名", "部门"] + [str(d.day) for d in days] + [labels[k] for k in counted]
        rows = []
        for person in people:
            cells = [
                _filing_cell(person.id, d, first, until, workdays, statuses, away) for d in days
            ]
            tally = [sum(1 for c in cells if c == k) for k in counted]
            rows.append(
                [person.name, names.get(person.id, "")] + [codes[c] for c in cells] + tally
            )
        widths = [7, 12] + [2.2] * len(days) + [3.5] * len(counted)
        name = f"{texts.EXPORT_SHEETS['filing']}（{month_start.month}月）"
        sheet = ctx.table(
            name, headers, rows, freeze_columns=2, widths=widths, note=texts.FILING_LEGEND
        )
        for column in range(3, 3 + len(days)):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                look(cell, alignment=CENTER)


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


def audit_detail(detail: dict[str, Any], names: dict[int, str]) -> str:
    """An audit detail in Chinese: 「新增：42；原因：…」, people by name."""
    from core.indicators import Quality

    parts = []
    for key, value in detail.items():
        if value is None or value == "":
            continue
        shown: Any = value
        if key == "person_id" and isinstance(value, int):
            shown = names.get(value, value)
        elif key == "how":
            shown = texts.AUDIT_HOW.get(str(value), value)
        elif key == "kind":
            shown = texts.severity_label(str(value), None)
        elif key == "quality" and value in {q.value for q in Quality}:
            shown = Quality(value).label
        elif isinstance(value, float):
            shown = f"{value:g}"
        parts.append(f"{texts.AUDIT_KEYS.get(key, key)}：{shown}")
    return "；".join(parts)


async def audit_sheet(ctx: ExportContext) -> None:
    """审计日志 in Chinese: when, who (names, not 'cli'), what, on whom, the details."""
    since = datetime.combine(ctx.start, time(0), tzinfo=ctx.zone).astimezone(UTC)
    entries = await store.audit_since(ctx.session, unit_id=ctx.unit_id, since=since)
    names = await store.people_names(ctx.session, unit_id=ctx.unit_id)
    headers = ["编号", "时间", "操作人", "操作", "对象", "详情"]
    rows = [
        [
            e.id,
            ctx.local(e.at),
            texts.AUDIT_ACTORS.get(e.actor, e.actor) or "系统",
            texts.AUDIT_ACTIONS.get(e.action, e.action),
            e.subject,
            audit_detail(e.detail, names),
        ]
        for e in entries
    ]
    widths = [5, 15, 12, 12, 16, 55]
    ctx.table(texts.EXPORT_SHEETS["audit"], headers, rows, widths=widths)


# Sheets in order; other features append theirs (e.g. 任务, issue 9). The 汇总表 and the
# 登记表 put themselves first.
SHEET_WRITERS: list[SheetWriter] = [
    people_sheet,
    departments_sheet,
    records_sheet,
    filing_sheet,
    tasks_sheet,  # issue 9 (bot/task_export.py)
    archive_sheet,  # issue 20 (bot/export_reports.py)
    audit_sheet,
    summary_sheet,  # issue 20 (bot/export_forms.py), inserted as the first sheet
    register_sheet,  # issue 20, inserted as the second sheet
]


class NothingAssessed(LookupError):
    """No quarter of the year was assessed with kaohe (it started later, or the year is
    still to come)."""

    def __init__(self, first: date | None) -> None:
        super().__init__("nothing assessed in that year")
        self.first = first


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
    workbook.active = 0
    buffer = BytesIO()
    workbook.save(buffer)
    return Export(buffer.getvalue(), f"平时考核-{quarter}.xlsx", view.published)


# ---- the year ------------------------------------------------------------------------------


async def year_sheet(ctx: ExportContext) -> None:
    """年度汇总: per person, each quarter's 得分 / 排名 / 等次 side by side, then how many
    quarters graded 好 and 一般 or worse; quarters before kaohe started say 未考核."""
    details = await ctx.details()
    quarters = list(ctx.views)
    headers = ["序号", "姓名", "工号", "部门", "类别"]
    for q in quarters:
        suffix = f"Q{q.number}"
        headers += [f"{suffix}得分", f"{suffix}排名", f"{suffix}等次"]
    headers += ["好（次）", "一般及以下（次）"]
    people: dict[int, dict[Quarter, dict[str, Any]]] = {}
    for q, view in ctx.views.items():
        for p in view.people if view else ():
            people.setdefault(p["person_id"], {})[q] = p
    order = sorted(
        people, key=lambda pid: (details[pid].roster_order, pid) if pid in details else (0, pid)
    )
    rows = []
    for number, pid in enumerate(order, start=1):
        who = details.get(pid)
        results = people[pid]
        row: list[Any] = [
            number,
            who.name if who else "",
            who.employee_id if who else "",
            who.department if who else "",
            who.category if who else "",
        ]
        good = low = 0
        for q in quarters:
            p = results.get(q)
            if ctx.views[q] is None:
                row += [texts.NOT_ASSESSED, "", ""]
            elif p is None:
                row += ["", "", ""]
            else:
                row += [p["score"], f"{p['rank']}/{p['group_size']}", p["grade_label"]]
                good += p["grade"] == "good"
                low += p["grade"] in {"average", "poor"}
        rows.append([*row, good, low])
    formats = {h: SCORE_FORMAT for h in headers if h.endswith("得分")}
    widths = [4, 7, 8, 12, 9] + [6, 5, 4.5] * len(quarters) + [5, 6]
    ctx.table(
        texts.EXPORT_FORM_SHEETS["year"],
        headers,
        rows,
        freeze_columns=2,
        formats=formats,
        widths=widths,
    )
    sheet = ctx.workbook[texts.EXPORT_FORM_SHEETS["year"]]
    ctx.workbook.move_sheet(sheet, -(len(ctx.workbook.sheetnames) - 1))


async def annual_sheet(ctx: ExportContext) -> None:
    """年度考核: the year's grades, the same rows as `kaohe annual --json`; 说明 also tells
    each person's 复核 of the year (as the 汇总表's 备注 does)."""
    view = await annual_view(
        ctx.session, policy=ctx.policy, calendar=ctx.calendar, year=ctx.quarter.year,
        now=ctx.now,
    )  # fmt: skip
    appeals = await ctx.appeals(AppealKind.ANNUAL)
    rows = []
    for row in annual_rows(view):
        mine = appeals.get(row["person_id"], [])
        reason = row["reason"]
        if reason.startswith("复核变更：") and any(
            a.status == AppealStatus.CHANGED.value for a in mine
        ):
            reason = ""  # bot.annual's reason for a 变更: the appeal's note says it
        notes = [reason, *appeal_notes(mine, ctx.zone)]
        rows.append({**row, "reason": "；".join(n for n in notes if n)} if mine else row)
    title = f"{ctx.unit} {ctx.quarter.year}年度考核结果"
    write_annual_sheet(ctx.workbook, rows, title=title)


# The year's sheets in order.
YEAR_SHEET_WRITERS: list[SheetWriter] = [
    year_sheet,
    annual_sheet,
    records_sheet,
    filing_sheet,
    archive_sheet,
    audit_sheet,
]


async def build_year_export(
    session: AsyncSession,
    *,
    policy: Policy,
    calendar: WorkCalendar,
    year: int,
    now: datetime,
) -> Export:
    """The year's workbook as XLSX bytes: each quarter that kaohe assessed (up to the
    current one) side by side; LookupError if no roster was imported."""
    unit = await get_unit(session)
    if unit is None or unit.id is None:
        raise LookupError("no roster imported yet")
    first = await assessment_start(session)
    today = now.date()
    views: dict[Quarter, QuarterView | None] = {}
    for number in range(1, 5):
        q = Quarter(year, number)
        if q.start > today:
            break
        if first is not None and q.end < first:
            views[q] = None
            continue
        views[q] = await quarter_view(
            session, policy=policy, calendar=calendar, quarter=q, now=now
        )
    assessed = [v for v in views.values() if v is not None]
    if not assessed:
        raise NothingAssessed(first)
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    last = max(q for q, v in views.items() if v is not None)
    ctx = ExportContext(
        workbook,
        session,
        unit.id,
        unit.name,
        last,
        assessed[-1],
        policy,
        calendar,
        now,
        start=date(year, 1, 1),
        end=date(year, 12, 31),
        label=f"{year}年度",
        views=views,
    )
    for writer in YEAR_SHEET_WRITERS:
        await writer(ctx)
    workbook.active = 0
    buffer = BytesIO()
    workbook.save(buffer)
    return Export(
        buffer.getvalue(), f"平时考核-{year}年度.xlsx", all(v.published for v in assessed)
    )


# ---- `kaohe export` -------------------------------------------------------------------------


def add_parser(sub: Any) -> None:
    """Register `kaohe export` on the CLI's subparsers."""
    from bot.cli_args import quarter_type

    export = sub.add_parser("export", help="导出考核结果 Excel 工作簿（季度或全年）")
    export.add_argument(
        "--quarter",
        type=quarter_type,
        metavar="季度",
        help="如 2026Q4 或 2026年第四季度（默认本季度）",
    )
    export.add_argument("--year", type=int, metavar="年份", help="全年，各季度并列")
    export.add_argument(
        "--reports", action="store_true", help="只导出日报档案（全部日报原文），边读边写"
    )
    export.add_argument("-o", "--output", type=Path, metavar="文件", help="要写入的 .xlsx 文件")
    export.add_argument("--force", action="store_true", help="覆盖已有文件")


def output_problem(path: Path, *, force: bool) -> str | None:
    """Why `path` cannot take the export (one Chinese line), or None."""
    if path.is_dir():
        return texts.EXPORT_OUTPUT_FOLDER.format(path=path, example=path / "平时考核.xlsx")
    if path.suffix.lower() != ".xlsx":
        return texts.EXPORT_OUTPUT_SUFFIX.format(path=path)
    folder = path.parent
    if not folder.is_dir():
        return texts.EXPORT_OUTPUT_NO_FOLDER.format(folder=folder)
    if path.exists() and not force:
        return texts.EXPORT_OUTPUT_EXISTS.format(path=path)
    return None


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary file, so a failed export leaves no half file."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _default_name(args: argparse.Namespace, quarter: Quarter) -> str:
    period = f"{args.year}年度" if args.year else str(quarter)
    return f"日报档案-{period}.xlsx" if args.reports else f"平时考核-{period}.xlsx"


async def run_export(args: argparse.Namespace, settings: Any, session: AsyncSession) -> int:
    """The body of `kaohe export`, on an open session."""
    from bot.policies import load_policy

    if args.quarter and args.year:
        sys.stderr.write(texts.EXPORT_PERIOD_BOTH + "\n")
        return 2
    policy = load_policy(settings.policy)
    now = datetime.now(UTC).astimezone(settings.zone)
    quarter = args.quarter or Quarter.of(now.date())
    path: Path = args.output or Path(_default_name(args, quarter))
    problem = output_problem(path, force=args.force)
    if problem:
        sys.stderr.write(problem + "\n")
        return 2
    calendar = await calendar_from_db(session, policy.calendar)
    try:
        if args.reports:
            return await _run_reports(args, session, path, quarter, now)
        if args.year:
            export = await build_year_export(
                session, policy=policy, calendar=calendar, year=args.year, now=now
            )
        else:
            export = await build_export(
                session, policy=policy, calendar=calendar, quarter=quarter, now=now
            )
    except NothingAssessed as exc:
        start = "—" if exc.first is None else texts.long_date(exc.first)
        sys.stderr.write(texts.EXPORT_YEAR_EMPTY.format(year=args.year, start=start) + "\n")
        return 1
    except LookupError:
        sys.stderr.write("还没有名单。请先运行：kaohe import 名单.xlsx\n")
        return 1
    _write(path, export.data)
    if args.year:
        sys.stdout.write(texts.EXPORT_YEAR_DONE.format(year=args.year, path=path) + "\n")
        return 0
    state = "已公布的结果" if export.published else "实时计算，暂定"
    sys.stdout.write(f"已导出 {quarter.label}（{state}）：{path}\n")
    return 0


async def _run_reports(
    args: argparse.Namespace, session: AsyncSession, path: Path, quarter: Quarter, now: datetime
) -> int:
    unit = await get_unit(session)
    if unit is None or unit.id is None:
        raise LookupError("no roster imported yet")
    if args.year:
        start, end, label = date(args.year, 1, 1), date(args.year, 12, 31), f"{args.year}年度"
    else:
        start, end, label = quarter.start, quarter.end, quarter.label
    first = await assessment_start(session)
    if first is not None:
        start = max(start, first)
    end = min(end, now.date())
    partial = path.with_name(f".{path.name}.partial")
    count = await write_archive(
        session,
        partial,
        unit_id=unit.id,
        unit=unit.name,
        label=label,
        start=start,
        end=end,
        zone=now.tzinfo or UTC,
    )
    os.replace(partial, path)
    done = texts.EXPORT_REPORTS_DONE.format(period=label, count=count, path=path)
    sys.stdout.write(done + "\n")
    return 0
