"""/status for a person, /stats for leaders and admins; the calendar fallback warning."""

from __future__ import annotations

from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.conftest import Chat, Office, Roster, local
from tests.factories import make_callback, make_message


async def file(chat: Chat, user, month: int, day: int, hour: int) -> None:  # type: ignore[no-untyped-def]
    await chat.feed(make_message(f"{month}-{day} 的工作", user=user, date=local(month, day, hour)))


async def test_status_shows_the_week_day_by_day(chat: Chat, office: Office) -> None:
    await file(chat, office.member, 11, 16, 10)  # Mon on time
    await file(chat, office.member, 11, 17, 21)  # Tue late
    await chat.feed(
        make_message("/daily 11-18 补", user=office.member, date=local(11, 19, 9))
    )  # Wed backfill
    await chat.feed(make_message("/leave 11-19 培训", user=office.member, date=local(11, 19, 8)))
    (reply,) = await chat.feed(make_message("/status", user=office.member, date=local(11, 20, 15)))
    assert reply.text.splitlines() == [
        "📋 杨帆 本周（11月16日—11月20日）",  # the week's working days
        "周一 11月16日 ✅ 按时",
        "周二 11月17日 ⏰ 迟报",
        "周三 11月18日 📌 补报",
        "周四 11月19日 培训（无需填报）",  # its kind, read from the reason
        "周五 11月20日 ⏳ 今天（截止 20:00）",
        "周报：未交（截止 11月20日 20:00）",
        "本周没有缺报 👍",
    ]


async def test_status_tells_who_read_a_report_and_their_pifu(
    chat: Chat, office: Office, session: AsyncSession, clock
) -> None:  # type: ignore[no-untyped-def]
    from tests.test_bot_review import file_and_get_echo, press, remember_echo

    echo = await file_and_get_echo(chat, office)  # 杨帆, 11-20
    await remember_echo(session, echo.message_id)
    clock.at = local(11, 20, 11)
    await press(chat, office.supervisor, echo)  # 李红梅: 已阅
    await chat.feed(
        make_message("请把第二家的\n整改情况附上", user=office.head, chat=office.group,
                     reply_to=echo, date=local(11, 20, 12))
    )  # fmt: skip
    (reply,) = await chat.feed(make_message("/status", user=office.member, date=local(11, 20, 15)))
    lines = reply.text.splitlines()
    at = lines.index("周五 11月20日 ✅ 按时")
    assert lines[at + 1 : at + 3] == [
        "　👀 已阅：李红梅、陈静",  # a 批复 counts as read
        "　💬 陈静批复：请把第二家的 整改情况附上",
    ]
    # someone else's /status shows nothing of it
    (other,) = await chat.feed(make_message("/status", user=office.other, date=local(11, 20, 15)))
    assert "已阅" not in other.text and "批复" not in other.text


async def test_status_after_the_deadline_counts_today_missing(chat: Chat, office: Office) -> None:
    (reply,) = await chat.feed(
        make_message("/status", user=office.member, date=local(11, 18, 20, 30))
    )
    assert "周三 11月18日 ❌ 未报" in reply.text and "本周缺报 3 天。" in reply.text


async def test_stats_for_a_head_and_refusal_for_a_member(
    chat: Chat, office: Office, roster: Roster
) -> None:
    for user in (office.member, office.other):
        await file(chat, user, 11, 16, 10)
    await file(chat, office.member, 11, 17, 10)
    (reply,) = await chat.feed(make_message("/stats", user=office.head, date=local(11, 17, 21)))
    # 办公室 has 5 members (陈静 included); Mon+Tue = 10 required days, 3 filed; none reviewed
    assert reply.text.splitlines() == [
        "📊 填报率与审阅率（统计到 11月17日）",
        "办公室（5人）",
        "  本周 填报 30% 审阅 0%｜本月 填报 5% 审阅 0%",  # 12 working days × 5 in Nov
    ]
    (denied,) = await chat.feed(make_message("/stats", user=office.member, date=local(11, 17, 21)))
    assert "只有部门负责人" in denied.text


async def test_review_rate_moves_when_a_leader_reviews(chat: Chat, office: Office, clock) -> None:  # type: ignore[no-untyped-def]
    await file(chat, office.member, 11, 16, 10)
    echo = next(m for m in chat.fake.requests if getattr(m, "chat_id", 0) == office.group.id)
    message: Message = chat.fake._message(
        echo.chat_id, text=echo.text, reply_markup=echo.reply_markup
    )
    clock.at = local(11, 16, 11)
    await chat.feed(
        make_callback(
            echo.reply_markup.inline_keyboard[0][0].callback_data,
            user=office.head,
            message=message,
        )
    )
    (reply,) = await chat.feed(
        make_message("/stats", user=office.supervisor, date=local(11, 16, 21))
    )
    assert "本周 填报 20% 审阅 100%" in reply.text


async def test_admin_sees_every_department(chat: Chat, office: Office, roster: Roster) -> None:
    admin = await roster.bind("周敏")
    (reply,) = await chat.feed(make_message("/stats", user=admin, date=local(11, 17, 21)))
    lines = reply.text.splitlines()
    assert lines[1].startswith("合计（") and any(
        line.startswith("城西市场监管所（6人）") for line in lines
    )


async def test_unknown_calendar_year_tells_admins_once(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession
) -> None:
    admin = await roster.bind("周敏")
    boss = await roster.bind("吴刚")  # head of 人事科, also admin
    sent = await chat.feed(
        make_message("新年第一份日报", user=office.member, date=local(1, 4, 10, year=2027))
    )
    warned = sorted(m.chat_id for m in sent if "2027" in m.text and "法定节假日" in m.text)
    assert warned == sorted([admin.id, boss.id])
    assert any(
        "（按时）" in m.text for m in sent if m.chat_id == office.member.id
    )  # a working day under the statutory fallback
    sent = await chat.feed(
        make_message("第二份", user=office.member, date=local(1, 5, 10, year=2027))
    )
    assert not any("法定节假日" in m.text for m in sent)
