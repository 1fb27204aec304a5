"""bench/crash: kill `kaohe run` during a burst of filings and check nothing is lost.

For each database (SQLite, and PostgreSQL with --pg) and mode (long polling, webhook): a
fresh database with 50 bound people, a fake Bot API that keeps every unconfirmed update
and delivers it again as Telegram does (bench/fakeapi.py), a real `kaohe run` process,
200 private filings (4 per person) pushed at once, then SIGKILL at 5 moments from 50 ms
to 2 s after the burst — and one SIGTERM — then a restart that runs until every filing
is answered (or a timeout). Per run it prints: stored, doubled (stored twice or told
twice), lost (never stored), acknowledged, told-not-saved (told 「已记录」 for a filing not
stored) and unacknowledged (stored, never told).

Then the `remind` fan-out: 300 people, `kaohe jobs run remind` killed mid-way, and runs
again every few seconds until one is no longer refused as busy (the take-over, within
the lease): reminded twice / never, and how long the take-over took.

    python bench/crash.py [--pg postgresql://postgres@127.0.0.1:5432/postgres]
        [--moments 0.05,0.3,0.7,1.2,2.0] [--modes polling,webhook] [--skip-remind]

The last line: `lost=0 doubled=0 unacknowledged=0` (or what it found).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from bench import seed  # noqa: E402
from bench.fakeapi import FakeTelegram  # noqa: E402
from storage.tables import Report, ReportItem, SentMessage  # noqa: E402

TOKEN = "42:BENCH-CRASH"
PEOPLE = 50
FILINGS_EACH = 4
SECRET = "bench-crash-secret"
RESTART_TIMEOUT = 120.0
REMIND_DAY = date(2026, 11, 20)  # a Friday, a working day


@dataclass
class Outcome:
    label: str
    stored: int = 0
    doubled: int = 0
    lost: int = 0
    acknowledged: int = 0
    told_not_saved: int = 0
    unacknowledged: int = 0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        extra = f"  ({'; '.join(self.notes)})" if self.notes else ""
        return (
            f"{self.label:<34} stored={self.stored:<4} doubled={self.doubled:<3} "
            f"lost={self.lost:<3} acknowledged={self.acknowledged:<4} "
            f"told-not-saved={self.told_not_saved:<3} unacknowledged={self.unacknowledged}"
            f"{extra}"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(api: FakeTelegram, url: str, workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "DATABASE_URL"}}
    env |= {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": api.base,
        "DATABASE_URL": url,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    return env


async def start_bot(
    env: dict[str, str], workdir: Path, log: Path, *args: str
) -> asyncio.subprocess.Process:
    handle = log.open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=workdir, env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=handle, stderr=handle,
        )  # fmt: skip
    finally:
        handle.close()


async def ready(api: FakeTelegram, log: Path, webhook: bool, timeout: float = 120.0) -> None:
    """Until the process polls (or its webhook server listens)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        if webhook and "webhook listening" in text.split("---restart---")[-1]:
            return
        if not webhook and "polling" in text.split("---restart---")[-1]:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"bot did not start:\n{log.read_text(errors='replace')[-3000:]}")


async def stop(proc: asyncio.subprocess.Process, sig: int, timeout: float = 40.0) -> int:
    if proc.returncode is None:
        proc.send_signal(sig)
    try:
        return await asyncio.wait_for(proc.wait(), timeout)
    except TimeoutError:
        proc.kill()
        return await proc.wait()


def is_ack(text: str) -> bool:
    return "已记录" in text


async def one_run(
    label: str, url: str, webhook: bool, moment: float, sig: int, workdir: Path
) -> Outcome:
    """A burst, a kill (or SIGTERM) `moment` s after it, a restart until all answered."""
    async with seed.world(url, people=PEOPLE, departments=5) as world:
        api = FakeTelegram(TOKEN)
        await api.start()
        log = workdir / f"{label.replace(' ', '_')}.log"
        env = environment(api, url, workdir)
        args = ["run"]
        if webhook:
            port = free_port()
            env |= {
                "WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
                "WEBHOOK_PORT": str(port),
                "WEBHOOK_SECRET": SECRET,
            }
            args.append("--webhook")
        try:
            proc = await start_bot(env, workdir, log, *args)
            await ready(api, log, webhook)
            texts = {}
            for k in range(FILINGS_EACH):
                for user, _ in world.users:
                    text = f"走访企业 第{k + 1}次 {user}"
                    texts[text] = user
                    api.push_text(user, text)
            await asyncio.sleep(moment)
            await stop(proc, sig)
            before = len([1 for chat, t in api.sent if chat > 0 and is_ack(t)])
            with log.open("a") as handle:
                handle.write("\n---restart---\n")
            proc = await start_bot(env, workdir, log, *args)
            await ready(api, log, webhook)

            def settled() -> bool:
                acks = sum(1 for chat, t in api.sent if chat > 0 and is_ack(t))
                return acks >= len(texts) and not api.updates

            await api.wait_until(settled, RESTART_TIMEOUT)
            await asyncio.sleep(1.0)  # anything late (a second answer) arrives too
            await stop(proc, signal.SIGTERM)
        finally:
            await api.close()
        async with world.sessionmaker() as s:
            rows = (await s.exec(select(ReportItem.text, Report.person_id).join(Report))).all()
    outcome = measure(label, texts, rows, api, [u for u, _ in world.users])
    if before:
        outcome.notes.append(f"{before} answered before the {signal.Signals(sig).name}")
    return outcome


def measure(
    label: str,
    texts: dict[str, int],
    rows: Sequence[tuple[str, int]],
    api: FakeTelegram,
    users: list[int],
) -> Outcome:
    """What was stored, and who was told what, against what was sent."""
    outcome = Outcome(label)
    stored = Counter(text for text, _ in rows if text in texts)
    per_user_stored = Counter(texts[text] for text in stored)
    acks = Counter(chat for chat, t in api.sent if chat > 0 and is_ack(t))
    outcome.stored = len(stored)
    outcome.lost = len(texts) - len(stored)
    doubled_rows = sum(n - 1 for n in stored.values())
    told_twice = told_not_saved = 0
    for user in users:
        extra = acks[user] - per_user_stored[user]
        if extra > 0 and per_user_stored[user] < FILINGS_EACH:
            told_not_saved += extra
        elif extra > 0:
            told_twice += extra
    outcome.doubled = doubled_rows + told_twice
    outcome.told_not_saved = told_not_saved
    outcome.acknowledged = sum(min(acks[u], per_user_stored[u]) for u in users)
    outcome.unacknowledged = outcome.stored - outcome.acknowledged
    return outcome


async def remind_run(label: str, url: str, workdir: Path, kill_after: int) -> str:
    """`kaohe jobs run remind` to 300 people, SIGKILLed after `kill_after` reminders."""
    async with seed.world(url, people=300, departments=10) as world:
        api = FakeTelegram(TOKEN)
        await api.start()
        log = workdir / f"{label.replace(' ', '_')}.log"
        env = environment(api, url, workdir)
        args = ["jobs", "run", "remind", "--date", REMIND_DAY.isoformat()]
        try:
            proc = await start_bot(env, workdir, log, *args)
            await api.wait_until(lambda: len(api.sent) >= kill_after, 120)
            proc.kill()
            await proc.wait()
            killed_at, at_kill = time.monotonic(), len(api.sent)
            tries = 0
            while True:
                tries += 1
                seen = log.stat().st_size
                again = await start_bot(env, workdir, log, *args)
                code = await again.wait()
                with log.open("rb") as handle:
                    handle.seek(seen)
                    text = handle.read().decode("utf-8", errors="replace")
                if code == 0 or "正在另一处运行" not in text:
                    break
                await asyncio.sleep(5)
            took = time.monotonic() - killed_at
        finally:
            await api.close()
        async with world.sessionmaker() as s:  # who was due a reminder (heads are not)
            due = set((await s.exec(select(SentMessage.chat_id))).all())
    reminded = Counter(chat for chat, _ in api.sent if chat > 0)
    people = sorted(due)
    twice = sum(1 for p in people if reminded[p] > 1)
    never = sum(1 for p in people if reminded[p] == 0)
    return (
        f"{label:<34} due={len(people):<4} reminded={len(reminded):<4} "
        f"twice={twice} never={never} "
        f"(killed after {at_kill}; taken over {took:.0f} s after the kill, {tries} tries)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", help="a PostgreSQL server URL (a database is created on it)")
    parser.add_argument("--moments", default="0.05,0.3,0.7,1.2,2.0")
    parser.add_argument("--modes", default="polling,webhook")
    parser.add_argument("--skip-remind", action="store_true")
    parser.add_argument("--only-remind", action="store_true")
    parser.add_argument("--logs", help="keep the processes' logs in this folder")
    args = parser.parse_args()
    moments = [float(m) for m in args.moments.split(",")]
    databases = [("sqlite", None)] + ([("postgresql", args.pg)] if args.pg else [])
    results: list[Outcome] = []
    reminds: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.logs or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        for name, pg in databases:
            for mode in [] if args.only_remind else args.modes.split(","):
                runs = [(f"SIGKILL +{m:g}s", m, signal.SIGKILL) for m in moments]
                runs.append(("SIGTERM +0.3s", 0.3, signal.SIGTERM))
                for what, moment, sig in runs:
                    label = f"{name} {mode} {what}"
                    async with seed.database(pg) as url:
                        outcome = await one_run(
                            label, url, mode == "webhook", moment, sig, workdir
                        )
                    print(outcome.line(), flush=True)  # noqa: T201
                    results.append(outcome)
            if not args.skip_remind:
                async with seed.database(pg) as url:
                    line = await remind_run(f"{name} remind ×300 SIGKILL", url, workdir, 120)
                print(line, flush=True)  # noqa: T201
                reminds.append(line)
    lost = sum(r.lost for r in results)
    doubled = sum(r.doubled + r.told_not_saved for r in results)
    unacknowledged = sum(r.unacknowledged for r in results)
    with contextlib.suppress(Exception):
        twice = sum(int(line.split("twice=")[1].split()[0]) for line in reminds)
        never = sum(int(line.split("never=")[1].split()[0]) for line in reminds)
        if reminds:
            print(f"reminded twice={twice} never={never}")  # noqa: T201
    print(f"lost={lost} doubled={doubled} unacknowledged={unacknowledged}")  # noqa: T201


if __name__ == "__main__":
    asyncio.run(main())
