"""Quarter-end jobs of 实绩申报 and 多主体评价 (2026Q3: declare 09-23 … 10-10, ratings
10-12 … 10-14): who gets what, once."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.jobs import Jobs
from bot.sender import Limits
from core.jobs import Job
from storage.tables import Rating
from tests.conftest import SHANGHAI, Chat, FakeClock, Office, Roster, local
from tests.factories import make_message
from tests.fakes import FakeSession
from tests.test_bot_declare import Person as Talker


@pytest.fixture
def jobs(
    sessionmaker: async_sessionmaker[AsyncSession], bot: Bot, dp: Dispatcher, clock: FakeClock
) -> Jobs:
    return Jobs(
        sessionmaker=sessionmaker, policy=dp["policy"], zone=SHANGHAI, bot=bot,
        calendar=dp["calendar"], clock=clock, limits=Limits.unlimited(), owner="one",
    )  # fmt: skip


async def names_by_chat(roster: Roster, sent: list[SendMessage]) -> Counter[str]:
    """Messages per recipient name."""
    names = {}
    for name in ("周敏", "陈静", "杨帆", "赵丽", "李红梅", "黄磊"):
        names[(await roster.user(name)).id] = name
    return Counter(names[int(m.chat_id)] for m in sent)


async def test_declare_jobs_reach_the_right_people_once(
    chat: Chat,
    office: Office,
    roster: Roster,
    jobs: Jobs,
    clock: FakeClock,
    fake: FakeSession,
) -> None:
    bound = {"周敏", "陈静", "杨帆", "赵丽", "李红梅"}
    clock.at = local(9, 23, 9)
    fake.clear()
    await jobs.run(Job.DECLARE_OPEN, date(2026, 9, 23))
    sent = fake.sent(SendMessage)
    assert set(await names_by_chat(roster, sent)) == bound
    assert sent[0].text.startswith("📝 2026年第3季度实绩申报已开放，10月10日截止。")
    fake.clear()
    await jobs.run(Job.DECLARE_OPEN, date(2026, 9, 23), again=True)
    assert fake.sent(SendMessage) == []
    assert (await jobs.run(Job.DECLARE_OPEN, date(2026, 9, 24))).status == "not_due"

    # 杨帆 declares and submits; 赵丽 stores one item without submitting
    yang = Talker(chat, clock, office.member, local(9, 24, 10))
    await yang.say("/declare")
    await yang.add("完成档案整理")
    await yang.press("✅ 提交")
    zhao = Talker(chat, clock, office.other, local(9, 24, 10))
    await zhao.say("/declare")
    await zhao.add("筹备季度会议")

    clock.at = local(10, 9, 17)
    fake.clear()
    await jobs.run(Job.DECLARE_REMIND, date(2026, 10, 9))
    sent = fake.sent(SendMessage)
    assert set(await names_by_chat(roster, sent)) == bound - {"杨帆"}
    zhao_chat = (await roster.user("赵丽")).id
    assert [m.text for m in sent if int(m.chat_id) == zhao_chat] == [
        "⏰ 你的2026年第3季度实绩已填写但还没有提交，10月10日截止。发送 /declare 继续。"
    ]

    clock.at = local(10, 10, 20)
    fake.clear()
    await jobs.run(Job.DECLARE_CLOSE, date(2026, 10, 10))  # 调休 Saturday
    sent = fake.sent(SendMessage)
    assert set(await names_by_chat(roster, sent)) == bound - {"杨帆", "赵丽"}
    assert "实绩申报已截止" in sent[0].text


async def test_ratings_jobs(
    chat: Chat,
    office: Office,
    roster: Roster,
    jobs: Jobs,
    clock: FakeClock,
    fake: FakeSession,
    session: AsyncSession,
) -> None:
    clock.at = local(10, 12, 9)
    fake.clear()
    await jobs.run(Job.RATINGS_OPEN, date(2026, 10, 12))
    sent = fake.sent(SendMessage)
    counts = await names_by_chat(roster, sent)
    # summary + requests: 杨帆 self, 3 peers, her head; 陈静 self + 4 members;
    # 李红梅 self + 13 people she supervises + 2 fellow supervisors (peers);
    # 周敏 self + 2 peers + her head 吴刚; 赵丽 like 杨帆
    assert counts == {"杨帆": 6, "赵丽": 6, "陈静": 6, "李红梅": 17, "周敏": 5}
    yang = (await roster.user("杨帆")).id
    to_yang = [m.text for m in sent if int(m.chat_id) == yang]
    assert to_yang[0].startswith("⭐ 2026年第3季度多主体评价开始，10月14日截止。你有5项评分")
    assert any("同级互评：请为 赵丽 评分" in t and "匿名" in t for t in to_yang)
    assert any("下级评议：请为 陈静 评分" in t for t in to_yang)
    requests = [m for m in sent if m.reply_markup is not None]
    assert [b.text for b in requests[0].reply_markup.inline_keyboard[0]] == [
        "好 95", "较好 85", "一般 75", "较差 60",
    ]  # fmt: skip
    # rows exist for everyone asked, bound or not (王建国, the chief, rates heads and
    # supervisors: 8 heads + 3 supervisors)
    rows = (await session.exec(select(Rating))).all()
    chief = (await roster.person("王建国")).id
    assert sum(1 for r in rows if r.rater_id == chief and r.kind == "chief") == 11

    fake.clear()
    await jobs.run(Job.RATINGS_OPEN, date(2026, 10, 12), again=True)
    assert fake.sent(SendMessage) == []

    # 陈静 answers all five of hers; the reminder skips her
    head = [m for m in sent if int(m.chat_id) == (await roster.user("陈静")).id]
    for request in head:
        if request.reply_markup is None:
            continue
        message = fake._message(
            request.chat_id, text=request.text, reply_markup=request.reply_markup
        )
        button = request.reply_markup.inline_keyboard[0][1]
        from tests.factories import make_callback

        clock.at = local(10, 13, 10)
        await chat.feed(make_callback(button.callback_data, user=office.head, message=message))
    clock.at = local(10, 13, 17)
    fake.clear()
    await jobs.run(Job.RATINGS_REMIND, date(2026, 10, 13))
    reminded = await names_by_chat(roster, fake.sent(SendMessage))
    assert set(reminded) == {"杨帆", "赵丽", "李红梅", "周敏"}
    assert any("还有5项未完成" in m.text for m in fake.sent(SendMessage))

    clock.at = local(10, 14, 20)
    fake.clear()
    await jobs.run(Job.RATINGS_CLOSE, date(2026, 10, 14))
    closing = fake.sent(SendMessage)
    assert set(await names_by_chat(roster, closing)) == {"杨帆", "赵丽", "陈静", "李红梅", "周敏"}
    by_head = [m.text for m in closing if int(m.chat_id) == (await roster.user("陈静")).id]
    assert by_head == ["🔒 2026年第3季度评分已截止，感谢你完成全部评分。"]


async def test_unbound_people_get_nothing_but_their_requests_wait(
    chat: Chat, office: Office, roster: Roster, jobs: Jobs, clock: FakeClock, fake: FakeSession
) -> None:
    clock.at = local(10, 12, 9)
    await jobs.run(Job.RATINGS_OPEN, date(2026, 10, 12))
    huang = await roster.bind("黄磊")  # binds after the requests went out
    fake.clear()
    sent = await chat.feed(make_message("/ratings", user=huang, date=local(10, 12, 15)))
    assert sent[0].text.startswith("⭐ 2026年第3季度评分：还有5项待评，10月14日截止。")
    assert len(sent) == 6


async def test_a_dry_run_of_ratings_open_plans_without_storing(
    office: Office, jobs: Jobs, clock: FakeClock, fake: FakeSession, session: AsyncSession
) -> None:
    clock.at = local(10, 12, 8)
    fake.clear()
    planned = await jobs.run(Job.RATINGS_OPEN, date(2026, 10, 12), dry_run=True)
    assert planned.status == "dry_run" and len(planned.messages) == 40
    assert len({m.target for m in planned.messages}) == 40  # each request has its own key
    assert fake.requests == []
    assert (await session.exec(select(Rating))).all() == []
