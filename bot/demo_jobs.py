"""Demo: the scheduled jobs of one simulated day, run by the real job code.

Scheduled for each day of the simulated fortnight (bot/demo_reports.py) among the day's
other events, in time order. Each job runs at its trigger time on a fixed clock, through
the offline bot session, after exactly the filings made before that moment, so the 17:00
reminders go to whoever had not filed by 17:00. The transcript shows what the bot sent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from bot import texts
from bot.jobs import Jobs, RunResult
from bot.sender import Limits, Outgoing
from core import jobs as core

if TYPE_CHECKING:
    from bot.demo import DemoWorld

SHOWN_PER_JOB = 2  # messages shown in full per job; the rest are counted


class _Clock:
    """The simulated time the jobs see."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at


def day_jobs(world: DemoWorld, sessionmaker: Any, day: date) -> None:
    """Schedule every job due on `day` at its trigger time, among the day's other events
    (`DemoWorld.meanwhile`): a job sees exactly what happened before its moment, and what
    is shown after it sees what it sent."""
    policy = world.dp["policy"]
    clock = _Clock()
    jobs = Jobs(
        sessionmaker=sessionmaker,
        policy=policy,
        zone=world.dp["zone"],
        bot=world.bot,
        calendar=world.dp["calendar"],
        clock=clock,
        limits=Limits.unlimited(),
        owner="demo",
    )
    for job in core.JOB_ORDER:
        if not core.is_due_day(job, policy, jobs.calendar, day):
            continue
        fire = core.fire_at(job, policy, day, jobs.zone).astimezone(UTC)

        async def run(job: core.Job = job, fire: datetime = fire) -> None:
            clock.at = fire
            _show(world, await jobs.run(job, day), fire.astimezone(jobs.zone))

        world.meanwhile(fire, run, last=True)


def _show(world: DemoWorld, result: RunResult, at: datetime) -> None:
    delivery = result.delivery
    if delivery is None or not (delivery.sent or result.notices):
        return
    label = texts.JOB_LABELS[result.job.value]
    extra = f"，记通报 {result.notices} 人" if result.notices else ""
    world.out.say(f"  ⏰ [{at:%m-%d %H:%M}] {label}：发出 {len(delivery.sent)} 条{extra}")
    sent_keys = {m.key for m in delivery.sent}
    in_order = [m for m in result.messages if m.key in sent_keys]  # the plan's order
    shown = _pick(result.job, in_order)
    for message in shown:
        if message.photo is not None and world.charts_dir is not None:
            world.charts_dir.mkdir(parents=True, exist_ok=True)
            name = f"{message.day:%m%d}-{message.target.replace(':', '-')}.png"
            (world.charts_dir / name).write_bytes(message.photo)
            text = f"[图片 charts/{name}] {message.text}"
        else:
            text = message.text
        first, *rest = text.split("\n")
        world.out.say(f"    🤖 → {message.label or message.chat_id}：{first}")
        for line in rest:
            world.out.say(f"         {line}")
        if message.alt:  # the picture's figures, for a reader of the transcript
            world.out.say(f"         （图中）{message.alt}")
    if len(delivery.sent) > len(shown):
        world.out.say(f"    ……另 {len(delivery.sent) - len(shown)} 条（略）")


def _pick(job: core.Job, sent: list[Outgoing]) -> list[Outgoing]:
    """Notices are shown in full; other jobs show their first few messages."""
    if job in {core.Job.ESCALATE, core.Job.LEADERBOARD}:
        return sent
    return sent[:SHOWN_PER_JOB]
