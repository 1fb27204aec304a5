"""Quarterly grades within one ranking group: quota or forced distribution, shortlist, veto.

Rules (DESIGN §7), for a group of n participants ordered by score and tiebreaks:

- **Quota** (`mode = "quota"`): 好 goes to the highest-ranked eligible people, at most
  `floor(good_ratio × n)` of them. Eligible: no veto and no grade cap, score ≥ `good_min`,
  and rank ≤ `floor(shortlist_ratio × n)` (入围择优). Everyone else: 较差 below
  `poor_below`, 一般 below `fair_below`, else 较好. Rounding is always down, so the 好
  share never exceeds the ratio: a group of 1 or 2 gets no 好 at 40% (floor(0.8) = 0),
  3 or 4 get one, 5 get two. Rank small categories together (`ranking = "unit"`) or give
  them their own ratio (`group_good_ratio`) if that is not what the unit wants.
- **Forced** (`mode = "forced"`): shares per grade, each floored: 好 gets
  `min(floor(s_好 × n), floor(good_ratio × n))` (eligibility as above), the bottom
  `floor(s_较差 × n)` get 较差 and the `floor(s_一般 × n)` above them 一般; 较好 takes the
  rest. Vetoed people fill the bottom places first (they are the bottom). Score thresholds
  still apply and can only lower a grade. 沂水: 15% / 80% / 5% of 20 → 3 / 16 / 1.
- A veto (一票否决) gives 较差 whatever the score; a grade cap (e.g. 格尔木 诫勉) lowers the
  grade to at most the cap. Both are skipped when 好 is handed out, so the next eligible
  person gets it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Protocol, TypeVar

from core.grades import Grade, worse
from core.policy import GradeMode, GradeRules
from core.rounding import dec

TieKey = tuple[int | Decimal, ...]


class Graded(Protocol):
    """What grading reads of a participant: an `Entrant`, or any record with these fields."""

    @property
    def key(self) -> int: ...
    @property
    def score(self) -> Decimal: ...
    @property
    def vetoes(self) -> tuple[str, ...]: ...
    @property
    def cap(self) -> Grade | None: ...
    @property
    def cap_kinds(self) -> tuple[str, ...]: ...


class Ranked(Graded, Protocol):
    """What ranking reads besides: the tiebreak key."""

    @property
    def tiebreak(self) -> TieKey: ...


R = TypeVar("R", bound=Ranked)


@dataclass(frozen=True, slots=True)
class Entrant:
    """One participant of a ranking group as grading sees them."""

    key: int
    score: Decimal
    tiebreak: TieKey
    vetoes: tuple[str, ...] = ()
    cap: Grade | None = None
    cap_kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Verdict:
    """The rank and grade of one entrant, with the reason in words."""

    key: int
    rank: int
    grade: Grade
    reason: str


@dataclass(frozen=True, slots=True)
class GroupOutcome:
    """A graded group: sizes, and the entrants' grades and reasons in rank order."""

    size: int
    good_quota: int
    shortlist: int
    keys: tuple[int, ...]  # the entrants, best first: rank = position + 1
    grades: tuple[Grade, ...]
    reasons: tuple[str, ...]

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        """Rank, grade and reason per entrant, best first."""
        rows = zip(self.keys, self.grades, self.reasons, strict=True)
        return tuple(Verdict(key, rank, g, why) for rank, (key, g, why) in enumerate(rows, 1))

    def count(self, grade: Grade) -> int:
        """How many got `grade`."""
        return sum(1 for g in self.grades if g is grade)


def floor_share(ratio: float, size: int) -> int:
    """`floor(ratio × size)`, computed exactly (0.4 × 10 is 4, not 3.9999…)."""
    return math.floor(dec(ratio) * size)


def rank_order(entrants: Sequence[R]) -> list[R]:
    """Highest score first, then the tiebreak key ascending; unique for unique keys."""
    return sorted(entrants, key=lambda e: (-e.score, e.tiebreak, e.key))


def grade_group(rules: GradeRules, entrants: Sequence[Ranked], good_ratio: float) -> GroupOutcome:
    """Rank and grade one group by `rules` with the group's 好 ratio."""
    return grade_ranked(rules, rank_order(entrants), good_ratio)


def grade_ranked(rules: GradeRules, ordered: Sequence[Graded], good_ratio: float) -> GroupOutcome:
    """Grade one group already in `rank_order`; the verdicts come in the same order."""
    n = len(ordered)
    quota = floor_share(good_ratio, n)
    if rules.mode is GradeMode.FORCED and rules.forced_shares is not None:
        quota = min(quota, floor_share(rules.forced_shares.good, n))
    shortlist = floor_share(rules.shortlist_ratio, n)
    bars = _Bars.of(rules, quota, shortlist)

    good: set[int] = set()
    missed_good: dict[int, str] = {}
    good_min = bars.good_min
    for position, e in enumerate(ordered, 1):
        if e.vetoes or e.cap is not None:
            continue
        if e.score < good_min:
            missed_good[e.key] = bars.below_good_min
        elif position > shortlist:
            missed_good[e.key] = bars.not_shortlisted
        elif len(good) >= quota:
            missed_good[e.key] = bars.quota_full
        else:
            good.add(e.key)

    forced: dict[int, tuple[Grade, str]] = {}
    if rules.mode is GradeMode.FORCED and rules.forced_shares is not None:
        forced = _forced_bottom(rules, ordered, good)

    grades: list[Grade] = []
    reasons: list[str] = []
    for position, e in enumerate(ordered, 1):
        grade, reason = _grade_one(bars, e, position, good, forced, missed_good)
        grades.append(grade)
        reasons.append(reason)
    keys = tuple(map(attrgetter("key"), ordered))
    return GroupOutcome(n, quota, shortlist, keys, tuple(grades), tuple(reasons))


@dataclass(frozen=True, slots=True)
class _Bars:
    """A group's quota and score thresholds, and the reasons citing them, worded once."""

    quota: int
    good_min: Decimal
    poor_below: Decimal
    fair_below: Decimal
    below_good_min: str
    not_shortlisted: str
    quota_full: str
    below_poor: str
    below_fair: str
    fair: str

    @classmethod
    def of(cls, rules: GradeRules, quota: int, shortlist: int) -> _Bars:
        return cls(
            quota=quota,
            good_min=dec(rules.good_min),
            poor_below=dec(rules.poor_below),
            fair_below=dec(rules.fair_below),
            below_good_min=f"得分未达“好”等次最低分{rules.good_min:g}",
            not_shortlisted=f"未进入组内前{shortlist}名入围范围",
            quota_full=f"“好”等次名额（{quota}人）已满",
            below_poor=f"得分低于{rules.poor_below:g}分",
            below_fair=f"得分低于{rules.fair_below:g}分",
            fair=f"得分不低于{rules.fair_below:g}分",
        )


def _forced_bottom(
    rules: GradeRules, ordered: Sequence[Graded], good: set[int]
) -> dict[int, tuple[Grade, str]]:
    """Bottom places of a forced distribution: vetoed people first, then the lowest ranked."""
    assert rules.forced_shares is not None
    n = len(ordered)
    k_poor = floor_share(rules.forced_shares.poor, n)
    k_average = floor_share(rules.forced_shares.average, n)
    vetoed = [e for e in reversed(ordered) if e.vetoes]
    others = [e for e in reversed(ordered) if not e.vetoes and e.key not in good]
    bottom = vetoed + others
    result: dict[int, tuple[Grade, str]] = {}
    for e in bottom[:k_poor]:
        result[e.key] = (Grade.POOR, f"强制分布：组内末{k_poor}名为“较差”")
    for e in bottom[k_poor : k_poor + k_average]:
        result[e.key] = (Grade.AVERAGE, f"强制分布：“一般”等次{k_average}人，位于组内末段")
    return result


def _grade_one(
    bars: _Bars,
    e: Graded,
    position: int,
    good: set[int],
    forced: dict[int, tuple[Grade, str]],
    missed_good: dict[int, str],
) -> tuple[Grade, str]:
    if e.vetoes:
        return Grade.POOR, "一票否决：" + "、".join(e.vetoes)
    if e.key in good:
        return Grade.GOOD, f"组内第{position}名，在“好”等次名额（{bars.quota}人）内"
    grade, reason = Grade.FAIRLY_GOOD, missed_good.get(e.key, "")
    if e.key in forced:
        grade, reason = forced[e.key]
    if e.score < bars.poor_below:
        grade, reason = Grade.POOR, bars.below_poor
    elif e.score < bars.fair_below and grade is not Grade.POOR:
        grade, reason = Grade.AVERAGE, bars.below_fair
    if e.cap is not None and worse(grade, e.cap) is not grade:
        grade = e.cap
        reason = "、".join(e.cap_kinds) + f"：最高评为“{e.cap.label}”"
    elif e.cap is not None and not reason:
        reason = "、".join(e.cap_kinds) + "：不得评为“好”"
    return grade, reason or bars.fair
