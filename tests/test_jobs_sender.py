"""The sender against a fake Bot API over real HTTP: Telegram's limits and 429 retry_after,
blocked users (403), network and server errors (DESIGN §5)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import make_bot
from bot.config import Settings
from bot.jobs import Jobs
from bot.sender import Limits, Outgoing, Sender
from core.jobs import Job
from storage import jobs as store
from storage.tables import AuditEntry, Unreachable
from tests.conftest import SHANGHAI, TEST_TOKEN, Chat, FakeClock, Office, local
from tests.factories import make_message
from tests.fake_api import FakeBotAPI, RateLimits

DAY = date(2026, 11, 20)
FAST = replace(Limits.unlimited(), backoff=0.01)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """The fake Bot API on 127.0.0.1 (no limits unless a test sets them)."""
    async with FakeBotAPI(token=TEST_TOKEN) as server:
        yield server


@pytest.fixture
async def http_bot(api: FakeBotAPI, db_url: str) -> AsyncIterator[Bot]:
    """A Bot talking HTTP to the fake API, as `kaohe run` would with TELEGRAM_API_BASE."""
    settings = Settings(BOT_TOKEN=TEST_TOKEN, TELEGRAM_API_BASE=api.base, DATABASE_URL=db_url)  # type: ignore[call-arg]
    bot = make_bot(settings)
    yield bot
    await bot.session.close()


def outgoing(chat_id: int, n: int, prefix: str = "m") -> list[Outgoing]:
    return [
        Outgoing("test", DAY, f"{prefix}{chat_id}:{i}", chat_id, f"消息 {i}") for i in range(n)
    ]


def delivered_to(api: FakeBotAPI, chat_id: int) -> list[str]:
    return [str(p["text"]) for p in api.delivered if int(p["chat_id"]) == chat_id]


async def test_429_is_retried_after_retry_after_and_nothing_is_lost(
    api: FakeBotAPI,
    http_bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    api.limits = RateLimits(per_second=1000, per_chat_per_second=1, group_per_minute=1000)
    sender = Sender(http_bot, sessionmaker, limits=FAST)  # does not pace: Telegram refuses
    started = time.monotonic()
    delivery = await sender.send(outgoing(777, 3))
    assert [m.text for m in delivery.sent] == ["消息 0", "消息 1", "消息 2"]
    assert delivered_to(api, 777) == ["消息 0", "消息 1", "消息 2"]  # in order, once each
    assert delivery.retry_after >= 1 and api.rejected[429] == delivery.retry_after
    assert time.monotonic() - started >= 1.0  # it did wait retry_after
    assert {r.status for r in await store.sent_messages(session, job="test")} == {"sent"}


async def test_pacing_keeps_under_the_limits(
    api: FakeBotAPI, http_bot: Bot, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    api.limits = RateLimits().scaled(20)  # 600/s, 20/s per chat
    sender = Sender(http_bot, sessionmaker, limits=Limits().scaled(20))
    messages = outgoing(555, 8) + [m for chat in range(1000, 1060) for m in outgoing(chat, 1)]
    started = time.monotonic()
    delivery = await sender.send(messages)
    assert len(delivery.sent) == 68 and delivery.retry_after == 0
    assert api.rejected == {}
    assert delivered_to(api, 555) == [f"消息 {i}" for i in range(8)]
    assert time.monotonic() - started >= 7 / 20  # one chat: 20 a second at most


async def test_network_and_server_errors_are_retried(
    api: FakeBotAPI, http_bot: Bot, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    api.failures = [0, 502]  # a dropped connection, then a bad gateway
    delivery = await Sender(http_bot, sessionmaker, limits=FAST).send(outgoing(888, 1))
    assert [m.text for m in delivery.sent] == ["消息 0"]
    assert delivery.transient == 2
    assert delivered_to(api, 888) == ["消息 0"]
    assert api.rejected == {0: 1, 502: 1}


async def test_a_message_given_up_is_sent_by_the_next_run(
    api: FakeBotAPI,
    http_bot: Bot,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    api.failures = [500, 500, 500]
    sender = Sender(http_bot, sessionmaker, limits=replace(FAST, attempts=2))
    first = await sender.send(outgoing(999, 1))
    assert first.sent == [] and len(first.later) == 1
    assert [r.status for r in await store.sent_messages(session, job="test")] == ["retry"]
    second = await sender.send(outgoing(999, 1))  # api.failures still holds one 500
    assert len(second.sent) == 1
    assert delivered_to(api, 999) == ["消息 0"]


# ---- blocked users -------------------------------------------------------------------------


@pytest.fixture
def http_jobs(
    sessionmaker: async_sessionmaker[AsyncSession],
    http_bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
) -> Jobs:
    """The job runner, sending over HTTP to the fake API."""
    return Jobs(
        sessionmaker=sessionmaker,
        policy=dp["policy"],
        zone=SHANGHAI,
        bot=http_bot,
        clock=clock,
        limits=FAST,
        owner="http",
    )


async def test_a_user_who_blocked_the_bot_is_recorded_reported_and_skipped(
    http_jobs: Jobs,
    api: FakeBotAPI,
    chat: Chat,
    office: Office,
    clock: FakeClock,
    session: AsyncSession,
) -> None:
    await chat.feed(make_message("整理档案", user=office.member, date=local(11, 20, 10)))
    api.blocked = {office.other.id}  # 赵丽 blocked the bot
    clock.at = local(11, 20, 17)
    result = await http_jobs.run(Job.REMIND)
    assert result.delivery is not None
    assert [m.label for m in result.delivery.blocked] == ["赵丽"]
    assert api.rejected == {403: 1}  # tried once, not again and again
    assert delivered_to(api, office.head.id)[-1].startswith("⚠️ 赵丽 屏蔽了考核助手")
    unreachable = (await session.exec(select(Unreachable))).all()
    assert [u.person_id for u in unreachable] == [result.delivery.blocked[0].person_id]
    audit = await session.exec(select(AuditEntry).where(AuditEntry.action == "unreachable"))
    assert [a.subject for a in audit.all()] == ["赵丽"]

    clock.at = local(11, 23, 17)  # next working day: she is skipped, the head not re-told
    later = await http_jobs.run(Job.REMIND)
    assert later.delivery is not None and "赵丽" not in {m.label for m in later.delivery.sent}
    assert api.rejected == {403: 1}
    assert len([t for t in delivered_to(api, office.head.id) if "屏蔽" in t]) == 1

    # She unblocks and files a report: reachable again, and the block record goes.
    api.blocked.clear()
    await chat.feed(make_message("补上周的工作", user=office.other, date=local(11, 24, 9)))
    clock.at = local(11, 25, 17)
    again = await http_jobs.run(Job.REMIND)
    assert again.delivery is not None and "赵丽" in {m.label for m in again.delivery.sent}
    session.expire_all()
    assert (await session.exec(select(Unreachable))).all() == []
