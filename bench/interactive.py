"""bench/interactive: /me and /rank from a crowd while reports are filed (issue 21).

A unit of N people in 50 departments (bench/seed.py), at week 13 of a quarter (reports
for every working day so far, some late or missing, likes and errors), on a Friday
evening after the leaderboard post. Through the real dispatcher, middlewares and
handlers, on an offline Bot API session (bot/offline.py; no pacing — bench/peak covers
Telegram's limits):

  alone   20 reports a second are filed for 10 s; nothing else
  crowd   the same filing, and 200 /me (private) and 50 /rank (each in a department's
          group) arriving evenly within the same 10 s

Printed: p50 / p95 / max latency of /me and /rank (message fed → its picture handed to
the session), the longest event-loop stall (a 5 ms ticker's worst lateness), and the
filing acknowledgement latency (message fed → its reply handed to the session) alone
and with the crowd. Before the run, one /me per worker computes the quarter's past weeks
(what the closing jobs would have kept); its time is printed as the warm-up.

Goals: /me p95 ≤ 300 ms at 2,000 people and ≤ 800 ms at 10,000; stall ≤ 50 ms; ack p95
with the crowd ≤ 1.2× alone. SQLite file database.

    python bench/interactive.py [--people 2000 10000] [--workers 2] [--at 21:05] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from seed import database, world

from bot import figures
from bot.app import make_bot, make_dispatcher
from bot.config import Settings
from bot.offline import BOT_ID, OfflineSession, UpdateFactory
from bot.runtime import settle_memory
from core.calendar import WorkCalendar
from core.quarter import Quarter

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 25)  # Friday of week 13 of 2026Q4 (weeks from Monday 9-28)
SPAN = 10.0  # seconds of each phase
FILINGS_PER_SECOND = 20
ME, RANK = 200, 50
DEPARTMENTS = 50


class TimedSession(OfflineSession):
    """The offline session, noting when each request is handed to it: (chat, kind, t)."""

    def __init__(self) -> None:
        super().__init__()
        self.handed: list[tuple[int, str, float]] = []

    async def make_request(self, bot: Any, method: Any, timeout: int | None = None) -> Any:
        chat = getattr(method, "chat_id", None)
        if chat is not None:
            self.handed.append((int(chat), type(method).__name__, time.perf_counter()))
        return await super().make_request(bot, method, timeout)


def fill(path: str, day: date, rng: random.Random) -> int:
    """Reports for every working day of the quarter before `day`, and some records."""
    quarter = Quarter.of(day)
    days = WorkCalendar().workdays(quarter.start, day - timedelta(days=1))
    stamp = datetime(2026, 10, 1, tzinfo=UTC).isoformat(sep=" ")
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    people = [row[0] for row in con.execute("SELECT id FROM person ORDER BY id")]
    rows = []
    for person in people:
        diligence = rng.random()
        for d in days:
            roll = rng.random()
            if roll > 0.9 + diligence * 0.09:
                continue
            status = "on_time" if roll < 0.85 else "late"
            reviewed = stamp if rng.random() < 0.6 else None
            rows.append((person, d.isoformat(), status, stamp, stamp, reviewed))
    con.executemany(
        "INSERT INTO report (unit_id, person_id, kind, day, status, filed_at, updated_at,"
        " reviewed_at) VALUES (1,?,'daily',?,?,?,?,?)",
        rows,
    )
    records = []
    for _ in range(len(people) * 5):
        person = rng.choice(people[DEPARTMENTS:])
        like = rng.random() < 0.7
        records.append(
            (person, "like" if like else "error", 1.0 if like else -1.0,
             None if like else "normal", rng.choice(days).isoformat(), people[0], stamp)
        )  # fmt: skip
    con.executemany(
        "INSERT INTO record (unit_id, person_id, kind, points, severity, reason, day,"
        " issuer_id, created_at) VALUES (1,?,?,?,?,'理由',?,?,?)",
        records,
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return len(rows)


@dataclass
class Phase:
    """Latencies (seconds) of one phase."""

    acks: list[float] = field(default_factory=list)
    me: list[float] = field(default_factory=list)
    rank: list[float] = field(default_factory=list)
    stall: float = 0.0
    errors: list[BaseException] = field(default_factory=list)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


async def ticker(stop: asyncio.Event, worst: list[float]) -> None:
    """The loop's worst lateness on a 5 ms sleep."""
    while not stop.is_set():
        t = time.perf_counter()
        await asyncio.sleep(0.005)
        worst[0] = max(worst[0], time.perf_counter() - t - 0.005)


async def run_phase(
    dp: Any, bot: Any, api: TimedSession, factory: UpdateFactory, users: list[tuple[int, int]],
    groups: list[int], clock: Any, rng: random.Random, *, crowd: bool,
) -> Phase:  # fmt: skip
    """One 10-second phase: filings (and the crowd); latencies from the session's log."""
    order = users[:]
    rng.shuffle(order)
    filers = order[: int(SPAN * FILINGS_PER_SECOND)]
    askers = order[len(filers) : len(filers) + ME]
    events: list[tuple[float, str, int, int]] = []  # (at, what, chat, user)
    for n, (uid, _) in enumerate(filers):
        events.append((n / FILINGS_PER_SECOND, "file", uid, uid))
    if crowd:
        for n, (uid, _) in enumerate(askers):
            events.append((n * SPAN / ME, "me", uid, uid))
        heads = {d: uid for uid, d in users if uid - users[0][0] < DEPARTMENTS}
        for n in range(RANK):
            events.append(
                (n * SPAN / RANK + 0.01, "rank", groups[n % len(groups)], heads[n % len(groups)])
            )
    events.sort()
    fed: dict[tuple[str, int], float] = {}
    tasks: list[asyncio.Task[Any]] = []
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    mark = len(api.handed)

    def feed(what: str, chat: int, uid: int) -> None:
        user = factory.user(uid, f"员工{uid}")
        text = {"file": f"今日完成事项：走访企业（编号{uid}）", "me": "/me", "rank": "/rank"}[what]
        where = factory.group(chat, "群") if chat < 0 else None
        update = factory.update(message=factory.message(text, user=user, chat=where, date=clock()))
        fed[(what, chat)] = time.perf_counter()
        tasks.append(asyncio.create_task(dp.feed_update(bot, update)))

    for at, what, chat, uid in events:
        loop.call_at(loop.time() + at, feed, what, chat, uid)
    stop, worst = asyncio.Event(), [0.0]
    watch = asyncio.create_task(ticker(stop, worst))
    await asyncio.sleep(SPAN + 0.01)
    results = await asyncio.gather(*tasks, return_exceptions=True)
    stop.set()
    await watch
    del start
    phase = Phase(stall=worst[0])
    phase.errors = [r for r in results if isinstance(r, BaseException)]
    first: dict[tuple[str, int], float] = {}
    for chat, kind, t in api.handed[mark:]:
        first.setdefault((kind, chat), t)
    for (what, chat), t in fed.items():
        if what == "file":
            phase.acks.append(first.get(("SendMessage", chat), t + 99) - t)
        elif what == "me":
            phase.me.append(first.get(("SendPhoto", chat), t + 99) - t)
        else:
            phase.rank.append(first.get(("SendPhoto", chat), t + 99) - t)
    return phase


def line(name: str, values: list[float]) -> str:
    return (f"{name}: p50 {pct(values, .5) * 1000:6.0f} ms  p95 {pct(values, .95) * 1000:6.0f} ms"
            f"  max {max(values, default=0) * 1000:6.0f} ms  (n={len(values)})")  # fmt: skip


async def bench(people: int, runs: int, at: str, seed: int) -> dict[str, float]:
    """Build the unit, warm up, run `runs` × (alone, crowd); print and return the medians."""
    hour, minute = (int(x) for x in at.split(":"))
    t0 = time.perf_counter()
    async with database(None) as url, world(url, people=people, departments=DEPARTMENTS) as w:
        reports = fill(url.removeprefix("sqlite:///"), DAY, random.Random(seed))
        built, load = time.perf_counter() - t0, os.getloadavg()[0]
        print(f"\n== {people:,} people, {reports:,} reports, at {DAY} {at} "  # noqa: T201
              f"(built in {built:.0f} s; load {load:.1f})")  # fmt: skip
        settings = Settings(BOT_TOKEN=f"{BOT_ID}:BENCH", DATABASE_URL=url, REDIS_URL="")  # type: ignore[call-arg]
        api = TimedSession()
        bot = make_bot(settings, session=api)
        base = datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=ZONE)
        real0 = time.monotonic()

        def clock() -> datetime:
            return (base + timedelta(seconds=time.monotonic() - real0)).astimezone(UTC)

        dp = make_dispatcher(settings, w.sessionmaker, clock=clock, owner="bench")
        factory = UpdateFactory()
        rng = random.Random(seed)
        t = time.perf_counter()
        await figures.start()
        warm = [
            dp.feed_update(bot, factory.update(message=factory.message(
                "/me", user=factory.user(uid, "员"), date=clock())))
            for uid, _ in w.users[-max(figures.workers(), 1):]
        ]  # fmt: skip
        await asyncio.gather(*warm)
        settle_memory()  # as `kaohe run` does once started (else a full collection stalls)
        print(f"  warm-up (workers started, past weeks computed): "  # noqa: T201
              f"{time.perf_counter() - t:.1f} s")  # fmt: skip
        medians: dict[str, list[float]] = {k: [] for k in ("ack0", "ack1", "me", "rank", "stall")}
        for run in range(runs):
            alone = await run_phase(dp, bot, api, factory, w.users, w.groups, clock, rng,
                                    crowd=False)  # fmt: skip
            crowd = await run_phase(dp, bot, api, factory, w.users, w.groups, clock, rng,
                                    crowd=True)  # fmt: skip
            load = os.getloadavg()[0]
            print(f"  run {run + 1} (load {load:.1f}):")  # noqa: T201
            print("    " + line("/me   ", crowd.me))  # noqa: T201
            print("    " + line("/rank ", crowd.rank))  # noqa: T201
            print("    " + line("ack alone", alone.acks))  # noqa: T201
            print("    " + line("ack crowd", crowd.acks))  # noqa: T201
            errors = len(alone.errors) + len(crowd.errors)
            print(f"    longest loop stall: alone {alone.stall * 1000:.0f} ms, "  # noqa: T201
                  f"crowd {crowd.stall * 1000:.0f} ms; errors {errors}")  # fmt: skip
            for e in (alone.errors + crowd.errors)[:1]:
                print(f"    first error: {e!r}", file=sys.stderr)  # noqa: T201
            medians["ack0"].append(pct(alone.acks, 0.95))
            medians["ack1"].append(pct(crowd.acks, 0.95))
            medians["me"].append(pct(crowd.me, 0.95))
            medians["rank"].append(pct(crowd.rank, 0.95))
            medians["stall"].append(crowd.stall)
        await bot.session.close()
    return {k: statistics.median(v) for k, v in medians.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--workers", type=int, default=None, help="KAOHE_FIGURE_WORKERS")
    parser.add_argument("--at", default="21:05", help="Beijing time of the run (HH:MM)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.workers is not None:
        os.environ["KAOHE_FIGURE_WORKERS"] = str(args.workers)
    kind = "processes" if figures.workers() else "one thread"
    loads = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"interactive: workers {figures.workers()} ({kind}); load {loads}")  # noqa: T201
    ok = True
    for people in args.people:
        m = asyncio.run(bench(people, args.runs, args.at, args.seed))
        goal = 0.3 if people <= 2000 else 0.8
        ratio = m["ack1"] / max(m["ack0"], 1e-6)
        met = m["me"] <= goal and m["stall"] <= 0.05 and ratio <= 1.2
        ok = ok and met
        print(
            f"  medians over {args.runs} run(s): /me p95 {m['me'] * 1000:.0f} ms "  # noqa: T201
            f"(goal ≤ {goal * 1000:.0f}), /rank p95 {m['rank'] * 1000:.0f} ms, stall "
            f"{m['stall'] * 1000:.0f} ms (goal ≤ 50), ack p95 crowd/alone "
            f"{m['ack1'] * 1000:.0f}/{m['ack0'] * 1000:.0f} ms = {ratio:.2f}× (goal ≤ 1.2) "
            f"→ {'goals met' if met else 'MISSES GOAL'}"
        )
    figures.shutdown()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
