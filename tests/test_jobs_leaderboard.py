"""The weekly `leaderboard` job: pictures to every bound group, once per group."""

from __future__ import annotations

from datetime import date

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendPhoto
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.jobs import Jobs
from bot.sender import Limits
from charts._png import png_size
from core.jobs import Job
from storage import people
from tests.conftest import OFFICE_GROUP, SHANGHAI, Chat, FakeClock, Office, Roster, local
from tests.factories import make_group, make_message
from tests.fakes import FakeSession

UNIT_GROUP = -100_900
FRIDAY = date(2026, 11, 20)


async def test_leaderboard_posts_each_group_once_even_when_run_twice(
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
    await chat.feed(
        make_message("/bindgroup 全单位", user=admin, chat=make_group(UNIT_GROUP, "全局"))
    )
    for day in range(16, 21):
        await chat.feed(make_message("工作", user=office.member, date=local(11, day, 10)))
    await chat.feed(make_message("工作", user=office.other, date=local(11, 16, 10)))
    jobs = Jobs(
        sessionmaker=sessionmaker, policy=dp["policy"], zone=SHANGHAI, bot=bot,
        calendar=dp["calendar"], clock=clock, limits=Limits.unlimited(), owner="one",
    )  # fmt: skip
    clock.at = local(11, 20, 21, 0)
    fake.clear()
    first = await jobs.run(Job.LEADERBOARD, FRIDAY)
    photos = fake.sent(SendPhoto)
    by_chat = {int(p.chat_id): p for p in photos}
    assert set(by_chat) == {OFFICE_GROUP, UNIT_GROUP}  # only bound groups; the unit gets two
    assert len(photos) == 3 and first.delivery is not None and len(first.delivery.sent) == 3
    office_board = by_chat[OFFICE_GROUP]
    assert office_board.caption.startswith("🏆 办公室 2026年第4季度 排名（截至 11月20日，暂定）")
    # head and staff are ranked in different groups: each group's first is named
    assert office_board.caption.endswith("各类别第一：中层干部 陈静；一般工作人员 杨帆")
    assert png_size(office_board.photo.data)[0] == 1080
    unit_posts = [p.caption for p in photos if int(p.chat_id) == UNIT_GROUP]
    assert any(c.startswith("🏆 部门 2026年第") for c in unit_posts)
    assert any(c.startswith("📊 各部门日报填报率") for c in unit_posts)

    fake.clear()
    await jobs.run(Job.LEADERBOARD, FRIDAY, again=True)  # a second run, by hand
    assert fake.sent(SendPhoto) == []


async def test_leaderboard_is_a_weekly_job() -> None:
    from bot.policies import load_policy
    from core.calendar import WorkCalendar
    from core.jobs import is_due_day, trigger_time

    policy = load_policy("standard")
    calendar = WorkCalendar()
    assert trigger_time(Job.LEADERBOARD, policy.schedule) == policy.schedule.leaderboard_at
    assert is_due_day(Job.LEADERBOARD, policy, calendar, FRIDAY)
    assert not is_due_day(Job.LEADERBOARD, policy, calendar, date(2026, 11, 19))
    assert is_due_day(Job.LEADERBOARD, policy, calendar, date(2026, 10, 10))  # 调休 Saturday


async def test_boards_say_quarter_to_date_and_rank_by_group(
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
    chat: Chat,
    office: Office,
    roster: Roster,
    fake: FakeSession,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import charts

    drawn: list[object] = []
    for name in ("render_leaderboard", "render_ranking"):
        real = getattr(charts, name)
        monkeypatch.setattr(charts, name, lambda data, real=real: drawn.append(data) or real(data))
    await people.set_assessment_start(session, day=date(2026, 11, 16), actor="test")
    await session.commit()
    admin = await roster.bind("周敏")
    await chat.feed(
        make_message("/bindgroup 全单位", user=admin, chat=make_group(UNIT_GROUP, "全局"))
    )
    for day in range(16, 21):
        await chat.feed(make_message("工作", user=office.member, date=local(11, day, 10)))
    jobs = Jobs(
        sessionmaker=sessionmaker, policy=dp["policy"], zone=SHANGHAI, bot=bot,
        calendar=dp["calendar"], clock=clock, limits=Limits.unlimited(), owner="one",
    )  # fmt: skip
    clock.at = local(11, 20, 21, 0)
    await jobs.run(Job.LEADERBOARD, FRIDAY)
    board, ranking = drawn
    assert isinstance(board, charts.Leaderboard) and isinstance(ranking, charts.DepartmentRanking)
    # the scores are the quarter's so far, not this week's
    assert board.period == "2026年第4季度 · 季度累计（截至11月20日）" == ranking.period
    assert len(board.groups) == 2 and {r.group for r in board.rows if r.star} == set(board.groups)


async def test_no_board_is_posted_for_the_leaders_by_default(
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
    leaders_group = make_group(-100_901, "局领导群")
    await people.set_assessment_start(session, day=date(2026, 11, 16), actor="test")
    await session.commit()
    admin = await roster.bind("周敏")
    await chat.feed(make_message("/bindgroup 局领导", user=admin, chat=leaders_group))
    chief = await roster.bind("王建国")
    for day in range(16, 21):
        await chat.feed(make_message("工作", user=office.member, date=local(11, day, 10)))
        await chat.feed(make_message("工作", user=chief, date=local(11, day, 10)))
    jobs = Jobs(
        sessionmaker=sessionmaker, policy=dp["policy"], zone=SHANGHAI, bot=bot,
        calendar=dp["calendar"], clock=clock, limits=Limits.unlimited(), owner="one",
    )  # fmt: skip
    clock.at = local(11, 20, 21, 0)
    fake.clear()
    await jobs.run(Job.LEADERBOARD, FRIDAY)
    assert {int(p.chat_id) for p in fake.sent(SendPhoto)} == {OFFICE_GROUP}  # 班子成员: none
    (answer,) = await chat.feed(
        make_message("/rank", user=chief, chat=leaders_group, date=local(11, 20, 21, 5))
    )
    assert answer.text == "本部门为班子成员，按考核方案不在群内发布排行榜。"
