"""公示: quarter_close publishes a proposal; results_final ends the 公示; /me says so."""

from __future__ import annotations

from datetime import date, datetime

from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.jobs import Job, fire_at, is_due_day
from core.quarter_end import window
from storage.tables import AuditEntry, PublishedQuarter
from tests.conftest import SHANGHAI, Chat, FakeClock, Office
from tests.factories import make_message
from tests.fakes import FakeSession
from tests.test_jobs_results import Q3, UNIT_GROUP, make_jobs, quarter3

__all__ = ["quarter3"]


def local_at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


async def test_quarter_close_opens_publicity_and_results_final_ends_it(
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
    office: Office,
    chat: Chat,
    fake: FakeSession,
    session: AsyncSession,
    quarter3: date,
) -> None:
    policy, calendar = dp["policy"], dp["calendar"]
    dates = window(policy, calendar, Q3)
    assert dates.results == quarter3 and dates.publicity_end > dates.results
    workdays = [
        d for d in (date.fromordinal(o) for o in range(dates.results.toordinal(),
                                                       dates.final.toordinal()))
        if calendar.is_workday(d)
    ]  # fmt: skip
    assert len(workdays) == 5  # publicity_days: the results day and four more working days
    until = f"{dates.publicity_end.month}月{dates.publicity_end.day}日"

    jobs = make_jobs(sessionmaker, dp, bot, clock)
    clock.at = fire_at(Job.QUARTER_CLOSE, policy, quarter3, SHANGHAI)
    assert (await jobs.run(Job.QUARTER_CLOSE, quarter3)).status == "done"
    group = [m.text for m in fake.sent(SendMessage) if int(m.chat_id) == UNIT_GROUP]
    assert any(t.startswith(f"📢 2026年第3季度平时考核结果公示至{until}") for t in group)
    mine = fake.last_message(office.member.id).text
    assert f"公示中（至{until}）" in mine and "/appeal" in mine
    row = (await session.exec(select(PublishedQuarter))).one()
    assert row.final_at is None

    # /me during 公示 says so.
    during = local_at(dates.publicity_end, 10)
    sent = await chat.feed(make_message("/me", user=office.member, date=during))
    assert f"公示中（至{until}）" in sent[-1].text

    # results_final on the working day after the 公示: final, each person told, once.
    assert not is_due_day(Job.RESULTS_FINAL, policy, calendar, dates.publicity_end)
    assert is_due_day(Job.RESULTS_FINAL, policy, calendar, dates.final)
    fake.clear()
    clock.at = fire_at(Job.RESULTS_FINAL, policy, dates.final, SHANGHAI)
    assert (await jobs.run(Job.RESULTS_FINAL, dates.final)).status == "done"
    final = fake.last_message(office.member.id).text
    assert final.startswith("✅ 2026年第3季度平时考核结果公示期满，结果已确定：\n得分：100.00分\n")
    session.expire_all()
    row = (await session.exec(select(PublishedQuarter))).one()
    assert row.final_at is not None
    actions = [e.action for e in (await session.exec(select(AuditEntry))).all()]
    assert actions.count("results_final") == 1
    fake.clear()
    again = await jobs.run(Job.RESULTS_FINAL, dates.final, again=True)
    assert again.status == "done" and fake.requests == []

    later = local_at(dates.final, 10)
    after = await chat.feed(make_message("/me", user=office.member, date=later))
    assert "公示中" not in after[-1].text
