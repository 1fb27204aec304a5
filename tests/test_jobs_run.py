"""The scheduled jobs, run by the real job code against the test database and a recording
Bot API session (DESIGN §5): each job's messages, once per (job, day, target)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.jobs import Jobs, JobScheduler
from bot.sender import Limits
from core.jobs import Job
from storage import jobs as store
from storage import people
from storage.tables import JobRun, Person, Record
from tests.conftest import OFFICE_GROUP, SHANGHAI, Chat, FakeClock, Office, Roster, local
from tests.factories import make_group, make_message
from tests.fakes import FakeSession

UNIT_GROUP = -100_900


@pytest.fixture
def jobs(
    sessionmaker: async_sessionmaker[AsyncSession], bot: Bot, clock: FakeClock, dp: Dispatcher
) -> Jobs:
    """The job runner of one bot instance, on the test clock, without rate limits."""
    return Jobs(
        sessionmaker=sessionmaker,
        policy=dp["policy"],
        zone=SHANGHAI,
        bot=bot,
        calendar=dp["calendar"],
        clock=clock,
        limits=Limits.unlimited(),
        owner="instance-1",
    )


def texts_to(fake: FakeSession, chat_id: int) -> list[str]:
    """What the bot sent to one chat, oldest first."""
    return [m.text for m in fake.sent(SendMessage) if int(m.chat_id) == chat_id]


async def file(chat: Chat, user: object, when: datetime, text: str = "整理档案") -> None:
    """A daily report, through the dispatcher."""
    await chat.feed(make_message(text, user=user, date=when))  # type: ignore[arg-type]


async def rows(session: AsyncSession, job: str) -> list[tuple[str, str, str]]:
    """(day, target, status) of the job's idempotency rows."""
    found = await store.sent_messages(session, job=job)
    return sorted((str(r.day), r.target, r.status) for r in found)


async def until(check: Callable[[], object], timeout: float = 10) -> None:
    """Wait for an asynchronous effect (the scheduler's own timers)."""
    async with asyncio.timeout(timeout):
        while not await check():  # type: ignore[misc]
            await asyncio.sleep(0.05)


# ---- remind -------------------------------------------------------------------------------


async def test_remind_goes_to_who_has_not_filed_and_a_second_run_sends_nothing(
    jobs: Jobs,
    chat: Chat,
    office: Office,
    roster: Roster,
    fake: FakeSession,
    clock: FakeClock,
    session: AsyncSession,
) -> None:
    await file(chat, office.member, local(11, 20, 10))
    fake.clear()
    clock.at = local(11, 20, 17)
    first = await jobs.run(Job.REMIND)
    assert first.status == "done" and first.delivery is not None
    reminded = {m.label for m in first.delivery.sent}
    assert reminded == {"陈静", "赵丽", "李红梅", "周敏"}  # bound members; 杨帆 filed
    assert texts_to(fake, office.other.id) == [
        "⏰ 11月20日的日报还没填，20:00 截止。直接发送文字即可。"
    ]
    assert texts_to(fake, office.member.id) == []

    again = await jobs.run(Job.REMIND, again=True)  # by hand: same idempotency
    catch_up = await jobs.catch_up()
    assert again.delivery is not None and again.delivery.sent == []
    assert len(again.delivery.skipped) == 4
    assert [r.status for r in catch_up if r.job is Job.REMIND] == ["already"]
    assert len([m for m in fake.sent(SendMessage) if m.text.startswith("⏰")]) == 4
    assert [status for _, _, status in await rows(session, "remind")] == ["sent"] * 4


@pytest.mark.parametrize(
    ("day", "due"),
    [
        (date(2026, 10, 5), False),  # Monday, 国庆 holiday
        (date(2026, 10, 10), True),  # Saturday, 调休 workday
        (date(2026, 11, 21), False),  # ordinary Saturday
    ],
)
async def test_remind_only_on_working_days(
    jobs: Jobs, office: Office, fake: FakeSession, clock: FakeClock, day: date, due: bool
) -> None:
    clock.at = local(day.month, day.day, 17)
    result = await jobs.run(Job.REMIND)
    assert result.status == ("done" if due else "not_due")
    assert bool(fake.sent(SendMessage)) is due


async def test_leave_excuses_from_reminders(
    jobs: Jobs, chat: Chat, office: Office, fake: FakeSession, clock: FakeClock
) -> None:
    await chat.feed(
        make_message("/leave 10-9 10-10 出差 省局培训", user=office.other, date=local(10, 8, 9))
    )
    fake.clear()
    clock.at = local(10, 10, 17)
    result = await jobs.run(Job.REMIND)
    assert result.delivery is not None
    assert "赵丽" not in {m.label for m in result.delivery.sent}
    assert "杨帆" in {m.label for m in result.delivery.sent}


async def test_after_the_deadline_the_reminder_says_so(
    jobs: Jobs, office: Office, fake: FakeSession, clock: FakeClock
) -> None:
    clock.at = local(11, 20, 21)  # a late catch-up
    await jobs.run(Job.REMIND)
    assert texts_to(fake, office.other.id) == [
        "⏰ 11月20日的日报还没填，已过 20:00 截止时间，请尽快补上。"
    ]


# ---- missing -------------------------------------------------------------------------------


async def test_missing_list_goes_to_the_head_next_working_morning(
    jobs: Jobs, chat: Chat, office: Office, fake: FakeSession, clock: FakeClock
) -> None:
    await file(chat, office.member, local(11, 20, 10))  # Friday
    await file(chat, office.head, local(11, 20, 11))
    fake.clear()
    clock.at = local(11, 23, 9)  # Monday
    await jobs.run(Job.MISSING)
    assert texts_to(fake, office.head.id) == [
        "📋 11月20日未报日报（3人）：\n赵丽\n未绑定账号：黄磊、周婷\n"
        "可提醒本人补报：/daily 月-日 内容"
    ]
    assert texts_to(fake, office.member.id) == []  # members get no list


async def test_a_head_who_did_not_file_is_told_so_not_listed_by_name(
    jobs: Jobs, chat: Chat, office: Office, fake: FakeSession, clock: FakeClock
) -> None:
    await file(chat, office.member, local(11, 20, 10))  # the head files nothing
    fake.clear()
    clock.at = local(11, 23, 9)
    await jobs.run(Job.MISSING)
    (text,) = texts_to(fake, office.head.id)
    assert text.startswith("📋 你本人11月20日未报日报，请发送 /daily 11-20 内容 补报。\n")
    assert "11月20日其他未报日报（3人）：\n赵丽\n" in text
    assert "可提醒本人补报" in text and "陈静" not in text


async def test_no_missing_list_before_anyone_ever_filed(
    jobs: Jobs, office: Office, fake: FakeSession, clock: FakeClock
) -> None:
    clock.at = local(11, 23, 9)
    result = await jobs.run(Job.MISSING)
    assert result.status == "done" and fake.sent(SendMessage) == []


# ---- escalate ------------------------------------------------------------------------------


async def diligent(office: Office, roster: Roster) -> list[object]:
    """The bound people other than 赵丽."""
    return [office.member, office.head, office.supervisor, await roster.user("周敏")]


async def test_two_missed_days_make_one_notice_and_one_deduction(
    jobs: Jobs,
    chat: Chat,
    office: Office,
    roster: Roster,
    fake: FakeSession,
    clock: FakeClock,
    session: AsyncSession,
) -> None:
    for day in (17, 18, 19):
        for user in await diligent(office, roster):
            await file(chat, user, local(11, day, 10))
    await file(chat, office.other, local(11, 17, 10))  # then 赵丽 stops filing
    fake.clear()
    clock.at = local(11, 20, 9)
    result = await jobs.run(Job.ESCALATE)
    assert result.notices == 1
    notice = "📢 通报：赵丽 连续2个工作日未报日报（11月18日、11月19日），扣 2 分。"
    assert texts_to(fake, OFFICE_GROUP) == [notice]
    assert texts_to(fake, office.other.id)[0].startswith("📢 你连续2个工作日未报日报")
    records = (await session.exec(select(Record).where(Record.kind == "notice"))).all()
    assert [(r.points, r.origin, str(r.day)) for r in records] == [
        (-2.0, "escalate:2026-11-19", "2026-11-19")
    ]
    assert records[0].person_id == (await roster_id(session, "赵丽"))

    # The streak goes on over the weekend: the same streak is not noticed again.
    for day in (23, 24):
        clock.at = local(11, day, 9)
        await jobs.run(Job.ESCALATE)
    assert [t for t in texts_to(fake, OFFICE_GROUP) if "赵丽" in t] == [notice]
    zhao = await roster_id(session, "赵丽")
    notices = await session.exec(select(Record).where(Record.person_id == zhao))
    assert len(notices.all()) == 1


async def roster_id(session: AsyncSession, name: str) -> int | None:
    return (await session.exec(select(Person.id).where(Person.name == name))).first()


async def test_days_before_the_assessment_start_are_never_missed(
    jobs: Jobs,
    chat: Chat,
    office: Office,
    fake: FakeSession,
    clock: FakeClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await file(chat, office.member, local(11, 17, 10))
    async with sessionmaker() as s:
        await people.set_assessment_start(s, day=date(2026, 11, 19), actor="test")
        await s.commit()
    clock.at = local(11, 20, 9)
    result = await jobs.run(Job.ESCALATE)  # 11-18 does not count: one missed day only
    assert result.notices == 0 and result.messages == []
    clock.at = local(11, 23, 9)
    result = await jobs.run(Job.ESCALATE)  # 11-19 and 11-20
    assert "赵丽" in {m.label for m in result.messages}


async def test_a_voided_notice_is_not_announced_again(
    jobs: Jobs,
    chat: Chat,
    office: Office,
    roster: Roster,
    fake: FakeSession,
    clock: FakeClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    for user in [office.member, office.supervisor, await roster.user("周敏")]:
        for day in (18, 19):
            await file(chat, user, local(11, day, 10))
    clock.at = local(11, 20, 9)
    dry = await jobs.run(Job.ESCALATE, dry_run=True)
    assert dry.notices == 2  # 陈静 and 赵丽 (bound, missed 11-18 and 11-19)
    async with sessionmaker() as s:
        s.add(
            Record(
                unit_id=1,
                person_id=(await roster_id(s, "赵丽")) or 0,
                kind="notice",
                points=-2,
                reason="x",
                day=date(2026, 11, 19),
                origin="escalate:2026-11-19",
                voided_at=local(11, 19, 23),
            )
        )
        await s.commit()
    fake.clear()
    result = await jobs.run(Job.ESCALATE)
    assert result.notices == 1
    assert [t for t in texts_to(fake, OFFICE_GROUP) if "赵丽" in t] == []
    assert [t for t in texts_to(fake, OFFICE_GROUP) if "陈静" in t]


# ---- weekly, digest, month end ---------------------------------------------------------------


async def bind_unit_group(chat: Chat, roster: Roster) -> None:
    admin = await roster.bind("周敏")
    await chat.feed(
        make_message("/bindgroup 全单位", user=admin, chat=make_group(UNIT_GROUP, "全局工作群"))
    )


async def test_weekly_reminder_and_digest_on_the_weeks_last_working_day(
    jobs: Jobs,
    chat: Chat,
    office: Office,
    roster: Roster,
    fake: FakeSession,
    clock: FakeClock,
) -> None:
    await bind_unit_group(chat, roster)
    for day in (16, 17, 18, 19, 20):
        await file(chat, office.member, local(11, day, 10), f"走访企业 {day} 日")
    await file(chat, office.other, local(11, 20, 10))
    await chat.feed(
        make_message("/weekly 本周走访企业 5 家", user=office.member, date=local(11, 20, 16))
    )
    fake.clear()

    clock.at = local(11, 19, 17)
    assert (await jobs.run(Job.WEEKLY_REMIND)).status == "not_due"  # Thursday
    clock.at = local(11, 20, 17)
    weekly = await jobs.run(Job.WEEKLY_REMIND)
    assert weekly.delivery is not None
    assert {m.label for m in weekly.delivery.sent} == {"陈静", "赵丽", "李红梅", "周敏"}
    assert texts_to(fake, office.other.id)[-1].startswith("📅 今天是本周最后一个工作日")

    clock.at = local(11, 20, 20, 30)
    await jobs.run(Job.DIGEST)
    digests = texts_to(fake, UNIT_GROUP)
    office_digest = next(t for t in digests if t.startswith("📰 办公室"))
    assert office_digest.splitlines()[:4] == [
        "📰 办公室 本周（11月16日—11月20日）",
        "日报应报 25 人天，实报 6；周报应交 5 人，已交 1",
        "缺报：陈静（5天）、赵丽（4天）、黄磊（5天）、周婷（5天）",
        "周报未交：陈静、赵丽、黄磊、周婷",
    ]
    assert "· 杨帆：本周走访企业 5 家" in office_digest
    assert len(digests) == 9  # one per department


async def test_no_digest_without_a_unit_group(
    jobs: Jobs, chat: Chat, office: Office, fake: FakeSession, clock: FakeClock
) -> None:
    await file(chat, office.member, local(11, 20, 10))
    fake.clear()
    clock.at = local(11, 20, 20, 30)
    result = await jobs.run(Job.DIGEST)
    assert result.status == "done" and fake.sent(SendMessage) == []


async def test_month_end_lists_the_missing_days(
    jobs: Jobs, chat: Chat, office: Office, fake: FakeSession, clock: FakeClock
) -> None:
    for day in (23, 24, 25, 26):
        await file(chat, office.member, local(11, day, 10))
    await file(chat, office.other, local(11, 23, 10))
    await file(chat, office.other, local(11, 26, 10))
    fake.clear()
    clock.at = local(11, 27, 9)
    await jobs.run(Job.MONTH_END)
    assert texts_to(fake, office.other.id) == [
        "🗓 11月还有 2 天日报未报：11月24日、11月25日。\n"
        "3 天内的可发 /daily 月-日 内容 补报，更早的请联系考核办。"
    ]
    assert texts_to(fake, office.member.id) == []


# ---- catch-up after a restart ----------------------------------------------------------------


async def test_missed_runs_are_caught_up_when_the_scheduler_starts(
    jobs: Jobs,
    chat: Chat,
    office: Office,
    fake: FakeSession,
    clock: FakeClock,
    session: AsyncSession,
) -> None:
    await file(chat, office.member, local(11, 20, 10))
    fake.clear()
    clock.at = local(11, 20, 18, 30)  # the bot was down at 17:00
    scheduler = JobScheduler(jobs)
    scheduler.start()
    try:
        await until(lambda: _run_is(session, Job.WEEKLY_REMIND, date(2026, 11, 20), "done"))
    finally:
        await scheduler.stop()
    assert "⏰ 11月20日的日报还没填" in texts_to(fake, office.other.id)[0]
    sent_before = len(fake.sent(SendMessage))

    restarted = JobScheduler(jobs)  # a second restart sends nothing again
    restarted.start()
    await asyncio.sleep(0.3)
    await restarted.stop()
    assert len(fake.sent(SendMessage)) == sent_before


async def _run_is(session: AsyncSession, job: Job, day: date, status: str) -> bool:
    session.expire_all()
    row = await session.get(JobRun, (job.value, day))
    return row is not None and row.status == status


async def test_runs_outside_the_grace_period_are_not_caught_up(
    jobs: Jobs,
    chat: Chat,
    office: Office,
    roster: Roster,
    fake: FakeSession,
    clock: FakeClock,
) -> None:
    await bind_unit_group(chat, roster)
    await file(chat, office.member, local(11, 20, 10))
    fake.clear()
    clock.at = local(11, 21, 6)  # Saturday: 17:00 yesterday is 13 h ago, 20:30 only 9.5 h
    results = await jobs.catch_up()
    assert [(r.job, r.status) for r in results] == [
        (Job.DIGEST, "done"),
        (Job.LEADERBOARD, "done"),  # 21:00, 9 h ago: within the grace too
    ]
    assert {int(m.chat_id) for m in fake.sent(SendMessage)} == {UNIT_GROUP}


async def test_an_instance_that_died_mid_run_is_taken_over_when_its_lease_expires(
    jobs: Jobs,
    chat: Chat,
    office: Office,
    fake: FakeSession,
    clock: FakeClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    """Within two minutes of a crash (issue 16): a 30 s lease; whoever gets an expired
    lease of another owner takes its claims over too (that owner stopped renewing)."""
    day = date(2026, 11, 20)
    await file(chat, office.member, local(11, 20, 10))
    fake.clear()
    # What a crashed instance leaves behind: a running lease (17:00:00–17:01:00) and a
    # message it claimed at 17:00:50 and had not started sending.
    key = await dead_instance_left(sessionmaker, day, office, claimed=local(11, 20, 17, 0, 50))

    clock.at = local(11, 20, 17, 0, 30)  # the lease is held: nobody else runs the job
    assert (await jobs.run(Job.REMIND)).status == "busy"

    clock.at = local(11, 20, 17, 1, 10)  # lease expired: taken over, claim and all
    taken = await jobs.run(Job.REMIND)
    assert taken.status == "done" and taken.delivery is not None
    assert "赵丽" in {m.label for m in taken.delivery.sent}
    assert len(texts_to(fake, office.other.id)) == 1

    clock.at = local(11, 20, 17, 2)  # done: nothing goes twice
    again = await jobs.run(Job.REMIND, again=True)
    assert again.delivery is not None and again.delivery.sent == []
    assert len(texts_to(fake, office.other.id)) == 1
    final = await store.sent_messages(session, job="remind")
    assert {r.status for r in final} == {"sent"}
    assert next(r for r in final if r.target == key[2]).attempts == 2


async def dead_instance_left(
    sessionmaker: async_sessionmaker[AsyncSession],
    day: date,
    office: Office,
    *,
    claimed: datetime,
    started: bool = False,
    job: str = "remind",
) -> tuple[str, date, str]:
    """A lease 17:00–17:01 held by a dead owner, and its claim of 赵丽's message."""
    async with sessionmaker() as s:
        await store.acquire_run(
            s,
            job=job,
            day=day,
            owner="dead",
            now=local(11, 20, 17),
            lease_until=local(11, 20, 17, 1),
            again=False,
        )
        key = (job, day, f"person:{await roster_id(s, '赵丽')}")
        claims = await store.claim(
            s,
            messages=[(key, office.other.id, None)],
            owner="dead",
            now=claimed,
            stale_before=local(11, 20, 17),
        )
        if started:
            await store.start(s, ids=[c.id for c in claims], now=claimed)
        await s.commit()
    return key


async def test_a_reminder_in_flight_at_a_crash_is_not_sent_again(
    jobs: Jobs,
    chat: Chat,
    office: Office,
    fake: FakeSession,
    clock: FakeClock,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    """A reminder whose request had gone out when its sender died: at most once."""
    day = date(2026, 11, 20)
    await file(chat, office.member, local(11, 20, 10))
    fake.clear()
    key = await dead_instance_left(
        sessionmaker, day, office, claimed=local(11, 20, 17, 0, 50), started=True
    )
    clock.at = local(11, 20, 17, 2)  # the lease and the claim are stale
    taken = await jobs.run(Job.REMIND)
    assert taken.status == "done" and taken.delivery is not None
    assert "赵丽" not in {m.label for m in taken.delivery.sent}
    assert texts_to(fake, office.other.id) == []
    row = next(r for r in await store.sent_messages(session, job="remind") if r.target == key[2])
    assert row.status == "failed" and row.error == store.IN_FLIGHT_AT_CRASH


async def test_take_over_does_not_wait_for_the_lease_or_the_claims(
    jobs: Jobs,
    chat: Chat,
    office: Office,
    fake: FakeSession,
    clock: FakeClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """`kaohe jobs run JOB --take-over`: the admin knows the other instance is dead."""
    day = date(2026, 11, 20)
    await file(chat, office.member, local(11, 20, 10))
    fake.clear()
    await dead_instance_left(sessionmaker, day, office, claimed=local(11, 20, 17, 0, 10))
    clock.at = local(11, 20, 17, 0, 20)
    assert (await jobs.run(Job.REMIND)).status == "busy"
    taken = await jobs.run(Job.REMIND, again=True, take_over=True)
    assert taken.status == "done" and taken.delivery is not None
    assert "赵丽" in {m.label for m in taken.delivery.sent}
    assert len(texts_to(fake, office.other.id)) == 1


async def test_a_day_after_today_is_refused_before_anything_is_stored(
    jobs: Jobs, office: Office, clock: FakeClock, fake: FakeSession, session: AsyncSession
) -> None:
    """Issue 24: a job speaks for a day that has come, never for tomorrow."""
    clock.at = local(11, 19, 17)
    fake.clear()
    result = await jobs.run(Job.REMIND, date(2026, 11, 20))
    assert result.status == "future"
    assert fake.sent(SendMessage) == []
    assert (await session.exec(select(JobRun))).all() == []
    dry = await jobs.run(Job.REMIND, date(2026, 11, 20), dry_run=True)
    assert dry.status == "dry_run" and dry.messages  # a dry run still shows them
