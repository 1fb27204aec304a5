"""/leave: record, list, cancel; admins for others; leave excuses required days."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import AuditEntry, Leave
from tests.conftest import Chat, Office, Roster, local
from tests.factories import make_callback, make_message


async def active_leave(session: AsyncSession) -> list[tuple[str, str, str]]:
    rows = await session.exec(select(Leave).where(Leave.cancelled_at.is_(None)))  # type: ignore[union-attr]
    return [(lv.start.isoformat(), lv.end.isoformat(), lv.reason) for lv in rows.all()]


async def test_person_records_leave(chat: Chat, office: Office, session: AsyncSession) -> None:
    sent = await chat.feed(
        make_message("/leave 11-24 11-26 出差 北京", user=office.member, date=local(11, 20, 9))
    )
    # 出差 is not 请假, and no beach: the kind is read from the reason
    assert sent[0].text == "✅ 已登记 11月24日—11月26日 出差（北京），这 3 个工作日无需填报日报。"
    assert await active_leave(session) == [("2026-11-24", "2026-11-26", "出差 北京")]


async def test_leave_kinds_are_read_from_the_reason(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    for text, expected in (
        ("/leave 11-23 省局培训", "✅ 已登记 11月23日 培训（省局培训），当天无需填报日报。"),
        ("/leave 11-24 病假", "✅ 已登记 11月24日 病假，当天无需填报日报。"),
        ("/leave 11-25 家中有事", "✅ 已登记 11月25日 请假（家中有事），当天无需填报日报。"),
        ("/leave 11-29 出差：省厅", "✅ 已登记 11月29日 出差（省厅），其间没有工作日。"),
        ("/leave 11-27 11-28 出差 北京", "其中 1 个工作日无需填报日报"),
    ):
        sent = await chat.feed(make_message(text, user=office.member, date=local(11, 20, 9)))
        assert expected in sent[0].text, text
    listed = await chat.feed(make_message("/leave", user=office.member, date=local(11, 20, 9)))
    assert "1. 11月23日 培训（省局培训）" in listed[0].text
    assert "3. 11月25日 请假（家中有事）" in listed[0].text


async def test_bad_leave_is_refused_with_a_hint(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    for text, expected in (
        ("/leave 11-24 11-26", "请写上事由"),
        ("/leave 11-26 11-24 出差", "结束日期要在开始日期之后"),
        ("/leave 11-01 病假", "只能登记 3 天内或以后的请假"),
        ("/leave 张三 11-24 出差", "只有考核办可以为他人登记请假"),
    ):
        sent = await chat.feed(make_message(text, user=office.member, date=local(11, 20, 9)))
        assert expected in sent[0].text, text
    assert await active_leave(session) == []


async def test_overlapping_leave_is_refused(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    await chat.feed(
        make_message("/leave 11-24 11-26 出差", user=office.member, date=local(11, 20, 9))
    )
    sent = await chat.feed(
        make_message("/leave 11-26 培训", user=office.member, date=local(11, 20, 9))
    )
    assert "这段时间已有登记（11月24日—11月26日）" in sent[0].text
    assert len(await active_leave(session)) == 1


async def test_admin_records_leave_for_someone(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession
) -> None:
    admin = await roster.bind("周敏")
    sent = await chat.feed(
        make_message("/leave @yang_fan88 11-23 培训", user=admin, date=local(11, 20, 9))
    )
    assert sent[0].text == "✅ 已登记 杨帆 11月23日 培训，当天无需填报日报。"
    sent = await chat.feed(
        make_message("/leave 张伟 11-23 培训", user=admin, date=local(11, 20, 9))
    )
    assert "2 人同名" in sent[0].text
    audit = (await session.exec(select(AuditEntry).where(AuditEntry.action == "leave_add"))).all()
    assert [a.subject for a in audit] == ["杨帆"]


async def test_list_and_cancel(chat: Chat, office: Office, session: AsyncSession) -> None:
    await chat.feed(make_message("/leave 11-24 出差", user=office.member, date=local(11, 20, 9)))
    sent = await chat.feed(make_message("/leave", user=office.member, date=local(11, 20, 9)))
    listing = sent[0]
    assert "1. 11月24日 出差" in listing.text
    button = listing.reply_markup.inline_keyboard[0][0]
    message = chat.fake._message(
        listing.chat_id, text=listing.text, reply_markup=listing.reply_markup
    )

    # someone else cannot cancel it
    before = len(chat.fake.requests)
    await chat.dp.feed_update(
        chat.bot, make_callback(button.callback_data, user=office.other, message=message)
    )
    denied = next(r for r in chat.fake.requests[before:] if isinstance(r, AnswerCallbackQuery))
    assert "只能撤销自己的请假" in denied.text
    assert len(await active_leave(session)) == 1

    sent = await chat.feed(
        make_callback(button.callback_data, user=office.member, message=message)
    )
    assert "已撤销 11月24日 的请假" in sent[0].text
    assert await active_leave(session) == []
    assert len((await session.exec(select(Leave))).all()) == 1  # kept, marked cancelled


async def test_leave_makes_a_report_voluntary(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    await chat.feed(make_message("/leave 11-20 调休", user=office.member, date=local(11, 20, 8)))
    sent = await chat.feed(
        make_message("顺手处理了一件急事", user=office.member, date=local(11, 20, 10))
    )
    assert "（自愿）" in sent[0].text
