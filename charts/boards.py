"""Ranked lists as horizontal bars: a department's leaderboard, the unit's department ranking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from charts._canvas import (
    GOLD,
    GRADE_COLOURS,
    HIGHLIGHT,
    INK,
    MUTED,
    NEUTRAL,
    RULE,
    STRIPE,
    WHITE,
    WIDTH,
    Canvas,
    Rows,
    rows_layout,
    serialised,
)
from charts.model import DepartmentRanking, Leaderboard
from core.grades import GRADE_ORDER

MEDALS = ("#e0a100", "#9aa5b1", "#c07a3e")  # 1st, 2nd, 3rd
FLAG_BAR = "#c62828"
DEPARTMENT_BAR = "#3f6e9a"

HEADER_HEIGHT = 190
GAP = 20
FOOTER_HEIGHT = 110
SECTION_HEIGHT = 60  # a ranking group's heading, when a board holds more than one group
EMPTY_HEIGHT = 160
MAX_LEADERBOARD_ROWS = 150  # 150 rows × 44 px keeps the picture within Telegram's photo limits
MAX_RANKING_ROWS = 100


@dataclass(frozen=True, slots=True)
class _Line:
    name: str
    note: str
    value: float
    value_text: str
    colour: str
    marker: str  # "", "star" or "flag"
    badge: str
    right: str = ""
    right_colour: str = INK


@dataclass(frozen=True, slots=True)
class _Layout:
    rows: Rows
    name_width: int
    right_width: int


def leaderboard_rows(members: int) -> Rows:
    """72 px a member up to 30 members, then shrinking to 44 px; at most 150 shown."""
    return rows_layout(
        members, row=72, full=30, smallest=44, limit=MAX_LEADERBOARD_ROWS, empty=EMPTY_HEIGHT
    )


def leaderboard_size(members: int, groups: int = 1) -> tuple[int, int]:
    """(width, height) in pixels of a leaderboard with this many members in this many
    ranking groups (with more than one group, each group adds a heading)."""
    sections = SECTION_HEIGHT * groups if groups > 1 and members else 0
    return WIDTH, HEADER_HEIGHT + GAP + sections + leaderboard_rows(members).body + FOOTER_HEIGHT


def ranking_rows(departments: int) -> Rows:
    """96 px a department up to 20, then shrinking to 64 px; at most 100 shown."""
    return rows_layout(
        departments, row=96, full=20, smallest=64, limit=MAX_RANKING_ROWS, empty=EMPTY_HEIGHT
    )


def ranking_size(departments: int) -> tuple[int, int]:
    """(width, height) in pixels of a department ranking with this many departments."""
    return WIDTH, HEADER_HEIGHT + GAP + ranking_rows(departments).body + FOOTER_HEIGHT


def score_text(score: float) -> str:
    """92.35 → '92.35' (scores are kept to the cent)."""
    return f"{score:.2f}"


@serialised
def render_leaderboard(board: Leaderboard) -> bytes:
    """A department's members by quarter-to-date score, 绩效之星 marked; PNG bytes.

    Members of several ranking groups are drawn as one section per group (a heading, then
    the group's members ranked from 1), as they are ranked in the core.
    """
    rows = board.rows[:MAX_LEADERBOARD_ROWS]
    groups = board.groups
    width, height = leaderboard_size(len(board.rows), len(groups))
    canvas = Canvas(height, width)
    state = " · 暂定" if board.provisional else ""
    top = canvas.header(f"{board.department} 绩效排行榜", f"{board.period}{state}") + GAP
    final = not board.provisional
    lines = [
        _Line(
            name=r.name,
            note="",
            value=r.score,
            value_text=score_text(r.score),
            colour=GRADE_COLOURS[r.grade] if final and r.grade else NEUTRAL,
            marker="star" if r.star else "",
            badge="绩效之星" if r.star else "",
            right=r.grade.label if final and r.grade else "",
            right_colour=GRADE_COLOURS[r.grade] if r.grade else INK,
        )
        for r in rows
    ]
    sections = [
        (group if len(groups) > 1 else "", [line for line, r in zip(lines, rows, strict=True)
                                            if r.group == group])
        for group in groups
    ]  # fmt: skip
    layout = _Layout(leaderboard_rows(len(rows)), 190, 76 if final else 0)
    bottom = _draw_rows(canvas, top, sections, layout, "本部门暂无参加考核的人员")
    legend: list[tuple[str, str]] = [("★", GOLD), ("绩效之星", INK)]
    if final:
        legend = [*_grade_legend(), *legend]
    note = _leaderboard_note(board, len(board.rows) - len(rows), _has_ties(sections))
    _footer(canvas, bottom, legend, note)
    return canvas.png()


def _has_ties(sections: Sequence[tuple[str, Sequence[_Line]]]) -> bool:
    """Whether two rows of one section show the same score."""
    return any(len({line.value_text for line in lines}) < len(lines) for _, lines in sections)


def _leaderboard_note(board: Leaderboard, hidden: int, ties: bool) -> str:
    if board.provisional:
        note = "得分为本季度截至目前的累计分，排名暂定"
    else:
        note = "本季度最终得分与等次"
    if len(board.groups) > 1:
        note += "；按类别分组排名"
    if ties:
        note += f"；{board.tiebreak}"
    if hidden:
        note += f"；另有{hidden}人未列出"
    return note


@serialised
def render_ranking(ranking: DepartmentRanking) -> bytes:
    """The unit's departments by score, 流动红旗 on the first; PNG bytes."""
    rows = ranking.rows[:MAX_RANKING_ROWS]
    width, height = ranking_size(len(ranking.rows))
    canvas = Canvas(height, width)
    state = " · 暂定" if ranking.provisional else ""
    title = f"{ranking.unit} 部门绩效排名".strip()
    top = canvas.header(title, f"{ranking.period}{state}") + GAP
    lines = [
        _Line(
            name=r.name,
            note=_department_note(r.members, r.filing_rate),
            value=r.score,
            value_text=score_text(r.score),
            colour=FLAG_BAR if r.red_flag else DEPARTMENT_BAR,
            marker="flag" if r.red_flag else "",
            badge="流动红旗" if r.red_flag else "",
        )
        for r in rows
    ]
    layout = _Layout(ranking_rows(len(rows)), 280, 0)
    sections = [("", lines)]
    bottom = _draw_rows(canvas, top, sections, layout, "暂无部门数据")
    note = "部门得分：有部门评分的按部门评分，否则为成员平均分"
    if ranking.provisional:
        note += "；季度进行中，暂定"
    if _has_ties(sections):
        note += f"；{ranking.tiebreak}"
    _footer(canvas, bottom, [("flag", FLAG_BAR), ("流动红旗", INK)], note)
    return canvas.png()


def _department_note(members: int, filing_rate: float | None) -> str:
    parts = [f"{members}人"] if members else []
    if filing_rate is not None:
        parts.append(f"填报率 {round(filing_rate * 100)}%")
    return " · ".join(parts)


def _draw_rows(
    canvas: Canvas,
    top: int,
    sections: Sequence[tuple[str, Sequence[_Line]]],
    layout: _Layout,
    empty: str,
) -> int:
    """Draw the sections from `top` (a heading for each named one, then its rows ranked
    from 1); return the y below the last row."""
    lines = [line for _, section in sections for line in section]
    if not lines:
        canvas.centred_text(
            canvas.width / 2, top + EMPTY_HEIGHT / 2, empty, 32, MUTED, ha="center"
        )
        return top + EMPTY_HEIGHT
    rh = layout.rows.height
    two_lines = any(line.note for line in lines)
    name_size = _common_size(
        canvas,
        [line.name for line in lines],
        layout.name_width,
        round(rh * (0.36 if two_lines else 0.5)),
    )
    value_size = min(round(rh * 0.42), 32)
    name_x = 150
    bar_x = name_x + layout.name_width + 16
    value_room = 12 + canvas.measure("100.00", value_size)
    bar_span = canvas.width - 40 - layout.right_width - value_room - bar_x
    most = max(1e-9, *(line.value for line in lines))
    start, shown = top, 0
    for heading, section in sections:
        if heading:
            y = start + shown * rh
            canvas.box(0, y, canvas.width, SECTION_HEIGHT, RULE)
            canvas.centred_text(40, y + SECTION_HEIGHT / 2, f"{heading}（组内排名）", 28, INK)
            start += SECTION_HEIGHT
        for i, line in enumerate(section):
            y = start + (shown + i) * rh
            middle = y + rh / 2
            if line.marker:
                canvas.box(0, y, canvas.width, rh, HIGHLIGHT)
            elif i % 2:
                canvas.box(0, y, canvas.width, rh, STRIPE)
            _rank_badge(canvas, i + 1, 62, middle, min(rh, 76))
            if line.marker == "star":
                canvas.centred_text(100, middle, "★", min(round(rh * 0.5), 36), GOLD)
            elif line.marker == "flag":
                size = min(rh * 0.42, 34)
                canvas.flag(104, middle - size / 2, size)
            name_middle = middle - rh * 0.13 if line.note else middle
            text, _ = canvas.fit(line.name, layout.name_width, name_size, name_size)
            canvas.centred_text(name_x, name_middle, text, name_size, INK)
            if line.note:
                canvas.centred_text(name_x, middle + rh * 0.26, line.note, round(rh * 0.24), MUTED)
            bar_h = rh * 0.5
            length = bar_span * max(line.value, 0.0) / most
            canvas.box(bar_x, middle - bar_h / 2, length, bar_h, line.colour)
            canvas.centred_text(bar_x + length + 12, middle, line.value_text, value_size, INK)
            if line.badge:
                badge_size = min(round(bar_h * 0.7), 26)
                if canvas.measure(line.badge, badge_size) + 24 <= length:
                    canvas.centred_text(bar_x + 12, middle, line.badge, badge_size, WHITE)
            if line.right:
                right_x = canvas.width - 40
                canvas.centred_text(
                    right_x, middle, line.right, value_size, line.right_colour, ha="right"
                )
        shown += len(section)
    bottom = start + layout.rows.body
    canvas.box(0, bottom, canvas.width, 2, RULE)
    return bottom


def _common_size(canvas: Canvas, names: Sequence[str], width: int, size: int) -> int:
    """One size for every name: the given one, or smaller so the longest fits (to 3/5 of it)."""
    longest = max(canvas.measure(name, 1.0) for name in names)
    if longest * size <= width:
        return size
    return max(size * 3 // 5, int(width / longest))


def _rank_badge(canvas: Canvas, rank: int, cx: float, middle: float, rh: float) -> None:
    size = round(rh * 0.4)
    if rank <= len(MEDALS):
        canvas.circle(cx, middle, rh * 0.34, MEDALS[rank - 1])
        canvas.centred_text(cx, middle, str(rank), size, WHITE, ha="center")
    else:
        canvas.centred_text(cx, middle, str(rank), size, MUTED, ha="center")


def _grade_legend() -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for grade in GRADE_ORDER:
        items += [("■", GRADE_COLOURS[grade]), (grade.label, INK)]
    return items


def _footer(canvas: Canvas, top: int, legend: Sequence[tuple[str, str]], note: str) -> None:
    """A legend line and a note line under the rows."""
    canvas.legend(40, top + 42, legend)
    text, note_size = canvas.fit(note, canvas.width - 80, 24, 16)
    canvas.centred_text(40, top + 86, text, note_size, MUTED)
