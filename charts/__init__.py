"""Charts rendered from core results (matplotlib Figure API, PNG bytes out).

Pure functions, data in and PNG bytes out: the same data gives the same bytes. Every picture
is 1080 px wide (a phone's width) and as tall as its rows need; text is the shipped Kaohe
Sans SC (a Noto Sans CJK SC subset, `charts/fontdata/`), so Chinese renders on any machine.
Renders run one at a time (a lock), so calling them from worker threads is safe.

    board = leaderboard_from_result(result, dept_id, department=names[dept_id], week="第5周")
    png = render_leaderboard(board)      # bytes, ready for BufferedInputFile(png, "rank.png")

A matplotlib chart of another kind can use the same font: `register_font()` once, then
`font_properties(size)` (or the family name `FONT_FAMILY`) on its text.
"""

from charts.boards import leaderboard_size, ranking_size, render_leaderboard, render_ranking
from charts.build import (
    cumulative_label,
    describe_board,
    describe_filing,
    describe_ranking,
    filing_from_figures,
    grades_from_result,
    leaderboard_from_result,
    period_label,
    publishable,
    ranking_from_result,
    trend_from_results,
)
from charts.filing import filing_size, render_filing
from charts.fonts import FAMILY as FONT_FAMILY
from charts.fonts import font as font_properties
from charts.fonts import register as register_font
from charts.grades import grades_size, render_grades
from charts.model import (
    DepartmentRanking,
    FilingChart,
    FilingRow,
    GradeDistribution,
    GradeRow,
    Leaderboard,
    LeaderboardRow,
    RankingRow,
    Trend,
    TrendPoint,
)
from charts.trend import render_trend, trend_size

__all__ = [
    "FONT_FAMILY",
    "DepartmentRanking",
    "FilingChart",
    "FilingRow",
    "GradeDistribution",
    "GradeRow",
    "Leaderboard",
    "LeaderboardRow",
    "RankingRow",
    "Trend",
    "TrendPoint",
    "cumulative_label",
    "describe_board",
    "describe_filing",
    "describe_ranking",
    "filing_from_figures",
    "filing_size",
    "font_properties",
    "grades_from_result",
    "grades_size",
    "leaderboard_from_result",
    "leaderboard_size",
    "period_label",
    "publishable",
    "ranking_from_result",
    "ranking_size",
    "register_font",
    "render_filing",
    "render_grades",
    "render_leaderboard",
    "render_ranking",
    "render_trend",
    "trend_from_results",
    "trend_size",
]
