"""bench/peak: a deadline hour, scaled, against Telegram's limits (DESIGN §9, issue 10).

N people in D departments (each with its bound group) all file a 日报 within a scaled
"hour" of a few simulated minutes, most of them in its last part. Each filing goes
through the real dispatcher, middlewares, handlers and database, and the bot's real
pacing layer (bot/pacing.py); the real echo batching (bot/echoes.py) queues busy groups'
echoes and the real `EchoFlusher` posts them. The Bot API is in-process
(tests/fake_limited.py): it enforces Telegram's limits — 30 messages a second overall,
one a second per chat, 20 a minute per group — and answers 429 with retry_after.

Printed: outgoing messages per filed report, the peak rate per second overall and per
group per minute, the 429s (goal: 0), and whether every report got its acknowledgement
and appears in exactly one echo (nothing lost, nothing doubled).

How time is simulated. The run uses an event loop whose clock (`loop.time()`, so every
`asyncio.sleep`, the pacer, the flusher's ticks and the fake API's windows) is real
monotonic time plus an offset. Whenever the loop would wait with nothing to do — no
ready callback, no I/O, no database call in flight (aiosqlite's worker calls are
counted) — the offset jumps to the next timer instead. So handling takes the real CPU
and database time it takes, and idle time (people not yet filing, the pacer's waits, the
flusher's 120-second spacing) costs nothing. Messages are dated with the simulated
clock, so filing statuses and the echo budget's clock minutes follow it too. SQLite only
(an asyncpg query in flight is not counted, so PostgreSQL cannot be simulated this way).

    python bench/peak.py [--people 2000] [--departments 50] [--minutes 6] [--last 0.7]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import selectors
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite.core
from seed import database, world
from sqlmodel import col, func, select

from bot import echoes
from bot.app import make_bot, make_dispatcher
from bot.config import Settings
from bot.offline import BOT_ID, UpdateFactory
from bot.pacing import Pacer
from bot.sender import Limits
from storage.tables import EchoQueue, ReportItem
from tests.fake_api import RateLimits
from tests.fake_limited import LimitedSession, peak

ZONE = ZoneInfo("Asia/Shanghai")
DEADLINE = datetime(2026, 11, 20, 17, 30, tzinfo=ZONE)  # a Friday; the hour ends here

# ---- the simulated clock -------------------------------------------------------------

_in_flight = Counter[str]()  # ["db"]: aiosqlite calls running in their worker thread


def _count_calls(method: Any) -> Any:
    async def counted(*args: Any, **kwargs: Any) -> Any:
        _in_flight["db"] += 1
        try:
            return await method(*args, **kwargs)
        finally:
            _in_flight["db"] -= 1

    return counted


aiosqlite.core.Connection._execute = _count_calls(aiosqlite.core.Connection._execute)  # type: ignore[method-assign]
aiosqlite.core.Connection._connect = _count_calls(aiosqlite.core.Connection._connect)  # type: ignore[method-assign]


class SimulatedLoop(asyncio.SelectorEventLoop):
    """An event loop whose idle waits take no real time (see the module doc)."""

    def __init__(self) -> None:
        super().__init__(selectors.DefaultSelector())
        self.offset = 0.0
        self.executor_jobs = 0
        selector = self._selector  # type: ignore[attr-defined]
        real_select = selector.select

        def select(timeout: float | None = None) -> list[Any]:
            events = real_select(0)
            if events or timeout == 0:
                return events
            if _in_flight["db"] or self.executor_jobs or timeout is None:
                return real_select(timeout)  # real work is under way: wait for it
            self.offset += timeout  # idle: jump to the next timer
            return []

        selector.select = select

    def time(self) -> float:
        return time.monotonic() + self.offset

    def run_in_executor(self, executor: Any, func: Any, *args: Any) -> asyncio.Future[Any]:
        self.executor_jobs += 1
        future = super().run_in_executor(executor, func, *args)
        future.add_done_callback(lambda _: setattr(self, "executor_jobs", self.executor_jobs - 1))
        return future


# ---- the run ---------------------------------------------------------------------------


def arrivals(n: int, span: float, last: float, rng: random.Random) -> list[float]:
    """When each of n people files (seconds into the hour): a share `last` of them in the
    final sixth of it, the rest spread over the first five sixths."""
    late = round(n * last)
    times = [rng.uniform(0, span * 5 / 6) for _ in range(n - late)]
    times += [rng.uniform(span * 5 / 6, span) for _ in range(late)]
    return sorted(times)


@dataclass
class Outcome:
    """What one simulated hour produced."""

    api: LimitedSession
    pacer: Pacer
    texts: dict[int, str]  # tg user id → the text they filed
    filed_at: dict[int, float]  # tg user id → loop time they sent it
    items: list[ReportItem]
    errors: list[BaseException]
    hour: float  # simulated seconds until every filing was handled
    drained: float  # simulated seconds until the echo queue was empty
    sim0: float  # loop time at the start of the hour


async def simulate(
    people: int, departments: int, minutes: float, last: float, seed: int
) -> Outcome:
    """Run the hour; everything through the real dispatcher, pacer and flusher."""
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    span = minutes * 60
    start = DEADLINE - timedelta(seconds=span)
    sim0 = loop.time()

    def now() -> datetime:
        return (start + timedelta(seconds=loop.time() - sim0)).astimezone(UTC)

    echoes.utcnow = now  # type: ignore[assignment]  # the echo budget's and flusher's clock
    async with database(None) as url, world(url, people=people, departments=departments) as w:
        settings = Settings(BOT_TOKEN=f"{BOT_ID}:PEAK", DATABASE_URL=url, REDIS_URL="")  # type: ignore[call-arg]
        api = LimitedSession(RateLimits())
        bot = make_bot(settings, session=api, limits=Limits())
        pacer = next(m for m in api.middleware._middlewares if isinstance(m, Pacer))  # type: ignore[attr-defined]
        dp = make_dispatcher(settings, w.sessionmaker, clock=now, owner="peak")
        flusher = echoes.EchoFlusher(w.sessionmaker, bot, owner="peak")
        factory = UpdateFactory()
        texts: dict[int, str] = {}
        filed_at: dict[int, float] = {}
        tasks: list[asyncio.Task[Any]] = []

        def file(uid: int) -> None:
            filed_at[uid] = loop.time()
            texts[uid] = f"今日完成事项：走访企业、整理台账（编号{uid}）"
            user = factory.user(uid, f"员工{uid}")
            update = factory.update(message=factory.message(texts[uid], user=user, date=now()))
            tasks.append(asyncio.create_task(dp.feed_update(bot, update)))

        sim0 = loop.time()
        flusher.start()
        order = [uid for uid, _ in w.users]
        rng.shuffle(order)
        for at, uid in zip(arrivals(len(order), span, last, rng), order, strict=True):
            loop.call_at(sim0 + at, file, uid)
        await asyncio.sleep(span + 0.001)
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        hour = loop.time() - sim0
        while loop.time() - sim0 < span + 3600:  # let the flusher drain the queue
            async with w.sessionmaker() as s:
                if not (await s.exec(select(func.count()).select_from(EchoQueue))).one():
                    break
            await asyncio.sleep(5)
        drained = loop.time() - sim0
        await flusher.stop()
        async with w.sessionmaker() as s:
            items = list((await s.exec(select(ReportItem).order_by(col(ReportItem.id)))).all())
        await bot.session.close()
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    return Outcome(api, pacer, texts, filed_at, items, errors, hour, drained, sim0)


def report(o: Outcome, *, departments: int, minutes: float, last: float, real: float) -> bool:
    """Print the figures; whether nothing was lost or doubled and no 429 came back."""
    sends = [(t - o.sim0, chat, m) for t, chat, m in o.api.accepted]
    acks = Counter(chat for _, chat, _ in sends if chat > 0)
    group_msgs = [(t, chat, getattr(m, "text", "") or "") for t, chat, m in sends if chat < 0]
    batches = [text for _, _, text in group_msgs if "日报汇总" in text]
    echoed = Counter(
        uid for _, _, text in group_msgs for uid, filed in o.texts.items() if filed in text
    )
    per_group: dict[int, list[float]] = defaultdict(list)
    for t, chat, _ in group_msgs:
        per_group[chat].append(t)
    times = [t for t, _, _ in sends]
    filed = len(o.texts)
    lost_acks = [uid for uid in o.texts if acks[uid] != 1]
    lost_echoes = [uid for uid in o.texts if echoed[uid] != 1]
    unechoed = [i.id for i in o.items if i.echo_message_id is None]
    stats = o.pacer.stats
    ack_at = {chat: t for t, chat, _ in o.api.accepted if chat > 0}
    latency = sorted(ack_at[u] - o.filed_at[u] for u in o.texts if u in ack_at) or [0.0]
    print(  # noqa: T201
        f"peak: {filed} people in {departments} departments filed within a scaled hour of "
        f"{minutes:g} simulated min ({last:.0%} in its last sixth); limits 30/s overall, "
        f"1/s per chat, 20/min per group\n"
        f"  simulated: hour {o.hour:.0f} s, echo queue drained at {o.drained:.0f} s; "
        f"real time {real:.1f} s\n"
        f"  outgoing messages: {len(sends)} = {sum(acks.values())} acknowledgements + "
        f"{len(group_msgs) - len(batches)} direct echoes + {len(batches)} batches  →  "
        f"{len(sends) / max(filed, 1):.2f} per filed report\n"
        f"  peak rate: {peak(times, 1.0)} messages in one second overall (limit 30); "
        f"{max((peak(v, 60.0) for v in per_group.values()), default=0)} in one minute "
        f"in one group (limit 20)\n"
        f"  429 answers: {len(o.api.refused)} (goal 0); pacer: {stats.paced} paced, "
        f"mean wait {stats.waited / max(stats.paced, 1):.2f} s, {stats.retried} retried\n"
        f"  acknowledgement latency: median {latency[len(latency) // 2]:.1f} s, "
        f"max {latency[-1]:.1f} s (simulated)\n"
        f"  acknowledgements: {filed - len(lost_acks)}/{filed} exactly once; echoes: "
        f"{filed - len(lost_echoes)}/{filed} in exactly one group message; items without "
        f"an echo: {len(unechoed)}; handler errors: {len(o.errors)}"
    )
    if o.errors:
        print(f"  first error: {o.errors[0]!r}", file=sys.stderr)  # noqa: T201
    ok = not (o.api.refused or lost_acks or lost_echoes or unechoed or o.errors)
    print("  nothing lost, nothing doubled, no 429" if ok else "  FAILED")  # noqa: T201
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--departments", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=6.0, help="the scaled hour")
    parser.add_argument("--last", type=float, default=0.7, help="share filing in its last 1/6")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    with asyncio.Runner(loop_factory=SimulatedLoop) as runner:
        outcome = runner.run(
            simulate(args.people, args.departments, args.minutes, args.last, args.seed)
        )
    real = time.perf_counter() - started
    ok = report(
        outcome, departments=args.departments, minutes=args.minutes, last=args.last, real=real
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
