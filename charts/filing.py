"""Filing rate per department: this week against last week, as paired bars."""

from __future__ import annotations

from charts._canvas import INK, MUTED, RULE, STRIPE, WIDTH, Canvas, Rows, rows_layout, serialised
from charts.model import FilingChart

THIS_WEEK = "#1e78c8"
LAST_WEEK = "#b9c6d2"
# Neutral for both: in China red means up (stock tickers), in the West down; arrows alone say
# which way, so no colour can be misread.
UP = "#1f2933"
DOWN = "#1f2933"

HEADER_HEIGHT = 190
LEGEND_HEIGHT = 76
FOOTER_HEIGHT = 80
EMPTY_HEIGHT = 160
MAX_ROWS = 60


def filing_rows(departments: int) -> Rows:
    """100 px a department up to 20, then shrinking to 64 px; at most 60 shown."""
    return rows_layout(
        departments, row=100, full=20, smallest=64, limit=MAX_ROWS, empty=EMPTY_HEIGHT
    )


def filing_size(departments: int) -> tuple[int, int]:
    """(width, height) in pixels of a filing-rate chart with this many departments."""
    body = filing_rows(departments).body
    return WIDTH, HEADER_HEIGHT + LEGEND_HEIGHT + body + FOOTER_HEIGHT


def percent(rate: float | None) -> int | None:
    """0.874 → 87 (rounded half to even, as Python rounds); None stays None."""
    return None if rate is None else round(rate * 100)


@serialised
def render_filing(chart: FilingChart) -> bytes:
    """Each department's filing rate this week (dark) over last week (light); PNG bytes."""
    rows = chart.rows[:MAX_ROWS]
    width, height = filing_size(len(chart.rows))
    canvas = Canvas(height, width)
    title = f"{chart.unit} 各部门填报率".strip()
    top = canvas.header(title, f"{chart.period} · 本周对比上周")
    canvas.legend(
        40,
        top + LEGEND_HEIGHT / 2,
        [("■", THIS_WEEK), ("本周", INK), ("■", LAST_WEEK), ("上周", INK)],
    )
    top += LEGEND_HEIGHT
    if not rows:
        canvas.centred_text(
            width / 2, top + EMPTY_HEIGHT / 2, "暂无部门数据", 32, MUTED, ha="center"
        )
        bottom = top + EMPTY_HEIGHT
    else:
        layout = filing_rows(len(rows))
        rh = layout.height
        name_width, name_x, change_width = 260, 40, 110
        names = [r.name for r in rows]
        longest = max(canvas.measure(n, 1.0) for n in names)
        name_size = max(20, min(round(rh * 0.34), int(name_width / longest)))
        value_size = min(round(rh * 0.28), 28)
        bar_x = name_x + name_width + 20
        bar_span = width - 40 - change_width - canvas.measure(" 100%", value_size) - bar_x
        for i, row in enumerate(rows):
            y = top + i * rh
            middle = y + rh / 2
            if i % 2:
                canvas.box(0, y, width, rh, STRIPE)
            text, _ = canvas.fit(row.name, name_width, name_size, name_size)
            canvas.centred_text(name_x, middle, text, name_size, INK)
            now, before = percent(row.this_week), percent(row.last_week)
            for rate, shown, colour, centre, thickness, size in (
                (row.this_week, now, THIS_WEEK, middle - rh * 0.15, rh * 0.26, value_size),
                (row.last_week, before, LAST_WEEK, middle + rh * 0.19, rh * 0.18, value_size - 4),
            ):
                length = bar_span * min(max(rate or 0.0, 0.0), 1.0)
                canvas.box(bar_x, centre - thickness / 2, length, thickness, colour)
                label = "—" if shown is None else f"{shown}%"
                tone = INK if colour == THIS_WEEK else MUTED
                canvas.centred_text(bar_x + length + 10, centre, label, size, tone)
            change, tone = _change(now, before)
            canvas.centred_text(width - 40, middle, change, value_size, tone, ha="right")
        bottom = top + layout.body
    canvas.box(0, bottom, width, 2, RULE)
    note = "填报率 = 已报天数 ÷ 应报天数（请假、节假日不计入应报）"
    if len(chart.rows) > len(rows):
        note += f"；另有{len(chart.rows) - len(rows)}个部门未列出"
    text, size = canvas.fit(note, width - 80, 24, 16)
    canvas.centred_text(40, bottom + FOOTER_HEIGHT / 2, text, size, MUTED)
    return canvas.png()


def _change(now: int | None, before: int | None) -> tuple[str, str]:
    """'▲6' (up), '▼4' (down), '持平', or '' when a week has no figure."""
    if now is None or before is None:
        return "", MUTED
    if now > before:
        return f"▲{now - before}", UP
    if now < before:
        return f"▼{before - now}", DOWN
    return "持平", MUTED
