"""Two bot instances on one PostgreSQL database send each scheduled message once
(DESIGN §5, §9). Each instance has its own engine, Bot API session and scheduler."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import pytest
from aiogram import Dispatcher
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import make_bot
from bot.config import Settings
from bot.jobs import Jobs, JobScheduler
from bot.sender import Limits, Outgoing
from core.jobs import Job
from storage import db
from storage import jobs as store
from tests.conftest import PG_URL, SHANGHAI, Chat, FakeClock, Office, Roster, local
from tests.factories import make_message
from tests.fakes import FakeSession

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL); SQLite is single-instance"
)

NAMES = [
    "王建国",
    "李红梅",
    "刘志强",
    "陈静",
    "杨帆",
    "赵丽",
    "吴刚",
    "周敏",
    "孙浩",
    "马骏",
    "朱琳",
    "何振华",
    "林涛",
    "宋建军",
    "谢芳",
    "唐亮",
    "于洋",
    "程鹏",
    "袁野",
    "傅强",
]


@dataclass
class Instance:
    """One bot process: its own connection pool, Bot API session and job runner."""

    engine: AsyncEngine
    fake: FakeSession
    jobs: Jobs

    def sent(self) -> list[tuple[int, str]]:
        return [(int(m.chat_id), m.text) for m in self.fake.sent(SendMessage)]


@pytest.fixture
async def instances(
    settings: Settings, db_url: str, clock: FakeClock, dp: Dispatcher
) -> AsyncIterator[tuple[Instance, Instance]]:
    """Two instances on the test database."""
    made = []
    for name in ("instance-a", "instance-b"):
        engine = db.make_engine(db_url)
        fake = FakeSession()
        jobs = Jobs(
            sessionmaker=db.make_sessionmaker(engine),
            policy=dp["policy"],
            zone=SHANGHAI,
            bot=make_bot(settings, session=fake),
            clock=clock,
            limits=Limits.unlimited(),
            owner=name,
        )
        made.append(Instance(engine, fake, jobs))
    yield made[0], made[1]
    for instance in made:
        await instance.engine.dispose()


async def team(roster: Roster, chat: Chat) -> None:
    """Twenty bound people; one of them filed on 11-20 (so there is a missing list too)."""
    users = [await roster.bind(name) for name in NAMES]
    for day in (18, 19):
        for user in users:
            await chat.feed(make_message("工作", user=user, date=local(11, day, 10)))
    await chat.feed(make_message("工作", user=users[0], date=local(11, 20, 10)))


def no_duplicates(*instances: Instance) -> list[tuple[int, str]]:
    sent = [message for instance in instances for message in instance.sent()]
    counts = Counter(sent)
    assert all(n == 1 for n in counts.values()), [m for m, n in counts.items() if n > 1]
    return sent


async def test_two_instances_running_the_same_job_send_each_message_once(
    instances: tuple[Instance, Instance],
    roster: Roster,
    chat: Chat,
    office: Office,
    clock: FakeClock,
) -> None:
    await team(roster, chat)
    a, b = instances
    clock.at = local(11, 20, 17)
    results = await asyncio.gather(a.jobs.run(Job.REMIND), b.jobs.run(Job.REMIND))
    assert sorted(r.status for r in results) in (["busy", "done"], ["already", "done"])
    again = await asyncio.gather(
        a.jobs.run(Job.REMIND, again=True), b.jobs.run(Job.REMIND, again=True)
    )
    assert all(r.delivery is None or r.delivery.sent == [] for r in again)
    sent = no_duplicates(a, b)
    assert len(sent) == len(NAMES) - 1


async def test_two_senders_racing_for_the_same_messages_split_them(
    instances: tuple[Instance, Instance],
) -> None:
    """Without the lease (e.g. two manual runs): the per-message claims alone decide."""
    a, b = instances
    assert a.jobs.sender is not None and b.jobs.sender is not None
    messages = [
        Outgoing("race", date(2026, 11, 20), f"person:{i}", 700_000 + i, f"提醒 {i}")
        for i in range(300)
    ]
    first, second = await asyncio.gather(
        a.jobs.sender.send(messages), b.jobs.sender.send(list(reversed(messages)))
    )
    sent = no_duplicates(a, b)
    assert len(sent) == 300
    assert len(first.sent) + len(second.sent) == 300
    assert len(first.skipped) + len(second.skipped) == 300
    async with a.jobs.sessionmaker() as session:
        rows = await store.sent_messages(session, job="race")
    assert len(rows) == 300 and {r.status for r in rows} == {"sent"}


async def test_two_schedulers_catching_up_at_once_send_each_message_once(
    instances: tuple[Instance, Instance],
    roster: Roster,
    chat: Chat,
    office: Office,
    clock: FakeClock,
) -> None:
    await team(roster, chat)
    a, b = instances
    clock.at = local(11, 20, 18)  # both started after 17:00: both catch up the same runs
    schedulers = [JobScheduler(a.jobs), JobScheduler(b.jobs)]
    for scheduler in schedulers:
        scheduler.start()
    try:
        async with asyncio.timeout(20):
            while True:
                await asyncio.sleep(0.1)
                async with a.jobs.sessionmaker() as session:
                    done = await store.last_runs(session)
                if {"remind", "weekly_remind"} <= {
                    j for j, r in done.items() if r.status == "done"
                }:
                    break
    finally:
        for scheduler in schedulers:
            await scheduler.stop()
    sent = no_duplicates(a, b)
    reminders = [text for _, text in sent if text.startswith("⏰")]
    weekly = [text for _, text in sent if text.startswith("📅")]
    assert len(reminders) == len(NAMES) - 1
    assert len(weekly) == len(NAMES)
