"""Filing at speed (issue 10, bench/ingest): each update is handled once, across
redeliveries and instances, and a failed one stays retryable."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import make_dispatcher
from bot.config import Settings
from storage import reports as report_store
from storage.tables import ReportItem, UpdateClaim
from tests.conftest import OFFICE_GROUP, Chat, FakeClock, Office, local
from tests.factories import make_message
from tests.fakes import FakeSession


async def items(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(ReportItem))).one()


def fail_sends_to(fake: FakeSession, chat_id: int, times: int = 1) -> None:
    """The next `times` messages to `chat_id` fail as if the network dropped."""
    real = fake.make_request
    left = [times]

    async def make_request(bot: Bot, method: Any, timeout: int | None = None) -> Any:
        if isinstance(method, SendMessage) and method.chat_id == chat_id and left[0] > 0:
            left[0] -= 1
            raise TelegramNetworkError(method=method, message="connection reset")
        return await real(bot, method, timeout)

    fake.make_request = make_request  # type: ignore[method-assign]


async def test_a_redelivered_update_is_filed_and_answered_once(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    update = make_message("走访辖区企业 5 家", user=office.member, date=local(11, 20, 10))
    first = await chat.feed(update)
    assert [m.chat_id for m in first] == [office.member.id, OFFICE_GROUP]
    assert await chat.feed(update) == []
    assert await items(session) == 1


async def test_an_update_failing_after_the_report_is_stored_is_handled_again(
    chat: Chat, office: Office, fake: FakeSession, session: AsyncSession
) -> None:
    update = make_message("整理台账", user=office.member, date=local(11, 20, 10))
    fail_sends_to(fake, office.member.id)
    with pytest.raises(TelegramNetworkError):
        await chat.feed(update)  # stored, but the acknowledgement was lost
    assert await items(session) == 1
    again = await chat.feed(update)  # Telegram redelivers it
    assert again[0].chat_id == office.member.id
    assert again[0].text == "✅ 已记录 11月20日 日报（按时），共 1 条。"
    assert any(m.chat_id == OFFICE_GROUP for m in again)  # the echo goes out now
    assert await items(session) == 1


async def test_an_update_failing_before_anything_is_stored_leaves_no_trace(
    chat: Chat, office: Office, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    update = make_message("参加培训", user=office.member, date=local(11, 20, 10))
    real = report_store.file_items

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database hiccup")

    claims = select(func.count()).select_from(UpdateClaim)
    before = (await session.exec(claims)).one()
    monkeypatch.setattr(report_store, "file_items", broken)
    with pytest.raises(RuntimeError):
        await chat.feed(update)
    assert await items(session) == 0
    assert (await session.exec(claims)).one() == before  # the claim was given back
    monkeypatch.setattr(report_store, "file_items", real)
    sent = await chat.feed(update)
    assert sent[0].text == "✅ 已记录 11月20日 日报（按时），共 1 条。"
    assert await items(session) == 1


async def test_an_update_one_instance_handled_is_dropped_by_another(
    chat: Chat,
    office: Office,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    bot: Bot,
    fake: FakeSession,
    session: AsyncSession,
) -> None:
    other = make_dispatcher(settings, sessionmaker, clock=clock, catch_errors=False, owner="b")
    update = make_message("走访企业", user=office.member, date=local(11, 20, 10))
    await chat.feed(update)
    before = len(fake.requests)
    await other.feed_update(bot, update)
    assert fake.requests[before:] == []
    assert await items(session) == 1


async def test_an_update_whose_handler_stores_nothing_is_still_handled_once(
    chat: Chat, office: Office
) -> None:
    update = make_message("/nosuchcommand", user=office.member, date=local(11, 20, 10))
    assert len(await chat.feed(update)) == 1  # 「没有这个命令」
    assert await chat.feed(update) == []


async def test_leave_counts_on_its_own_days_only(chat: Chat, office: Office) -> None:
    await chat.feed(make_message("/leave 11-19 调休", user=office.member, date=local(11, 18, 8)))
    today = await chat.feed(make_message("整理档案", user=office.member, date=local(11, 20, 10)))
    assert "（按时）" in today[0].text
    back = await chat.feed(
        make_message("/daily 11-19 顺手处理急事", user=office.member, date=local(11, 20, 11))
    )
    assert "（自愿）" in back[0].text
