"""A `kaohe run` process killed with SIGKILL (issue 16): long polling confirms an update
to Telegram only once it is handled, and a report stored just before the crash is
answered after the restart — once."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import ReportItem
from tests.conftest import Office
from tests.fake_api import FakeBotAPI, Params
from tests.test_e2e_run import (  # noqa: F401 - fixtures
    api,
    env,
    kaohe_run,
    polling,
    sent_to,
    workdir,
)

# KAOHE_ANSWER_GRACE for the restarted process (production: 20 s); the wait itself is
# tested in tests/test_storage_claims.py
GRACE = 3.0


async def items(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as s:
        return (await s.exec(select(func.count()).select_from(ReportItem))).one()


async def test_a_report_stored_when_the_process_died_is_answered_after_the_restart(
    api: FakeBotAPI,  # noqa: F811
    env: dict[str, str],  # noqa: F811
    workdir: Path,  # noqa: F811
    office: Office,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    member = office.member.id
    hung = asyncio.Event()
    normal = api.handlers["sendmessage"]

    async def never_answers(params: Params) -> Any:
        if str(params.get("chat_id")) == str(member):
            hung.set()
            await asyncio.Event().wait()  # the process dies before Telegram answers
        return await normal(params)

    api.handle("sendMessage", never_answers)
    async with kaohe_run(env, workdir) as bot:
        await polling(api)
        api.push_message("起草年度工作总结", user_id=member, first_name="帆")
        async with asyncio.timeout(20):
            await hung.wait()
        await asyncio.sleep(0.3)  # the next getUpdates has come and gone
        bot.proc.send_signal(signal.SIGKILL)
        await bot.wait_exit(10)
    assert await items(sessionmaker) == 1  # stored, never acknowledged
    assert api.updates, "the update was confirmed before it was handled"

    api.handle("sendMessage", normal)
    async with kaohe_run(env | {"KAOHE_ANSWER_GRACE": str(GRACE)}, workdir) as bot:
        acked = sent_to(member, "已记录")
        # the new process waits until the dead one's claim is GRACE seconds old
        async with asyncio.timeout(GRACE + 25):
            while not any(acked(p) for p in api.delivered):
                await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        bot.proc.send_signal(signal.SIGTERM)
        assert await bot.wait_exit(30) == 0, bot.log
    acks = [p for p in api.delivered if acked(p)]
    assert len(acks) == 1
    assert await items(sessionmaker) == 1
    assert "answering it now" in bot.log
