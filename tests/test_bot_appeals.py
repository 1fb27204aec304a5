"""复核 through the chat: /appeal during 公示 or within 30 days of the annual result,
/appeals, /decide (维持 / 变更, never worse, quota warning), /petition."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from aiogram import Dispatcher
from aiogram.methods import SendMessage, SendPhoto
from aiogram.types import PhotoSize
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.quarter import Quarter
from core.quarter_end import window
from storage import results
from storage.people import get_unit
from storage.tables import Appeal, AuditEntry, PublishedResult
from tests.annual_year import publish_year
from tests.conftest import SHANGHAI, Chat, FakeClock, Roster
from tests.factories import make_message
from tests.fakes import FakeSession

Q4 = Quarter(2026, 4)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).astimezone(UTC)


async def a_fairly_good_person(session: AsyncSession) -> str:
    unit = await get_unit(session)
    assert unit is not None and unit.id is not None
    snapshot = await results.published(session, unit_id=unit.id, quarter=Q4)
    assert snapshot is not None
    return next(
        p["name"] for p in snapshot.people
        if p["group"] == "一般工作人员" and p["grade"] == "fairly_good"
    )  # fmt: skip


@pytest.fixture
async def in_publicity(
    roster: Roster, sessionmaker: async_sessionmaker[AsyncSession], dp: Dispatcher
) -> date:
    """2026 published; Q4 in its 公示. Returns a day in the 公示."""
    await publish_year(sessionmaker, final=False)
    return window(dp["policy"], dp["calendar"], Q4).publicity_end


async def test_quarterly_appeal_changed_never_worse_with_quota_warning(
    in_publicity: date,
    chat: Chat,
    roster: Roster,
    fake: FakeSession,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    admin = await roster.bind("周敏")
    name = await a_fairly_good_person(session)
    person = await roster.bind(name)
    day = at(in_publicity)

    empty = await chat.feed(make_message("/appeal", user=person, date=day))
    assert empty[-1].text.startswith("用法：/appeal")
    long = await chat.feed(make_message("/appeal " + "很" * 501, user=person, date=day))
    assert "500字以内" in long[-1].text
    assert (await session.exec(select(Appeal))).all() == []

    fake.clear()
    filed = await chat.feed(make_message("/appeal 第四季度专项任务未计入", user=person, date=day))
    mine = [m for m in filed if int(m.chat_id) == person.id][-1].text
    assert mine.startswith("📨 已收到你对2026年第4季度考核结果的复核申请（编号1）")
    office = fake.last_message(admin.id).text
    assert office.startswith(f"📨 复核申请 #1：{name}")
    assert "理由：第四季度专项任务未计入" in office and "本人结果明细" in office
    again = await chat.feed(make_message("/appeal 再次申请", user=person, date=day))
    assert "你已申请复核（编号1）" in again[-1].text

    listed = await chat.feed(make_message("/appeals", user=admin, date=day))
    assert f"#1 {name} 2026年第4季度" in listed[-1].text
    denied = await chat.feed(make_message("/decide 1 维持 理由", user=person, date=day))
    assert "只有考核办" in denied[-1].text

    worse = await chat.feed(make_message("/decide 1 变更 一般 重新评定", user=admin, date=day))
    assert worse[-1].text.startswith("复核不得作出更不利的变更")
    lower = await chat.feed(make_message("/decide 1 变更 较好 10 降分", user=admin, date=day))
    assert lower[-1].text.startswith("复核不得作出更不利的变更")
    assert (await session.exec(select(Appeal))).one().status == "open"

    fake.clear()
    done = await chat.feed(make_message("/decide 1 变更 好 专项任务属实", user=admin, date=day))
    assert done[-1].text.startswith("✅ 复核 #1 已变更，已书面告知本人")
    assert "⚠️ 变更后一般工作人员“好”等次 13 人，超过名额 12 人" in done[-1].text
    letter = fake.last_message(person.id).text
    assert letter.startswith("📄 复核决定书（编号1）") and "较好 → " in letter and "好" in letter
    assert "申诉" not in letter  # only after a 维持

    # The published row is kept; the current version is the 变更, and says so.
    async with sessionmaker() as s:
        target = (await s.exec(select(Appeal))).one()
        kept = (
            await s.exec(
                select(PublishedResult).where(PublishedResult.person_id == target.person_id)
            )
        ).all()
        assert any(r.grade == "fairly_good" for r in kept)
        unit = await get_unit(s)
        assert unit is not None and unit.id is not None
        current = await results.published(s, unit_id=unit.id, quarter=Q4)
        assert current is not None
        row = current.person(target.person_id)
        assert row is not None and row["grade"] == "good" and row["revision"]["version"] == 2
        assert row["explain"][0].endswith("好（复核变更：专项任务属实）")
        actions = [e.action for e in (await s.exec(select(AuditEntry))).all()]
    assert actions.count("appeal_file") == 1 and actions.count("appeal_decide") == 1
    me = await chat.feed(make_message("/me", user=person, date=day))
    assert any("复核已变更" in m.text for m in me)


async def test_a_photo_can_come_with_the_request(
    in_publicity: date, chat: Chat, roster: Roster, fake: FakeSession
) -> None:
    admin = await roster.bind("周敏")
    person = await roster.bind("赵丽")
    photo = [PhotoSize(file_id="proof", file_unique_id="p", width=800, height=600)]
    await chat.feed(
        make_message(None, user=person, photo=photo, caption="/appeal 见附件证明",
                     date=at(in_publicity))
    )  # fmt: skip
    sent = [p for p in fake.sent(SendPhoto) if int(p.chat_id) == admin.id]
    assert [p.photo for p in sent] == ["proof"]
    notes = [m.text for m in fake.sent(SendMessage) if int(m.chat_id) == admin.id]
    assert any("附件：1个" in t for t in notes)


async def test_a_quarterly_appeal_after_publicity_is_refused(
    in_publicity: date, chat: Chat, roster: Roster, session: AsyncSession
) -> None:
    person = await roster.bind("赵丽")
    late = at(in_publicity + timedelta(days=1), 9)
    sent = await chat.feed(make_message("/appeal 太晚了", user=person, date=late))
    assert sent[-1].text.startswith("已超过复核申请期限")
    assert (await session.exec(select(Appeal))).all() == []


async def test_annual_appeal_upheld_then_petition_and_after_30_days_refused(
    roster: Roster,
    sessionmaker: async_sessionmaker[AsyncSession],
    dp: Dispatcher,
    chat: Chat,
    fake: FakeSession,
    session: AsyncSession,
) -> None:
    await publish_year(sessionmaker)
    received = window(dp["policy"], dp["calendar"], Q4).final
    admin = await roster.bind("周敏")
    person = await roster.bind("徐丽娟")
    day = at(received + timedelta(days=3))
    filed = await chat.feed(make_message("/appeal 年度 应评为优秀", user=person, date=day))
    mine = [m.text for m in filed if int(m.chat_id) == person.id]
    assert "2026年度考核结果的复核申请（编号1）" in mine[-1]
    assert (await session.exec(select(Appeal))).one().kind == "annual"

    fake.clear()
    uphold = "/decide 1 维持 名额已满，按排名确定"
    kept = await chat.feed(make_message(uphold, user=admin, date=day))
    assert kept[-1].text.startswith("✅ 复核 #1 已维持")
    letter = fake.last_message(person.id).text
    assert "决定：维持原结果" in letter
    petition_day = (received + timedelta(days=3) + timedelta(days=15)).strftime("%-m月%-d日")
    assert f"可于{petition_day}前向上一级机关提出申诉" in letter
    decided = await chat.feed(make_message("/decide 1 变更 优秀 改", user=admin, date=day))
    assert "已经作出决定" in decided[-1].text
    marked = await chat.feed(make_message("/petition 1 已向市人社局申诉", user=admin, date=day))
    assert marked[-1].text.startswith("✅ 已记录")
    session.expire_all()
    assert (await session.exec(select(Appeal))).one().petition_at is not None

    late = at(received + timedelta(days=31))
    other = await roster.bind("黄磊")
    refused = await chat.feed(make_message("/appeal 年度 不服", user=other, date=late))
    assert refused[-1].text.startswith("已超过复核申请期限")


async def test_annual_change_to_excellent_warns_over_the_quota(
    roster: Roster,
    sessionmaker: async_sessionmaker[AsyncSession],
    dp: Dispatcher,
    chat: Chat,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await publish_year(sessionmaker)
    received = window(dp["policy"], dp["calendar"], Q4).final
    admin = await roster.bind("周敏")
    person = await roster.bind("黄磊")  # 基本称职 (a vetoed quarter)
    day = at(received + timedelta(days=1))
    await chat.feed(make_message("/appeal 2026 一票否决事项已撤销", user=person, date=day))
    done = await chat.feed(make_message("/decide 1 变更 优秀 否决已撤销", user=admin, date=day))
    assert "⚠️ 变更后一般工作人员“优秀”等次 7 人，超过名额 6 人" in done[-1].text
    mine = await chat.feed(make_message("/annual 2026", user=person, date=day))
    assert "优秀" in mine[-1].text and "复核变更：否决已撤销" in mine[-1].text
    assert not [m for m in mine if isinstance(m, SendMessage) and "基本称职" in m.text]


async def test_appeal_remind_tells_the_office_before_the_decision_is_due(
    in_publicity: date,
    chat: Chat,
    roster: Roster,
    dp: Dispatcher,
    fake: FakeSession,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
) -> None:
    from bot.jobs import Jobs
    from bot.sender import Limits
    from core.jobs import Job, fire_at

    admin = await roster.bind("周敏")
    person = await roster.bind("赵丽")
    await chat.feed(make_message("/appeal 请复核", user=person, date=at(in_publicity)))
    due = (await session.exec(select(Appeal))).one().decide_by
    jobs = Jobs(
        sessionmaker=sessionmaker, policy=dp["policy"], zone=SHANGHAI, bot=chat.bot,
        calendar=dp["calendar"], clock=clock, limits=Limits.unlimited(), owner="test",
    )  # fmt: skip
    fake.clear()
    early = in_publicity + timedelta(days=1)
    while not dp["calendar"].is_workday(early):
        early += timedelta(days=1)
    clock.at = fire_at(Job.APPEAL_REMIND, dp["policy"], early, SHANGHAI)
    assert (await jobs.run(Job.APPEAL_REMIND, early)).status == "done"
    assert fake.sent(SendMessage) == []
    clock.at = fire_at(Job.APPEAL_REMIND, dp["policy"], due, SHANGHAI)
    assert (await jobs.run(Job.APPEAL_REMIND, due)).status == "done"
    assert fake.last_message(admin.id).text.startswith("⏰ 复核决定即将到期：\n#1 赵丽")
