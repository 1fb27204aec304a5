"""The 任务 sheets of the quarter's workbook (issue 9): per department, then per task."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import col, select

from bot.export_style import PERCENT_FORMAT
from core.indicators import Quality
from core.tasks import TaskStatus, is_overdue
from storage import tasks as store
from storage.people import department_names
from storage.tables import Person, Task

if TYPE_CHECKING:
    from bot.export import ExportContext

SUMMARY = "任务"
DETAIL = "任务明细"


async def tasks_sheet(ctx: ExportContext) -> None:
    """任务: per department, tasks due in the quarter, accepted, awaiting, overdue, rate;
    任务明细: every such task."""
    names = await department_names(ctx.session, unit_id=ctx.unit_id)
    start, end = ctx.quarter.start, ctx.quarter.end
    today = ctx.now.date()
    figures = await store.department_tasks(
        ctx.session, unit_id=ctx.unit_id, start=start, end=end, today=today
    )
    headers = ["部门", "任务数", "已验收", "待验收", "逾期未完成", "完成率"]
    rows = [
        [names[d], f.total, f.accepted, f.awaiting, f.overdue,
         None if f.rate is None else round(f.rate, 4)]
        for d in names
        if (f := figures.get(d)) is not None
    ]  # fmt: skip
    ctx.table(SUMMARY, headers, rows, freeze_columns=1, formats={"完成率": PERCENT_FORMAT})

    who = {p.id: p for p in (await ctx.session.exec(
        select(Person).where(Person.unit_id == ctx.unit_id))).all()}  # fmt: skip
    tasks = (
        await ctx.session.exec(
            select(Task)
            .where(Task.unit_id == ctx.unit_id, col(Task.due_workday).between(start, end))
            .order_by(col(Task.id))
        )
    ).all()
    headers = ["编号", "部门", "承办人", "任务", "交办领导", "截止", "应完成日", "状态",
               "完成日", "按时", "质量", "关联指标"]  # fmt: skip
    detail = []
    for task in tasks:
        assignee, leader = who.get(task.assignee_id), who.get(task.assigner_id)
        status = TaskStatus(task.status).label
        if task.status == "open" and is_overdue(ctx.calendar, task.due, today=today):
            status = "已逾期"
        detail.append([
            task.id,
            names.get(assignee.department_id, "") if assignee else "",
            assignee.name if assignee else "",
            task.text,
            leader.name if leader else "",
            task.due.isoformat(),
            task.due_workday.isoformat(),
            status,
            task.done_on.isoformat() if task.done_on else "",
            "" if task.on_time is None else ("是" if task.on_time else "否"),
            Quality(task.quality).label if task.quality else "",
            task.indicator_key or "",
        ])  # fmt: skip
    ctx.table(DETAIL, headers, detail, freeze_columns=3)
