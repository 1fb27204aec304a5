"""`/talk`: a leader records a feedback talk in three steps; `/talks` for the 考核办."""

from __future__ import annotations

from datetime import date

import pytest
from aiogram import Bot, Dispatcher
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.talks import chunks
from bot.jobs import Jobs
from bot.sender import Limits
from core.jobs import Job, fire_at
from core.quarter import Quarter
from core.quarter_end import window
from storage import people
from storage.tables import FeedbackTalk, Report
from tests.conftest import SHANGHAI, Chat, FakeClock, Office, Roster, local
from tests.factories import make_callback, make_message
from tests.fakes import FakeSession

Q3 = Quarter(2026, 3)
NOW = local(10, 20, 10)  # after Q3's results, before the talks are due


@pytest.fixture
async def published(
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
    chat: Chat,
    office: Office,
    session: AsyncSession,
    fake: FakeSession,
) -> None:
    """Q3 published: 杨帆 好 (filed), 赵丽 and the others 较差 (never filed)."""
    await people.set_assessment_start(session, day=date(2026, 9, 28), actor="test")
    await session.commit()
    for day in (28, 29, 30):
        await chat.feed(make_message("走访企业", user=office.member, date=local(9, day, 10)))
    results = window(dp["policy"], dp["calendar"], Q3).results
    jobs = Jobs(
        sessionmaker=sessionmaker, policy=dp["policy"], zone=SHANGHAI, bot=bot,
        calendar=dp["calendar"], clock=clock, limits=Limits.unlimited(), owner="test",
    )  # fmt: skip
    clock.at = fire_at(Job.QUARTER_CLOSE, dp["policy"], results, SHANGHAI)
    await jobs.run(Job.QUARTER_CLOSE, results)
    fake.clear()


async def talks_count(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(FeedbackTalk))).one()


async def test_talk_by_buttons_with_an_interruption_and_a_cancel(
    chat: Chat, office: Office, published: None, session: AsyncSession, clock: FakeClock
) -> None:
    clock.at = NOW
    [menu] = await chat.feed(make_message("/talk", user=office.head, date=NOW))
    assert menu.text.startswith("📝 2026年第3季度 反馈谈话：请选择谈话对象。")
    labels = [b.text for row in menu.reply_markup.inline_keyboard for b in row]
    assert "❗ 赵丽" in labels and "杨帆" in labels
    assert labels.index("❗ 赵丽") < labels.index("杨帆")  # mandatory ones first
    assert not any("陈静" in label for label in labels)  # not with oneself
    button = next(
        b for row in menu.reply_markup.inline_keyboard for b in row if b.text == "❗ 赵丽"
    )
    message = chat.fake.last_message(office.head.id)
    [ask] = await chat.feed(make_callback(button.callback_data, user=office.head, message=message))
    assert "与 赵丽 的反馈谈话（2026年第3季度，等次：较差，必谈）" in ask.text
    [step2] = await chat.feed(make_message("工作认真负责", user=office.head, date=NOW))
    assert step2.text.startswith("第2/3步")

    reports_before = (await session.exec(select(func.count()).select_from(Report))).one()
    [status] = await chat.feed(make_message("/status", user=office.head, date=NOW))
    assert "谈话" not in status.text  # another command works in between
    [step3] = await chat.feed(make_message("日报意识不强", user=office.head, date=NOW))
    assert step3.text.startswith("第3/3步")  # …and the talk went on where it was
    [cancelled] = await chat.feed(make_message("/cancel", user=office.head, date=NOW))
    assert cancelled.text == "已取消，谈话未记录。"
    assert await talks_count(session) == 0
    assert (await session.exec(select(func.count()).select_from(Report))).one() == reports_before
    filed = await chat.feed(make_message("今天整理档案", user=office.head, date=NOW))
    assert any(m.text.startswith("✅ 已记录") for m in filed)  # a 日报 again after the cancel


async def test_talk_by_name_is_stored_and_told_to_the_person(
    chat: Chat,
    office: Office,
    published: None,
    session: AsyncSession,
    fake: FakeSession,
    roster: Roster,
) -> None:
    await chat.feed(make_message("/talk 赵丽", user=office.head, date=NOW))
    await chat.feed(make_message("肯干", user=office.head, date=NOW))
    await chat.feed(make_message("日报不及时", user=office.head, date=NOW))
    sent = await chat.feed(make_message("每天下班前填报", user=office.head, date=NOW))
    by_chat = {int(m.chat_id): m.text for m in sent}
    assert by_chat[office.head.id] == "✅ 已记录与 赵丽 的反馈谈话，并已告知本人。"
    notice = by_chat[office.other.id]
    assert notice.startswith("📝 陈静 记录了与你的2026年第3季度反馈谈话：")
    assert "优点：肯干\n不足：日报不及时\n改进计划：每天下班前填报" in notice
    talk = (await session.exec(select(FeedbackTalk))).one()
    other = await roster.person("赵丽")
    assert (talk.person_id, talk.quarter, talk.mandatory) == (other.id, "2026Q3", True)

    [again] = await chat.feed(make_message("/talk 赵丽", user=office.head, date=NOW))
    assert "已由 陈静 于" in again.text and await talks_count(session) == 1


async def test_talk_refusals(
    chat: Chat, office: Office, published: None, roster: Roster, session: AsyncSession
) -> None:
    [member] = await chat.feed(make_message("/talk 赵丽", user=office.member, date=NOW))
    assert member.text == "只有部门负责人、分管领导和主要领导可以记录反馈谈话。"
    outsider = await roster.bind("吴刚")  # head of 人事科
    [other] = await chat.feed(make_message("/talk 赵丽", user=outsider, date=NOW))
    assert other.text == "你不能记录与 赵丽 的谈话：只能与你负责的人员谈话。"
    [nobody] = await chat.feed(make_message("/talk 王不存在", user=office.head, date=NOW))
    assert "王不存在" in nobody.text
    assert await talks_count(session) == 0


async def test_talk_before_any_results(chat: Chat, office: Office) -> None:
    [reply] = await chat.feed(make_message("/talk", user=office.head, date=NOW))
    assert reply.text == "还没有公布的季度结果。结果公布后再记录反馈谈话。"


async def test_talks_overview_for_admins_only(
    chat: Chat, office: Office, published: None, roster: Roster
) -> None:
    await chat.feed(make_message("/talk 赵丽", user=office.head, date=NOW))
    for answer in ("肯干", "日报不及时", "每天下班前填报"):
        await chat.feed(make_message(answer, user=office.head, date=NOW))
    [denied] = await chat.feed(make_message("/talks", user=office.head, date=NOW))
    assert denied.text == "只有考核办可以查看反馈谈话进度。"
    admin = await roster.bind("周敏")
    [overview] = await chat.feed(make_message("/talks", user=admin, date=NOW))
    assert overview.text.startswith("📝 2026年第3季度 反馈谈话进度（必谈截止 10月29日）")
    office_block = overview.text.split("【办公室】", 1)[1].split("【", 1)[0]
    assert "已谈：赵丽" in office_block and "未谈：" in office_block and "陈静" in office_block


async def test_a_stale_question_lets_text_be_a_report_again(
    chat: Chat, office: Office, published: None, session: AsyncSession
) -> None:
    await chat.feed(make_message("/talk 赵丽", user=office.head, date=NOW))
    later = local(10, 20, 11)  # an hour after the question
    sent = await chat.feed(make_message("走访企业三家", user=office.head, date=later))
    assert any(m.text.startswith("✅ 已记录") for m in sent)  # filed as a 日报
    assert await talks_count(session) == 0
    [ask] = await chat.feed(make_message("/talk 赵丽", user=office.head, date=later))
    assert "第1/3步" in ask.text  # asked afresh


@given(st.lists(st.text(alphabet="ab谈", max_size=30), max_size=40))
def test_long_texts_are_split_at_line_ends_into_short_messages(lines: list[str]) -> None:
    text = "\n".join(lines)
    parts = chunks(text, limit=50)
    assert all(len(part) <= 50 for part in parts)
    if "".join(text.split("\n")):
        assert "".join("".join(p.split("\n")) for p in parts) == "".join(text.split("\n"))
