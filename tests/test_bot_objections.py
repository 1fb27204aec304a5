"""申辩 of a 错情 or veto: reply 「申辩 理由」 or /object N; the issuer or an admin decides."""

from __future__ import annotations

from datetime import date

from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.jobs import Job, fire_at
from storage.tables import AuditEntry, Objection, Record
from tests.conftest import SHANGHAI, Chat, FakeClock, Office, Roster, local
from tests.factories import make_message
from tests.fakes import FakeSession
from tests.test_jobs_results import make_jobs, quarter3

__all__ = ["quarter3"]


async def an_error(chat: Chat, office: Office, session: AsyncSession, day: int = 20) -> Record:
    await chat.feed(make_message("错情 @赵丽 数据有误", user=office.head, date=local(11, day, 11)))
    return (await session.exec(select(Record).where(Record.kind == "error"))).one()


async def test_reply_objects_and_the_issuer_voids_the_error(
    chat: Chat, office: Office, roster: Roster, fake: FakeSession, session: AsyncSession
) -> None:
    admin = await roster.bind("周敏")
    fake.clear()
    record = await an_error(chat, office, session)
    notice = fake.last_message(office.other.id)
    assert f"3个工作日内回复「申辩 理由」，或发送 /object {record.id} 理由" in notice.text

    fake.clear()
    sent = await chat.feed(
        make_message("申辩 数据是统计局口径，无误", user=office.other, reply_to=notice,
                     date=local(11, 23, 9))
    )  # fmt: skip
    mine = [m.text for m in sent if int(m.chat_id) == office.other.id]
    assert mine[-1].startswith(f"📨 已收到你对错情 #{record.id}的申辩（编号1）")
    for decider in (office.head.id, admin.id):
        assert fake.last_message(decider).text.startswith("📨 申辩 #1：赵丽 对错情")
    again = await chat.feed(make_message(f"/object {record.id} 再说一次", user=office.other,
                                         date=local(11, 23, 10)))  # fmt: skip
    assert "正在处理中" in again[-1].text

    denied = await chat.feed(make_message("/objection 1 撤销 同意", user=office.member,
                                          date=local(11, 23, 11)))  # fmt: skip
    assert "只有记录的开具人或考核办" in denied[-1].text
    fake.clear()
    done = await chat.feed(make_message("/objection 1 撤销 核实口径无误", user=office.head,
                                        date=local(11, 23, 11)))  # fmt: skip
    assert [m.text for m in done if int(m.chat_id) == office.head.id][-1].startswith(
        "✅ 申辩 #1 已撤销原记录"
    )
    told = fake.last_message(office.other.id).text
    assert told.startswith(f"📄 你对错情 #{record.id}的申辩已处理：撤销原记录")
    rid = record.id
    session.expire_all()
    stored = await session.get(Record, rid)
    assert stored is not None and stored.voided_at is not None
    actions = [e.action for e in (await session.exec(select(AuditEntry))).all()]
    assert {"objection_file", "objection_decide", "objection_void"} <= set(actions)
    twice = await chat.feed(make_message("/objection 1 维持 改主意", user=admin,
                                         date=local(11, 23, 12)))  # fmt: skip
    assert "已经处理" in twice[-1].text


async def test_objection_rules_refuse_and_change_nothing(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession
) -> None:
    record = await an_error(chat, office, session)  # Friday 11-20
    late = await chat.feed(make_message(f"/object {record.id} 理由", user=office.other,
                                        date=local(11, 26, 9)))  # fmt: skip
    assert late[-1].text.startswith("已超过申辩期限（11月25日截止）")
    theirs = await chat.feed(make_message(f"/object {record.id} 理由", user=office.member,
                                          date=local(11, 23, 9)))  # fmt: skip
    assert theirs[-1].text == "只能对记给自己的错情或负面清单申辩。"
    empty = await chat.feed(make_message(f"/object {record.id}", user=office.other,
                                         date=local(11, 23, 9)))  # fmt: skip
    assert empty[-1].text.startswith("用法：/object")
    await chat.feed(make_message("点赞 @赵丽 材料好", user=office.head, date=local(11, 23, 9)))
    like = (await session.exec(select(Record).where(Record.kind == "like"))).one()
    liked = await chat.feed(make_message(f"/object {like.id} 理由", user=office.other,
                                         date=local(11, 23, 10)))  # fmt: skip
    assert liked[-1].text == "只有错情和负面清单可以申辩。"
    assert (await session.exec(select(Objection))).all() == []


async def test_open_objections_are_listed_to_the_office_at_publicity(
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
    office: Office,
    chat: Chat,
    roster: Roster,
    fake: FakeSession,
    session: AsyncSession,
    quarter3: date,
) -> None:
    await chat.feed(make_message("错情 @赵丽 台账缺页", user=office.head, date=local(9, 29, 11)))
    record = (await session.exec(select(Record).where(Record.kind == "error"))).one()
    await chat.feed(make_message(f"/object {record.id} 台账已补齐", user=office.other,
                                 date=local(9, 30, 9)))  # fmt: skip
    admin = await roster.bind("周敏")
    fake.clear()
    jobs = make_jobs(sessionmaker, dp, bot, clock)
    clock.at = fire_at(Job.QUARTER_CLOSE, dp["policy"], quarter3, SHANGHAI)
    assert (await jobs.run(Job.QUARTER_CLOSE, quarter3)).status == "done"
    listed = [m.text for m in fake.sent(SendMessage) if int(m.chat_id) == admin.id]
    assert any(t.startswith("📋 2026年第3季度结果公示：以下申辩尚未处理\n#1 赵丽：台账缺页")
               for t in listed)  # fmt: skip
