"""The two forms a 考核办 prints and files (issue 20): the 平时考核结果汇总表 the unit signs,
and the 平时考核登记表, one page per person.

Both are laid out to print on A4 at 100 % (fitted to the width, nothing below 9 pt): the
汇总表 landscape with its header row repeated on every page and the signature block kept
on one page; the 登记表 portrait with a page break after each person.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from bot import texts
from bot.export_style import (
    A4_SHORT,
    BAND_FILL,
    BODY,
    BODY_PT,
    BOLD,
    CENTER,
    GRID,
    HEADER_FILL,
    LEFT,
    PERCENT_FORMAT,
    SCORE_FORMAT,
    SUBTITLE,
    TITLE,
    TOP_LEFT,
    guard,
    look,
    merged,
    print_setup,
    row_height,
    set_widths,
    text_lines,
)
from bot.results import grade_of
from core.appeals import AppealKind, AppealStatus
from core.declarations import TaskSource
from core.grades import AnnualGrade, Grade
from core.grading import floor_share
from core.policy import GradeMode, RaterKind
from core.ratings import ANONYMOUS_KINDS, MIN_ANONYMOUS_ANSWERS
from core.records import RecordKind
from core.reports import short_date
from storage import export as store
from storage.declarations import declared_items
from storage.tables import Appeal

if TYPE_CHECKING:
    from bot.export import ExportContext

SUMMARY_WIDTHS = (5, 9, 9, 19, 10, 11, 8, 6, 6, 31)
REGISTER_WIDTHS = (10, 10, 9, 10, 18, 18)
HEADER_ROW = 4  # the 汇总表's header row; one lower once there is a 公示 line
FORM_SPACING = 1.25  # the 登记表's line spacing: one person, one page
# The printable height of a landscape page in points, less the repeated header row.
SUMMARY_PAGE_PT = (A4_SHORT - 1.2) * 72 - 30


def _remarks(person: dict[str, Any], appeals: Sequence[Appeal] = (), zone: tzinfo = UTC) -> str:
    """备注: vetoes, why a grade is what it is when it is not the plain outcome (不定等次
    included), the person's 复核, 绩效之星."""
    notes = [f"负面清单：{v}" for v in person["vetoes"]]
    reason = person.get("grade_reason") or ""
    if any(v in reason for v in person["vetoes"]):
        reason = ""  # 一票否决：<the veto>, said already
    if person.get("revision") and any(a.status == AppealStatus.CHANGED.value for a in appeals):
        reason = ""  # 复核变更：…, said by the appeal's note
    grade = grade_of(person)
    if grade is None:  # 不定等次 is the 等次 already: the reason only
        notes.append(reason.removesuffix("，" + texts.REMARK_UNDETERMINED) or reason)
    elif reason and (person["vetoes"] or grade in (Grade.AVERAGE, Grade.POOR) or "最高" in reason):
        notes.append(reason)
    notes += appeal_notes(appeals, zone)
    if person.get("star"):
        notes.append(texts.STAR_TEXT)
    return "；".join(n for n in dict.fromkeys(notes) if n)


def _grade_word(kind: str, value: str | None) -> str:
    """A stored grade value in Chinese (a quarter's or a year's)."""
    if value == "undetermined":
        return texts.REMARK_UNDETERMINED
    try:
        return (Grade(value) if kind == AppealKind.QUARTER.value else AnnualGrade(value)).label
    except ValueError:
        return value or ""


def _local_day(moment: datetime | None, zone: tzinfo) -> str:
    return "" if moment is None else short_date(moment.astimezone(zone).date())


def appeal_notes(appeals: Sequence[Appeal], zone: tzinfo) -> list[str]:
    """What 备注 says of a person's 复核 of the period, in the order filed: open (with the
    day it must be answered by), 维持 or 变更 (old → new, with the day decided)."""
    notes = []
    for appeal in appeals:
        day = _local_day(appeal.decided_at, zone)
        if appeal.status == AppealStatus.OPEN.value:
            notes.append(texts.REMARK_APPEAL_OPEN.format(due=short_date(appeal.decide_by)))
        elif appeal.status == AppealStatus.UPHELD.value:
            notes.append(texts.REMARK_APPEAL_UPHELD.format(day=day))
        else:
            old = _grade_word(appeal.kind, appeal.old_grade)
            new = _grade_word(appeal.kind, appeal.new_grade) if appeal.new_grade else old
            if old == new and appeal.new_score is not None and appeal.old_score is not None:
                old, new = f"{appeal.old_score:.2f}分", f"{appeal.new_score:.2f}分"
            notes.append(texts.REMARK_APPEAL_CHANGED.format(old=old, new=new, day=day))
    return notes


def _good_cap(ctx: ExportContext, group: str, size: int) -> tuple[int, float]:
    """The most people of a group that may be graded 好, and the ratio behind it."""
    rules = ctx.policy.grades
    ratio = rules.good_ratio_for(group)
    if rules.mode is GradeMode.FORCED and rules.forced_shares is not None:
        ratio = min(ratio, rules.forced_shares.good)
    return floor_share(ratio, size), ratio


async def summary_sheet(ctx: ExportContext) -> None:
    """汇总表: the signable list of results with 等次统计 and the signature block."""
    sheet = ctx.workbook.create_sheet(texts.EXPORT_FORM_SHEETS["summary"], 0)
    set_widths(sheet, SUMMARY_WIDTHS)
    header, used = _summary_head(ctx, sheet)
    appeals = await ctx.appeals(AppealKind.QUARTER)
    row, used = _summary_people(ctx, sheet, await ctx.details(), appeals, header, used)
    sheet.freeze_panes = sheet.cell(row=header + 1, column=1)
    row, used = _summary_stats(ctx, sheet, row, used)
    row = _summary_signatures(sheet, row, used)
    sheet.print_area = f"A1:J{row}"
    print_setup(sheet, widths=SUMMARY_WIDTHS, title_rows=f"{header}:{header}")


def _summary_head(ctx: ExportContext, sheet: Worksheet) -> tuple[int, float]:
    """Title, 单位名称, 考核期间, where the results come from, the 公示 dates once
    published, the header row; the header row's number and the height used."""
    last = len(SUMMARY_WIDTHS)
    merged(sheet, 1, 1, last, texts.SUMMARY_TITLE, font=TITLE, alignment=CENTER, border=None)
    sheet.row_dimensions[1].height = 30
    merged(sheet, 2, 1, 5, f"单位名称：{ctx.unit}", border=None, font=BOLD)
    period = f"考核期间：{ctx.period_text}（{ctx.period_label}）"
    merged(sheet, 2, 6, last, period, border=None, font=BOLD)
    state = texts.summary_state(
        published=ctx.published_on, provisional=ctx.view.provisional, until=ctx.view.end
    )
    merged(sheet, 3, 1, last, f"结果状态：{state}　　考核方案：{ctx.view.policy}", border=None)
    header = HEADER_ROW
    publicity = ctx.publicity
    if publicity is not None:
        start, end, final = publicity
        line = texts.summary_publicity(start=start, end=end, final=final)
        merged(sheet, header, 1, last, line, border=None)
        header += 1
    for column, title in enumerate(texts.SUMMARY_HEADERS, start=1):
        cell = sheet.cell(row=header, column=column, value=title)
        look(cell, font=BOLD, alignment=CENTER, border=GRID, fill=HEADER_FILL)
    for row in range(2, header + 1):
        sheet.row_dimensions[row].height = row_height(1)
    return header, 30.0 + (header - 1) * row_height(1)


def _summary_people(
    ctx: ExportContext,
    sheet: Worksheet,
    details: dict[int, store.PersonDetails],
    appeals: dict[int, list[Appeal]],
    header: int,
    used: float,
) -> tuple[int, float]:
    """A band per ranking group, a row per person; the last row and the height used."""
    last = len(SUMMARY_WIDTHS)
    row, group = header, None
    for number, person in enumerate(ctx.view.people, start=1):
        if person["group"] != group:
            group = person["group"]
            row += 1
            band = f"{group}（{person['group_size']}人）"
            merged(sheet, row, 1, last, band, font=BOLD, fill=BAND_FILL)
            sheet.row_dimensions[row].height = row_height(1)
            used += row_height(1)
        row += 1
        who = details.get(person["person_id"])
        remarks = _remarks(person, appeals.get(person["person_id"], ()), ctx.zone)
        values = [
            number,
            person["name"],
            who.employee_id if who else "",
            person["department"],
            who.title if who else "",
            person["category"],
            person["score"],
            person["rank"],
            person["grade_label"],
            remarks,
        ]
        for column, value in enumerate(values, start=1):
            cell = guard(sheet.cell(row=row, column=column, value=value))
            look(cell, font=BODY, border=GRID)
            look(cell, alignment=LEFT if column == last else CENTER)
        sheet.cell(row=row, column=7).number_format = SCORE_FORMAT
        lines = max(
            text_lines(remarks, SUMMARY_WIDTHS[-1]),
            text_lines(person["department"], SUMMARY_WIDTHS[3]),
        )
        sheet.row_dimensions[row].height = row_height(lines)
        used += row_height(lines)
    return row, used


STATS_COLUMNS = ((1, 2), (3, 3), (4, 4), (5, 5), (6, 6), (7, 7), (8, 8), (9, 9), (10, 10))


def _summary_stats(
    ctx: ExportContext, sheet: Worksheet, row: int, used: float
) -> tuple[int, float]:
    """等次统计: per ranking group the count of each grade, 好's share and its cap."""
    row += 2
    merged(sheet, row, 1, len(SUMMARY_WIDTHS), "等次统计", font=SUBTITLE, border=None)
    row += 1
    for (first, end), header in zip(STATS_COLUMNS, texts.SUMMARY_STATS_HEADERS, strict=True):
        merged(sheet, row, first, end, header, font=BOLD, alignment=CENTER, fill=HEADER_FILL)
    sheet.row_dimensions[row].height = row_height(1)
    used += 3 * row_height(1)
    groups: dict[str, Counter[Grade]] = defaultdict(Counter)
    for person in ctx.view.people:
        grade = grade_of(person)
        if grade is not None:  # 不定等次 takes no place in the group's quota
            groups[person["group"]][grade] += 1
    for name, counts in groups.items():
        row += 1
        size = sum(counts.values())
        cap, ratio = _good_cap(ctx, name, size)
        good = counts[Grade.GOOD]
        values = [
            name,
            size,
            good,
            good / size if size else 0,
            ratio,
            counts[Grade.FAIRLY_GOOD],
            counts[Grade.AVERAGE],
            counts[Grade.POOR],
            texts.quota_check(good=good, cap=cap, ratio=ratio),
        ]
        for (first, end), value in zip(STATS_COLUMNS, values, strict=True):
            merged(sheet, row, first, end, value, alignment=CENTER)
        sheet.cell(row=row, column=5).number_format = PERCENT_FORMAT
        sheet.cell(row=row, column=6).number_format = "0%"
        sheet.row_dimensions[row].height = row_height(1)
        used += row_height(1)
    return row, used


def _summary_signatures(sheet: Worksheet, row: int, used: float) -> int:
    """考核委员会（领导小组）意见 and the signature lines, kept together on one page."""
    last = len(SUMMARY_WIDTHS)
    block = 9 * row_height(1)
    row += 2
    if used % SUMMARY_PAGE_PT + block > SUMMARY_PAGE_PT:
        sheet.row_breaks.append(Break(id=row - 1))
    box = merged(sheet, row, 1, last, texts.SUMMARY_OPINION, alignment=TOP_LEFT)
    box.font = BOLD
    sheet.row_dimensions[row].height = 6 * row_height(1)
    row += 1
    merged(sheet, row, 7, last, texts.SUMMARY_SEAL, alignment=CENTER, border=None)
    row += 1
    parts = ((1, 3), (4, 5), (6, 8), (9, 10))
    for (first, end), text in zip(parts, texts.SUMMARY_SIGNATURES, strict=True):
        merged(sheet, row, first, end, text, border=None, font=BOLD)
    sheet.row_dimensions[row].height = row_height(2)
    return row


# ---- 登记表 ---------------------------------------------------------------------------------


def _source_label(value: TaskSource) -> str:
    return value.label


async def register_sheet(ctx: ExportContext) -> None:
    """登记表: per person, details, the quarter's breakdown, adjustments with date and
    reason, 实绩申报, ratings by kind (anonymous kinds as aggregates only), the feedback talk
    and the two signature lines; a page break after each person."""
    details = await ctx.details()
    quarter = str(ctx.quarter)
    records = await ctx.records()
    by_person: dict[int, list[store.RecordRow]] = defaultdict(list)
    for found in records:
        if found.record.voided_at is None:
            by_person[found.record.person_id].append(found)
    declared = await declared_items(ctx.session, unit_id=ctx.unit_id, quarter=ctx.quarter)
    ratings: dict[int, list[store.RatingRow]] = defaultdict(list)
    for rating in await store.answered_ratings(ctx.session, unit_id=ctx.unit_id, quarter=quarter):
        ratings[rating.ratee_id].append(rating)
    talks = await store.talks_with_leaders(ctx.session, unit_id=ctx.unit_id, quarter=quarter)
    appeals = await ctx.appeals(AppealKind.QUARTER)

    sheet = ctx.workbook.create_sheet(texts.EXPORT_FORM_SHEETS["register"], 1)
    set_widths(sheet, REGISTER_WIDTHS)
    form = _Form(sheet)
    people = sorted(ctx.view.people, key=lambda p: _roster_key(details, p))
    for index, person in enumerate(people):
        who = details.get(person["person_id"])
        _register_page(
            ctx,
            form,
            person,
            who,
            appeals.get(person["person_id"], []),
            by_person[person["person_id"]],
            declared.get(person["person_id"], []),
            ratings[person["person_id"]],
            talks.get(person["person_id"]),
        )
        if index < len(people) - 1:
            sheet.row_breaks.append(Break(id=form.row))
            form.row += 1
    sheet.print_area = f"A1:F{max(form.row, 1)}"
    print_setup(sheet, widths=REGISTER_WIDTHS, landscape=False)
    sheet.page_margins.top = sheet.page_margins.bottom = 0.45
    sheet.page_margins.header = sheet.page_margins.footer = 0.2


def _roster_key(details: dict[int, store.PersonDetails], person: dict[str, Any]) -> tuple:
    who = details.get(person["person_id"])
    return (who.roster_order if who else 0, person["person_id"])


class _Form:
    """A cursor writing a bordered form, row by row."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.row = 0

    def line(
        self,
        *parts: tuple[int, int, Any],
        bold: tuple[int, ...] = (),
        lines: int = 1,
        alignment: Any = None,
        border: bool = True,
    ) -> None:
        """One row made of (first column, last column, value) parts."""
        self.row += 1
        height = lines
        for index, (first, last, value) in enumerate(parts):
            width = sum(REGISTER_WIDTHS[first - 1 : last])
            height = max(height, text_lines(value, width) if isinstance(value, str) else 1)
            cell = merged(
                self.sheet,
                self.row,
                first,
                last,
                value,
                font=BOLD if index in bold else BODY,
                alignment=alignment or (CENTER if index in bold else LEFT),
                border=GRID if border else None,
            )
            if isinstance(value, float):
                cell.number_format = SCORE_FORMAT
        self.sheet.row_dimensions[self.row].height = row_height(height, BODY_PT, FORM_SPACING)

    def section(self, title: str) -> None:
        """A section band across the form."""
        self.row += 1
        merged(self.sheet, self.row, 1, 6, title, font=BOLD, fill=BAND_FILL)
        self.sheet.row_dimensions[self.row].height = row_height(1, BODY_PT, FORM_SPACING)


def _register_page(
    ctx: ExportContext,
    form: _Form,
    person: dict[str, Any],
    who: store.PersonDetails | None,
    appeals: list[Appeal],
    records: list[store.RecordRow],
    declared: list[Any],
    ratings: list[store.RatingRow],
    talk: tuple[Any, str] | None,
) -> None:
    sheet = form.sheet
    form.row += 1
    merged(sheet, form.row, 1, 6, texts.REGISTER_TITLE, font=TITLE, alignment=CENTER, border=None)
    sheet.row_dimensions[form.row].height = 24
    form.row += 1
    heading = f"{ctx.unit}　{ctx.period_label}（{ctx.period_text}）"
    merged(sheet, form.row, 1, 6, heading, alignment=CENTER, border=None)
    sheet.row_dimensions[form.row].height = row_height(1)
    _register_person(form, person, who, _remarks(person, appeals, ctx.zone))
    _register_score(form, person)
    _register_records(form, records)
    _register_declared(form, declared)
    _register_ratings(form, ratings)
    _register_talk(ctx, form, talk)
    form.row += 1
    signatures = texts.REGISTER_SIGNATURES
    form.line((1, 3, signatures[0]), (4, 6, signatures[2]), border=False, lines=2)
    form.line((1, 3, signatures[1]), (4, 6, signatures[3]), border=False)


def _register_person(
    form: _Form, person: dict[str, Any], who: store.PersonDetails | None, remarks: str
) -> None:
    labels = (0, 2, 4)
    form.line(
        (1, 1, "姓名"),
        (2, 2, person["name"]),
        (3, 3, "工号"),
        (4, 4, who.employee_id if who else ""),
        (5, 5, "部门"),
        (6, 6, person["department"]),
        bold=labels,
    )
    form.line(
        (1, 1, "职务"),
        (2, 2, who.title if who else ""),
        (3, 3, "类别"),
        (4, 4, person["category"]),
        (5, 5, "排名组"),
        (6, 6, person["group"]),
        bold=labels,
    )
    form.line(
        (1, 1, "得分"),
        (2, 2, person["score"]),
        (3, 3, "排名"),
        (4, 4, f"{person['rank']}/{person['group_size']}"),
        (5, 5, "等次"),
        (6, 6, person["grade_label"]),
        bold=labels,
    )
    if remarks:
        form.line((1, 1, "备注"), (2, 6, remarks), bold=(0,))


def _register_score(form: _Form, person: dict[str, Any]) -> None:
    form.section("一、得分构成")
    form.line(
        (1, 1, "项目"),
        (2, 2, "得分率"),
        (3, 3, "权重"),
        (4, 4, "折算分"),
        (5, 6, "说明"),
        bold=(0, 1, 2, 3, 4),
    )
    lines = {line["label"]: line for line in person.get("breakdown", [])}
    for c in person["components"]:
        detail = (lines.get(c["label"]) or {}).get("detail", "") or ""
        if c["value"] is None:
            detail = detail or "无数据，不计入，其余权重按比例放大"
        weight = c["weight"]
        form.line(
            (1, 1, c["label"]),
            (2, 2, "" if c["value"] is None else c["value"]),
            (3, 3, "" if weight is None else f"{weight:.0%}"),
            (4, 4, "" if c["points"] is None else c["points"]),
            (5, 6, detail),
        )
    adjust = round(sum(a["points"] or 0 for a in person["adjustments"]), 2)
    form.line((1, 3, "加减分合计"), (4, 4, adjust), (5, 6, ""))


def _register_records(form: _Form, records: list[store.RecordRow]) -> None:
    form.section("二、加减分明细")
    form.line(
        (1, 1, "日期"),
        (2, 2, "类型"),
        (3, 3, "分值"),
        (4, 5, "事由"),
        (6, 6, "记录人"),
        bold=(0, 1, 2, 3, 4),
    )
    for found in records:
        r = found.record
        label = texts.severity_label(r.kind, r.severity)
        reason = r.reason
        if r.kind == RecordKind.VETO.value:
            label, reason = "负面清单", f"{r.severity or ''}：{r.reason}"
        elif r.kind == RecordKind.BONUS.value and r.points < 0:
            label = "扣分"
        form.line(
            (1, 1, f"{r.day:%Y-%m-%d}"),
            (2, 2, label),
            (3, 3, float(r.points)),
            (4, 5, reason),
            (6, 6, found.issuer or "系统"),
        )
    if not records:
        form.line((1, 6, "无"))


def _register_declared(form: _Form, declared: list[Any]) -> None:
    form.section("三、实绩申报")
    form.line(
        (1, 1, "序号"), (2, 4, "内容"), (5, 5, "任务来源"), (6, 6, "自评"), bold=(0, 1, 2, 3)
    )
    for item in declared:
        form.line(
            (1, 1, item.position),
            (2, 4, item.text),
            (5, 5, _source_label(item.source)),
            (6, 6, item.self_rating.label),
        )
    if not declared:
        form.line((1, 6, "未申报"))


def _register_ratings(form: _Form, ratings: list[store.RatingRow]) -> None:
    """One row per rater kind: named kinds with each rater's score, anonymous kinds
    (同级互评, 下级评议) only as how many answered and their mean."""
    form.section("四、多主体评价")
    form.line((1, 2, "评价主体"), (3, 5, "评价人及分数"), (6, 6, "平均分"), bold=(0, 1, 2))
    kinds: dict[str, list[store.RatingRow]] = defaultdict(list)
    for rating in ratings:
        kinds[rating.kind].append(rating)
    for kind in RaterKind:
        rows = kinds.get(kind.value, [])
        if not rows:
            continue
        count = len(rows)
        mean: Any = round(sum(r.score for r in rows) / count, 2)
        if kind in ANONYMOUS_KINDS:
            who = f"匿名，{count}人"
            if count < MIN_ANONYMOUS_ANSWERS:
                who += f"（不足{MIN_ANONYMOUS_ANSWERS}人，不计）"
                mean = ""
        else:
            who = "；".join(f"{r.rater} {r.score:g}" for r in rows)
        form.line((1, 2, kind.label), (3, 5, who), (6, 6, mean))
    if not ratings:
        form.line((1, 6, "无评分"))


def _register_talk(ctx: ExportContext, form: _Form, talk: tuple[Any, str] | None) -> None:
    form.section("五、反馈谈话")
    if talk is None:
        form.line((1, 6, "未记录"))
        return
    record, leader = talk
    form.line(
        (1, 1, "谈话人"),
        (2, 3, leader),
        (4, 4, "记录时间"),
        (5, 6, ctx.local(record.created_at)),
        bold=(0, 2),
    )
    form.line((1, 1, "主要优点"), (2, 6, record.strengths), bold=(0,))
    form.line((1, 1, "主要不足"), (2, 6, record.shortcomings), bold=(0,))
    form.line((1, 1, "改进计划"), (2, 6, record.plan), bold=(0,))
