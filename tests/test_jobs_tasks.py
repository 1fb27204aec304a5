"""The task jobs (动态预警): due reminders and overdue warnings, across the 国庆 holiday."""

from __future__ import annotations

from datetime import date

from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.jobs import Jobs
from bot.sender import Limits
from core.jobs import Job
from storage import people
from tests.conftest import OFFICE_GROUP, SHANGHAI, Chat, FakeClock, Office, Roster, local
from tests.factories import make_group, make_message
from tests.fakes import FakeSession

GROUP = make_group(OFFICE_GROUP, "办公室群")
UNIT_GROUP = -100_900


def make_jobs(sessionmaker, bot, dp, clock) -> Jobs:  # type: ignore[no-untyped-def]
    return Jobs(
        sessionmaker=sessionmaker, policy=dp["policy"], zone=SHANGHAI, bot=bot,
        calendar=dp["calendar"], clock=clock, limits=Limits.unlimited(), owner="one",
    )  # fmt: skip


def texts_to(fake: FakeSession, chat_id: int) -> list[str]:
    return [m.text for m in fake.sent(SendMessage) if m.chat_id == chat_id]


async def test_a_task_due_in_the_holiday_is_overdue_only_after_the_next_working_day(
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
    chat: Chat,
    office: Office,
    fake: FakeSession,
) -> None:
    # due 10-03, in 国庆 (10-01…07): due on 10-08, the first working day after
    await chat.feed(make_message("/task 杨帆 国庆值班安排 截止 10-03", user=office.head,
                                 chat=GROUP, date=local(9, 28, 10)))  # fmt: skip
    # due 09-30, the last working day before the holiday
    await chat.feed(make_message("/task 杨帆 节前安全检查 截止 09-30", user=office.head,
                                 chat=GROUP, date=local(9, 28, 10)))  # fmt: skip
    jobs = make_jobs(sessionmaker, bot, dp, clock)

    clock.at = local(9, 29, 17)
    fake.clear()
    await jobs.run(Job.TASK_DUE, date(2026, 9, 29))
    (reminder,) = texts_to(fake, office.member.id)
    assert reminder.startswith("⏰ 以下任务即将到期：\n#2 节前安全检查（截止 9月30日）")
    assert "#1" not in reminder  # 10-08 is more than one working day away

    clock.at = local(9, 30, 17)
    fake.clear()
    await jobs.run(Job.TASK_DUE, date(2026, 9, 30))
    (reminder,) = texts_to(fake, office.member.id)
    assert "#1 国庆值班安排（截止 10月8日）" in reminder  # the working day before 10-08

    assert (await jobs.run(Job.TASK_OVERDUE, date(2026, 10, 3))).status == "not_due"

    clock.at = local(10, 8, 9)
    fake.clear()
    await jobs.run(Job.TASK_OVERDUE, date(2026, 10, 8))
    assert texts_to(fake, office.member.id) == [
        "⚠️ 以下任务已逾期，请尽快办理：\n#2 节前安全检查（截止 9月30日）"
    ]
    assert texts_to(fake, office.head.id) == [
        "⚠️ 你交办的以下任务已逾期：\n#2 节前安全检查（截止 9月30日，承办人杨帆）"
    ]

    clock.at = local(10, 9, 9)
    fake.clear()
    again = await jobs.run(Job.TASK_OVERDUE, date(2026, 10, 9))
    (warning,) = texts_to(fake, office.member.id)
    assert "#1 国庆值班安排" in warning and "#2 节前安全检查" in warning
    assert again.status == "done"
    fake.clear()
    await jobs.run(Job.TASK_OVERDUE, date(2026, 10, 9), again=True)
    assert texts_to(fake, office.member.id) == []  # never twice for a (job, day, person)


async def test_done_tasks_get_no_warnings_and_the_digest_lists_overdue_ones(
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
    chat: Chat,
    office: Office,
    roster: Roster,
    fake: FakeSession,
    session: AsyncSession,
) -> None:
    await people.set_assessment_start(session, day=date(2026, 11, 16), actor="test")
    await session.commit()
    admin = await roster.bind("周敏")
    await chat.feed(make_message("/bindgroup 全单位", user=admin,
                                 chat=make_group(UNIT_GROUP, "全局")))  # fmt: skip
    for text in ("/task 杨帆 报送统计表 截止 11-17", "/task 赵丽 整理档案 截止 11-18"):
        await chat.feed(make_message(text, user=office.head, chat=GROUP, date=local(11, 16, 9)))
    await chat.feed(make_message("/done 2", user=office.other, date=local(11, 18, 10)))
    jobs = make_jobs(sessionmaker, bot, dp, clock)
    clock.at = local(11, 20, 21)
    fake.clear()
    await jobs.run(Job.TASK_OVERDUE, date(2026, 11, 20))
    assert texts_to(fake, office.other.id) == []
    assert len(texts_to(fake, office.member.id)) == 1
    fake.clear()
    await jobs.run(Job.DIGEST, date(2026, 11, 20))
    (digest,) = [t for t in texts_to(fake, UNIT_GROUP) if "办公室" in t]
    assert "逾期任务：杨帆「报送统计表」（截止 11月17日）" in digest
