"""With REDIS_URL, conversation state lives in Redis and survives a restart."""

from __future__ import annotations

import os
import uuid

import pytest
from aiogram import Bot
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import make_dispatcher
from bot.config import Settings
from storage import people
from storage.tables import Person, Report
from tests.conftest import Chat, FakeClock, Office, local
from tests.factories import make_callback, make_message, make_user
from tests.fakes import FakeSession

REDIS_URL = os.environ.get("TEST_REDIS_URL")


def test_memory_storage_without_redis(no_env) -> None:  # type: ignore[no-untyped-def]
    from bot.app import make_fsm_storage

    assert isinstance(make_fsm_storage(Settings()), MemoryStorage)


@pytest.mark.skipif(not REDIS_URL, reason="needs a Redis server: set TEST_REDIS_URL")
async def test_state_survives_a_new_storage_instance() -> None:
    from bot.app import make_fsm_storage

    settings = Settings(BOT_TOKEN="1:x", REDIS_URL=REDIS_URL)  # type: ignore[call-arg]
    key = StorageKey(bot_id=1, chat_id=int(uuid.uuid4().int % 10**9), user_id=7)
    first = make_fsm_storage(settings)
    assert isinstance(first, RedisStorage)
    await first.set_state(key, "Declare:text")
    await first.set_data(key, {"items": ["完成年报"]})
    await first.close()

    second = make_fsm_storage(settings)  # as after a restart
    try:
        assert await second.get_state(key) == "Declare:text"
        assert await second.get_data(key) == {"items": ["完成年报"]}
    finally:
        await second.set_state(key, None)
        await second.set_data(key, {})
        await second.close()


@pytest.mark.skipif(not REDIS_URL, reason="needs a Redis server: set TEST_REDIS_URL")
async def test_a_conversation_goes_on_after_a_restart_or_on_another_instance(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    fake: FakeSession,
    office: Office,
    clock: FakeClock,
    session: AsyncSession,
) -> None:
    """/weekly → 自己写 on one instance; the text arrives at another (or after a restart)."""
    redis_settings = settings.model_copy(update={"redis_url": REDIS_URL})
    tg_id = 900_000_000 + uuid.uuid4().int % 10**8  # no clash with other runs on this Redis
    async with sessionmaker() as s:
        person = (await s.exec(select(Person).where(Person.name == "赵丽"))).one()
        people.bind(s, person=person, tg_user_id=tg_id, how="test")
        await s.commit()
    user = make_user(tg_id, "赵丽")
    first = make_dispatcher(redis_settings, sessionmaker, clock=clock, catch_errors=False)
    assert isinstance(first.storage, RedisStorage)
    chat = Chat(first, bot, fake)
    await chat.feed(make_message("/weekly", user=user, date=local(11, 20, 16)))
    offer = fake._message(user.id, text="offer", reply_markup=None)
    asked = await chat.feed(make_callback("wk:own", user=user, message=offer))
    assert "请发送你的周报内容" in asked[0].text
    await first.storage.close()  # the instance stops

    second = make_dispatcher(redis_settings, sessionmaker, clock=clock, catch_errors=False)
    try:
        sent = await Chat(second, bot, fake).feed(
            make_message("本周完成迎检材料", user=user, date=local(11, 20, 16, 5))
        )
        assert "已记录 周报" in sent[0].text
        weekly = (await session.exec(select(Report).where(Report.kind == "weekly"))).one()
        assert weekly.person_id == person.id
    finally:
        await second.storage.close()
