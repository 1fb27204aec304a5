"""The quarter's grades per department: stacked bars of 好 / 较好 / 一般 / 较差 counts."""

from __future__ import annotations

from charts._canvas import (
    GRADE_COLOURS,
    INK,
    MUTED,
    RULE,
    STRIPE,
    WHITE,
    WIDTH,
    Canvas,
    Rows,
    rows_layout,
    serialised,
)
from charts.model import GradeDistribution
from core.grades import GRADE_ORDER

HEADER_HEIGHT = 190
LEGEND_HEIGHT = 76
FOOTER_HEIGHT = 80
EMPTY_HEIGHT = 160
MAX_ROWS = 60


def grades_rows(departments: int) -> Rows:
    """84 px a department up to 20, then shrinking to 56 px; at most 60 shown."""
    return rows_layout(
        departments, row=84, full=20, smallest=56, limit=MAX_ROWS, empty=EMPTY_HEIGHT
    )


def grades_size(departments: int) -> tuple[int, int]:
    """(width, height) in pixels of a grade distribution with this many departments."""
    body = grades_rows(departments).body
    return WIDTH, HEADER_HEIGHT + LEGEND_HEIGHT + body + FOOTER_HEIGHT


@serialised
def render_grades(chart: GradeDistribution) -> bytes:
    """How many members of each department got each grade; PNG bytes."""
    rows = chart.rows[:MAX_ROWS]
    width, height = grades_size(len(chart.rows))
    canvas = Canvas(height, width)
    state = " · 暂定" if chart.provisional else ""
    title = f"{chart.unit} 各部门等次分布".strip()
    top = canvas.header(title, f"{chart.period}{state}")
    legend: list[tuple[str, str]] = []
    for grade in GRADE_ORDER:
        legend += [("■", GRADE_COLOURS[grade]), (grade.label, INK)]
    canvas.legend(40, top + LEGEND_HEIGHT / 2, legend)
    top += LEGEND_HEIGHT
    if not rows:
        canvas.centred_text(
            width / 2, top + EMPTY_HEIGHT / 2, "暂无等次数据", 32, MUTED, ha="center"
        )
        bottom = top + EMPTY_HEIGHT
    else:
        layout = grades_rows(len(rows))
        rh = layout.height
        name_width, name_x = 260, 40
        longest = max(canvas.measure(r.name, 1.0) for r in rows)
        name_size = max(20, min(round(rh * 0.4), int(name_width / longest)))
        count_size = min(round(rh * 0.34), 28)
        bar_x = name_x + name_width + 20
        bar_span = width - 40 - canvas.measure(" 999人", count_size) - bar_x
        most = max(1, *(r.total for r in rows))
        for i, row in enumerate(rows):
            y = top + i * rh
            middle = y + rh / 2
            if i % 2:
                canvas.box(0, y, width, rh, STRIPE)
            text, _ = canvas.fit(row.name, name_width, name_size, name_size)
            canvas.centred_text(name_x, middle, text, name_size, INK)
            x, thickness = float(bar_x), rh * 0.56
            for grade, count in zip(GRADE_ORDER, row.counts, strict=True):
                length = bar_span * count / most
                canvas.box(x, middle - thickness / 2, length, thickness, GRADE_COLOURS[grade])
                label = str(count)
                if count and canvas.measure(label, count_size) + 12 <= length:
                    canvas.centred_text(
                        x + length / 2, middle, label, count_size, WHITE, ha="center"
                    )
                x += length
            canvas.centred_text(x + 10, middle, f"{row.total}人", count_size, MUTED)
        bottom = top + layout.body
    canvas.box(0, bottom, width, 2, RULE)
    note = "等次按考核方案在排名组内评定；条长为参评人数"
    if chart.note:
        note += f"；{chart.note}"
    if len(chart.rows) > len(rows):
        note += f"；另有{len(chart.rows) - len(rows)}个部门未列出"
    text, size = canvas.fit(note, width - 80, 24, 16)
    canvas.centred_text(40, bottom + FOOTER_HEIGHT / 2, text, size, MUTED)
    return canvas.png()
