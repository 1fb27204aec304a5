"""With REDIS_URL, conversation state lives in Redis and survives a restart."""

from __future__ import annotations

import os
import uuid

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage

from bot.config import Settings

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
