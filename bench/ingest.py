"""bench/ingest: reports filed per second through the real dispatcher and database.

Simulated people (bound, in departments with bound groups) send private 日报; each goes
through the real middlewares, handlers and storage, with an in-process Bot API session
(bot/offline.py) answering the acknowledgement and the echo. Updates are handled as
aiogram's polling does (`handle_as_tasks`): one task per update, at most `--concurrency`
in flight (one getUpdates batch is 100). Every update has a fresh update id and message
id, and the run checks that each one was filed.

Printed with the same run's framework ceiling (the same Dispatcher feeding a no-op
handler) and storage floor: a bare SQLModel insert per report, one session and
transaction each, on the same engine (same pragmas and pool), with the same concurrency
and one at a time; the ratio is taken to the faster of the two. On SQLite and on
PostgreSQL (`--pg URL`, env BENCH_PG_URL; a database is created on that server and
dropped afterwards; `--no-pg` to skip). Goal: ≥ 80% of the floor.

Each figure is the median of `--rounds` rounds, the four measurements interleaved in
each; garbage collection is settled first, as `kaohe run` does once started.

    python bench/ingest.py [--n 2000] [--people 500] [--concurrency 100] [--rounds 3]
                           [--pg URL | --no-pg]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from statistics import median

from aiogram import Dispatcher, Router
from aiogram.types import Message, Update
from seed import DEFAULT_PG, database, world
from sqlmodel import func, select

from bot.app import make_bot, make_dispatcher
from bot.config import Settings
from bot.offline import BOT_ID, OfflineSession, UpdateFactory
from bot.runtime import settle_memory
from storage.tables import Person, Report, ReportItem


def updates(factory: UpdateFactory, users: list[tuple[int, int]], n: int) -> list[Update]:
    """n private 日报 from the people in turn, dated now (fresh update and message ids)."""
    now = datetime.now(UTC)
    result = []
    for i in range(n):
        uid, _ = users[i % len(users)]
        user = factory.user(uid, f"员工{uid}")
        text = f"今日完成事项第{i}项：走访企业、整理台账。"
        message = factory.message(text, user=user, date=now)
        result.append(factory.update(message=message))
    return result


async def concurrently(jobs: list[Callable[[], Awaitable[object]]], limit: int) -> float:
    """Run the jobs as tasks, at most `limit` at a time (aiogram polling with
    `handle_as_tasks`); jobs per second."""
    gate = asyncio.Semaphore(limit)

    async def run(job: Callable[[], Awaitable[object]]) -> None:
        async with gate:
            await job()

    start = time.perf_counter()
    await asyncio.gather(*(run(job) for job in jobs))
    return len(jobs) / (time.perf_counter() - start)


async def rate(dp: Dispatcher, bot, batch: list[Update], limit: int) -> float:  # type: ignore[no-untyped-def]
    return await concurrently([lambda u=u: dp.feed_update(bot, u) for u in batch], limit)


D0, D1 = date(2000, 1, 1), date(1990, 1, 1)  # the floor's report days (no clash with today)


async def floor(  # type: ignore[no-untyped-def]
    sessionmaker, person_ids: list[int], unit_id: int, n: int, limit: int, *, day0: date
) -> float:
    """One bare SQLModel insert (a Report) per session and transaction."""

    async def insert(i: int) -> None:
        async with sessionmaker() as s:
            s.add(
                Report(
                    unit_id=unit_id,
                    person_id=person_ids[i % len(person_ids)],
                    kind="daily",
                    day=day0 + timedelta(days=i // len(person_ids)),
                    status="on_time",
                    filed_at=datetime.now(UTC),
                    updated_at=datetime.now(UTC),
                )  # fmt: skip
            )
            await s.commit()

    return await concurrently([lambda i=i: insert(i) for i in range(n)], limit)


async def one(label: str, pg: str | None, n: int, people: int, limit: int, rounds: int) -> None:
    async with database(pg) as url, world(url, people=people, departments=50) as w:
        settings = Settings(BOT_TOKEN=f"{BOT_ID}:BENCH", DATABASE_URL=url, REDIS_URL="")  # type: ignore[call-arg]
        bot = make_bot(settings, session=OfflineSession())
        async with w.sessionmaker() as s:
            persons = list((await s.exec(select(Person))).all())
        ids = [p.id for p in persons if p.id is not None]
        unit_id = persons[0].unit_id
        dp = make_dispatcher(settings, w.sessionmaker)
        factory = UpdateFactory()
        bare = Dispatcher()
        router = Router()

        async def noop(message: Message) -> None:
            return None

        router.message.register(noop)
        bare.include_router(router)
        warm = min(200, n)
        await rate(dp, bot, updates(factory, w.users, warm), limit)  # warm up: first reports
        settle_memory()  # as `kaohe run` does once started (for every measurement here)
        floors, ones, ceilings, reals = [], [], [], []
        for r in range(rounds):  # interleaved, so a slow spell of the machine hits all
            shift = timedelta(days=10 * r)  # the floor's rows never collide
            floors.append(await floor(w.sessionmaker, ids, unit_id, n, limit, day0=D0 + shift))
            ones.append(await floor(w.sessionmaker, ids, unit_id, n, 1, day0=D1 + shift))
            ceilings.append(await rate(bare, bot, updates(factory, w.users, n), limit))
            bot.session.clear()  # type: ignore[attr-defined]
            reals.append(await rate(dp, bot, updates(factory, w.users, n), limit))
        sent = len(bot.session.requests)  # type: ignore[attr-defined]
        await bot.session.close()
        async with w.sessionmaker() as s:
            filed = (await s.exec(select(func.count()).select_from(ReportItem))).one()
        if filed != warm + n * rounds:
            raise SystemExit(f"{label}: {filed} items stored, {warm + n * rounds} sent")
    real, floor_rate, floor_one = median(reals), median(floors), median(ones)
    print(  # noqa: T201
        f"{label:10} filing {real:6.0f}/s  ceiling {median(ceilings):6.0f}/s"
        f"  floor {floor_rate:6.0f}/s ({floor_one:.0f}/s one at a time)"
        f"  filing/floor {real / max(floor_rate, floor_one):4.0%}"
        f"  ({sent} Bot API calls for {n} reports, {limit} in flight; median of {rounds},"
        f" filing {min(reals):.0f}–{max(reals):.0f}/s)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="reports per measurement")
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=100, help="updates in flight")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="medians of this many")
    args = parser.parse_args()
    await one("SQLite", None, args.n, args.people, args.concurrency, args.rounds)
    if not args.no_pg:
        await one("PostgreSQL", args.pg, args.n, args.people, args.concurrency, args.rounds)


if __name__ == "__main__":
    asyncio.run(main())
