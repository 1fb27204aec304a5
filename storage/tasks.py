"""Tasks (动态指标 / 督办) and their history: keyword-only queries that never commit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.indicators import Outcome, Quality, TaskTally
from core.tasks import TaskStatus
from storage.tables import Person, Task, TaskEvent

UNFINISHED = (TaskStatus.OPEN.value,)


def add_task(
    session: AsyncSession,
    *,
    unit_id: int,
    assignee_id: int,
    assigner_id: int,
    text: str,
    due: date,
    due_workday: date,
    indicator_key: str | None,
    source: tuple[int, int] | None,
) -> Task:
    """A new open task (the caller commits)."""
    task = Task(
        unit_id=unit_id,
        assignee_id=assignee_id,
        assigner_id=assigner_id,
        text=text,
        due=due,
        due_workday=due_workday,
        indicator_key=indicator_key,
        source_chat_id=source[0] if source else None,
        source_message_id=source[1] if source else None,
    )
    session.add(task)
    return task


def add_event(
    session: AsyncSession, *, task: Task, person_id: int, kind: str, text: str, at: datetime
) -> TaskEvent:
    """One line of a task's history (the caller commits)."""
    assert task.id is not None
    event = TaskEvent(task_id=task.id, person_id=person_id, kind=kind, text=text, at=at)
    session.add(event)
    return event


async def task_by_message(session: AsyncSession, *, chat_id: int, message_id: int) -> Task | None:
    """The task whose assignment notice or chat confirmation is this message."""
    query = select(Task).where(
        or_(
            and_(col(Task.notice_chat_id) == chat_id, col(Task.notice_message_id) == message_id),
            and_(col(Task.confirm_chat_id) == chat_id, col(Task.confirm_message_id) == message_id),
        )
    )
    return (await session.exec(query)).first()


async def events(session: AsyncSession, *, task_id: int) -> list[TaskEvent]:
    """A task's history, oldest first."""
    query = select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(col(TaskEvent.id))
    return list((await session.exec(query)).all())


async def tasks_of(
    session: AsyncSession, *, assignee_id: int | None = None, assigner_id: int | None = None
) -> list[Task]:
    """Tasks not yet accepted, of an assignee or of an assigning leader, by due day."""
    query = select(Task).where(col(Task.status) != TaskStatus.ACCEPTED.value)
    if assignee_id is not None:
        query = query.where(Task.assignee_id == assignee_id)
    if assigner_id is not None:
        query = query.where(Task.assigner_id == assigner_id)
    return list((await session.exec(query.order_by(col(Task.due_workday), col(Task.id)))).all())


async def open_tasks(session: AsyncSession, *, unit_id: int, until: date) -> list[Task]:
    """Open tasks (not marked done) whose due working day is `until` or earlier."""
    query = (
        select(Task)
        .where(
            Task.unit_id == unit_id,
            col(Task.status).in_(UNFINISHED),
            col(Task.due_workday) <= until,
        )
        .order_by(col(Task.due_workday), col(Task.id))
    )
    return list((await session.exec(query)).all())


async def task_tallies(
    session: AsyncSession, *, unit_id: int, start: date, end: date, person_ids: Iterable[int]
) -> list[TaskTally]:
    """Tasks due in [start, end] per person and outcome (GROUP BY): accepted on time or
    late with their quality; overdue = still open after its due working day (before `end`).
    Tasks done and awaiting acceptance do not count yet."""
    rows = await session.exec(
        select(Task.assignee_id, Task.status, Task.on_time, Task.quality, func.count())
        .where(Task.unit_id == unit_id, col(Task.due_workday).between(start, end))
        .group_by(Task.assignee_id, Task.status, Task.on_time, Task.quality)
    )
    ids = set(person_ids)
    tallies: list[TaskTally] = []
    for person_id, status, was_on_time, quality, count in rows.all():
        if person_id not in ids:
            continue
        if status == TaskStatus.ACCEPTED.value:
            outcome = Outcome.ON_TIME if was_on_time else Outcome.LATE
            tallies.append(TaskTally(person_id, outcome, count, Quality(quality)))
    overdue = await session.exec(
        select(Task.assignee_id, func.count())
        .where(
            Task.unit_id == unit_id,
            col(Task.due_workday).between(start, end),
            col(Task.due_workday) < end,
            col(Task.status) == TaskStatus.OPEN.value,
        )
        .group_by(Task.assignee_id)
    )
    tallies.extend(
        TaskTally(pid, Outcome.OVERDUE, count) for pid, count in overdue.all() if pid in ids
    )
    return tallies


@dataclass(frozen=True, slots=True)
class DepartmentTasks:
    """Task figures of one department: all tasks, accepted, awaiting acceptance, overdue."""

    department_id: int
    total: int
    accepted: int
    awaiting: int
    overdue: int

    @property
    def rate(self) -> float | None:
        """Completion rate: accepted / all."""
        return self.accepted / self.total if self.total else None


async def department_tasks(
    session: AsyncSession, *, unit_id: int, start: date, end: date, today: date
) -> dict[int, DepartmentTasks]:
    """Per department (of the assignee): tasks due in [start, end] (GROUP BY department,
    status, overdue)."""
    overdue = and_(col(Task.status) == TaskStatus.OPEN.value, col(Task.due_workday) < today)
    rows = await session.exec(
        select(Person.department_id, Task.status, overdue, func.count())
        .join(Person, col(Person.id) == Task.assignee_id)
        .where(Task.unit_id == unit_id, col(Task.due_workday).between(start, end))
        .group_by(Person.department_id, Task.status, overdue)
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for department_id, status, late, count in rows.all():
        row = counts[department_id]
        row[0] += count
        if status == TaskStatus.ACCEPTED.value:
            row[1] += count
        elif status == TaskStatus.DONE.value:
            row[2] += count
        if late:
            row[3] += count
    return {d: DepartmentTasks(d, *row) for d, row in counts.items()}


async def overdue_rows(
    session: AsyncSession, *, unit_id: int, today: date
) -> Sequence[tuple[Task, Person]]:
    """Open tasks past their due working day, with their assignee, by due day."""
    rows = await session.exec(
        select(Task, Person)
        .join(Person, col(Person.id) == Task.assignee_id)
        .where(
            Task.unit_id == unit_id,
            col(Task.status) == TaskStatus.OPEN.value,
            col(Task.due_workday) < today,
        )
        .order_by(col(Task.due_workday), col(Task.id))
    )
    return list(rows.all())
