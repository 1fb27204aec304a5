"""At the deadline peak (issue 21) every echo queues and a group's first batch waits too:
a busy unit's groups get a batch every `FLUSH_EVERY`, not one message per report."""

from __future__ import annotations

import pytest
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import echoes
from storage.tables import EchoQueue
from tests.conftest import OFFICE_GROUP, Chat, Office, local
from tests.factories import make_message


async def queued(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as s:
        return (await s.exec(select(func.count()).select_from(EchoQueue))).one()


async def test_at_the_peak_echoes_queue_and_the_first_batch_waits(
    chat: Chat,
    office: Office,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(echoes, "PEAK_LOAD", 2)  # two echoes in two minutes make a peak
    monkeypatch.setattr(echoes, "utcnow", lambda: local(11, 20, 17, 31))  # the flusher's clock
    for user in (office.member, office.other, office.head):
        sent = await chat.feed(make_message("工作", user=user, date=local(11, 20, 17, 30)))
        assert [m.chat_id for m in sent if m.chat_id == user.id] == [user.id]  # acknowledged
    direct = [m for m in chat.fake.sent(SendMessage) if m.chat_id == OFFICE_GROUP]
    assert len(direct) == 2  # below the peak as before (6 a minute would allow a third)
    assert await queued(sessionmaker) == 1

    flusher = echoes.EchoFlusher(sessionmaker, chat.bot, owner="test")
    assert await flusher.flush(due_only=True) == 0  # at the peak the first batch waits
    assert await queued(sessionmaker) == 1
    assert await flusher.flush() == 1  # and goes out when due
    assert await queued(sessionmaker) == 0
    batch = chat.fake.last_message(OFFICE_GROUP)
    assert batch.text is not None and "日报汇总（1条）" in batch.text and "陈静" in batch.text


async def test_below_the_peak_echoes_go_out_directly(
    chat: Chat, office: Office, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    for user in (office.member, office.other, office.head):
        await chat.feed(make_message("工作", user=user, date=local(11, 20, 17, 30)))
    direct = [m for m in chat.fake.sent(SendMessage) if m.chat_id == OFFICE_GROUP]
    assert len(direct) == 3 and await queued(sessionmaker) == 0
