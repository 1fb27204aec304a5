"""bench/score_core: core.scoring.score_quarter alone, on synthetic facts held in memory.

No database: builds 10,000 people in 3 ranking groups (50 heads, 20 班子成员, the rest
staff) and their QuarterFacts directly, then times `score_quarter(load_policy("standard"),
…)` after one warm-up:

  filing   one row per person (63 required days, some late, some missed)
  reviews  one row per head (50)
  likes    35,000 tally rows spread over the people (repeated rows are summed by the core)
  errors   15,000 error tally rows (10% serious)

`--grouped` sums the likes per person and the errors per person and severity first, as
storage.facts.gather's GROUP BY does (≈ 9,700 and 8,500 rows). The previous result is freed
outside the timing. Goal (issue 6): median ≤ 120 ms.

Run: python bench/score_core.py [--people N] [--likes N] [--errors N] [--runs N] [--grouped]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.policies import load_policy  # noqa: E402
from core.facts import ErrorTally, Filing, QuarterFacts, Reviews, Tally  # noqa: E402
from core.people import Person, Role  # noqa: E402
from core.policy import Severity  # noqa: E402
from core.scoring import score_quarter  # noqa: E402

DEPARTMENTS = 50
REQUIRED_DAYS = 63
LEADERS = 20
STAFF, MIDDLE, LEADERSHIP = "一般工作人员", "中层干部", "班子成员"


def build(
    people: int, likes: int, errors: int, grouped: bool = False
) -> tuple[list[Person], QuarterFacts]:
    """Synthetic people and facts; the same for the same arguments."""
    rng = random.Random(7)
    persons = []
    for p in range(1, people + 1):
        dept = (p - 1) % DEPARTMENTS + 1
        if p <= DEPARTMENTS:
            roles, category = frozenset({Role.HEAD, Role.MEMBER}), MIDDLE
        elif p <= DEPARTMENTS + LEADERS:
            roles, category = frozenset({Role.SUPERVISOR, Role.MEMBER}), LEADERSHIP
        else:
            roles, category = frozenset({Role.MEMBER}), STAFF
        persons.append(Person(p, f"人员{p}", dept, category, roles))
    filing = []
    for p in range(1, people + 1):
        filed = rng.randint(REQUIRED_DAYS - 8, REQUIRED_DAYS)
        late = rng.randint(0, min(filed, 10))
        filing.append(Filing(p, REQUIRED_DAYS, filed - late, late))
    members = people // DEPARTMENTS
    reviews = [
        Reviews(head, members * 60, rng.randint(members * 30, members * 60))
        for head in range(1, DEPARTMENTS + 1)
    ]
    like_rows = [Tally(rng.randint(1, people), 1, 1.0) for _ in range(likes)]
    error_rows = []
    for _ in range(errors):
        serious = rng.random() < 0.1
        severity = Severity.SERIOUS if serious else Severity.NORMAL
        points = -3.0 if serious else -1.0
        error_rows.append(ErrorTally(rng.randint(1, people), severity, 1, points))
    if grouped:
        like_rows, error_rows = _grouped_likes(like_rows), _grouped_errors(error_rows)
    rng.shuffle(persons)
    facts = QuarterFacts(
        period="2026Q2",
        filing=tuple(filing),
        reviews=tuple(reviews),
        likes=tuple(like_rows),
        errors=tuple(error_rows),
        roster_order=tuple(range(1, people + 1)),
    )
    return persons, facts


def _grouped_likes(rows: list[Tally]) -> list[Tally]:
    sums: dict[int, list[float]] = defaultdict(lambda: [0, 0.0])
    for row in rows:
        sums[row.person_id][0] += row.count
        sums[row.person_id][1] += row.points
    return [Tally(pid, int(count), points) for pid, (count, points) in sorted(sums.items())]


def _grouped_errors(rows: list[ErrorTally]) -> list[ErrorTally]:
    sums: dict[tuple[int, Severity], list[float]] = defaultdict(lambda: [0, 0.0])
    for row in rows:
        sums[row.person_id, row.severity][0] += row.count
        sums[row.person_id, row.severity][1] += row.points
    return [
        ErrorTally(pid, severity, int(count), points)
        for (pid, severity), (count, points) in sorted(sums.items())
    ]


def main() -> None:
    """Build, time, print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--likes", type=int, default=35_000)
    parser.add_argument("--errors", type=int, default=15_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--grouped", action="store_true")
    args = parser.parse_args()
    policy = load_policy("standard")
    people, facts = build(args.people, args.likes, args.errors, args.grouped)
    result = score_quarter(policy, people, facts)  # warm-up
    assert len(result.people) == args.people
    times = []
    for _ in range(args.runs):
        result = None  # the previous result is freed outside the timing
        t = time.perf_counter()
        result = score_quarter(policy, people, facts)
        times.append(time.perf_counter() - t)
    median = statistics.median(times) * 1000
    rows = f"{len(facts.likes):,} like and {len(facts.errors):,} error tally rows"
    spread = f"min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}, {args.runs} runs"
    print(f"score_quarter, {args.people:,} people, {rows}: median {median:.1f} ms ({spread})")
    print(f"goal: median ≤ 120 ms → {'ok' if median <= 120 else 'MISSES GOAL'}")


if __name__ == "__main__":
    main()
