"""Hostile text, round 2 (issue 16): a report or reason made only of invisible characters
is refused and nothing stored; a member's report that begins with 点赞 / 错情 is a report."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from core.reports import visible_text
from storage import db
from storage.tables import Record, ReportItem
from tests.conftest import Chat, Office, local
from tests.factories import make_message

INVISIBLE = ["\u200b", "\u2060", "\ufeff", "\u3164", "\u202e", "\u00ad", "\u115f\u1160\uffa0"]


async def count(session: AsyncSession, table: type) -> int:  # type: ignore[type-arg]
    return (await session.exec(select(func.count()).select_from(table))).one()


def test_visible_text_drops_format_characters_and_fillers_only() -> None:
    assert visible_text(" \u200b\u2060\ufeff\u3164\u202e\u00ad ") == ""
    assert visible_text("\u200b走访\u200d企业\u3164") == "走访企业"
    assert visible_text("完成") == "完成"


@pytest.mark.parametrize("blank", INVISIBLE, ids=[hex(ord(c[0])) for c in INVISIBLE])
async def test_a_report_of_invisible_characters_is_refused(
    chat: Chat, office: Office, session: AsyncSession, blank: str
) -> None:
    answers = await chat.feed(make_message(blank * 3, user=office.member, date=local(11, 20, 10)))
    assert [m.text for m in answers] == [texts.REPORT_INVISIBLE]
    daily = await chat.feed(
        make_message(f"/daily {blank}", user=office.member, date=local(11, 20, 10))
    )
    assert [m.text for m in daily] == [texts.REPORT_INVISIBLE]
    assert await count(session, ReportItem) == 0


async def test_a_like_whose_reason_is_invisible_is_refused(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    answers = await chat.feed(
        make_message("点赞 @杨帆 \u200b\u2060", user=office.head, date=local(11, 20, 12))
    )
    assert [m.text for m in answers] == [texts.action_reason_missing("like")]
    assert await count(session, Record) == 0


async def test_a_members_report_beginning_with_cuoqing_is_filed(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    answers = await chat.feed(
        make_message("错情整改：已完成3项问题整改", user=office.member, date=local(11, 20, 10))
    )
    assert any("已记录" in m.text for m in answers)
    liked = await chat.feed(
        make_message("点赞 同事帮忙核对台账", user=office.member, date=local(11, 20, 11))
    )
    assert any("已记录" in m.text for m in liked)
    assert await count(session, ReportItem) == 2
    assert await count(session, Record) == 0


async def test_a_leaders_verb_running_into_a_word_is_a_report_else_a_command(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    filed = await chat.feed(
        make_message("错情整改完成3项", user=office.head, date=local(11, 20, 10))
    )
    assert any("已记录" in m.text for m in filed)
    command = await chat.feed(
        make_message("错情：台账不全", user=office.head, date=local(11, 20, 11))
    )
    assert [m.text for m in command] == [texts.ACTION_NO_TARGET]
    assert await count(session, ReportItem) == 1
    assert await count(session, Record) == 0


async def test_a_nul_character_is_refused_clearly_and_nothing_stored(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    """PostgreSQL cannot store U+0000: the user is told so, not 「处理时出了问题」."""
    report = await chat.feed(
        make_message("走访\x00企业", user=office.member, date=local(11, 20, 10))
    )
    assert [m.text for m in report] == [texts.TEXT_UNSAVABLE]
    like = await chat.feed(
        make_message("点赞 @杨帆 认真\x00负责", user=office.head, date=local(11, 20, 12))
    )
    assert [m.text for m in like] == [texts.TEXT_UNSAVABLE]
    assert await count(session, ReportItem) == 0
    assert await count(session, Record) == 0


async def test_database_errors_never_carry_what_people_wrote(db_url: str) -> None:
    """The engine hides statement parameters: an error logged with its traceback shows
    the SQL, not the report text."""
    engine = db.make_engine(db_url)
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as caught:
                await conn.execute(text("INSERT INTO no_such_table VALUES (:v)"), {"v": SECRET})
    finally:
        await engine.dispose()
    assert SECRET not in str(caught.value)


SECRET = "机密：某某同志的谈话记录"
