"""Group commit (bot/batching.py): calls made while a batch runs go together in the next
one; each caller gets its own result or its own failure."""

from __future__ import annotations

import asyncio

import pytest

from bot.batching import Batcher


async def test_calls_made_while_a_batch_runs_go_together_and_each_gets_its_own_result() -> None:
    seen: list[list[int]] = []
    gate = asyncio.Event()

    async def run(items: list[int]) -> list[int | BaseException]:
        seen.append(items)
        if len(seen) == 1:
            await gate.wait()  # the first batch is slow; the others pile up meanwhile
        return [ValueError(n) if n == 13 else n * 10 for n in items]

    batcher: Batcher[int, int] = Batcher(run)
    first = asyncio.ensure_future(batcher(1))
    await asyncio.sleep(0)
    rest = [asyncio.ensure_future(batcher(n)) for n in (2, 13, 4)]
    await asyncio.sleep(0)
    gate.set()
    assert await first == 10
    results = await asyncio.gather(*rest, return_exceptions=True)
    assert results[0] == 20 and results[2] == 40
    assert isinstance(results[1], ValueError)  # only 13's caller fails
    assert seen == [[1], [2, 13, 4]]


async def test_a_failing_batch_fails_its_callers_and_the_next_call_runs_afresh() -> None:
    calls = 0

    async def run(items: list[str]) -> list[str | BaseException]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database restarting")
        return [item.upper() for item in items]

    batcher: Batcher[str, str] = Batcher(run)
    results = await asyncio.gather(batcher("a"), batcher("b"), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert await batcher("c") == "C"


async def test_a_batch_never_exceeds_its_size() -> None:
    sizes: list[int] = []

    async def run(items: list[int]) -> list[int | BaseException]:
        sizes.append(len(items))
        await asyncio.sleep(0)
        return list(items)

    batcher: Batcher[int, int] = Batcher(run, max_size=3)
    assert await asyncio.gather(*(batcher(n) for n in range(8))) == list(range(8))
    assert max(sizes) <= 3 and sum(sizes) == 8


@pytest.mark.parametrize("size", [1, 2])
async def test_a_cancelled_caller_does_not_stop_the_others(size: int) -> None:
    gate = asyncio.Event()

    async def run(items: list[int]) -> list[int | BaseException]:
        await gate.wait()
        return list(items)

    batcher: Batcher[int, int] = Batcher(run, max_size=size)
    leaving = asyncio.ensure_future(batcher(1))
    staying = asyncio.ensure_future(batcher(2))
    await asyncio.sleep(0)
    leaving.cancel()
    gate.set()
    assert await staying == 2
