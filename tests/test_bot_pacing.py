"""The bot's own sends are paced under Telegram's limits and 429s are retried (issue 10,
bot/pacing.py), against an in-process Bot API that enforces the limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import make_bot, make_dispatcher
from bot.config import Settings
from bot.pacing import Pacer, self_paced
from bot.sender import Limits
from storage.tables import Person, Report
from tests.conftest import FakeClock, Roster, local
from tests.factories import make_message, make_user
from tests.fake_api import RateLimits
from tests.fake_limited import LimitedSession, peak

# Telegram's limits, faster overall so a burst is quick to pace (one a second per chat).
FAKE = RateLimits(per_second=20, per_chat_per_second=1, group_per_minute=20)
PACE = Limits(per_second=20, per_chat_per_second=1, group_per_minute=20)


def paced_bot(settings: Settings, session: LimitedSession, limits: Limits | None) -> Bot:
    return make_bot(settings, session=session, limits=limits)


def pacer(bot: Bot) -> Pacer:
    return next(m for m in bot.session.middleware._middlewares if isinstance(m, Pacer))  # type: ignore[attr-defined]


@pytest.fixture
async def limited() -> AsyncIterator[LimitedSession]:
    yield LimitedSession(FAKE)


async def bound_people(roster: Roster, n: int) -> list:  # type: ignore[type-arg]
    async with roster.sessionmaker() as s:
        names = list((await s.exec(select(Person.name).order_by(Person.id))).all())
    return [await roster.bind(name) for name in dict.fromkeys(names)][:n]


async def file_all_at_once(dp: Dispatcher, bot: Bot, users: list) -> list:  # type: ignore[type-arg]
    """Everyone sends a 日报 at the same moment; the updates are handled concurrently, as
    polling does."""
    updates = [
        make_message(f"走访企业 {i} 家", user=user, date=local(11, 20, 17, 59))
        for i, user in enumerate(users)
    ]
    return await asyncio.gather(*(dp.feed_update(bot, u) for u in updates), return_exceptions=True)


async def test_a_burst_of_acknowledgements_is_paced_under_the_overall_limit(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    roster: Roster,
    clock: FakeClock,
    limited: LimitedSession,
) -> None:
    users = await bound_people(roster, 30)
    bot = paced_bot(settings, limited, PACE)
    dp = make_dispatcher(settings, sessionmaker, clock=clock, catch_errors=False)
    started = asyncio.get_running_loop().time()
    outcomes = await file_all_at_once(dp, bot, users)
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert limited.refused == []  # no 429 at all
    acks = [m for _, chat, m in limited.accepted if chat > 0]
    assert sorted(m.chat_id for m in acks) == sorted(u.id for u in users)  # one each
    assert all(isinstance(m, SendMessage) and m.text.startswith("✅ 已记录") for m in acks)
    assert peak([t for t, _, _ in limited.accepted], 1.0) <= 20
    assert asyncio.get_running_loop().time() - started >= 29 / 20 * 0.9  # it did wait
    assert (await session.exec(select(func.count()).select_from(Report))).one() == 30


@pytest.mark.parametrize("paced", [True, False])
async def test_a_burst_is_refused_without_the_pacer_and_not_with_it(
    settings: Settings, limited: LimitedSession, paced: bool
) -> None:
    bot = paced_bot(settings, limited, PACE if paced else None)
    outcomes = await asyncio.gather(
        *(bot.send_message(1000 + i, "✅ 已记录") for i in range(40)), return_exceptions=True
    )
    refused = [o for o in outcomes if isinstance(o, TelegramRetryAfter)]
    if paced:
        assert refused == [] and limited.refused == [] and len(limited.accepted) == 40
        assert peak([t for t, _, _ in limited.accepted], 1.0) <= 20
    else:
        assert len(refused) == len(limited.refused) == 20  # what the pacer prevents


async def test_a_429_is_retried_and_the_acknowledgement_arrives_once(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    roster: Roster,
    clock: FakeClock,
    limited: LimitedSession,
) -> None:
    user = await roster.bind("杨帆")
    bot = paced_bot(settings, limited, PACE)
    dp = make_dispatcher(settings, sessionmaker, clock=clock, catch_errors=False)
    limited.force_429 = [1]  # Telegram says: retry after 1 s
    started = asyncio.get_running_loop().time()
    await dp.feed_update(bot, make_message("整理档案", user=user, date=local(11, 20, 10)))
    assert len(limited.refused) == 1
    acks = [m for _, chat, m in limited.accepted if chat == user.id]
    assert [m.text for m in acks] == ["✅ 已记录 11月20日 日报（按时），共 1 条。"]  # type: ignore[attr-defined]
    assert asyncio.get_running_loop().time() - started >= 1.0  # waited retry_after
    assert pacer(bot).stats.retried == 1
    assert (await session.exec(select(func.count()).select_from(Report))).one() == 1


async def test_retries_are_bounded(settings: Settings, limited: LimitedSession) -> None:
    bot = paced_bot(settings, limited, replace(PACE, per_chat_per_second=1000))
    pacer(bot).attempts = 2
    limited.force_429 = [1, 1, 1]
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(777, "你好")
    assert len(limited.refused) == 2 and limited.accepted == []
    assert pacer(bot).stats.gave_up == 1


async def test_messages_to_one_chat_keep_their_order_and_spacing(
    settings: Settings, limited: LimitedSession
) -> None:
    bot = paced_bot(settings, limited, replace(PACE, per_chat_per_second=5))
    limited.limits = replace(FAKE, per_chat_per_second=5)
    await asyncio.gather(*(bot.send_message(-100_500, f"第{i}条") for i in range(6)))
    texts = [m.text for _, _, m in limited.accepted]  # type: ignore[attr-defined]
    assert texts == [f"第{i}条" for i in range(6)] and limited.refused == []
    times = [t for t, _, _ in limited.accepted]
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.2


async def test_the_jobs_sender_keeps_only_the_global_pace(
    settings: Settings, limited: LimitedSession
) -> None:
    """Inside `self_paced()` the sender's 429s reach it (it retries and records them)."""
    bot = paced_bot(settings, limited, PACE)
    limited.force_429 = [1]
    with self_paced(), pytest.raises(TelegramRetryAfter):
        await bot.send_message(make_user(888).id, "提醒")
    assert pacer(bot).stats.retried == 0
