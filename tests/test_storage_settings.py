"""App settings: instances starting together store the same key without failing."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.people import get_setting, set_setting


async def test_two_instances_store_the_same_setting_at_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async def start(username: str) -> None:
        async with sessionmaker() as session:
            await set_setting(session, key="bot_username", value=username)
            await session.commit()

    await asyncio.gather(start("kaohe_bot"), start("kaohe_bot"))
    async with sessionmaker() as session:
        assert await get_setting(session, key="bot_username") == "kaohe_bot"


async def test_a_changed_setting_is_seen_by_the_session_that_changed_it(
    session: AsyncSession,
) -> None:
    await set_setting(session, key="bot_username", value="old_bot")
    await session.commit()
    assert await get_setting(session, key="bot_username") == "old_bot"
    await set_setting(session, key="bot_username", value="new_bot")
    await session.commit()
    assert await get_setting(session, key="bot_username") == "new_bot"
