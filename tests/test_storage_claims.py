"""Update claims: the 「已记录」 owed for a stored report is sent by one instance only —
the one that stored it, or another one once the first has had its time (it died)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.runtime import ClaimKey, answered, claim_updates, take_answer
from tests.factories import TEST_NOW

GRACE = 20.0
NOW = TEST_NOW


async def stored_by(sessionmaker: async_sessionmaker[AsyncSession], owner: str) -> None:
    async with sessionmaker() as session:
        await claim_updates(session, [ClaimKey(1, 7, owner)], now=NOW, answer_due=True)
        await session.commit()


async def take(
    sessionmaker: async_sessionmaker[AsyncSession], owner: str, after: float
) -> float | None:
    async with sessionmaker() as session:
        wait = await take_answer(
            session, ClaimKey(1, 7, owner), now=NOW + timedelta(seconds=after), grace=GRACE
        )
        await session.commit()
    return wait


async def test_another_instance_waits_while_the_owner_may_still_answer(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await stored_by(sessionmaker, "a")
    assert await take(sessionmaker, "b", after=5) == GRACE - 5
    assert await take(sessionmaker, "a", after=6) is None  # the owner answers its own


async def test_a_dead_owners_answer_is_taken_by_one_instance_only(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await stored_by(sessionmaker, "a")
    late = GRACE + 1
    first, second = await asyncio.gather(
        take(sessionmaker, "b", after=late), take(sessionmaker, "c", after=late)
    )
    assert sorted([first is None, second is None]) == [False, True]
    assert await take(sessionmaker, "a", after=late + 1) is not None  # no longer its own


async def test_an_answered_update_is_never_taken(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    await stored_by(sessionmaker, "a")
    async with sessionmaker() as session:
        await answered(session, [ClaimKey(1, 7, "a")])
        await session.commit()
    assert await take(sessionmaker, "b", after=GRACE * 3) is not None
    assert await take(sessionmaker, "a", after=1) is not None
