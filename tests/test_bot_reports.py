"""Daily and weekly reports by chat, through the real dispatcher (DESIGN §3)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiogram.methods import EditMessageText, SendMessage, SendPhoto
from aiogram.types import Document, PhotoSize, Sticker, Voice
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import ChatGroup, Report, ReportItem, ReportItemRevision
from tests.conftest import OFFICE_GROUP, Chat, Office, Roster, local
from tests.factories import make_callback, make_group, make_message


async def reports(session: AsyncSession) -> list[tuple[str, str, str, int]]:
    """(day, kind, status, items) of every report."""
    rows = await session.exec(select(Report).order_by(col(Report.id)))
    result = []
    for report in rows.all():
        count = len(
            (await session.exec(select(ReportItem).where(ReportItem.report_id == report.id))).all()
        )
        result.append((report.day.isoformat(), report.kind, report.status, count))
    return result


async def test_private_text_is_todays_report_acknowledged_and_echoed(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    sent = await chat.feed(
        make_message("走访辖区企业 5 家", user=office.member, date=local(11, 20, 10))
    )
    ack = next(m for m in sent if m.chat_id == office.member.id)
    assert ack.text == "✅ 已记录 11月20日 日报（按时），共 1 条。"
    echo = next(m for m in sent if m.chat_id == OFFICE_GROUP)
    assert (
        echo.text.startswith("📝 杨帆｜11月20日 日报（按时）") and "走访辖区企业 5 家" in echo.text
    )
    assert echo.reply_markup.inline_keyboard[0][0].text == "👀 已阅"
    assert await reports(session) == [("2026-11-20", "daily", "on_time", 1)]


async def test_more_messages_the_same_day_are_items_of_one_report(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    await chat.feed(make_message("上午：整理档案", user=office.member, date=local(11, 20, 11)))
    sent = await chat.feed(
        make_message("下午：参加培训", user=office.member, date=local(11, 20, 21))
    )
    assert (
        sent[0].text == "✅ 已记录 11月20日 日报（按时），共 2 条。"
    )  # status set at first filing
    assert "第2条" in sent[1].text
    assert await reports(session) == [("2026-11-20", "daily", "on_time", 2)]


@pytest.mark.parametrize(
    ("when", "day", "status"),
    [
        (local(11, 19, 23, 59), "2026-11-19", "late"),  # 23:59 Shanghai is still the 19th
        (
            local(11, 20, 0, 1),
            "2026-11-20",
            "on_time",
        ),  # 00:01 is the 20th (16:01 UTC on the 19th)
        (local(11, 20, 19, 59, 59), "2026-11-20", "on_time"),
        (local(11, 20, 20, 0, 0), "2026-11-20", "late"),  # the deadline itself is late
        (local(11, 21, 10), "2026-11-21", "voluntary"),  # Saturday
        (local(10, 10, 10), "2026-10-10", "on_time"),  # 调休 Saturday is a working day
    ],
)
async def test_local_day_and_status(
    chat: Chat, office: Office, session: AsyncSession, when: datetime, day: str, status: str
) -> None:
    labels = {"on_time": "按时", "late": "迟报", "voluntary": "自愿"}
    sent = await chat.feed(make_message("工作内容", user=office.member, date=when))
    assert f"（{labels[status]}）" in sent[0].text
    assert await reports(session) == [(day, "daily", status, 1)]


async def test_times_are_stored_in_utc(chat: Chat, office: Office, session: AsyncSession) -> None:
    await chat.feed(make_message("工作内容", user=office.member, date=local(11, 19, 23, 59)))
    item = (await session.exec(select(ReportItem))).one()
    assert item.created_at == datetime(2026, 11, 19, 15, 59, tzinfo=UTC)


async def test_double_delivery_stores_once(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    update = make_message("只发了一次", user=office.member, date=local(11, 20, 9))
    await chat.feed(update)
    assert await chat.feed(update) == []  # Telegram delivers the same update again
    assert await reports(session) == [("2026-11-20", "daily", "on_time", 1)]
    # the same message under another update id (e.g. claimed by a replica that then died)
    again = update.model_copy(update={"update_id": update.update_id + 10_000})
    sent = await chat.feed(again)
    assert await reports(session) == [("2026-11-20", "daily", "on_time", 1)]
    assert [m.chat_id for m in sent] == [office.member.id]  # acknowledged, not echoed twice


async def test_daily_command_and_backfill(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    sent = await chat.feed(
        make_message("/daily 11-18 补：起草通知", user=office.member, date=local(11, 20, 9))
    )
    assert sent[0].text == "✅ 已记录 11月18日 日报（补报），共 1 条。"
    await chat.feed(make_message("/daily 今天的工作", user=office.member, date=local(11, 20, 9)))
    assert await reports(session) == [
        ("2026-11-18", "daily", "backfill", 1),
        ("2026-11-20", "daily", "on_time", 1),
    ]


async def test_backfill_past_the_window_is_refused(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    sent = await chat.feed(
        make_message("/daily 11-16 太久了", user=office.member, date=local(11, 20, 9))
    )
    assert sent[0].text == "只能补报 3 天内的日报。更早的请联系考核办。"
    sent = await chat.feed(
        make_message("/daily 11-23 明天的", user=office.member, date=local(11, 20, 9))
    )
    assert "不能提前" in sent[0].text
    sent = await chat.feed(make_message("/daily", user=office.member, date=local(11, 20, 9)))
    assert "/daily 后面写上内容" in sent[0].text
    assert await reports(session) == []


async def test_group_hash_report_in_own_department_group(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    sent = await chat.feed(
        make_message(
            "#日报 接待群众来访 3 人", user=office.member, chat=office.group, date=local(11, 20, 9)
        )
    )
    assert len(sent) == 1  # the acknowledgement carries the 「已阅」 button: no second echo
    # the group sees whose report it is
    assert sent[0].chat_id == OFFICE_GROUP and sent[0].text == "✅ 杨帆 11月20日日报已记录（按时）"
    assert sent[0].reply_markup.inline_keyboard[0][0].callback_data.startswith("rv:")
    item = (await session.exec(select(ReportItem))).one()
    assert item.text == "接待群众来访 3 人" and item.echo_chat_id == OFFICE_GROUP
    again = await chat.feed(
        make_message(
            "#日报 整理档案", user=office.member, chat=office.group, date=local(11, 20, 10)
        )
    )
    assert again[0].text == "✅ 杨帆 11月20日日报第2条已记录（按时）"


async def test_group_chatter_is_not_a_report(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    assert (
        await chat.feed(make_message("大家中午吃什么", user=office.member, chat=office.group))
        == []
    )
    assert await reports(session) == []


async def test_edit_updates_the_item_keeps_history_and_the_echo(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    original = make_message("走访企业 3 家", user=office.member, date=local(11, 20, 9))
    await chat.feed(original)
    edited = original.message.model_copy(
        update={"text": "走访企业 4 家", "edit_date": int(local(11, 20, 9, 30).timestamp())}
    )
    before = len(chat.fake.requests)
    await chat.dp.feed_update(chat.bot, make_message_update(edited=edited))
    calls = chat.fake.requests[before:]
    assert any(isinstance(c, SendMessage) and "已更新 11月20日 日报第1条" in c.text for c in calls)
    assert any(isinstance(c, EditMessageText) and "走访企业 4 家" in c.text for c in calls)
    item = (await session.exec(select(ReportItem))).one()
    await session.refresh(item)
    assert item.text == "走访企业 4 家"
    assert [r.text for r in (await session.exec(select(ReportItemRevision))).all()] == [
        "走访企业 3 家"
    ]


def make_message_update(*, edited):  # type: ignore[no-untyped-def]
    from tests.factories import make_update

    return make_update(edited_message=edited)


async def test_photo_with_caption_is_a_report_with_its_file(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    photo = [PhotoSize(file_id="small", file_unique_id="s", width=90, height=90),
             PhotoSize(file_id="big", file_unique_id="b", width=1280, height=960)]  # fmt: skip
    await chat.feed(
        make_message(
            None, user=office.member, photo=photo, caption="现场检查照片", date=local(11, 20, 9)
        )
    )
    item = (await session.exec(select(ReportItem))).one()
    assert (item.text, item.file_id, item.file_kind) == ("现场检查照片", "big", "photo")
    echo = chat.fake.sent(SendPhoto)[0]
    assert echo.chat_id == OFFICE_GROUP and echo.photo == "big" and "现场检查照片" in echo.caption


async def test_document_with_caption_keeps_the_file(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    doc = Document(file_id="doc-1", file_unique_id="d1", file_name="总结.docx")
    await chat.feed(
        make_message(
            None, user=office.member, document=doc, caption="季度总结", date=local(11, 20, 9)
        )
    )
    item = (await session.exec(select(ReportItem))).one()
    assert (item.text, item.file_id, item.file_kind) == ("季度总结", "doc-1", "document")


@pytest.mark.parametrize(
    "fields",
    [
        {
            "sticker": Sticker(
                file_id="st",
                file_unique_id="st",
                type="regular",
                width=1,
                height=1,
                is_animated=False,
                is_video=False,
            )
        },  # fmt: skip
        {"voice": Voice(file_id="v", file_unique_id="v", duration=3)},
        {"photo": [PhotoSize(file_id="p", file_unique_id="p", width=1, height=1)]},  # no caption
        {"text": "   "},
    ],
)
async def test_stickers_voice_and_empty_get_a_hint_and_nothing_is_stored(
    chat: Chat, office: Office, session: AsyncSession, fields: dict[str, object]
) -> None:
    text = fields.pop("text", None)
    sent = await chat.feed(make_message(text, user=office.member, date=local(11, 20, 9), **fields))  # type: ignore[arg-type]
    assert len(sent) == 1 and sent[0].chat_id == office.member.id
    assert "\n" not in sent[0].text
    assert await reports(session) == []


async def test_unknown_command_is_not_filed(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    sent = await chat.feed(make_message("/dayly 打错了", user=office.member))
    assert sent[0].text == "暂不支持该命令，请发送 /help 查看可用命令。"
    assert await reports(session) == []


async def test_an_unreadable_date_is_refused_politely(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    sent = await chat.feed(
        make_message("/daily 13-45 走访企业", user=office.member, date=local(11, 20, 9))
    )
    assert sent[0].text == "日期「13-45」无法识别，请按 11-20 的格式填写。"
    assert await reports(session) == []


async def test_echo_switch_off(
    chat: Chat, office: Office, session: AsyncSession, dp, settings, sessionmaker
) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from bot.app import make_dispatcher
    from core.policy import Policy, Schedule

    quiet = make_dispatcher(
        settings,
        sessionmaker,
        policy=Policy(schedule=replace(Schedule(), echo_to_group=False)),
        catch_errors=False,
    )
    quiet_chat = Chat(quiet, chat.bot, chat.fake)
    sent = await quiet_chat.feed(make_message("不回显", user=office.member, date=local(11, 20, 9)))
    assert [m.chat_id for m in sent] == [office.member.id]


async def test_weekly_draft_from_the_weeks_items_then_submit(
    chat: Chat, office: Office, session: AsyncSession, clock
) -> None:
    clock.at = local(11, 20, 15, 1)
    await chat.feed(make_message("周一：走访企业", user=office.member, date=local(11, 16, 10)))
    await chat.feed(make_message("周三：起草通知", user=office.member, date=local(11, 18, 10)))
    sent = await chat.feed(make_message("/weekly", user=office.member, date=local(11, 20, 15)))
    offer = sent[0]
    assert "周一：周一：走访企业" in offer.text and "周三：周三：起草通知" in offer.text
    buttons = [b.callback_data for b in offer.reply_markup.inline_keyboard[0]]
    assert buttons == ["wk:draft", "wk:own"]
    offer_message = chat.fake.requests[-1]
    offer_obj = await_result_message(chat, offer_message)
    sent = await chat.feed(make_callback("wk:draft", user=office.member, message=offer_obj))
    assert any("已记录 周报（截止 11月20日，按时）" in m.text for m in sent)
    weekly = (await session.exec(select(Report).where(Report.kind == "weekly"))).one()
    assert weekly.day.isoformat() == "2026-11-20"
    item = (await session.exec(select(ReportItem).where(ReportItem.report_id == weekly.id))).one()
    assert "起草通知" in item.text


def await_result_message(chat: Chat, method):  # type: ignore[no-untyped-def]
    """The Message the fake Bot API answered for a recorded SendMessage."""
    return chat.fake._message(method.chat_id, text=method.text, reply_markup=method.reply_markup)


async def test_weekly_write_your_own(chat: Chat, office: Office, session: AsyncSession) -> None:
    sent = await chat.feed(make_message("/weekly", user=office.member, date=local(11, 20, 21)))
    offer = await_result_message(chat, chat.fake.requests[-1])
    sent = await chat.feed(make_callback("wk:own", user=office.member, message=offer))
    assert "请发送你的周报内容" in sent[0].text
    sent = await chat.feed(
        make_message("本周完成三项重点工作", user=office.member, date=local(11, 20, 21, 5))
    )
    assert "已记录 周报（截止 11月20日，迟报）" in sent[0].text
    assert await reports(session) == [("2026-11-20", "weekly", "late", 1)]
    # the next message is a daily report again
    await chat.feed(make_message("日常工作", user=office.member, date=local(11, 20, 21, 6)))
    assert ("2026-11-20", "daily", "late", 1) in await reports(session)


async def test_weekly_in_group(chat: Chat, office: Office, session: AsyncSession) -> None:
    await chat.feed(
        make_message(
            "#周报 本周重点：迎检", user=office.member, chat=office.group, date=local(11, 19, 9)
        )
    )
    assert await reports(session) == [("2026-11-20", "weekly", "on_time", 1)]


async def test_report_from_another_bound_group_is_echoed_to_the_department(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession
) -> None:
    admin = await roster.bind("周敏")
    unit_group = make_group(-100_900, "全局群")
    await chat.feed(make_message("/bindgroup 全单位", user=admin, chat=unit_group))
    sent = await chat.feed(
        make_message(
            "#日报 在全局群报", user=office.member, chat=unit_group, date=local(11, 20, 9)
        )
    )
    assert [m.chat_id for m in sent] == [-100_900, OFFICE_GROUP]
    assert (await session.exec(select(ChatGroup))).all()


async def test_stranger_hash_report_in_group_is_not_recorded(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    from tests.factories import make_user

    sent = await chat.feed(make_message("#日报 我是谁", user=make_user(777), chat=office.group))
    assert "还没有绑定" in sent[0].text
    assert await reports(session) == []
