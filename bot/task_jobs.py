"""The task jobs (动态预警, DESIGN §10): `task_due` reminders and `task_overdue` warnings.

Both run on working days. `task_due` (at `remind_at`) tells each assignee, in one message,
about their open tasks whose due working day is today or within the policy's
`[tasks] remind_workdays` working days. `task_overdue` (in the working morning) tells each
assignee about their open tasks past their due working day, and each assigning leader
about the overdue tasks they assigned. One message per person per day (target
`person:ID`), so a re-run never sends twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.jobs import Jobs, Plan, World, present
from core.jobs import Job
from core.reports import short_date
from core.tasks import is_overdue, remind_today
from storage import tasks as store
from storage.tables import Task

LOOKAHEAD_DAYS = 40  # calendar days that certainly hold `remind_workdays` working days


def _line(task: Task, world: World | None = None) -> str:
    assert task.id is not None
    assignee = world.name(task.assignee_id) if world is not None else None
    return texts.task_job_line(task.id, task.text, short_date(task.due_workday), assignee)


async def plan_due(
    jobs: Jobs, session: AsyncSession, world: World, day: date, *, record: bool
) -> Plan:
    """Reminders to assignees of open tasks due soon."""
    rules = jobs.policy.tasks
    until = day + timedelta(days=LOOKAHEAD_DAYS)
    due: dict[int, list[Task]] = defaultdict(list)
    for task in await store.open_tasks(session, unit_id=world.unit_id, until=until):
        if task.due_workday >= day and remind_today(
            jobs.calendar, task.due, today=day, workdays=rules.remind_workdays
        ):
            due[task.assignee_id].append(task)
    text = texts.task_due_reminder
    return Plan(
        present(
            jobs.private(world, Job.TASK_DUE, day, pid, text([_line(t) for t in items]))
            for pid, items in due.items()
        )
    )


async def overdue_tasks(session: AsyncSession, jobs: Jobs, unit_id: int, day: date) -> list[Task]:
    """Open tasks past their due working day on `day`."""
    found = await store.open_tasks(session, unit_id=unit_id, until=day)
    return [t for t in found if is_overdue(jobs.calendar, t.due, today=day)]


async def plan_overdue(
    jobs: Jobs, session: AsyncSession, world: World, day: date, *, record: bool
) -> Plan:
    """Warnings to assignees and assigning leaders of overdue tasks."""
    by_assignee: dict[int, list[Task]] = defaultdict(list)
    by_leader: dict[int, list[Task]] = defaultdict(list)
    for task in await overdue_tasks(session, jobs, world.unit_id, day):
        by_assignee[task.assignee_id].append(task)
        by_leader[task.assigner_id].append(task)
    messages = [
        jobs.private(world, Job.TASK_OVERDUE, day, pid,
                     texts.task_overdue_assignee([_line(t) for t in items]))
        for pid, items in by_assignee.items()
    ]  # fmt: skip
    messages.extend(
        jobs.private(world, Job.TASK_OVERDUE, day, pid,
                     texts.task_overdue_leader([_line(t, world) for t in items]),
                     target=f"leader:{pid}")
        for pid, items in by_leader.items()
    )  # fmt: skip
    return Plan(present(messages))


async def digest_overdue(
    jobs: Jobs, session: AsyncSession, world: World, day: date
) -> dict[int, str]:
    """Per department (of the assignee): the overdue-task line of the weekly digest."""
    lines: dict[int, list[str]] = defaultdict(list)
    for task in await overdue_tasks(session, jobs, world.unit_id, day):
        row = world.staff.rows.get(task.assignee_id)
        if row is not None:
            lines[row.department_id].append(
                texts.digest_overdue_line(row.name, task.text, short_date(task.due_workday))
            )
    return {dept: texts.digest_overdue(items) for dept, items in lines.items()}


PLANNERS = {Job.TASK_DUE: plan_due, Job.TASK_OVERDUE: plan_overdue}
