"""`kaohe jobs list` and `kaohe jobs run`: the scheduled jobs by hand (wiring and output)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.calendars import calendar_from_db
from bot.config import Settings
from bot.jobs import Jobs, RunResult, trigger_label
from bot.policies import load_policy
from core import jobs as core
from core.calendar import WorkCalendar
from core.jobs import Job
from core.policy import Policy
from core.reports import WEEKDAYS
from storage import db
from storage import jobs as store
from storage.audit import audit
from storage.people import get_unit
from storage.tables import utcnow

Out = Callable[[str], None]
RUN_STATUS = {
    "running": "运行中",
    "done": "已完成",
    "partial": "部分待重试",
    "error": "出错",
}


def _moment(at: datetime | None) -> str:
    if at is None:
        return "—"
    return f"{at:%Y-%m-%d} 周{WEEKDAYS[at.weekday()]} {at:%H:%M}"


async def jobs_list(engine: AsyncEngine, settings: Settings, out: Out) -> int:
    """Each job: what it does, its trigger, the next run that will do something, the last run."""
    policy = load_policy(settings.policy)
    now = datetime.now(UTC).astimezone(settings.zone)
    async with db.make_sessionmaker(engine)() as session:
        last = await store.last_runs(session)
        calendar = await calendar_from_db(session, policy.calendar)
    out(f"定时任务（{policy.title}，{settings.tz}，现在 {_moment(now)}）")
    for job in core.JOB_ORDER:
        run = last.get(job.value)
        previous = "—"
        if run is not None:
            status = RUN_STATUS.get(run.status, run.status)
            previous = f"{run.day} {status}，发送 {run.sent} 条"
        out(f"{job.value}  {texts.JOB_LABELS[job.value]}")
        out(f"    发给：{texts.JOB_AUDIENCE[job.value]}")
        out(f"    触发：{trigger_label(job, policy)}")
        out(f"    下次：{_moment(core.next_run(job, policy, calendar, now=now))}")
        out(f"    上次：{previous}")
    return 0


async def jobs_run(
    engine: AsyncEngine,
    settings: Settings,
    out: Out,
    *,
    job: str,
    day: date | None,
    dry_run: bool,
    republish: str | None = None,
    clock: Callable[[], datetime] = utcnow,
    take_over: bool = False,
) -> int:
    """Run one job now (or show what it would send); 0 when nothing is left undone.

    A day after today (by `clock`, in the unit's zone) and a day the job has nothing to
    do are refused with 2, before anything is sent or stored. `republish` (a reason)
    sends the job's messages again even where they went out before, audited."""
    from aiogram.utils.token import TokenValidationError

    from bot.app import make_bot

    policy = load_policy(settings.policy)
    sessionmaker = db.make_sessionmaker(engine)
    jobs = Jobs(sessionmaker=sessionmaker, policy=policy, zone=settings.zone, clock=clock)
    jobs.calendar = await jobs.calendars.current(force=True)  # imported notices count
    which = Job(job)
    today = jobs.now().date()
    day = day or today
    name = _name(which)
    if day > today:
        if not dry_run:
            out(texts.job_future(day=str(day), today=str(today), name=name))
            return 2
        out(texts.job_future_dry_run(day=str(day), today=str(today)))
    if not core.is_due_day(which, policy, jobs.calendar, day):
        _report(RunResult(which, day, "not_due"), policy, out, calendar=jobs.calendar)
        return 0 if dry_run else 2
    tag = ""
    if republish is not None:
        tag = "re" if dry_run else await _audit_republish(sessionmaker, job, day, republish)
        out(texts.job_republish(republish, audited=not dry_run))
    if not dry_run:
        try:
            bot = make_bot(settings)
        except TokenValidationError:
            out("BOT_TOKEN 格式不对（应形如 123456789:AA…）。")
            return 2
        jobs = Jobs(
            sessionmaker=sessionmaker, policy=policy, zone=settings.zone, bot=bot, clock=clock
        )
    try:
        result = await jobs.run(
            which, day, dry_run=dry_run, again=True, republish=tag, take_over=take_over
        )
    finally:
        if jobs.sender is not None:
            await jobs.sender.bot.session.close()
    return _report(result, policy, out, calendar=jobs.calendar)


async def _audit_republish(
    sessionmaker: async_sessionmaker[AsyncSession], job: str, day: date, reason: str
) -> str:
    """Record the re-publication in the audit log; its tag keys the messages apart."""
    async with sessionmaker() as session:
        unit = await get_unit(session)
        entry = audit(
            session,
            action="job_republish",
            unit_id=unit.id if unit else None,
            actor="cli",
            subject=f"{job} {day}",
            detail={"job": job, "day": day.isoformat(), "reason": reason},
        )
        await session.commit()
        return f"re{entry.id}"


def _name(job: Job) -> str:
    return f"{job.value}（{texts.JOB_LABELS[job.value]}）"


def _report(
    result: RunResult, policy: Policy, out: Out, *, calendar: WorkCalendar | None = None
) -> int:
    name = _name(result.job)
    if result.status == "not_due":
        trigger = trigger_label(result.job, policy)
        line = f"{result.day} 不是 {name} 的运行日（{trigger}），没有发送任何消息。"
        following = core.next_run(
            result.job,
            policy,
            calendar or WorkCalendar(policy.calendar),
            now=datetime.combine(result.day, time.min),
        )
        if following is not None:
            line += texts.job_next_due(f"{following:%Y-%m-%d}")
        out(line)
        return 0
    if result.status == "future":
        out(texts.job_future(day=str(result.day), today="", name=name))
        return 2
    if result.status == "busy":
        out(f"{name} {result.day} 正在另一处运行，请稍后再试。" + texts.JOBS_TAKE_OVER_HINT)
        return 1
    if result.status == "dry_run":
        return _report_dry_run(result, name, out)
    delivery = result.delivery
    if delivery is None:
        out(f"{name} {result.day} 运行出错：{result.error}")
        return 1
    parts = [f"发送 {len(delivery.sent)} 条", f"跳过 {len(delivery.skipped)} 条（之前已发）"]
    if delivery.failed:
        parts.append(f"失败 {len(delivery.failed)} 条（屏蔽或群不可用）")
    if delivery.later:
        parts.append(f"{len(delivery.later)} 条稍后重试")
    if result.notices:
        parts.append(f"记通报 {result.notices} 人")
    out(f"{name} {result.day}：" + "，".join(parts) + "。")
    return 0 if result.status == "done" else 1


def _report_dry_run(result: RunResult, name: str, out: Out) -> int:
    fresh = [m for m in result.messages if m.key not in result.settled]
    out(f"演练，不发送：{name} {result.day}，将发送 {len(fresh)} 条")
    if result.notices:
        out(f"将记通报 {result.notices} 人（扣分记录）")
    for message in fresh:
        first, *rest = message.text.split("\n")
        out(f"→ {message.label or message.chat_id}：{first}")
        for line in rest:
            out(f"    {line}")
    if len(fresh) < len(result.messages):
        out(f"（另有 {len(result.messages) - len(fresh)} 条之前已发，会跳过）")
    return 0
