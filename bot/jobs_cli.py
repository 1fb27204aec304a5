"""`kaohe jobs list` and `kaohe jobs run`: the scheduled jobs by hand (wiring and output)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot import texts
from bot.config import Settings
from bot.jobs import Jobs, RunResult, trigger_label
from bot.policies import load_policy
from core import jobs as core
from core.calendar import WorkCalendar
from core.policy import Policy
from core.reports import WEEKDAYS
from storage import db
from storage import jobs as store

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
    calendar = WorkCalendar(policy.calendar)
    now = datetime.now(UTC).astimezone(settings.zone)
    async with db.make_sessionmaker(engine)() as session:
        last = await store.last_runs(session)
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
    take_over: bool = False,
) -> int:
    """Run one job now (or show what it would send); 0 when nothing is left undone."""
    from aiogram.utils.token import TokenValidationError

    from bot.app import make_bot

    policy = load_policy(settings.policy)
    bot = None
    if not dry_run:
        try:
            bot = make_bot(settings)
        except TokenValidationError:
            out("BOT_TOKEN 格式不对（应形如 123456789:AA…）。")
            return 2
    jobs = Jobs(
        sessionmaker=db.make_sessionmaker(engine), policy=policy, zone=settings.zone, bot=bot
    )
    try:
        result = await jobs.run(job, day, dry_run=dry_run, again=True, take_over=take_over)
    finally:
        if bot is not None:
            await bot.session.close()
    return _report(result, policy, out)


def _report(result: RunResult, policy: Policy, out: Out) -> int:
    name = f"{result.job.value}（{texts.JOB_LABELS[result.job.value]}）"
    if result.status == "not_due":
        trigger = trigger_label(result.job, policy)
        out(f"{result.day} 不是 {name} 的运行日（{trigger}），没有发送任何消息。")
        return 0
    if result.status == "busy":
        out(f"{name} {result.day} 正由另一个实例运行，请稍后再试。" + texts.JOBS_TAKE_OVER_HINT)
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
