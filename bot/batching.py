"""Group commit (DESIGN §9, issue 10): calls that arrive while a batch runs go together.

At a deadline most of a unit files within minutes. Each filing alone costs a transaction
and a handful of statements, most of it Python work around the SQL, so a bot serving a
city would spend its time there. A `Batcher` collects the calls made while the previous
batch is running and runs them as one batch: under load a batch holds everything that
arrived meanwhile, with no load a call runs at once (a batch of one, no waiting).

Each caller gets its own result, or its own exception: the batch function returns one
result per call, in order, where an exception instance stands for that call's failure;
an exception raised by the batch function fails every call of the batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_BATCH = 200


class Batcher(Generic[T, R]):
    """`await batcher(item)` runs `run([...items])` with the items of concurrent calls."""

    def __init__(
        self,
        run: Callable[[list[T]], Awaitable[list[R | BaseException]]],
        *,
        max_size: int = MAX_BATCH,
    ) -> None:
        self.run = run
        self.max_size = max_size
        self.pending: list[tuple[T, asyncio.Future[R]]] = []
        self.task: asyncio.Task[None] | None = None
        self.batches = 0  # how many batches ran (for tests and benchmarks)
        self.calls = 0

    async def __call__(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self.pending.append((item, future))
        if self.task is None:
            self.task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self.pending:
                batch = self.pending[: self.max_size]
                del self.pending[: self.max_size]
                await self._one(batch)
        except BaseException:
            for _, future in self.pending:
                future.cancel()
            self.pending.clear()
            raise
        finally:
            self.task = None

    async def _one(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        self.batches += 1
        self.calls += len(batch)
        try:
            results = await self.run([item for item, _ in batch])
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:  # cancelled (shutting down): so are the callers
            for _, future in batch:
                future.cancel()
            raise
        if len(results) != len(batch):
            error = RuntimeError(f"batch of {len(batch)} gave {len(results)} results")
            results = [error] * len(batch)
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # the caller went away (cancelled)
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
