"""考核办 corrections (/bonus, /veto with confirmation, /void), /policy and /export."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from aiogram.methods import SendDocument
from aiogram.types import User
from openpyxl import load_workbook
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.results import compute
from core.quarter import Quarter
from storage.tables import AuditEntry, Record
from tests.conftest import (
    OFFICE_GROUP,
    SHANGHAI,
    Chat,
    FakeClock,
    Office,
    Roster,
    db_counts,
    local,
)
from tests.factories import make_callback, make_group, make_message

NOW = local(11, 20, 10)


async def press(chat: Chat, user: User, label: str, clock: FakeClock, message=None):  # type: ignore[no-untyped-def]
    """Press the button labelled `label` under the bot's last message to `user`."""
    clock.at = NOW
    message = message or chat.fake.last_message(user.id)
    button = next(
        b for row in message.reply_markup.inline_keyboard for b in row if b.text == label
    )
    return await chat.feed(make_callback(button.callback_data, user=user, message=message))


async def records(session: AsyncSession) -> list[Record]:
    return list((await session.exec(select(Record).order_by(col(Record.id)))).all())


async def test_bonus_asks_then_stores_audits_and_tells_the_person(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession, clock: FakeClock
) -> None:
    admin = await roster.bind("周敏")
    [ask] = await chat.feed(make_message("/bonus 杨帆 2 获市级表彰", user=admin, date=NOW))
    assert ask.text == "请确认：杨帆（办公室）加分 +2：获市级表彰\n计入日期：11月20日"
    assert await records(session) == []
    prompt = chat.fake.last_message(admin.id)
    sent = await press(chat, admin, "✅ 确认", clock)
    [record] = await records(session)
    assert (record.kind, record.points, record.reason, record.day) == (
        "bonus", 2.0, "获市级表彰", date(2026, 11, 20),
    )  # fmt: skip
    by_chat = {int(m.chat_id): m.text for m in sent}
    assert by_chat[admin.id] == (
        f"✅ 已记录 #{record.id}：杨帆 加分 +2：获市级表彰\n如需撤销：/void {record.id} 理由"
    )
    assert by_chat[office.member.id] == "➕ 周敏（考核办）给你加分 +2：获市级表彰"
    entry = (
        await session.exec(select(AuditEntry).where(AuditEntry.action == "record_bonus"))
    ).one()
    assert entry.actor == "周敏" and entry.detail["record_id"] == record.id

    again = await press(chat, admin, "✅ 确认", clock, prompt)  # an old button: nothing more
    assert again == [] and len(await records(session)) == 1

    voided = await chat.feed(make_message(f"/void {record.id} 录入错误", user=admin, date=NOW))
    assert voided[0].text.startswith("↩️") or "撤销" in voided[0].text, voided[0].text
    await session.refresh(record)
    assert record.voided_at is not None and record.void_reason == "录入错误"


async def test_bonus_refusals_change_nothing(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession, sessionmaker, clock
) -> None:  # type: ignore[no-untyped-def]
    admin = await roster.bind("周敏")
    before = await db_counts(sessionmaker)
    cases = [
        (office.head, "/bonus 杨帆 2 好", "只有考核办可以加分、扣分或记负面清单。"),
        (admin, "/bonus 杨帆 2", "用法：/bonus 姓名 [日期] 分值 原因"),
        (admin, "/bonus 杨帆 两分 好", "分值「两分」有误"),
        (admin, "/bonus 杨帆 0 好", "分值「0」有误"),
        (admin, "/bonus 杨帆 6 好", "本季度加分上限 5 分，杨帆 已加 0 分，最多还能加 5 分。"),
        (admin, "/bonus 王不存在 1 好", "王不存在"),
    ]
    for user, text, expected in cases:
        [reply] = await chat.feed(make_message(text, user=user, date=NOW))
        assert expected in reply.text, (text, reply.text)
    [group] = await chat.feed(
        make_message("/bonus 杨帆 1 好", user=admin, chat=make_group(OFFICE_GROUP), date=NOW)
    )
    assert group.text == "加分、扣分和负面清单请在与我的私聊中操作。"
    await chat.feed(make_message("/bonus 杨帆 -1.5 迟到早退", user=admin, date=NOW))
    assert chat.fake.last_message(admin.id).text.startswith("请确认：杨帆（办公室）扣分 -1.5")
    [cancelled] = await press(chat, admin, "✖️ 取消", clock)
    assert cancelled.text == "已取消，未记录。"
    assert await records(session) == [] and await db_counts(sessionmaker) == before


async def test_veto_lists_the_kinds_and_makes_the_grade_poor(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession, clock: FakeClock, dp
) -> None:  # type: ignore[no-untyped-def]
    admin = await roster.bind("周敏")
    [wrong] = await chat.feed(make_message("/veto 杨帆 迟到 经常迟到", user=admin, date=NOW))
    assert wrong.text.startswith("类别「迟到」不在负面清单中。可选：\n· 违纪违法\n")
    [ask] = await chat.feed(make_message("/veto 杨帆 违纪违法 受到党纪处分", user=admin, date=NOW))
    assert ask.text == (
        "请确认：杨帆（办公室）记入负面清单「违纪违法」：受到党纪处分\n"
        "一票否决：本季度等次为较差。\n计入日期：11月20日"
    )
    sent = await press(chat, admin, "✅ 确认", clock)
    [record] = await records(session)
    assert (record.kind, record.severity, record.reason) == ("veto", "违纪违法", "受到党纪处分")
    notice = next(m.text for m in sent if m.text.startswith("⛔ 你被记入负面清单「违纪违法」"))
    assert "周敏" not in notice and f"/object {record.id} 理由" in notice
    assert (await session.exec(select(AuditEntry).where(AuditEntry.action == "record_veto"))).one()
    view = await compute(
        session,
        policy=dp["policy"],
        calendar=dp["calendar"],
        quarter=Quarter(2026, 4),
        now=local(11, 20, 21).astimezone(SHANGHAI),
    )
    member = next(p for p in view.people if p["name"] == "杨帆")
    assert member["grade"] == "poor" and member["vetoes"] == ["违纪违法"]


async def test_policy_in_short(chat: Chat, office: Office) -> None:
    [reply] = await chat.feed(make_message("/policy", user=office.member, date=NOW))
    lines = reply.text.split("\n")
    assert lines[0] == "📐 考核方案：通用方案"
    assert not any("a" <= ch.lower() <= "z" for ch in reply.text)  # no English in chat
    assert "分项：日报填报 30%，审阅批复 10%，多主体评价 40%，指标完成 20%" in lines
    assert any(line.startswith("评价：自评 10%，部门评分 30%") for line in lines)
    assert any("好 不超过 40% 且 ≥80 分" in line for line in lines)
    assert any("加分每季最多 5 分" in line for line in lines)
    assert "负面清单：违纪违法（等次较差）；不服从组织安排造成不良后果（等次较差）" in lines


async def test_export_in_chat_for_admins_only(
    chat: Chat, office: Office, roster: Roster, sessionmaker
) -> None:  # type: ignore[no-untyped-def]
    [denied] = await chat.feed(make_message("/export 2026Q4", user=office.head, date=NOW))
    assert denied.text == "只有考核办可以导出考核结果。"
    assert chat.fake.sent(SendDocument) == []
    admin = await roster.bind("周敏")
    [bad] = await chat.feed(make_message("/export 第四季度", user=admin, date=NOW))
    assert bad.text.startswith("用法：/export 2026Q4")
    await chat.feed(make_message("/export 2026Q4", user=admin, date=NOW))
    [document] = chat.fake.sent(SendDocument)
    assert int(document.chat_id) == admin.id
    assert document.caption == "📎 2026年第4季度 平时考核结果（实时计算，暂定）"
    assert document.document.filename == "平时考核-2026Q4.xlsx"
    book = load_workbook(BytesIO(document.document.data))
    assert {"个人结果", "部门结果", "明细", "日报档案", "审计日志"} <= set(book.sheetnames)
    assert book.sheetnames[:5] == ["汇总表", "登记表", "个人结果", "部门结果", "明细"]
    assert book.sheetnames[5].startswith("填报情况（")
    assert "实时计算，截至 2026-11-19，暂定" in book["个人结果"]["A1"].value


async def test_a_correction_for_the_previous_quarter_until_it_is_published(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession, clock: FakeClock
) -> None:
    from storage import results

    admin = await roster.bind("周敏")
    early = local(10, 12, 10)  # Q3 is over, its results are not out yet
    [ask] = await chat.feed(make_message("/bonus 杨帆 9-30 2 国庆值守", user=admin, date=early))
    assert ask.text.endswith("计入日期：9月30日")
    await press(chat, admin, "✅ 确认", clock)
    [record] = await records(session)
    assert record.day == date(2026, 9, 30)
    for text, expected in (
        ("/bonus 杨帆 6-30 1 太早", "日期「6-30」有误"),
        ("/veto 杨帆 10-13 违纪违法 未来", "日期「10-13」有误"),
    ):
        [reply] = await chat.feed(make_message(text, user=admin, date=early))
        assert reply.text.startswith(expected), reply.text
    member = await roster.person("杨帆")
    await results.publish(
        session, unit_id=member.unit_id, quarter=Quarter(2026, 3), policy="standard",
        start=date(2026, 7, 1), end=date(2026, 9, 30), data={}, people=[], now=early,
    )  # fmt: skip
    await session.commit()
    [closed] = await chat.feed(make_message("/bonus 杨帆 9-30 1 再补", user=admin, date=early))
    assert closed.text.startswith("2026年第3季度结果已公布，不能再补记。")
    assert len(await records(session)) == 1
