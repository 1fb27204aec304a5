"""Indicator sheets (指标表, DESIGN §10): validation as a pure function, all or nothing.

First row: headers (Chinese or English); each further row one indicator. Rows are numbered
as a spreadsheet numbers them (the header is row 1). Columns:

    编号 key       optional; names the indicator across revisions (default 部门/姓名/指标)
    部门 department the department (empty: a unit-level indicator, 党组定向)
    姓名 name      the person (or 工号 employee_id); empty: a department indicator (部门分责)
    指标 title     required
    权重 weight    ≥ 0, default 1
    目标值 target  > 0, default 100
    单位 unit      the target's unit, e.g. 件 / %
    完成值 actual  optional, ≥ 0: the completion reported so far
    年度 year      optional, default the import's year
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from core.roster import RosterError, RosterProblem

COLUMNS: dict[str, tuple[str, ...]] = {
    "key": ("编号", "key", "指标编号"),
    "department": ("部门", "department", "股室", "科室"),
    "name": ("姓名", "name", "责任人"),
    "employee_id": ("工号", "employee_id"),
    "title": ("指标", "title", "指标名称", "内容"),
    "weight": ("权重", "weight", "分值"),
    "target": ("目标值", "target", "目标"),
    "measure": ("单位", "unit", "计量单位"),
    "actual": ("完成值", "actual", "完成"),
    "year": ("年度", "year"),
}
MAX_TITLE = 200


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """One valid row of an indicator sheet."""

    row: int
    key: str
    year: int
    level: str  # unit | department | person
    department: str
    person: str  # 姓名 or 工号, "" for unit and department indicators
    title: str
    weight: float
    target: float
    measure: str
    actual: float | None


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\u3000", " ").strip()


def _norm(header: str) -> str:
    return header.replace(" ", "").lower()


def parse_indicator_sheet(rows: Sequence[Sequence[object]], *, year: int) -> list[IndicatorRow]:
    """Valid rows of an indicator sheet, or RosterError listing every problem by row."""
    if not rows:
        raise RosterError([RosterProblem(None, "文件是空的")])
    spellings = {_norm(s): key for key, names in COLUMNS.items() for s in names}
    index: dict[str, int] = {}
    for i, header in enumerate(rows[0]):
        key = spellings.get(_norm(_cell(header)))
        if key is not None and key not in index:
            index[key] = i
    if "title" not in index:
        raise RosterError([RosterProblem(1, "缺少「指标」列")])
    problems: list[RosterProblem] = []
    result: list[IndicatorRow] = []
    keys: dict[tuple[int, str], int] = {}
    for number, raw in enumerate(rows[1:], start=2):
        cells = {k: _cell(raw[i]) if i < len(raw) else "" for k, i in index.items()}
        if not any(cells.values()):
            continue
        problems_here: list[str] = []
        title, weight, target, actual, row_year = _values(cells, year, problems_here)
        department = cells.get("department", "")
        person = cells.get("name", "") or cells.get("employee_id", "")
        if person and not department:
            problems_here.append("有「姓名」时须填「部门」")
        level = "person" if person else "department" if department else "unit"
        key = cells.get("key", "") or "/".join((department, person, title))
        key = key[:64]
        if (row_year, key) in keys:
            problems_here.append(f"与第 {keys[row_year, key]} 行重复（同一编号）")
        keys.setdefault((row_year, key), number)
        if problems_here:
            problems.extend(RosterProblem(number, p) for p in problems_here)
            continue
        assert weight is not None and target is not None
        result.append(
            IndicatorRow(
                number, key, row_year, level, department, person, title, weight, target,
                cells.get("measure", "")[:16], actual,
            )
        )  # fmt: skip
    if problems:
        raise RosterError(problems)
    if not result:
        raise RosterError([RosterProblem(None, "没有任何指标行")])
    return result


def _values(
    cells: dict[str, str], year: int, problems: list[str]
) -> tuple[str, float | None, float | None, float | None, int]:
    """Title, weight, target, actual and year of a row; what is wrong goes to `problems`."""
    title = cells.get("title", "")
    if not title:
        problems.append("「指标」为空")
    elif len(title) > MAX_TITLE:
        problems.append(f"「指标」超过 {MAX_TITLE} 字")
    weight = _number(cells.get("weight", ""), 1.0, "权重", problems, low=0)
    target = _number(cells.get("target", ""), 100.0, "目标值", problems, low=0)
    if target is not None and target <= 0:
        problems.append("「目标值」须大于 0")
    actual = _number(cells.get("actual", ""), None, "完成值", problems, low=0)
    row_year = year
    if cells.get("year"):
        try:
            row_year = int(cells["year"])
        except ValueError:
            problems.append(f"「年度」不是年份：{cells['year']}")
    return title, weight, target, actual, row_year


def _number(
    text: str, default: float | None, label: str, problems: list[str], *, low: float
) -> float | None:
    if not text:
        return default
    try:
        value = float(text.rstrip("%"))
    except ValueError:
        problems.append(f"「{label}」不是数字：{text}")
        return default
    if not math.isfinite(value) or value < low:
        problems.append(f"「{label}」不能小于 {low:g}：{text}")
        return default
    return value
