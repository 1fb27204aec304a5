"""bench/fanout: N reminders through the real sender to a fake Bot API enforcing the limits.

The fake API (tests/fake_api.py, run in its own process as Telegram would be) counts
arrivals over sliding windows — per second overall, per second per chat, per minute per
group — and answers 429 with `retry_after` beyond them. Both sides use Telegram's limits
scaled by `--scale` (×10 by default) so the run takes seconds. The sender writes its
idempotency rows to a throw-away SQLite database (or `--database-url`), as in production.

    python bench/fanout.py [--n 3000] [--scale 10] [--group 0] [--database-url URL]

Prints messages delivered / lost, 429s received, and elapsed ÷ the minimum the limits
allow (all messages ÷ the overall rate, or the per-group bound when --group messages
dominate). Goal: 0 lost, ratio ≤ 1.05.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bot.app import make_bot  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.sender import Limits, Outgoing, Sender  # noqa: E402
from storage import db  # noqa: E402
from tests.fake_api import RateLimits  # noqa: E402

TOKEN = "42:BENCH-TOKEN"
GROUP_CHAT = -1_000_000_000_777


def minimum_seconds(limits: RateLimits, private: int, group: int) -> float:
    """The shortest time the limits allow for the messages (fluid bound)."""
    bounds = [(private + group) / limits.per_second]
    if group:
        bounds.append((group - 1) / limits.per_chat_per_second)
        bounds.append((math.ceil(group / limits.group_per_minute) - 1) * 60.0)
    return max(bounds)


async def fake_api(scale: float) -> tuple[asyncio.subprocess.Process, str]:
    """Start the fake Bot API in its own process; its base URL."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fake_api",
        TOKEN,
        str(scale),
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    base = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
    return proc, base


async def bench(n: int, scale: float, group: int, database_url: str | None) -> int:
    """Run the fan-out once and print the figures; 0 if the goal was met."""
    limits = RateLimits().scaled(scale)
    proc, base = await fake_api(scale)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
            engine = db.make_engine(url)
            await db.upgrade(engine)
            settings = Settings(  # type: ignore[call-arg]
                BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=base, DATABASE_URL=url
            )
            bot = make_bot(settings, limits=Limits().scaled(scale))  # the same pace
            sender = Sender(bot, db.make_sessionmaker(engine), limits=Limits().scaled(scale))
            day = datetime.now(UTC).date()
            stamp = time.time_ns()  # a fresh key space, so a reused database sends again
            text = "⏰ 今天的日报还没填，20:00 截止。直接发文字给我就行。"
            messages = [
                Outgoing("bench", day, f"{stamp}:p{i}", 10_000_000 + i, text) for i in range(n)
            ] + [
                Outgoing("bench", day, f"{stamp}:g{i}", GROUP_CHAT, f"📰 部门周报摘要 {i}")
                for i in range(group)
            ]
            started = time.perf_counter()
            delivery = await sender.send(messages)
            elapsed = time.perf_counter() - started
            await bot.session.close()
            await engine.dispose()
        async with aiohttp.ClientSession() as http, http.get(f"{base}/_fake/stats") as answer:
            stats = json.loads(await answer.text())
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        await asyncio.wait_for(proc.wait(), 10)
    total = len(messages)
    lost = total - stats["unique"]
    minimum = minimum_seconds(limits, n, group)
    ratio = elapsed / minimum
    print(
        f"limits ×{scale:g}: {limits.per_second:g}/s overall, "
        f"{limits.per_chat_per_second:g}/s per chat, {limits.group_per_minute:g}/min per group"
    )
    print(f"messages: {total} ({n} private reminders, {group} to one group)")
    print(
        f"delivered: {stats['unique']}  lost: {lost}  duplicates: "
        f"{stats['delivered'] - stats['unique']}"
    )
    print(f"429s received: {delivery.retry_after}  (fake API refused: {stats['rejected']})")
    print(f"elapsed: {elapsed:.3f} s  minimum allowed: {minimum:.3f} s  ratio: {ratio:.3f}")
    met = lost == 0 and ratio <= 1.05
    print("goal (0 lost, ratio ≤ 1.05):", "met" if met else "NOT met")
    return 0 if met else 1


def main() -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=3000, help="private reminders (default 3000)")
    parser.add_argument("--scale", type=float, default=10.0, help="limits ×scale (default 10)")
    parser.add_argument("--group", type=int, default=0, help="extra messages to one group")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    return asyncio.run(bench(args.n, args.scale, args.group, args.database_url))


if __name__ == "__main__":
    sys.exit(main())
