"""Filings written together at peak (issue 10, bot/filing.py): many people filing at once
are stored in shared transactions, each acknowledged once with the right count, the
group's echo budget holds in order, and one filing the database refuses fails alone."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Dispatcher
from aiogram.methods import SendMessage
from aiogram.types import Update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import echoes
from bot.filing import Filer
from storage import reports as report_store
from storage.tables import EchoQueue, ReportItem, UpdateClaim
from tests.conftest import OFFICE_GROUP, Chat, Office, local
from tests.factories import make_message


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
    assert [next(f"第{n}件事" for n in range(8) if f"第{n}件事" in t) for t in direct] == [
        "第0件事",
        "第1件事",
        "第2件事",
    ]
    queued = (
        await session.exec(
            select(ReportItem.text)
            .join(EchoQueue, col(EchoQueue.item_id) == ReportItem.id)
            .order_by(col(EchoQueue.item_id))
        )
    ).all()
    assert list(queued) == [f"第{n}件事" for n in range(3, 8)]  # the rest wait, in order


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
