"""`calendar_check` (DESIGN §2): from 1 December, once a week, the admins are told that
next year's holiday notice has not been imported yet, and how to import it. One message
per admin per run day (target `person:ID`), so a re-run never sends twice."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.jobs import ExtraPlanner, Jobs, Plan, World, present
from core.jobs import Job, calendar_check_due
from core.people import Role


async def plan_calendar_check(
    jobs: Jobs, session: AsyncSession, world: World, day: date, *, record: bool
) -> Plan:
    """The warning to each active admin, while next year's 调休 days are unknown."""
    if not calendar_check_due(jobs.calendar, day):
        return Plan()
    text = texts.calendar_next_year_missing(day.year + 1)
    admins = [p.id for p in world.people() if p.active and p.has(Role.ADMIN)]
    return Plan(present(jobs.private(world, Job.CALENDAR_CHECK, day, pid, text) for pid in admins))


PLANNERS: dict[Job, ExtraPlanner] = {Job.CALENDAR_CHECK: plan_calendar_check}
