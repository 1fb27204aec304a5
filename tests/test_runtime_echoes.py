"""`kaohe run` starts the echo flusher (issue 10): echoes queued for a busy group — here
left queued by an earlier process — go out as one batch soon after start-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import echoes
from storage.tables import EchoBatch, EchoQueue, ReportItem
from tests.conftest import OFFICE_GROUP, Chat, Office, local
from tests.factories import make_message
from tests.fake_api import FakeBotAPI
from tests.test_e2e_run import TOKEN, clean_env, kaohe_run, polling, sent_to


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(token=TOKEN, privacy_mode=False) as server:
        yield server


async def test_kaohe_run_flushes_queued_echoes(
    api: FakeBotAPI,
    db_url: str,
    tmp_path: Path,
    chat: Chat,
    office: Office,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(echoes, "DIRECT_PER_MINUTE", 1)  # in this process only
    for user, text in ((office.member, "走访企业"), (office.other, "整理档案")):
        await chat.feed(make_message(text, user=user, date=local(11, 20, 17, 30)))
    async with sessionmaker() as s:
        assert (await s.exec(select(func.count()).select_from(EchoQueue))).one() == 1
    env = clean_env() | {"BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": api.base, "DATABASE_URL": db_url}
    async with kaohe_run(env, tmp_path) as bot:
        await polling(api)
        batch = await api.wait_for("sendMessage", sent_to(OFFICE_GROUP, "日报汇总（1条）", "赵丽"))
        assert "parse_mode" not in batch
        for _ in range(100):  # the batch is recorded right after Telegram accepted it
            async with sessionmaker() as s:
                if (await s.exec(select(EchoBatch))).first() is not None:
                    break
            await asyncio.sleep(0.1)
        async with sessionmaker() as s:
            assert (await s.exec(select(func.count()).select_from(EchoQueue))).one() == 0
            items = (await s.exec(select(ReportItem))).all()
            assert len(items) == 2 and all(i.echo_message_id is not None for i in items)
    assert "Traceback" not in bot.log
