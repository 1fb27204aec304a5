"""Filings written together at peak (issue 10, bot/filing.py): many people filing at once
are stored in shared transactions, each acknowledged once with the right count, the
group's echo budget holds in order, and one filing the database refuses fails alone."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Dispatcher
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import SendMessage
from aiogram.types import Update
from sqlalchemy.exc import OperationalError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import echoes
from bot.filing import Filer
from storage import reports as report_store
from storage.tables import EchoQueue, ReportItem, UpdateClaim
from tests.conftest import OFFICE_GROUP, Chat, Office, local
from tests.factories import make_message
from tests.fakes import FakeSession
from tests.test_bot_ingest import fail_sends_to


async def feed_together(chat: Chat, updates: list[Update]) -> list[Any]:
    """Hand the updates to the dispatcher at once, as polling with `handle_as_tasks` does;
    each one's result or exception."""
    return await asyncio.gather(
        *(chat.dp.feed_update(chat.bot, u) for u in updates), return_exceptions=True
    )


def acks(chat: Chat, user_id: int) -> list[str]:
    return [
        r.text for r in chat.fake.requests if isinstance(r, SendMessage) and r.chat_id == user_id
    ]


def filer(dp: Dispatcher) -> Filer:
    found = dp["filer"]
    assert isinstance(found, Filer)
    return found


async def test_many_filing_at_once_are_stored_and_counted_like_one_by_one(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    at = local(11, 20, 10)
    people = [office.member, office.other, office.head]
    updates = [
        make_message(f"{user.first_name}的第{n}件事", user=user, date=at)
        for n in range(1, 5)
        for user in people
    ]
    results = await feed_together(chat, updates)
    assert not [r for r in results if isinstance(r, BaseException)]
    assert filer(chat.dp).batcher.batches < len(updates)  # they really went together
    for user in people:
        assert acks(chat, user.id) == [
            f"✅ 已记录 11月20日 日报（按时），共 {n} 条。" for n in range(1, 5)
        ]
    rows = (
        await session.exec(select(ReportItem.report_id, ReportItem.seq, ReportItem.text))
    ).all()
    assert len(rows) == 12
    by_report: dict[int, list[tuple[int, str]]] = {}
    for report_id, seq, text in rows:
        by_report.setdefault(report_id, []).append((seq, text))
    for numbered in by_report.values():  # each person's items are 1..4, in sending order
        assert [seq for seq, _ in sorted(numbered)] == [1, 2, 3, 4]
        assert [text[-4:] for _, text in sorted(numbered)] == [f"第{n}件事" for n in range(1, 5)]


async def test_a_busy_group_gets_its_direct_echoes_first_and_the_rest_queued_in_order(
    chat: Chat, office: Office, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(echoes, "DIRECT_PER_MINUTE", 3)
    at = local(11, 20, 10)
    updates = [
        make_message(f"第{n}件事", user=(office.member, office.other)[n % 2], date=at)
        for n in range(8)
    ]
    await feed_together(chat, updates)
    direct = [
        r.text
        for r in chat.fake.requests
        if isinstance(r, SendMessage) and r.chat_id == OFFICE_GROUP
    ]
    assert len(direct) == 3  # the minute's budget, not one more: the first three filed
    shown = [next(f"第{n}件事" for n in range(8) if f"第{n}件事" in t) for t in direct]
    # each person's first item, then whichever of their second items was filed first (one
    # person's updates are handled one at a time, bot/ordering.py)
    assert shown[:2] == ["第0件事", "第1件事"] and shown[2] in {"第2件事", "第3件事"}
    queued = (
        await session.exec(
            select(ReportItem.text)
            .join(EchoQueue, col(EchoQueue.item_id) == ReportItem.id)
            .order_by(col(EchoQueue.item_id))
        )
    ).all()
    # the rest wait, each person's in the order they sent them (one person's updates are
    # handled one at a time, bot/ordering.py; two people's may interleave either way)
    assert sorted([*queued, *shown]) == [f"第{n}件事" for n in range(8)]
    for parity in (0, 1):
        mine = [t for t in queued if int(t[1]) % 2 == parity]
        assert mine == sorted(mine)


async def test_one_filing_the_database_refuses_fails_alone(
    chat: Chat, office: Office, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = report_store.file_items

    async def refusing(session: AsyncSession, filings: list[Any]) -> Any:
        if any("坏" in f.text for f in filings):
            raise RuntimeError("row refused")
        return await real(session, filings)

    monkeypatch.setattr(report_store, "file_items", refusing)
    at = local(11, 20, 10)
    bad = make_message("坏数据", user=office.head, date=at)
    good = [make_message(f"正常{n}", user=office.member, date=at) for n in range(4)]
    results = await feed_together(chat, [*good[:2], bad, *good[2:]])
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1 and "row refused" in str(failures[0])
    assert acks(chat, office.member.id) == [
        f"✅ 已记录 11月20日 日报（按时），共 {n} 条。" for n in range(1, 5)
    ]
    assert acks(chat, office.head.id) == []  # never a false 已记录
    texts = (await session.exec(select(ReportItem.text))).all()
    assert sorted(texts) == [f"正常{n}" for n in range(4)]

    monkeypatch.setattr(report_store, "file_items", real)
    await chat.feed(bad)  # Telegram redelivers it: nothing of it was kept, so it is filed
    assert acks(chat, office.head.id) == ["✅ 已记录 11月20日 日报（按时），共 1 条。"]


async def test_the_same_update_twice_at_once_is_filed_and_answered_once(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    update = make_message("走访企业", user=office.member, date=local(11, 20, 10))
    await feed_together(chat, [update, update, update])
    assert acks(chat, office.member.id) == ["✅ 已记录 11月20日 日报（按时），共 1 条。"]
    assert (await session.exec(select(func.count()).select_from(ReportItem))).one() == 1
    claims = select(func.count()).where(UpdateClaim.update_id == update.update_id)
    assert (await session.exec(claims)).one() == 1


def filed(n: int) -> str:
    return f"✅ 已记录 11月20日 日报（按时），共 {n} 条。"


async def test_a_redelivery_arriving_with_new_reports_keeps_the_numbers_whole(
    chat: Chat, office: Office, fake: FakeSession, session: AsyncSession
) -> None:
    at = local(11, 20, 10)
    first, second, third, fourth = (
        make_message(f"事项{n}", user=office.member, date=at) for n in range(1, 5)
    )
    await chat.feed(first)
    fail_sends_to(fake, office.member.id)  # 「已记录」 for the second is lost: redelivered
    with pytest.raises(TelegramNetworkError):
        await chat.feed(second)
    await feed_together(chat, [second, third])  # the redelivery comes with a new one
    await chat.feed(fourth)
    rows = (await session.exec(select(ReportItem.seq, ReportItem.text))).all()
    assert sorted(rows) == [(n, f"事项{n}") for n in range(1, 5)]
    assert acks(chat, office.member.id)[-1] == filed(4)


async def test_a_filing_cancelled_while_being_written_is_answered_when_redelivered(
    chat: Chat, office: Office, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = report_store.file_items
    writing, go_on = asyncio.Event(), asyncio.Event()

    async def slow(session: AsyncSession, filings: list[Any]) -> Any:
        writing.set()
        await go_on.wait()
        return await real(session, filings)

    monkeypatch.setattr(report_store, "file_items", slow)
    update = make_message("走访企业", user=office.member, date=local(11, 20, 10))
    handling = asyncio.ensure_future(chat.dp.feed_update(chat.bot, update))
    await writing.wait()
    handling.cancel()  # a webhook server shutting down cancels its handlers
    with pytest.raises(asyncio.CancelledError):
        await handling
    go_on.set()
    while filer(chat.dp).batcher.task is not None:  # the batch still stores it
        await asyncio.sleep(0.01)
    assert (await session.exec(select(func.count()).select_from(ReportItem))).one() == 1
    assert acks(chat, office.member.id) == []

    monkeypatch.setattr(report_store, "file_items", real)
    await chat.feed(update)  # Telegram delivers it again: now it is answered, not skipped
    assert acks(chat, office.member.id) == [filed(1)]
    assert (await session.exec(select(func.count()).select_from(ReportItem))).one() == 1


async def test_a_commit_that_raised_but_went_through_is_acknowledged(
    chat: Chat, office: Office, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_commit = AsyncSession.commit
    armed = [True]

    async def lost_answer(self: AsyncSession) -> None:
        await real_commit(self)
        if armed[0]:  # the server committed, then the connection dropped
            armed[0] = False
            raise OperationalError("COMMIT", None, ConnectionResetError("reset by peer"))

    monkeypatch.setattr(AsyncSession, "commit", lost_answer)
    at = local(11, 20, 10)
    updates = [make_message(f"事项{n}", user=office.member, date=at) for n in range(1, 4)]
    results = await feed_together(chat, updates)
    assert not [r for r in results if isinstance(r, BaseException)]
    assert acks(chat, office.member.id) == [filed(n) for n in range(1, 4)]
    assert (await session.exec(select(func.count()).select_from(ReportItem))).one() == 3
    assert not armed[0]  # the failure did happen


async def test_a_commit_that_failed_tells_every_filing_of_the_batch(
    chat: Chat, office: Office, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_commit = AsyncSession.commit
    armed = [True]

    async def refused(self: AsyncSession) -> None:
        if armed[0]:
            armed[0] = False
            await self.rollback()
            raise OperationalError("COMMIT", None, ConnectionResetError("reset by peer"))
        await real_commit(self)

    monkeypatch.setattr(AsyncSession, "commit", refused)
    at = local(11, 20, 10)
    updates = [make_message(f"事项{n}", user=office.member, date=at) for n in range(1, 4)]
    results = await feed_together(chat, updates)
    failed = [r for r in results if isinstance(r, OperationalError)]
    answered = acks(chat, office.member.id)
    assert failed and len(failed) + len(answered) == 3  # nobody is left without a word
    assert (await session.exec(select(func.count()).select_from(ReportItem))).one() == len(
        answered
    )
    for update in updates:  # Telegram redelivers the failed ones: all stored, once each
        await chat.feed(update)
    assert (await session.exec(select(func.count()).select_from(ReportItem))).one() == 3


async def test_a_redelivery_while_the_answer_is_on_its_way_is_not_answered_again(
    chat: Chat, office: Office, fake: FakeSession, session: AsyncSession
) -> None:
    """A webhook redelivers an update whose handler is slow to answer (stored, 「已记录」
    still on the wire): the redelivery must not send a second 「已记录」."""
    real = fake.make_request
    sending, go_on = asyncio.Event(), asyncio.Event()

    async def slow_ack(bot: Any, method: Any, timeout: int | None = None) -> Any:
        if isinstance(method, SendMessage) and method.chat_id == office.member.id:
            sending.set()
            await go_on.wait()
        return await real(bot, method, timeout)

    fake.make_request = slow_ack  # type: ignore[method-assign]
    update = make_message("走访企业", user=office.member, date=local(11, 20, 10))
    first = asyncio.ensure_future(chat.dp.feed_update(chat.bot, update))
    await sending.wait()  # stored; its answer is being sent
    again = asyncio.ensure_future(chat.dp.feed_update(chat.bot, update))  # delivered again
    await asyncio.sleep(0.2)  # (it waits behind the first: one person, one at a time)
    go_on.set()
    await asyncio.gather(first, again)
    assert acks(chat, office.member.id) == [filed(1)]
    assert (await session.exec(select(func.count()).select_from(ReportItem))).one() == 1
