"""bench/score: gather + score + grade one quarter for 10,000 people on SQLite.

Builds a database with 10,000 people × 63 working days of daily reports (≈630k rows,
some late, some missing, some reviewed) and 50,000 likes / errors, then times:

  floor   the bare SQL GROUP BY over the same tables (what the database must do anyway)
  gather  storage.facts.gather (SQL aggregation → QuarterFacts)
  score   core.scoring.score_quarter (scores, ranks, grades; breakdowns stay lazy)
  total   gather + score

Goal (issue 6): total ≤ 0.5 s and ≤ 2× the floor. Run: python bench/score.py [--people N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from bot.policies import load_policy  # noqa: E402
from core.calendar import WorkCalendar  # noqa: E402
from core.quarter import Quarter  # noqa: E402
from core.scoring import score_quarter  # noqa: E402
from storage import db  # noqa: E402
from storage.facts import gather  # noqa: E402

QUARTER = Quarter(2026, 2)
DEPARTMENTS = 50
CATEGORIES = ("一般工作人员", "中层干部", "班子成员")


def build(path: Path, people: int, records: int) -> int:
    """Fill a migrated database with synthetic data; return the number of report rows."""
    rng = random.Random(7)
    days = WorkCalendar().workdays(QUARTER.start, QUARTER.end)
    stamp = datetime(2026, 4, 1, tzinfo=UTC).isoformat(sep=" ")
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("INSERT INTO unit (id, name, created_at) VALUES (1, '基准单位', ?)", (stamp,))
    con.executemany(
        "INSERT INTO department (id, unit_id, name, sort_order, created_at) VALUES (?,1,?,?,?)",
        [(d, f"部门{d}", d, stamp) for d in range(1, DEPARTMENTS + 1)],
    )
    person_rows = []
    for p in range(1, people + 1):
        dept = (p - 1) % DEPARTMENTS + 1
        head = p <= DEPARTMENTS
        roles = "head,member" if head else "member"
        category = CATEGORIES[1] if head else CATEGORIES[0]
        person_rows.append((p, dept, f"人员{p}", category, roles, f"C{p:07d}", p, stamp, stamp))
    con.executemany(
        "INSERT INTO person (id, unit_id, department_id, name, category, roles, invite_code,"
        " active, roster_order, created_at, updated_at) VALUES (?,1,?,?,?,?,?,1,?,?,?)",
        person_rows,
    )
    report_rows = []
    report_id = 0
    for p in range(1, people + 1):
        diligence = rng.random()
        for day in days:
            roll = rng.random()
            if roll > 0.9 + diligence * 0.09:
                continue  # missed
            status = "on_time" if roll < 0.85 else "late"
            report_id += 1
            reviewed = stamp if rng.random() < 0.6 else None
            report_rows.append((report_id, p, day.isoformat(), status, stamp, stamp, reviewed))
    con.executemany(
        "INSERT INTO report (id, unit_id, person_id, kind, day, status, filed_at, updated_at,"
        " reviewed_at) VALUES (?,1,?,'daily',?,?,?,?,?)",
        report_rows,
    )
    record_rows = []
    for r in range(records):
        person = rng.randint(DEPARTMENTS + 1, people)
        issuer = (person - 1) % DEPARTMENTS + 1
        like = rng.random() < 0.7
        severity = None if like else ("serious" if rng.random() < 0.1 else "normal")
        points = 1.0 if like else (-3.0 if severity == "serious" else -1.0)
        day = rng.choice(days).isoformat()
        record_rows.append(
            (
                r + 1,
                person,
                "like" if like else "error",
                points,
                severity,
                "理由",
                day,
                issuer,
                stamp,
            )  # fmt: skip
        )
    con.executemany(
        "INSERT INTO record (id, unit_id, person_id, kind, points, severity, reason, day,"
        " issuer_id, created_at) VALUES (?,1,?,?,?,?,?,?,?,?)",
        record_rows,
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return len(report_rows)


# The floor: the two aggregates written by hand, with the best plan SQLite has for them
# (the covering indexes, walked in GROUP BY order).
FLOOR_SQL = (
    "SELECT person_id, status, count(*), count(reviewed_at) FROM report WHERE unit_id = 1 "
    "AND kind = 'daily' AND unlikely(day) BETWEEN :s AND :e GROUP BY person_id, status",
    "SELECT person_id, kind, severity, count(*), sum(points) FROM record WHERE unit_id = 1 "
    "AND unlikely(day) BETWEEN :s AND :e AND voided_at IS NULL GROUP BY person_id, kind, severity",
)


async def measure(url: str, rounds: int) -> dict[str, list[float]]:
    """Time the floor, gather and score, `rounds` times after one warm-up."""
    engine = db.make_engine(url)
    sessionmaker = db.make_sessionmaker(engine)
    policy = load_policy("standard")
    calendar = WorkCalendar()
    times: dict[str, list[float]] = {"floor": [], "gather": [], "score": [], "total": []}
    bounds = {"s": QUARTER.start.isoformat(), "e": QUARTER.end.isoformat()}
    for round_ in range(rounds + 1):
        async with sessionmaker() as session:
            t0 = time.perf_counter()
            for sql in FLOOR_SQL:
                (await session.exec(text(sql), params=bounds)).all()  # type: ignore[call-overload]
            t1 = time.perf_counter()
            gathered = await gather(
                session, unit_id=1, start=QUARTER.start, end=QUARTER.end, calendar=calendar
            )
            t2 = time.perf_counter()
            result = score_quarter(policy, gathered.people, gathered.facts)
            t3 = time.perf_counter()
        assert len(result.people) == len(gathered.people)
        if round_:  # the first round warms caches up
            times["floor"].append(t1 - t0)
            times["gather"].append(t2 - t1)
            times["score"].append(t3 - t2)
            times["total"].append(t3 - t1)
    await engine.dispose()
    return times


async def main() -> None:
    """Build, measure, print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        url = f"sqlite:///{path}"
        engine = db.make_engine(url)
        await db.upgrade(engine)
        await engine.dispose()
        t = time.perf_counter()
        reports = build(path, args.people, args.records)
        print(f"built {args.people:,} people, {reports:,} reports, {args.records:,} records "
              f"in {time.perf_counter() - t:.1f} s")  # fmt: skip
        times = await measure(url, args.rounds)
    median = {k: statistics.median(v) for k, v in times.items()}
    for key in ("floor", "gather", "score", "total"):
        print(f"{key:>7}: median {median[key] * 1000:7.1f} ms  (min {min(times[key]) * 1000:.1f})")
    ratio = median["total"] / median["floor"]
    verdict = "ok" if median["total"] <= 0.5 and ratio <= 2 else "MISSES GOAL"
    print(f"total / floor = {ratio:.2f}   goal: total ≤ 500 ms and ≤ 2× floor → {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
