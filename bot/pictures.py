"""Charts for the bot: gather, score, render (off the event loop), with captions."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

import charts
from bot.scores import counted_until, period_start
from core.calendar import WorkCalendar
from core.policy import Policy
from core.quarter import Quarter
from core.reports import Figures, figures
from core.scoring import QuarterResult, score_quarter
from storage import reports as report_store
from storage.facts import Gathered, gather
from storage.people import get_unit

MAX_WEEKS = 14


def week_label(monday: date) -> str:
    """'11月16日起' style label of a week, short enough for a chart axis."""
    return f"{monday.month}/{monday.day}"


async def leaderboard_png(
    result: QuarterResult, gathered: Gathered, department_id: int, *, week: str
) -> bytes:
    """The department's members by quarter-to-date score, 绩效之星 marked."""
    board = charts.leaderboard_from_result(
        result, department_id, department=gathered.departments.get(department_id, ""), week=week
    )
    return await asyncio.to_thread(charts.render_leaderboard, board)


async def ranking_png(result: QuarterResult, gathered: Gathered, *, unit: str, week: str) -> bytes:
    """Departments by score, 流动红旗 on the first."""
    ranking = charts.ranking_from_result(result, gathered.departments, unit=unit, week=week)
    return await asyncio.to_thread(charts.render_ranking, ranking)


def top_departments(result: QuarterResult, gathered: Gathered) -> str:
    """The first three departments, for a caption."""
    return "、".join(gathered.departments.get(d.department_id, "") for d in result.departments[:3])


async def filing_png(
    session: AsyncSession, calendar: WorkCalendar, gathered: Gathered, *, day: date
) -> bytes:
    """Filing rate per department, this week (to `day`) against last week."""
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
    return await asyncio.to_thread(charts.render_filing, chart)


def top_three(result: QuarterResult, department_id: int | None) -> str:
    """'杨帆、黄磊、陈静' — the caption's names."""
    people = [
        p for p in result.people if department_id is None or p.department_id == department_id
    ]
    people.sort(key=lambda p: (-p.score, p.rank, p.roster_position))
    return "、".join(p.name for p in people[:3])


async def trend_png(
    session: AsyncSession,
    *,
    person_id: int,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> bytes | None:
    """A person's weekly score (quarter-to-date at each week's end) and weekly filing rate."""
    unit = await get_unit(session)
    if unit is None or unit.id is None:
        return None
    quarter = Quarter.of(now.date())
    start = await period_start(session, quarter.start)
    until = counted_until(policy, now)
    if until < start:
        return None
    monday = calendar.week_of(start)[0]
    weeks: list[date] = []
    while monday <= until and len(weeks) < MAX_WEEKS:
        weeks.append(monday)
        monday += timedelta(days=7)
    labels, results, rates = [], [], []
    for first in weeks:
        end = min(first + timedelta(days=6), until)
        gathered = await gather(
            session, unit_id=unit.id, start=start, end=end, calendar=calendar,
            period=str(quarter), tasks=policy.tasks,
        )  # fmt: skip
        results.append(score_quarter(policy, gathered.people, gathered.facts, provisional=True))
        labels.append(week_label(first))
        rates.append(await _week_rate(session, calendar, person_id, max(first, start), end))
    trend = charts.trend_from_results(person_id, labels, results, rates)
    return await asyncio.to_thread(charts.render_trend, trend)


async def _week_rate(
    session: AsyncSession, calendar: WorkCalendar, person_id: int, start: date, end: date
) -> Figures | None:
    filed, reviewed = await report_store.filed_days(
        session, person_ids=[person_id], start=start, end=end
    )
    leave = await report_store.leaves(session, person_ids=[person_id], start=start, end=end)
    result = figures(
        calendar, people=[person_id], start=start, end=end, leave=leave, filed=filed,
        reviewed=reviewed,
    )  # fmt: skip
    return result if result.required else None
