"""`annual_close` (年度考核, issue 19): on the day a year's fourth quarter becomes final
(the end of its 公示; `results_final` runs first at the same moment), the year's results
go out: the distribution of annual grades to the unit group, and each person their own
year (quarters, score, grade and reason, or 不定等次 / 不参加 with the reason) privately.
The sender sends each (job, day, target) once; the year is computed again from the
published quarters, so a re-run tells the same figures.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.annual import annual_rows, annual_view, explain_row
from bot.jobs import Plan, World, present
from bot.sender import Outgoing
from core import jobs as core
from core.appeals import nth_workday_after
from core.grades import ANNUAL_ORDER
from core.jobs import Job
from core.people import Role
from core.quarter import Quarter
from core.reports import short_date
from storage import appeals
from storage import jobs as job_store
from storage import results as store

if TYPE_CHECKING:
    from bot.jobs import Jobs

log = logging.getLogger(__name__)


async def plan_annual_close(
    jobs: Jobs, session: AsyncSession, world: World, day: date, *, record: bool
) -> Plan:
    """The year before `day`'s: results to the unit group and to each person."""
    year = day.year - 1
    q4 = await store.published(session, unit_id=world.unit_id, quarter=Quarter(year, 4))
    if q4 is None or not q4.final:
        return Plan()  # Q4 is not final yet: nothing to tell
    now = core.fire_at(Job.ANNUAL_CLOSE, jobs.policy, day, jobs.zone)
    view = await annual_view(
        session, policy=jobs.policy, calendar=jobs.calendar, year=year, now=now
    )
    if not view.included:
        return Plan()
    messages: list[Outgoing | None] = []
    _departments, unit_chat = await job_store.groups(session, unit_id=world.unit_id)
    if unit_chat is None:
        log.warning("annual_close %s: no unit group is bound", year)
    else:
        counts = [
            (g.label, sum(n for group in view.result.groups for grade, n in group.counts
                          if grade is g))
            for g in ANNUAL_ORDER
        ]  # fmt: skip
        text = texts.annual_unit_post(year=year, counts=counts, ungraded=len(view.result.ungraded))
        messages.append(
            Outgoing(Job.ANNUAL_CLOSE.value, day, "unit:annual", unit_chat, text, label="全单位群")
        )
    for row in annual_rows(view):
        text = texts.annual_private(year=year, lines=explain_row(row))
        messages.append(jobs.private(world, Job.ANNUAL_CLOSE, day, row["person_id"], text))
    return Plan(present(messages))


async def plan_appeal_remind(
    jobs: Jobs, session: AsyncSession, world: World, day: date, *, record: bool
) -> Plan:
    """The 考核办: open 复核 requests whose decision is due within a few working days."""
    soon = nth_workday_after(jobs.calendar, day, jobs.policy.appeals.remind_workdays)
    due = [a for a in await appeals.open_appeals(session, unit_id=world.unit_id)
           if a.decide_by <= soon]  # fmt: skip
    if not due:
        return Plan()
    text = texts.appeal_remind(
        [(a.id or 0, world.name(a.person_id), short_date(a.decide_by), day > a.decide_by)
         for a in due]
    )  # fmt: skip
    admins = [p.id for p in world.people() if p.has(Role.ADMIN)]
    return Plan(
        present([jobs.private(world, Job.APPEAL_REMIND, day, pid, text) for pid in admins])
    )


PLANNERS = {Job.ANNUAL_CLOSE: plan_annual_close, Job.APPEAL_REMIND: plan_appeal_remind}
