"""/me and /rank off the event loop (issue 21): the bot's side of bot/figure_worker.py.

Gathering, scoring and drawing run in a pool of worker processes (KAOHE_FIGURE_WORKERS,
default 2; 0 runs them in one background thread instead), each with its own engine and
its own kept standings. Processes, not threads: scoring ten thousand people holds the
GIL for a second, and the bot's loop would wait for it at every turn (bench/interactive
measures both). The loop only sends the question — the database URL, the policy, the
clock, and the change generations (storage/changes.py) known when the message arrived —
and gets back the finished text and PNG. The workers run at a lower CPU priority
(`nice` 10): when the machine is short of CPU, filings are acknowledged first.
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

import charts
from bot import figure_boot, figure_worker
from bot.export import Export
from bot.figure_worker import Ask, MeAnswer, Out, RankAsk
from core.calendar import WorkCalendar
from core.policy import Policy
from core.quarter import Quarter
from storage.changes import CHANGES, install

install()


class _Pool:
    executor: Executor | None = None


_POOL = _Pool()


def workers() -> int:
    """Worker processes for figures (KAOHE_FIGURE_WORKERS; 0: one thread)."""
    return max(0, int(os.environ.get("KAOHE_FIGURE_WORKERS", "2")))


def executor() -> Executor:
    """The pool, started on first use and shut down at exit."""
    if _POOL.executor is None:
        count = workers()
        if count:
            context = multiprocessing.get_context("spawn")
            pool: Executor = ProcessPoolExecutor(
                count, context, initializer=figure_boot.start, initargs=(_charts_root(),)
            )
        else:
            pool = ThreadPoolExecutor(1, "figures", initializer=figure_worker.init)
        _POOL.executor = pool
        atexit.register(shutdown)
    return _POOL.executor


def _charts_root() -> str | None:
    """The folder this process imported `charts` from (None: not from a file)."""
    where = getattr(charts, "__file__", None)
    return str(Path(where).resolve().parent.parent) if where else None


def shutdown() -> None:
    """Stop the pool (at exit; tests may call it to change KAOHE_FIGURE_WORKERS)."""
    pool, _POOL.executor = _POOL.executor, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


async def start() -> None:
    """Start the workers now (their imports take a while), not on the first /me."""
    pool = executor()
    loop = asyncio.get_running_loop()
    await asyncio.gather(
        *(loop.run_in_executor(pool, figure_worker.computed) for _ in range(max(workers(), 1)))
    )


def ask(session: AsyncSession, policy: Policy, calendar: WorkCalendar, now: datetime) -> Ask:
    """The question as the worker needs it; `arrived` is now."""
    engine = session.get_bind().engine
    where = engine.url
    if where.get_backend_name() == "sqlite" and where.database and where.database != ":memory:":
        # a worker process may have started in another directory: give it the file itself
        where = where.set(database=os.path.abspath(where.database))
    url = where.render_as_string(hide_password=False)
    shared = engine.dialect.name == "postgresql"  # several instances may write to it
    return Ask(url, policy, calendar, now, CHANGES.snapshot(), time.monotonic(), shared)


async def _call(function: Any, *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(executor(), function, *args)


async def me(question: Ask, person_id: int, trend: bool = True) -> MeAnswer:
    """/me's header, text and trend picture (`trend`), and the full explanation, computed
    in a worker."""
    answer: MeAnswer = await _call(figure_worker.me, question, person_id, trend)
    return answer


async def rank(question: Ask, request: RankAsk) -> list[Out]:
    """/rank's messages, computed in a worker."""
    outs: list[Out] = await _call(figure_worker.rank, question, request)
    return outs


async def export(question: Ask, quarter: Quarter) -> Export:
    """The quarter's workbook, built in a worker (3 s of CPU for a unit of 100 must not
    hold up the bot); LookupError if no roster was imported."""
    built: Export | None = await _call(figure_worker.export, question, str(quarter))
    if built is None:
        raise LookupError("no roster imported yet")
    return built
