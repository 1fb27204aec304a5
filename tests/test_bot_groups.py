"""Binding groups with /bindgroup; unbound groups are ignored."""

from __future__ import annotations

from aiogram.types import ChatMemberLeft, ChatMemberMember, ChatMemberUpdated
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import AuditEntry, ChatGroup, Department
from tests.conftest import Chat, Roster, db_counts
from tests.factories import make_group, make_message, make_update, make_user
from tests.fakes import BOT_ID, BOT_USERNAME


async def group_binding(session: AsyncSession, chat_id: int) -> tuple[str | None, str] | None:
    group = (await session.exec(select(ChatGroup).where(ChatGroup.chat_id == chat_id))).first()
    if group is None:
        return None
    await session.refresh(group)
    department = (
        await session.get(Department, group.department_id) if group.department_id else None
    )
    return (department.name if department else None, group.title)


async def test_admin_binds_a_department_group(
    chat: Chat, roster: Roster, session: AsyncSession
) -> None:
    admin = await roster.bind("周敏")
    group = make_group(-100_1, "办公室工作群")
    (reply,) = await chat.feed(make_message("/bindgroup 办公室", user=admin, chat=group))
    assert reply.text == "本群已绑定到「办公室」。该部门日报将同步到本群，点赞、错情也在本群进行。"
    assert reply.reply_parameters is not None or reply.reply_to_message_id is not None
    assert await group_binding(session, group.id) == ("办公室", "办公室工作群")


async def test_admin_binds_the_unit_group(
    chat: Chat, roster: Roster, session: AsyncSession
) -> None:
    admin = await roster.bind("周敏")
    group = make_group(-100_2, "全局群")
    (reply,) = await chat.feed(
        make_message("/bindgroup@kaohe_demo_bot 全单位", user=admin, chat=group)
    )
    assert "全单位" in reply.text
    assert await group_binding(session, group.id) == (None, "全局群")


async def test_spaces_in_the_department_name_are_forgiven(
    chat: Chat, roster: Roster, session: AsyncSession
) -> None:
    admin = await roster.bind("周敏")
    group = make_group(-100_3, "群")
    await chat.feed(make_message("/bindgroup 法 规 科", user=admin, chat=group))
    assert (await group_binding(session, group.id) or ("",))[0] == "法规科"


async def test_non_admins_are_refused_and_nothing_changes(
    chat: Chat, roster: Roster, sessionmaker
) -> None:
    head = await roster.bind("陈静")  # a head, not 考核办
    stranger = make_user(9100, "路人")
    group = make_group(-100_4, "群")
    before = await db_counts(sessionmaker)
    for user in (head, stranger):
        (reply,) = await chat.feed(make_message("/bindgroup 办公室", user=user, chat=group))
        assert reply.text == "只有考核办可以绑定群。"
    assert await db_counts(sessionmaker) == before


async def test_unknown_department_lists_the_choices(
    chat: Chat, roster: Roster, sessionmaker
) -> None:
    admin = await roster.bind("周敏")
    before = await db_counts(sessionmaker)
    (reply,) = await chat.feed(make_message("/bindgroup 办公司", user=admin, chat=make_group()))
    assert (
        "没有找到部门「办公司」" in reply.text
        and "办公室" in reply.text
        and "全单位" in reply.text
    )
    (reply,) = await chat.feed(make_message("/bindgroup", user=admin, chat=make_group()))
    assert "用法" in reply.text
    assert await db_counts(sessionmaker) == before


async def test_bindgroup_in_private_explains_where(chat: Chat, roster: Roster) -> None:
    admin = await roster.bind("周敏")
    (reply,) = await chat.feed(make_message("/bindgroup 办公室", user=admin))
    assert "群里" in reply.text


async def test_rebinding_moves_the_group_and_is_audited(
    chat: Chat, roster: Roster, session: AsyncSession
) -> None:
    admin = await roster.bind("周敏")
    group = make_group(-100_5, "群")
    await chat.feed(make_message("/bindgroup 办公室", user=admin, chat=group))
    await chat.feed(make_message("/bindgroup 人事科", user=admin, chat=group))
    assert (await group_binding(session, group.id) or ("",))[0] == "人事科"
    audits = (
        await session.exec(select(AuditEntry).where(AuditEntry.action == "group_bind"))
    ).all()
    assert [a.subject for a in audits] == ["办公室", "人事科"]
    assert len((await session.exec(select(ChatGroup))).all()) == 1


async def test_unbound_groups_are_ignored(chat: Chat, roster: Roster, sessionmaker) -> None:
    member = await roster.bind("赵丽")
    before = await db_counts(sessionmaker)
    for text in ("/whoami", "#日报 今天整理档案", "/help", "/start"):
        assert await chat.feed(make_message(text, user=member, chat=make_group(-100_6))) == []
    assert await db_counts(sessionmaker) == before


async def test_group_upgrade_to_supergroup_keeps_the_binding(
    chat: Chat, roster: Roster, session: AsyncSession
) -> None:
    admin = await roster.bind("周敏")
    old = make_group(-100_7, "群")
    await chat.feed(make_message("/bindgroup 办公室", user=admin, chat=old))
    await chat.feed(make_message(None, user=admin, chat=old, migrate_to_chat_id=-100_999))
    assert await group_binding(session, -100_999) == ("办公室", "群")
    assert await group_binding(session, old.id) is None


async def test_bot_added_to_a_group_says_how_to_bind(chat: Chat, roster: Roster) -> None:
    admin = await roster.user("周敏")
    bot_user = make_user(BOT_ID, "考核助手", BOT_USERNAME).model_copy(update={"is_bot": True})
    event = ChatMemberUpdated(
        chat=make_group(-100_8, "新群"),
        from_user=admin,
        date=0,
        old_chat_member=ChatMemberLeft(user=bot_user),
        new_chat_member=ChatMemberMember(user=bot_user),
    )
    (reply,) = await chat.feed(make_update(my_chat_member=event))
    assert "/bindgroup" in reply.text
