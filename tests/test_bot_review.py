"""审阅 (「已阅」) and 批复 by leaders, through the real dispatcher."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup, SendMessage
from aiogram.types import Message
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import Report, ReportReply, ReportReview
from tests.conftest import OFFICE_GROUP, Chat, Office, Roster, local
from tests.factories import make_callback, make_message


async def file_and_get_echo(chat: Chat, office: Office) -> Message:
    """杨帆 files privately; return the echo message in the office group."""
    await chat.feed(make_message("走访企业 5 家", user=office.member, date=local(11, 20, 10)))
    echo = next(m for m in chat.fake.sent(SendMessage) if m.chat_id == OFFICE_GROUP)
    return chat.fake._message(
        echo.chat_id, text=echo.text, reply_markup=echo.reply_markup
    ).model_copy(update={"message_id": 700})


async def press(chat: Chat, user, echo: Message) -> AnswerCallbackQuery:  # type: ignore[no-untyped-def]
    data = echo.reply_markup.inline_keyboard[0][0].callback_data  # type: ignore[union-attr]
    before = len(chat.fake.requests)
    await chat.dp.feed_update(chat.bot, make_callback(data, user=user, message=echo))
    return next(r for r in chat.fake.requests[before:] if isinstance(r, AnswerCallbackQuery))


async def remember_echo(session: AsyncSession, message_id: int) -> None:
    from storage.tables import ReportItem

    item = (await session.exec(select(ReportItem))).one()
    item.echo_message_id = message_id
    session.add(item)
    await session.commit()


async def test_head_marks_reviewed_and_the_button_names_them(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    echo = await file_and_get_echo(chat, office)
    await remember_echo(session, echo.message_id)
    answer = await press(chat, office.head, echo)
    assert answer.text == "已标记为已阅 ✅" and not answer.show_alert
    edit = chat.fake.sent(EditMessageReplyMarkup)[-1]
    assert edit.message_id == echo.message_id
    assert edit.reply_markup.inline_keyboard[0][0].text == "✅ 已阅：陈静"
    report = (await session.exec(select(Report))).one()
    await session.refresh(report)
    assert report.reviewed_at is not None


async def test_supervisor_may_review_too_and_twice_is_once(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    echo = await file_and_get_echo(chat, office)
    await press(chat, office.supervisor, echo)
    again = await press(chat, office.supervisor, echo)
    assert again.text == "你已经审阅过了。"
    assert len((await session.exec(select(ReportReview))).all()) == 1


async def test_non_leaders_get_an_alert_and_nothing_changes(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession
) -> None:
    echo = await file_and_get_echo(chat, office)
    other_head = await roster.bind("马骏")  # head of 法规科, no authority over 办公室
    for user, expected in (
        (office.other, "只有本部门负责人、分管领导或主要领导可以审阅。"),
        (other_head, "只有本部门负责人、分管领导或主要领导可以审阅。"),
        (office.member, "不能审阅自己的报告。"),
    ):
        answer = await press(chat, user, echo)
        assert answer.text == expected and answer.show_alert
    assert (await session.exec(select(ReportReview))).all() == []
    assert chat.fake.sent(EditMessageReplyMarkup) == []


async def test_forged_callback_data_is_refused(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    echo = await file_and_get_echo(chat, office)
    before = len(chat.fake.requests)
    await chat.dp.feed_update(chat.bot, make_callback("rv:99999", user=office.head, message=echo))
    await chat.dp.feed_update(chat.bot, make_callback("rv:abc", user=office.head, message=echo))
    answers = [r for r in chat.fake.requests[before:] if isinstance(r, AnswerCallbackQuery)]
    assert [a.text for a in answers] == ["找不到这份报告。", "找不到这份报告。"]
    assert (await session.exec(select(ReportReview))).all() == []


async def test_leader_text_reply_is_a_pifu_sent_to_the_author(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    echo = await file_and_get_echo(chat, office)
    await remember_echo(session, echo.message_id)
    sent = await chat.feed(
        make_message(
            "数据再核实一下 <b>务必</b>", user=office.head, chat=office.group, reply_to=echo
        )
    )
    private = next(m for m in sent if m.chat_id == office.member.id)
    assert private.text == "💬 陈静 批复了你 11月20日 的日报：\n数据再核实一下 <b>务必</b>"
    assert private.parse_mode is None or private.parse_mode.__class__.__name__ == "Default"
    confirm = next(m for m in sent if m.chat_id == OFFICE_GROUP)
    assert confirm.text == "✅ 批复已送达 杨帆"
    reply = (await session.exec(select(ReportReply))).one()
    assert reply.text == "数据再核实一下 <b>务必</b>"
    assert len((await session.exec(select(ReportReview))).all()) == 1  # a 批复 is also a review


async def test_reply_by_a_colleague_is_just_chatter(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    echo = await file_and_get_echo(chat, office)
    await remember_echo(session, echo.message_id)
    sent = await chat.feed(
        make_message("辛苦了", user=office.other, chat=office.group, reply_to=echo)
    )
    assert sent == []
    assert (await session.exec(select(ReportReply))).all() == []


async def test_pifu_delivered_twice_is_stored_once(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    echo = await file_and_get_echo(chat, office)
    await remember_echo(session, echo.message_id)
    update = make_message("好", user=office.head, chat=office.group, reply_to=echo)
    await chat.feed(update)
    assert await chat.feed(update) == []
    assert len((await session.exec(select(ReportReply))).all()) == 1
