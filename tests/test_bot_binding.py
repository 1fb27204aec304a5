"""Binding a Telegram account to a roster person, through the real dispatcher."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from tests.conftest import Chat, Roster, db_counts
from tests.factories import make_group, make_message, make_user


async def test_start_binds_by_matching_username(chat: Chat, roster: Roster) -> None:
    user = await roster.user("周敏")  # roster username zhou_min_khb
    sent = await chat.feed(make_message("/start", user=user))
    assert "绑定成功" in sent[0].text and "周敏（人事科）" in sent[0].text
    assert (await roster.person("周敏")).tg_user_id == user.id


async def test_username_match_ignores_case(chat: Chat, roster: Roster) -> None:
    user = make_user(9001, "周敏", "Zhou_Min_KHB")
    await chat.feed(make_message("/start", user=user))
    assert (await roster.person("周敏")).tg_user_id == 9001


async def test_without_username_match_the_bot_asks_for_the_code(
    chat: Chat, roster: Roster
) -> None:
    user = make_user(9002, "小赵")  # no username; 赵丽 has none in the roster either
    sent = await chat.feed(make_message("/start", user=user))
    assert "邀请码" in sent[0].text
    person = await roster.person("赵丽")
    sent = await chat.feed(make_message(f"  {person.invite_code.lower()} ", user=user))
    assert "绑定成功" in sent[0].text and "赵丽" in sent[0].text
    assert (await roster.person("赵丽")).tg_user_id == 9002


async def test_deep_link_binds(chat: Chat, roster: Roster) -> None:
    person = await roster.person("马骏")
    sent = await chat.feed(make_message(f"/start {person.invite_code}", user=make_user(9003)))
    assert "绑定成功" in sent[0].text and "马骏（法规科）" in sent[0].text


async def test_a_code_works_once(chat: Chat, roster: Roster, sessionmaker) -> None:
    code = (await roster.person("马骏")).invite_code
    await chat.feed(make_message(f"/start {code}", user=make_user(9004)))
    before = await db_counts(sessionmaker)
    sent = await chat.feed(make_message(f"/start {code}", user=make_user(9005)))
    assert "已经用过" in sent[0].text
    assert (await roster.person("马骏")).tg_user_id == 9004
    assert await db_counts(sessionmaker) == before


async def test_one_account_binds_one_person(chat: Chat, roster: Roster, sessionmaker) -> None:
    user = await roster.bind("赵丽")
    other_code = (await roster.person("马骏")).invite_code
    before = await db_counts(sessionmaker)
    sent = await chat.feed(make_message(f"/start {other_code}", user=user))
    assert "已绑定为 赵丽" in sent[0].text
    assert (await roster.person("马骏")).tg_user_id is None
    assert await db_counts(sessionmaker) == before


async def test_start_again_says_who_you_are(chat: Chat, roster: Roster) -> None:
    user = await roster.bind("赵丽")
    sent = await chat.feed(make_message("/start", user=user))
    assert sent[0].text.startswith("你已绑定为 赵丽（办公室）")


async def test_wrong_code_is_refused_and_nothing_recorded(
    chat: Chat, roster: Roster, sessionmaker
) -> None:
    before = await db_counts(sessionmaker)
    sent = await chat.feed(make_message("/start ABCD2345", user=make_user(9006)))
    assert "邀请码有误" in sent[0].text
    sent = await chat.feed(make_message("ZZZZ9999", user=make_user(9006)))
    assert "邀请码有误" in sent[0].text
    assert await db_counts(sessionmaker) == before


async def test_unknown_user_gets_one_line_and_nothing_is_recorded(
    chat: Chat, roster: Roster, sessionmaker
) -> None:
    stranger = make_user(9007, "路人", "passer_by")
    before = await db_counts(sessionmaker)
    for text in ("/whoami", "你好，今天的工作……", "/help"):
        sent = await chat.feed(make_message(text, user=stranger))
        assert len(sent) == 1
        assert "\n" not in sent[0].text and "邀请码" in sent[0].text
    sent = await chat.feed(make_message(None, user=stranger, sticker=None, caption="图"))
    assert "邀请码" in sent[0].text
    assert await db_counts(sessionmaker) == before


async def test_whoami_shows_name_department_roles(chat: Chat, roster: Roster) -> None:
    user = await roster.bind("李红梅")
    (reply,) = await chat.feed(make_message("/whoami", user=user))
    assert reply.text.splitlines() == [
        "👤 李红梅",
        "部门：局领导",
        "类别：班子成员",
        "角色：分管领导、工作人员",
        "分管：办公室、人事科、法规科",
        "工号：SJ002",
    ]


async def test_whoami_with_bot_suffix(chat: Chat, roster: Roster) -> None:
    user = await roster.bind("吴刚")
    (reply,) = await chat.feed(make_message("/whoami@kaohe_demo_bot", user=user))
    assert "角色：部门负责人、考核办、工作人员" in reply.text


async def test_inactive_person_is_told_so(
    chat: Chat, roster: Roster, session: AsyncSession
) -> None:
    user = await roster.bind("赵丽")
    person = await roster.person("赵丽")
    person.active = False
    session.add(person)
    await session.commit()
    (reply,) = await chat.feed(make_message("/whoami", user=user))
    assert "停用" in reply.text


async def test_inactive_persons_code_does_not_bind(
    chat: Chat, roster: Roster, session: AsyncSession
) -> None:
    person = await roster.person("赵丽")
    person.active = False
    session.add(person)
    await session.commit()
    (reply,) = await chat.feed(make_message(f"/start {person.invite_code}", user=make_user(9008)))
    assert "停用" in reply.text
    assert (await roster.person("赵丽")).tg_user_id is None


async def test_start_in_a_group_does_not_bind(chat: Chat, roster: Roster, sessionmaker) -> None:
    before = await db_counts(sessionmaker)
    user = await roster.user("周敏")
    sent = await chat.feed(make_message("/start", user=user, chat=make_group()))
    assert sent == []
    assert await db_counts(sessionmaker) == before


async def test_binding_is_audited(chat: Chat, roster: Roster, sessionmaker) -> None:
    before = await db_counts(sessionmaker)
    await chat.feed(make_message("/start", user=await roster.user("周敏")))
    after = await db_counts(sessionmaker)
    assert after["audit"] == before["audit"] + 1 and after["bound"] == before["bound"] + 1
