"""Chart data from core results, so that the bot layer only passes what core gave it.

Department names come as a mapping (storage's `Gathered.departments`); a department
without a name shows as "部门<id>". `week` is a free label the caller composes, e.g.
"第5周（11月2日—6日）"; it follows the quarter in the subtitle.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence

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
from core.grades import Grade
from core.quarter import Quarter
from core.reports import Figures
from core.scoring import PersonResult, QuarterResult


def period_label(period: str, week: str = "") -> str:
    """'2026Q4' → '2026年第4季度', then ' · ' and the week label if any."""
    try:
        text = Quarter.parse(period).label
    except ValueError:
        text = period
    return f"{text} · {week}" if week else text


def cumulative_label(until: str) -> str:
    """'6月12日' → '季度累计（截至6月12日）': the scores of a board are quarter-to-date."""
    return f"季度累计（截至{until}）"


def department_name(names: Mapping[int, str], department_id: int) -> str:
    """The department's name, or 部门<id>."""
    return names.get(department_id) or f"部门{department_id}"


def _standing(p: PersonResult) -> tuple[object, ...]:
    """Best first: score, then the core's rank within its group, then roster order."""
    return (-p.score, p.rank, p.roster_position, p.person_id)


def leaderboard_from_result(
    result: QuarterResult,
    department_id: int,
    *,
    department: str,
    week: str = "",
    stars: int = 1,
    hidden_groups: Collection[str] = (),
) -> Leaderboard:
    """A department's members by ranking group (in the core's group order), each group best
    first; in each group the first `stars` without a veto are 绩效之星. Members of
    `hidden_groups` (e.g. 班子成员, policy `privacy`) are left out."""
    order = {g.group: n for n, g in enumerate(result.groups)}
    members = sorted(
        (
            p
            for p in result.people
            if p.department_id == department_id and p.group not in hidden_groups
        ),
        key=lambda p: (order.get(p.group, len(order)), *_standing(p)),
    )
    rows = []
    left: dict[str, int] = {}
    for p in members:
        star = left.setdefault(p.group, stars) > 0 and not p.vetoes
        left[p.group] -= star
        grade = None if p.undetermined else p.grade  # 不定等次: no colour, no label
        rows.append(LeaderboardRow(p.name, float(p.score), grade, star, p.group))
    return Leaderboard(
        department, period_label(result.period, week), tuple(rows), result.provisional
    )


def ranking_from_result(
    result: QuarterResult, names: Mapping[int, str], *, unit: str = "", week: str = ""
) -> DepartmentRanking:
    """The unit's ranked departments in the core's order, with their 流动红旗."""
    rows = tuple(
        RankingRow(
            name=department_name(names, d.department_id),
            score=float(d.score),
            members=d.members,
            filing_rate=None if d.filing_rate is None else float(d.filing_rate),
            red_flag=d.red_flag,
        )
        for d in sorted(result.departments, key=lambda d: d.rank)
        if d.ranked  # a leadership department is not ranked among the others (policy)
    )
    return DepartmentRanking(unit, period_label(result.period, week), rows, result.provisional)


def filing_from_figures(
    this_week: Mapping[int, Figures],
    last_week: Mapping[int, Figures],
    names: Mapping[int, str],
    *,
    week: str,
    unit: str = "",
) -> FilingChart:
    """Filing rates per department (by id), best this week first; `week` is the period label."""
    ids = list(dict.fromkeys([*names, *this_week, *last_week]))
    ids = [i for i in ids if i in this_week or i in last_week]
    order = {department_id: n for n, department_id in enumerate(ids)}

    def rate(figures: Mapping[int, Figures], department_id: int) -> float | None:
        found = figures.get(department_id)
        return None if found is None else found.filing_rate

    rows = [
        FilingRow(department_name(names, i), rate(this_week, i), rate(last_week, i)) for i in ids
    ]
    ranked = sorted(
        zip(ids, rows, strict=True),
        key=lambda pair: (
            pair[1].this_week is None,
            -(pair[1].this_week or 0.0),
            order[pair[0]],
        ),
    )
    return FilingChart(unit, week, tuple(row for _, row in ranked))


def trend_from_results(
    person_id: int,
    labels: Sequence[str],
    results: Sequence[QuarterResult | None],
    filing: Sequence[Figures | None],
    *,
    name: str = "",
    week: str = "",
) -> Trend:
    """One person's weeks: the score in each week's (quarter-to-date) result, the week's rate.

    `labels`, `results` and `filing` run in parallel, one entry a week; None where a week has
    no result yet (or the person was not scored in it) or no figures.
    """
    points = []
    latest: QuarterResult | None = None
    for label, result, figures in zip(labels, results, filing, strict=True):
        score = None
        if result is not None:
            latest = result
            try:
                score = float(result.person(person_id).score)
                name = name or result.person(person_id).name
            except KeyError:
                score = None
        rate = None if figures is None else figures.filing_rate
        points.append(TrendPoint(label, score, rate))
    period = period_label(latest.period, week) if latest else week
    provisional = latest.provisional if latest else True
    return Trend(name, period, tuple(points), provisional)


def publishable(rows: Sequence[GradeRow], min_group: int) -> tuple[tuple[GradeRow, ...], str]:
    """The rows a posted chart may show, and a footer note saying what was merged.

    A department with fewer than `min_group` graded people would identify them: such
    departments are merged into one row 「其余部门（N个）」, shown only if it holds at least
    `min_group` people itself; otherwise they are left out.
    """
    shown = tuple(r for r in rows if r.total >= min_group)
    small = [r for r in rows if r.total < min_group]
    if not small:
        return shown, ""
    total = sum(r.total for r in small)
    if total >= min_group and len(small) > 1:
        counts = tuple(sum(r.counts[i] for r in small) for i in range(4))
        merged = GradeRow(
            f"其余部门（{len(small)}个）", (counts[0], counts[1], counts[2], counts[3])
        )
        return (*shown, merged), f"不足{min_group}人的部门合并显示"
    return shown, f"不足{min_group}人的部门不单独显示"


def grades_from_result(
    result: QuarterResult, names: Mapping[int, str], *, unit: str = "", min_group: int = 1
) -> GradeDistribution:
    """How many members of each department got each grade, departments in ranking order;
    departments smaller than `min_group` only merged (see `publishable`)."""
    counts: dict[int, Counter[Grade]] = {}
    for p in result.people:
        if not p.undetermined:  # 不定等次 is no grade
            counts.setdefault(p.department_id, Counter())[p.grade] += 1
    order = {d.department_id: d.rank for d in result.departments}
    ids = sorted(counts, key=lambda i: (order.get(i, len(order) + 1), i))
    rows, note = publishable(
        [GradeRow.of(department_name(names, i), counts[i]) for i in ids], min_group
    )
    return GradeDistribution(unit, period_label(result.period), rows, result.provisional, note)


def describe_board(board: Leaderboard) -> str:
    """What a board shows, in words (for a dry run or the demo's transcript):
    '1. 杨帆 90.00★ 2. 赵丽 81.78', each ranking group after its name in 【】."""
    parts = []
    for group in board.groups:
        rows = [r for r in board.rows if r.group == group]
        ranked = " ".join(
            f"{n}. {r.name} {r.score:.2f}{'★' if r.star else ''}" for n, r in enumerate(rows, 1)
        )
        parts.append(f"【{group}】{ranked}" if len(board.groups) > 1 else ranked)
    return " ".join(parts)


def describe_ranking(ranking: DepartmentRanking) -> str:
    """'1. 人事科 91.62🚩 2. …' — what a department ranking shows, in words."""
    return " ".join(
        f"{n}. {r.name} {r.score:.2f}{'🚩' if r.red_flag else ''}"
        for n, r in enumerate(ranking.rows, 1)
    )


def describe_filing(chart: FilingChart) -> str:
    """'办公室 本周100% 上周96%；…' — what a filing-rate chart shows, in words."""

    def shown(rate: float | None) -> str:
        return "—" if rate is None else f"{round(rate * 100)}%"

    return "；".join(
        f"{r.name} 本周{shown(r.this_week)} 上周{shown(r.last_week)}" for r in chart.rows
    )
