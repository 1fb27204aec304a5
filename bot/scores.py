"""The shell around the scoring core: gather facts for a quarter, score, explain."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from core.calendar import WorkCalendar
from core.policy import Policy
from core.quarter import Quarter
from core.quarter_end import windows_around
from core.ratings import live, ratings_closed
from core.scoring import QuarterResult, score_quarter
from storage.facts import Gathered, gather
from storage.people import assessment_start, get_unit


def counted_until(policy: Policy, now: datetime) -> date:
    """The last day whose filing already counts: today once the deadline has passed."""
    today = now.date()
    return today if now.time() >= policy.schedule.deadline else today - timedelta(days=1)


async def period_start(session: AsyncSession, start: date) -> date:
    """A period never begins before the unit started assessing with kaohe."""
    first = await assessment_start(session)
    return max(start, first) if first else start


async def quarter_results(
    session: AsyncSession,
    *,
    policy: Policy,
    calendar: WorkCalendar,
    quarter: Quarter,
    now: datetime,
) -> tuple[QuarterResult, Gathered]:
    """Final results for a past quarter; provisional (quarter-to-date) for the current one."""
    unit = await get_unit(session)
    if unit is None or unit.id is None:
        raise LookupError("no roster imported yet")
    provisional = quarter.end >= now.date()
    end = min(quarter.end, counted_until(policy, now)) if provisional else quarter.end
    start = await period_start(session, quarter.start)
    gathered = await gather(
        session,
        unit_id=unit.id,
        start=start,
        end=end,
        calendar=calendar,
        period=str(quarter),
        tasks=policy.tasks,
        rated_until=now,  # as of `now`: a rating answered later is not yet shown
    )
    closed = ratings_closed(policy, calendar, quarter, now)
    facts = replace(gathered.facts, ratings=live(gathered.facts.ratings, closed=closed))
    gathered = replace(gathered, facts=facts)
    result = score_quarter(policy, gathered.people, gathered.facts, provisional=provisional)
    return result, gathered


def scored_quarter(policy: Policy, calendar: WorkCalendar, day: date) -> Quarter:
    """The quarter /me and /rank show: the previous one until its results are published
    (its declarations and ratings come in during the new quarter's first days), then
    the current one."""
    closing, _ = windows_around(policy, calendar, day)
    return closing.quarter if day < closing.results else Quarter.of(day)
