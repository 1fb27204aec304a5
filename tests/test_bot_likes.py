"""点赞 / 错情 through the real dispatcher: forms, refusals, caps, undo, void, reading."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import Message, User
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import make_dispatcher
from core.policy import Limits, Policy
from storage.tables import AuditEntry, Person, Record
from tests.conftest import OFFICE_GROUP, Chat, Office, Roster, db_counts, local
from tests.factories import make_callback, make_message, make_user

NOON = local(11, 20, 12)


async def live_records(session: AsyncSession) -> list[tuple[str, str, float, str]]:
    """(person, kind, points, reason) of every record not undone."""
    rows = await session.exec(
        select(Person.name, Record.kind, Record.points, Record.reason)
        .join(Person, col(Person.id) == Record.person_id)
        .where(col(Record.voided_at).is_(None))
        .order_by(col(Record.id))
    )
    return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def echo_of_report(chat: Chat, office: Office) -> Message:
    """杨帆 files; the echo the bot posted to the office group."""
    await chat.feed(make_message("起草迎检方案", user=office.member, date=local(11, 20, 9)))
    return chat.fake.last_message(OFFICE_GROUP)


async def say(chat: Chat, user: User, text: str, *, group: bool = True, reply_to=None, at=NOON):  # type: ignore[no-untyped-def]
    chat_obj = None
    if group:
        from tests.factories import make_group

        chat_obj = make_group(OFFICE_GROUP, "办公室群")
    return await chat.feed(
        make_message(text, user=user, chat=chat_obj, reply_to=reply_to, date=at)
    )


async def test_reply_to_the_echo_likes_the_author_and_links_the_report(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    echo = await echo_of_report(chat, office)
    sent = await say(chat, office.head, "点赞 方案写得细", reply_to=echo)
    confirm = next(m for m in sent if m.chat_id == OFFICE_GROUP)
    assert confirm.text == "👍 杨帆 +1：方案写得细 —— 陈静"
    notice = next(m for m in sent if m.chat_id == office.member.id)
    assert notice.text == "👍 陈静 给你点赞 +1：方案写得细"
    record = (await session.exec(select(Record))).one()
    assert record.report_id is not None and record.points == 1 and record.issuer_id is not None


@pytest.mark.parametrize(
    ("text", "points", "label"),
    [
        ("错情 数字抄错了", -1, "（错情）"),
        ("错情 重 数字抄错了", -3, "（严重错情）"),
        ("/error -2 数字抄错了", -2, "（错情）"),
        ("/error@kaohe_demo_bot 重 数字抄错了", -3, "（严重错情）"),
    ],
)
async def test_error_forms_and_severity(
    chat: Chat, office: Office, session: AsyncSession, text: str, points: float, label: str
) -> None:
    echo = await echo_of_report(chat, office)
    sent = await say(chat, office.supervisor, text, reply_to=echo)
    confirm = next(m for m in sent if m.chat_id == OFFICE_GROUP)
    assert label in confirm.text and "数字抄错了 —— 李红梅" in confirm.text
    assert await live_records(session) == [("杨帆", "error", points, "数字抄错了")]


async def test_reply_to_the_persons_own_message(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    own = make_message("#日报 接待来访", user=office.other, chat=None, date=local(11, 20, 9))
    from tests.factories import make_group

    group = make_group(OFFICE_GROUP, "办公室群")
    own = make_message("#日报 接待来访", user=office.other, chat=group, date=local(11, 20, 9))
    await chat.feed(own)
    await say(chat, office.head, "/like 态度好", reply_to=own.message)
    record = (await session.exec(select(Record))).one()
    assert record.report_id is not None  # the replied-to message was a report
    assert await live_records(session) == [("赵丽", "like", 1, "态度好")]


async def test_by_username_in_private_and_by_name_in_group(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    sent = await say(chat, office.head, "/like @yang_fan88 周末加班", group=False)
    assert sent[0].chat_id == office.head.id and "👍 杨帆 +1：周末加班" in sent[0].text
    await say(chat, office.head, "点赞 @赵丽 主动补位")
    assert await live_records(session) == [
        ("杨帆", "like", 1, "周末加班"),
        ("赵丽", "like", 1, "主动补位"),
    ]


async def assert_refused(
    chat: Chat, sessionmaker, user: User, text: str, expected: str, **kw
) -> None:  # type: ignore[no-untyped-def]
    before = await db_counts(sessionmaker)
    async with sessionmaker() as s:
        records_before = (await s.exec(select(func.count()).select_from(Record))).one()
    sent = await say(chat, user, text, **kw)
    assert len(sent) == 1 and expected in sent[0].text, [m.text for m in sent]
    assert await db_counts(sessionmaker) == before
    async with sessionmaker() as s:
        assert (await s.exec(select(func.count()).select_from(Record))).one() == records_before


async def test_refusals_record_nothing(
    chat: Chat, office: Office, roster: Roster, sessionmaker
) -> None:  # type: ignore[no-untyped-def]
    echo = await echo_of_report(chat, office)
    other_head = await roster.bind("马骏")  # 法规科
    stranger = make_user(9999, "路人")
    cases = [
        (office.other, "点赞 写得好", "不是 杨帆 的部门负责人"),  # a colleague
        (other_head, "错情 格式不对", "不能指出错情"),  # another department's head
        (office.member, "点赞 我自己", "不能给自己点赞"),
        (office.head, "点赞", "请写上理由，例如：点赞"),
        (office.head, "错情   ", "请写上理由，例如：错情"),
        (office.head, "错情 -20 太离谱", "错情分值要在 -10 到 -0.5 之间"),
        (stranger, "点赞 好", "不在考核名单里"),
    ]
    for user, text, expected in cases:
        await assert_refused(chat, sessionmaker, user, text, expected, reply_to=echo)
    await assert_refused(chat, sessionmaker, office.head, "点赞 @无名氏 好", "没有找到「@无名氏」")
    await assert_refused(chat, sessionmaker, office.head, "点赞 辛苦了", "请回复要点赞")
    await assert_refused(
        chat, sessionmaker, office.head, "点赞 @周婷 好", "还没有绑定账号"
    )  # unbound


async def test_one_like_per_target_per_day_and_the_daily_cap(
    chat: Chat,
    office: Office,
    settings,
    sessionmaker,
    session: AsyncSession,  # type: ignore[no-untyped-def]
) -> None:
    await say(chat, office.head, "点赞 @杨帆 第一次")
    sent = await say(chat, office.head, "点赞 @杨帆 第二次")
    assert "今天已为 杨帆 点过赞" in sent[0].text
    sent = await say(chat, office.head, "点赞 @杨帆 明天可以", at=NOON + timedelta(days=1))
    assert "👍" in sent[0].text

    strict = Policy(limits=replace(Limits(), actions_per_leader_per_day=2))
    capped = Chat(
        make_dispatcher(settings, sessionmaker, policy=strict, catch_errors=False),
        chat.bot,
        chat.fake,
    )
    day = NOON + timedelta(days=3)
    await say(capped, office.head, "点赞 @杨帆 一", at=day)
    await say(capped, office.head, "错情 @赵丽 二", at=day)
    sent = await say(capped, office.head, "错情 @赵丽 三", at=day)
    assert sent[0].text == "今天你已发出 2 次点赞或错情，已达每日上限，请明日再操作。"
    assert len(await live_records(session)) == 4


async def test_ambiguous_name_asks_to_pick(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession
) -> None:
    chief = await roster.bind("王建国")
    await roster.bind("张伟", nth=0)
    await roster.bind("张伟", nth=1)
    sent = await say(chat, chief, "点赞 @张伟 牵头完成专项整治", group=False)
    question = sent[0]
    assert question.text == "有 2 位「张伟」，请选择："
    labels = [row[0].text for row in question.reply_markup.inline_keyboard]
    assert labels == ["张伟（局领导）", "张伟（城西市场监管所）"]
    assert await live_records(session) == []
    prompt = chat.fake.last_message(chief.id)
    data = question.reply_markup.inline_keyboard[1][0].callback_data
    sent = await chat.feed(make_callback(data, user=chief, message=prompt))
    assert any("👍 张伟 +1：牵头完成专项整治 —— 王建国" in m.text for m in sent)
    record = (await session.exec(select(Record))).one()
    assert record.person_id == (await roster.person("张伟", nth=1)).id
    # pressing again does nothing more
    before = len(chat.fake.requests)
    await chat.dp.feed_update(chat.bot, make_callback(data, user=chief, message=prompt))
    answer = next(r for r in chat.fake.requests[before:] if isinstance(r, AnswerCallbackQuery))
    assert "过期" in answer.text
    assert len((await session.exec(select(Record))).all()) == 1


async def test_supervisor_pick_is_narrowed_to_people_they_lead(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession
) -> None:
    liu = await roster.bind("刘志强")  # supervises 城西市场监管所, not 局领导
    await roster.bind("张伟", nth=0)
    await roster.bind("张伟", nth=1)
    sent = await say(chat, liu, "点赞 @张伟 巡查到位", group=False)
    assert "👍 张伟 +1" in sent[0].text
    assert (await session.exec(select(Record))).one().person_id == (
        await roster.person("张伟", nth=1)
    ).id


async def test_undo_by_reply_and_latest_and_refusals(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    await say(chat, office.head, "点赞 @杨帆 认真")
    confirm = chat.fake.last_message(OFFICE_GROUP)
    await say(chat, office.head, "错情 @赵丽 迟到")
    sent = await say(chat, office.other, "/undo", reply_to=confirm)
    assert sent[0].text == "只能撤销自己发出的点赞或错情。"
    sent = await say(chat, office.head, "/undo", reply_to=confirm, at=NOON + timedelta(minutes=5))
    assert sent[0].text == "↩️ 已撤销：杨帆 点赞 +1（认真）"
    assert any(m.chat_id == office.member.id and "陈静 撤销了对你的点赞" in m.text for m in sent)
    sent = await say(
        chat, office.head, "/undo", at=NOON + timedelta(minutes=6)
    )  # the latest: 赵丽's error
    assert "赵丽 错情 -1（迟到）" in sent[0].text
    assert await live_records(session) == []
    assert len((await session.exec(select(Record))).all()) == 2  # nothing deleted
    audits = (
        await session.exec(select(AuditEntry).where(AuditEntry.action == "record_undo"))
    ).all()
    assert len(audits) == 2


async def test_undo_after_24_hours_is_refused(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    await say(chat, office.head, "点赞 @杨帆 认真")
    confirm = chat.fake.last_message(OFFICE_GROUP)
    sent = await say(chat, office.head, "/undo", reply_to=confirm, at=NOON + timedelta(hours=25))
    assert "只能撤销 24 小时内" in sent[0].text
    assert len(await live_records(session)) == 1


async def test_admin_voids_any_record_with_a_reason(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession
) -> None:
    await say(chat, office.head, "错情 @杨帆 误记")
    record = (await session.exec(select(Record))).one()
    admin = await roster.bind("周敏")
    sent = await say(chat, office.head, f"/void {record.id} 我想作废", group=False)
    assert sent[0].text == "只有考核办可以作废记录。"
    sent = await say(chat, admin, f"/void {record.id}", group=False)
    assert "用法" in sent[0].text
    sent = await say(
        chat, admin, f"/void #{record.id} 经核实不属实", group=False, at=NOON + timedelta(days=5)
    )
    assert "已撤销：杨帆 错情 -1（误记）" in sent[0].text
    audit = (
        await session.exec(select(AuditEntry).where(AuditEntry.action == "record_void"))
    ).one()
    assert audit.detail["reason"] == "经核实不属实" and audit.actor == "周敏"
    assert await live_records(session) == []


async def test_records_for_self_and_for_a_leader(
    chat: Chat, office: Office, roster: Roster
) -> None:
    await say(chat, office.head, "点赞 @杨帆 认真")
    await say(chat, office.supervisor, "错情 @杨帆 漏项")
    (mine,) = await say(chat, office.member, "/records", group=False)
    lines = mine.text.splitlines()
    assert lines[0] == "📒 杨帆 2026年第4季度：点赞 1 次，错情 1 次，合计 +0 分"
    assert any("错情 -1 漏项 —— 李红梅" in line for line in lines)
    (theirs,) = await say(chat, office.head, "/records @杨帆", group=False)
    assert theirs.text.startswith("📒 杨帆")
    (denied,) = await say(chat, office.other, "/records @杨帆", group=False)
    assert denied.text == "只能查看自己，或你所负责部门人员的记录。"


async def test_double_delivery_records_once(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    from tests.factories import make_group

    update = make_message(
        "点赞 @杨帆 认真", user=office.head, chat=make_group(OFFICE_GROUP, "群"), date=NOON
    )
    await chat.feed(update)
    assert await chat.feed(update) == []
    assert len(await live_records(session)) == 1


async def test_markup_in_names_and_reasons_is_shown_literally(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession
) -> None:
    person = await roster.person("杨帆")
    person.name = "<b>杨帆</b>"
    session.add(person)
    await session.commit()
    reason = "*加急* _完成_ <i>报表</i> [链接](http://x.y) &amp;"
    await say(chat, office.head, f"点赞 @yang_fan88 {reason}")
    sent = [r for r in chat.fake.requests if isinstance(r, SendMessage)]
    confirm, notice = sent[-2], sent[-1]
    assert confirm.text == f"👍 <b>杨帆</b> +1：{reason} —— 陈静"
    assert notice.text == f"👍 陈静 给你点赞 +1：{reason}"
    for message in (confirm, notice):
        assert message.entities is None
        assert message.parse_mode is None or type(message.parse_mode).__name__ == "Default"
    assert chat.bot.default.parse_mode is None  # no parse mode anywhere: text stays text
