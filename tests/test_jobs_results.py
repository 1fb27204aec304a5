"""`quarter_close` publishes a quarter once; `talk_remind` chases mandatory talks."""

from __future__ import annotations

from datetime import date

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import AnswerCallbackQuery, SendMessage, SendPhoto
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.jobs import Jobs
from bot.sender import Limits
from charts._png import png_size
from core.jobs import Job, fire_at
from core.quarter import Quarter
from core.quarter_end import window
from storage import people
from storage.tables import (
    Declaration,
    DeclarationItem,
    FeedbackTalk,
    Person,
    PublishedResult,
    utcnow,
)
from tests.conftest import SHANGHAI, Chat, FakeClock, Office, Roster, local
from tests.factories import make_callback, make_group, make_message
from tests.fakes import FakeSession

UNIT_GROUP = -100_900
Q3 = Quarter(2026, 3)


def make_jobs(
    sessionmaker: async_sessionmaker[AsyncSession], dp: Dispatcher, bot: Bot, clock: FakeClock
) -> Jobs:
    return Jobs(
        sessionmaker=sessionmaker, policy=dp["policy"], zone=SHANGHAI, bot=bot,
        calendar=dp["calendar"], clock=clock, limits=Limits.unlimited(), owner="test",
    )  # fmt: skip


@pytest.fixture
async def quarter3(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession, dp: Dispatcher
) -> date:
    """Q3 2026 assessed from 09-28: 杨帆 filed every working day, the others never; 杨帆
    declared one achievement; the unit group is bound. Returns the results day."""
    await people.set_assessment_start(session, day=date(2026, 9, 28), actor="test")
    member = await roster.person("杨帆")
    declaration = Declaration(
        unit_id=member.unit_id, person_id=member.id or 0, quarter=str(Q3), submitted_at=utcnow()
    )
    session.add(declaration)
    await session.flush()
    session.add(
        DeclarationItem(
            declaration_id=declaration.id or 0,
            position=1,
            text="牵头完成食品安全专项整治",
            source="annual",
            self_rating="good",
        )
    )
    await session.commit()
    admin = await roster.bind("周敏")
    await chat.feed(
        make_message("/bindgroup 全单位", user=admin, chat=make_group(UNIT_GROUP, "全局"))
    )
    for day in (28, 29, 30):
        await chat.feed(make_message("走访企业", user=office.member, date=local(9, day, 10)))
    chat.fake.clear()
    return window(dp["policy"], dp["calendar"], Q3).results


async def test_quarter_close_posts_results_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
    office: Office,
    fake: FakeSession,
    session: AsyncSession,
    quarter3: date,
) -> None:
    jobs = make_jobs(sessionmaker, dp, bot, clock)
    clock.at = fire_at(Job.QUARTER_CLOSE, dp["policy"], quarter3, SHANGHAI)
    result = await jobs.run(Job.QUARTER_CLOSE, quarter3)
    assert result.status == "done", result.error

    photos = fake.sent(SendPhoto)
    assert [int(p.chat_id) for p in photos] == [UNIT_GROUP]
    assert photos[0].caption.startswith("📊 2026年第3季度 平时考核结果公布：各部门等次分布")
    assert png_size(photos[0].photo.data)[0] == 1080
    group_texts = [m.text for m in fake.sent(SendMessage) if int(m.chat_id) == UNIT_GROUP]
    honours = next(t for t in group_texts if t.startswith("🌟"))
    assert "杨帆（办公室）100.00分" in honours and "🚩 流动红旗：办公室" in honours
    showcase = next(t for t in group_texts if t.startswith("🏅"))
    assert "【杨帆 · 办公室】\n1. 牵头完成食品安全专项整治（年度指标）" in showcase
    assert "赵丽" not in showcase  # graded 较差: not in the 实绩公示

    private = {int(m.chat_id): m.text for m in fake.sent(SendMessage) if int(m.chat_id) > 0}
    assert private[office.member.id].splitlines()[:8] == [
        "📋 你的2026年第3季度平时考核结果：",
        "得分：100.00分",
        "排名：一般工作人员第1名（共30人）",
        "等次：好",
        "“好”等次名额12人，你排第1",
        "得分构成：",
        "· 日报填报 +100.00（100分×100%）",
        "多主体评价、指标完成暂无数据，审阅批复仅适用于领导，均不计入，其余权重按比例放大",
    ]
    assert private[office.other.id].splitlines()[1:5] == [
        "得分：0.00分",
        "排名：一般工作人员第2名（共30人）",
        "等次：较差",
        "差80分达到“好”等次最低分80分",
    ]
    assert "反馈谈话" in private[office.other.id] and "较差" in private[office.other.id]
    assert "反馈谈话" not in private[office.member.id]

    stored = (await session.exec(select(func.count()).select_from(PublishedResult))).one()
    assert stored == 42  # everyone active was scored and is kept as published

    fake.clear()
    again = await jobs.run(Job.QUARTER_CLOSE, quarter3, again=True)
    assert again.status == "done" and fake.requests == []


async def test_the_private_result_shows_its_detail_to_the_person_only(
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
    chat: Chat,
    office: Office,
    fake: FakeSession,
    quarter3: date,
) -> None:
    jobs = make_jobs(sessionmaker, dp, bot, clock)
    clock.at = fire_at(Job.QUARTER_CLOSE, dp["policy"], quarter3, SHANGHAI)
    await jobs.run(Job.QUARTER_CLOSE, quarter3)
    sent = next(m for m in fake.sent(SendMessage) if int(m.chat_id) == office.member.id)
    button = sent.reply_markup.inline_keyboard[0][0]
    assert button.text == "查看明细"
    message = fake._message(sent.chat_id, text=sent.text, reply_markup=sent.reply_markup)

    before = len(fake.requests)
    await chat.dp.feed_update(
        chat.bot, make_callback(button.callback_data, user=office.other, message=message)
    )
    denied = next(r for r in fake.requests[before:] if isinstance(r, AnswerCallbackQuery))
    assert denied.text == "只能查看本人的考核明细。"
    assert not [r for r in fake.requests[before:] if isinstance(r, SendMessage)]

    (detail,) = await chat.feed(
        make_callback(button.callback_data, user=office.member, message=message)
    )
    lines = detail.text.splitlines()
    assert lines[:2] == [
        "📋 2026年第3季度平时考核明细：",
        "杨帆：100.00分，一般工作人员第1/30名，好（组内第1名，在“好”等次名额（12人）内）",
    ]
    assert lines[2].startswith("· 日报填报 100.00 → +100.00  [应报3天：按时3天")


async def test_published_results_do_not_change_with_later_records(
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
    chat: Chat,
    office: Office,
    fake: FakeSession,
    session: AsyncSession,
    quarter3: date,
) -> None:
    jobs = make_jobs(sessionmaker, dp, bot, clock)
    clock.at = fire_at(Job.QUARTER_CLOSE, dp["policy"], quarter3, SHANGHAI)
    await jobs.run(Job.QUARTER_CLOSE, quarter3)
    # a late report for 09-30 by 赵丽 (stored today) would change a live score
    await chat.feed(make_message("补交", user=office.other, date=local(9, 30, 10)))
    from bot.results import quarter_view

    view = await quarter_view(
        session, policy=dp["policy"], calendar=dp["calendar"], quarter=Q3, now=clock.at
    )
    other = await (Roster(sessionmaker)).person("赵丽")
    published = next(p for p in view.people if p["person_id"] == other.id)
    assert view.published and published["grade"] == "poor" and published["score"] == 0


async def test_talk_remind_goes_to_the_answerable_leader_until_the_talk_is_held(
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
    office: Office,
    roster: Roster,
    fake: FakeSession,
    session: AsyncSession,
    quarter3: date,
) -> None:
    jobs = make_jobs(sessionmaker, dp, bot, clock)
    clock.at = fire_at(Job.QUARTER_CLOSE, dp["policy"], quarter3, SHANGHAI)
    await jobs.run(Job.QUARTER_CLOSE, quarter3)
    due = window(dp["policy"], dp["calendar"], Q3).talks_due
    assert (await jobs.run(Job.TALK_REMIND, quarter3)).status == "not_due"

    fake.clear()
    clock.at = fire_at(Job.TALK_REMIND, dp["policy"], due, SHANGHAI)
    await jobs.run(Job.TALK_REMIND, due)
    sent = {int(m.chat_id): m.text for m in fake.sent(SendMessage)}
    head = sent[office.head.id]
    assert head.startswith("⏰ 2026年第3季度 反馈谈话提醒") and "截止 10月29日" in head
    assert "赵丽" in head and "杨帆" not in head and "陈静" not in head
    assert "陈静" in sent[office.supervisor.id]  # the head's own talk: her supervisor's
    assert office.member.id not in sent

    other = await roster.person("赵丽")
    head_row = await roster.person("陈静")
    session.add(
        FeedbackTalk(
            unit_id=other.unit_id, quarter=str(Q3), person_id=other.id or 0,
            leader_id=head_row.id or 0, mandatory=True, strengths="a", shortcomings="b",
            plan="c",
        )
    )  # fmt: skip
    await session.commit()
    following = date(2026, 10, 30)  # the working day after the due date
    fake.clear()
    clock.at = fire_at(Job.TALK_REMIND, dp["policy"], following, SHANGHAI)
    await jobs.run(Job.TALK_REMIND, following)
    head = {int(m.chat_id): m.text for m in fake.sent(SendMessage)}[office.head.id]
    assert "已过截止日（10月29日）" in head and "赵丽" not in head


async def test_quarter_close_without_a_unit_group_still_tells_everyone(
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
    office: Office,
    fake: FakeSession,
    session: AsyncSession,
) -> None:
    results = window(dp["policy"], dp["calendar"], Q3).results
    await people.set_assessment_start(session, day=date(2026, 9, 28), actor="test")
    await session.commit()
    jobs = make_jobs(sessionmaker, dp, bot, clock)
    clock.at = fire_at(Job.QUARTER_CLOSE, dp["policy"], results, SHANGHAI)
    await jobs.run(Job.QUARTER_CLOSE, results)
    assert fake.sent(SendPhoto) == []
    chats = {int(m.chat_id) for m in fake.sent(SendMessage)}
    assert office.member.id in chats and office.head.id in chats
    bound = (await session.exec(select(func.count()).where(Person.tg_user_id.is_not(None)))).one()  # type: ignore[union-attr]
    assert len(chats) == bound


async def test_a_dry_run_publishes_nothing(
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
    fake: FakeSession,
    session: AsyncSession,
    quarter3: date,
) -> None:
    jobs = make_jobs(sessionmaker, dp, bot, clock)
    clock.at = fire_at(Job.QUARTER_CLOSE, dp["policy"], quarter3, SHANGHAI)
    result = await jobs.run(Job.QUARTER_CLOSE, quarter3, dry_run=True)
    assert result.status == "dry_run"
    assert {m.target for m in result.messages} >= {
        "unit:grades",
        "unit:honours",
        "unit:showcase:1",
    }
    assert fake.requests == []
    assert (await session.exec(select(func.count()).select_from(PublishedResult))).one() == 0
