"""A person's quarter week by week, for /me: score (line, left axis) over filing rate (bars).

Drawn on the pixel canvas like the ranked lists rather than with Axes and twinx: same look,
same text, and a fifth of the time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from charts._canvas import INK, MUTED, RULE, WIDTH, Canvas, serialised
from charts.model import Trend

HEIGHT = 1350  # 4:5, the tallest picture Telegram shows uncropped in a chat
SCORE = "#a61b1b"
RATE = "#a9cbe8"
LEFT, TOP, RIGHT, BOTTOM = 130, 320, 950, 1170  # the plot, in pixels
RATE_TOP = 1.06  # 100% sits a little below the top, leaving room for the score label
TICK = 24


def trend_size(weeks: int) -> tuple[int, int]:
    """(width, height) in pixels of a trend chart (the same for any number of weeks)."""
    del weeks
    return WIDTH, HEIGHT


@serialised
def render_trend(trend: Trend) -> bytes:
    """Score after each week (line, left axis) and the week's filing rate (bars); PNG bytes."""
    canvas = Canvas(HEIGHT, WIDTH)
    state = " · 暂定" if trend.provisional else ""
    top = canvas.header(f"{trend.name} 本季度走势", f"{trend.period}{state}")
    legend = [("●", SCORE), ("得分（左轴）", INK), ("■", RATE), ("填报率（右轴）", INK)]
    canvas.legend(40, top + 48, legend)
    points = trend.points
    scores = [p.score for p in points]
    if all(s is None for s in scores) and all(p.filing_rate is None for p in points):
        canvas.centred_text(
            WIDTH / 2, (TOP + BOTTOM) / 2, "本季度暂无数据", 36, MUTED, ha="center"
        )
        return canvas.png()

    height = BOTTOM - TOP
    low, high = _score_limits(scores)
    ticks = [
        t for t in MaxNLocator(nbins=5, integer=True).tick_values(low, high) if low <= t <= high
    ]
    for tick in ticks:
        y = BOTTOM - (tick - low) / (high - low) * height
        canvas.box(LEFT, y - 1, RIGHT - LEFT, 2, RULE)
        canvas.centred_text(LEFT - 14, y, f"{tick:g}", TICK, INK, ha="right")
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = BOTTOM - share / RATE_TOP * height
        canvas.centred_text(RIGHT + 14, y, f"{round(share * 100)}%", TICK, INK)

    slot = (RIGHT - LEFT) / max(len(points), 1)
    centres = [LEFT + (i + 0.5) * slot for i in range(len(points))]
    for x, point in zip(centres, points, strict=True):
        if point.filing_rate is not None:
            bar = min(max(point.filing_rate, 0.0), 1.0) / RATE_TOP * height
            canvas.box(x - slot * 0.31, BOTTOM - bar, slot * 0.62, bar, RATE)
    canvas.box(LEFT, BOTTOM, RIGHT - LEFT, 2, MUTED)

    ys = [math.nan if s is None else BOTTOM - (s - low) / (high - low) * height for s in scores]
    line = Line2D(centres, ys, color=SCORE, linewidth=4, marker="o", markersize=11)
    line.set_transform(canvas.pixels)
    line.set_zorder(2)
    canvas.figure.add_artist(line)
    latest = next((i for i in reversed(range(len(scores))) if scores[i] is not None), None)
    if latest is not None:
        text = f"{scores[latest]:.2f}"
        canvas.text(centres[latest], ys[latest] - 22, text, 30, SCORE, ha="center")

    labels = [p.label for p in points]
    step, size = _tick_labels(canvas, labels, slot)
    for x, label in list(zip(centres, labels, strict=True))[::step]:
        canvas.box(x - 1, BOTTOM, 2, 8, MUTED)
        canvas.centred_text(x, BOTTOM + 36, label, size, INK, ha="center")
    note = "横轴为周次；得分为截至该周末的季度累计分，填报率为当周的"
    canvas.centred_text(WIDTH / 2, HEIGHT - 70, note, 24, MUTED, ha="center")
    return canvas.png()


def _score_limits(scores: Sequence[float | None]) -> tuple[float, float]:
    """An integer range around the scores with some room above and below."""
    known = [s for s in scores if s is not None]
    if not known:
        return 0.0, 100.0
    low, high = min(known), max(known)
    pad = max(2.0, (high - low) * 0.2)
    return math.floor(low - pad), math.ceil(high + pad)


def _tick_labels(canvas: Canvas, labels: Sequence[str], slot: float) -> tuple[int, int]:
    """Every `step`-th week label at `size`: every label if they fit at ≥ 20 px, else fewer."""
    longest = max((canvas.measure(label, 1.0) for label in labels), default=1.0) or 1.0
    step = 1
    while (slot * step - 8) / longest < 20 and step < len(labels):
        step += 1
    return step, int(min(TICK, (slot * step - 8) / longest))
