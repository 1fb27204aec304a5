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
    # ONE message per rater, whatever the number of people to rate (李红梅 has 16)
    assert counts == {"杨帆": 1, "赵丽": 1, "陈静": 1, "李红梅": 1, "周敏": 1}
    yang = (await roster.user("杨帆")).id
    (to_yang,) = [m for m in sent if int(m.chat_id) == yang]
    assert to_yang.text.splitlines() == [
        "⭐ 2026年第3季度多主体评价开始，10月14日截止。你有5项评分：",
        "· 自评：本人",
        "· 同级互评：赵丽、黄磊、周婷",
        "· 下级评议：陈静",
        "点下面的姓名逐项评分（✅ 为已评，可重新评）。",
    ], to_yang.text
    labels = [b.text for row in to_yang.reply_markup.inline_keyboard for b in row]
    assert labels[0] == "本人自评" and len(labels) == 5
    li_id = (await roster.user("李红梅")).id
    (li,) = [m for m in sent if int(m.chat_id) == li_id]
    pages = [b.text for b in li.reply_markup.inline_keyboard[-1]]
    assert pages == ["1/2", "下一页 ▶"]  # 16 people: two pages of 8
    # rows exist for everyone asked, bound or not (王建国, the chief, rates heads and
    # supervisors: 8 heads + 3 supervisors)
    rows = (await session.exec(select(Rating))).all()
    chief = (await roster.person("王建国")).id
    assert sum(1 for r in rows if r.rater_id == chief and r.kind == "chief") == 11

    fake.clear()
    await jobs.run(Job.RATINGS_OPEN, date(2026, 10, 12), again=True)
    assert fake.sent(SendMessage) == []

    # 陈静 answers all five of hers (a person's button opens the request); the reminder
    # skips her
    from tests.factories import make_callback

    head_id = (await roster.user("陈静")).id
    (listed,) = [m for m in sent if int(m.chat_id) == head_id]
    message = fake._message(listed.chat_id, text=listed.text, reply_markup=listed.reply_markup)
    for row in listed.reply_markup.inline_keyboard:
        for person in row:
            clock.at = local(10, 13, 10)
            fake.clear()
            await chat.feed(make_callback(person.callback_data, user=office.head, message=message))
            (request,) = fake.sent(SendMessage)
            assert request.text.startswith("⭐ 2026年第3季度") and "请为" in request.text
            assert [b.text for b in request.reply_markup.inline_keyboard[0]] == [
                "好 95", "较好 85", "一般 75", "较差 60",
            ]  # fmt: skip
            shown = fake._message(
                request.chat_id, text=request.text, reply_markup=request.reply_markup
            )
            grade = request.reply_markup.inline_keyboard[0][1]
            await chat.feed(make_callback(grade.callback_data, user=office.head, message=shown))
    clock.at = local(10, 13, 17)
    fake.clear()
    await jobs.run(Job.RATINGS_REMIND, date(2026, 10, 13))
    reminded = await names_by_chat(roster, fake.sent(SendMessage))
    assert reminded == {"杨帆": 1, "赵丽": 1, "李红梅": 1, "周敏": 1}
    assert any("还有5项未完成" in m.text for m in fake.sent(SendMessage))
    assert all(m.reply_markup is not None for m in fake.sent(SendMessage))  # the list again

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
    assert sent[0].text.startswith("⭐ 2026年第3季度评分：还有5项待评，10月14日截止：")
    assert len(sent) == 1


async def test_a_dry_run_of_ratings_open_plans_without_storing(
    office: Office, jobs: Jobs, clock: FakeClock, fake: FakeSession, session: AsyncSession
) -> None:
    clock.at = local(10, 12, 8)
    fake.clear()
    planned = await jobs.run(Job.RATINGS_OPEN, date(2026, 10, 12), dry_run=True)
    assert planned.status == "dry_run" and len(planned.messages) == 5  # one per rater
    assert len({m.target for m in planned.messages}) == 5
    assert fake.requests == []
    assert (await session.exec(select(Rating))).all() == []
