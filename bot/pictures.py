"""Charts for the bot: gather, score, render (off the event loop), with captions."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

import charts
from core.calendar import WorkCalendar
from core.policy import Policy
from core.reports import Figures, figures
from core.scoring import QuarterResult
from storage import reports as report_store
from storage.facts import Gathered


def hidden_groups(policy: Policy) -> frozenset[str]:
    """Ranking groups left off posted boards: 班子成员 unless the policy posts them."""
    privacy = policy.privacy
    return (
        frozenset() if privacy.post_leadership_boards else frozenset({privacy.leadership_category})
    )


def board(
    result: QuarterResult, gathered: Gathered, department_id: int, *, week: str, policy: Policy
) -> charts.Leaderboard:
    """The department's board as posted: by ranking group, 班子成员 per the policy."""
    return charts.leaderboard_from_result(
        result, department_id, department=gathered.departments.get(department_id, ""),
        week=week, hidden_groups=hidden_groups(policy),
    )  # fmt: skip


async def leaderboard_png(shown: charts.Leaderboard) -> bytes:
    """The department's members by quarter-to-date score, 绩效之星 marked."""
    return await asyncio.to_thread(charts.render_leaderboard, shown)


async def ranking_png(
    result: QuarterResult, gathered: Gathered, *, unit: str, week: str
) -> tuple[bytes, str]:
    """Departments by score, 流动红旗 on the first; and what it shows, in words."""
    ranking = charts.ranking_from_result(result, gathered.departments, unit=unit, week=week)
    png = await asyncio.to_thread(charts.render_ranking, ranking)
    return png, charts.describe_ranking(ranking)


def top_departments(result: QuarterResult, gathered: Gathered) -> str:
    """The first three ranked departments, for a caption."""
    ranked = [d for d in result.departments if d.ranked]
    return "、".join(gathered.departments.get(d.department_id, "") for d in ranked[:3])


async def filing_png(
    session: AsyncSession, calendar: WorkCalendar, gathered: Gathered, *, day: date
) -> tuple[bytes, str]:
    """Filing rate per department, this week (to `day`) against last week; and what it
    shows, in words."""
    monday = calendar.week_of(day)[0]
    last_monday = monday - timedelta(days=7)
    by_department: dict[int, list[int]] = {}
    for person in gathered.people:
        by_department.setdefault(person.department_id, []).append(person.id)
    ids = [p.id for p in gathered.people]
    filed, reviewed = await report_store.filed_days(
        session, person_ids=ids, start=last_monday, end=day
    )
    leave = await report_store.leaves(session, person_ids=ids, start=last_monday, end=day)
    start = gathered.start

    def week(first: date, last: date) -> dict[int, Figures]:
        first = max(first, start)
        return {
            d: figures(
                calendar,
                people=members,
                start=first,
                end=last,
                leave=leave,
                filed=filed,
                reviewed=reviewed,
            )  # fmt: skip
            for d, members in by_department.items()
        }

    chart = charts.filing_from_figures(
        week(monday, day), week(last_monday, monday - timedelta(days=1)), gathered.departments,
        week=f"{monday.month}月{monday.day}日起",
    )  # fmt: skip
    png = await asyncio.to_thread(charts.render_filing, chart)
    return png, charts.describe_filing(chart)


def top_three(shown: charts.Leaderboard) -> str:
    """'杨帆、黄磊、陈静' — the caption's names as the board shows them; on a board of
    several ranking groups, each group's first: '中层干部 陈静；一般工作人员 杨帆'."""
    if len(shown.groups) > 1:
        firsts = {}
        for row in shown.rows:
            firsts.setdefault(row.group, row.name)
        return "；".join(f"{group} {name}" for group, name in firsts.items())
    return "、".join(row.name for row in shown.rows[:3])
