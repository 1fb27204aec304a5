"""Splitting an incentive pool (正向激励资金) by grade coefficients (沂水, 成都 DESIGN §7).

Two stages, in whole fen (分), exact:
1. between departments, by `department_split`: `headcount_score` — department score ×
   number of people scored in it (a per-head amount that rises with the department's
   score, 成都 西华街道 “科室间”); `score` — department score alone; `none` — one pot
   for the whole unit (沂水);
2. within each department (or the pot), by coefficient of the person's grade × score.

Negative scores count as 0. A department whose people all weigh 0 (e.g. all 较差 with
coefficient 0) gets nothing in stage 1, so no money is stranded. Each stage rounds by the
largest-remainder method, so the amounts sum exactly to the pool. Tie order for a
remainder: departments by higher score, then lower id; people by higher score, then
roster order, then id.
Only if nobody at all may receive money does `undistributed_fen` stay non-zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.annual import AnnualResult
from core.policy import DepartmentSplit, Policy
from core.rounding import ZERO, arithmetic, dec, largest_remainder, to_decimal
from core.scoring import QuarterResult


@dataclass(frozen=True, slots=True)
class PersonShare:
    """One person's part of the pool."""

    person_id: int
    department_id: int
    grade: str
    coefficient: Decimal
    score: Decimal
    amount_fen: int


@dataclass(frozen=True, slots=True)
class DepartmentShare:
    """One department's part of the pool."""

    department_id: int
    score: Decimal
    headcount: int
    amount_fen: int


@dataclass(frozen=True, slots=True)
class PoolSplit:
    """A split pool; `people` in department order, then by amount order within each."""

    pool_fen: int
    departments: tuple[DepartmentShare, ...]
    people: tuple[PersonShare, ...]
    undistributed_fen: int = 0

    def amount(self, person_id: int) -> int:
        """The amount (fen) of one person; 0 if they are not in the split."""
        return next((p.amount_fen for p in self.people if p.person_id == person_id), 0)


@dataclass(frozen=True, slots=True)
class _Entry:
    person_id: int
    department_id: int
    grade: str
    coefficient: Decimal
    score: Decimal
    roster: int

    @property
    def weight(self) -> Decimal:
        return self.coefficient * max(self.score, ZERO)


def split_pool(policy: Policy, result: QuarterResult, pool_fen: int) -> PoolSplit:
    """Split `pool_fen` by the quarter's department scores and grade coefficients."""
    entries = [
        _Entry(
            r.person_id,
            r.department_id,
            r.grade.label,
            dec(policy.incentive.coefficients.of(r.grade)),
            r.score,
            r.roster_position,
        )
        for r in result.people
    ]
    scores = {d.department_id: d.score for d in result.departments}
    return _split(policy.incentive.department_split, entries, scores, pool_fen)


def split_annual_pool(policy: Policy, result: AnnualResult, pool_fen: int) -> PoolSplit:
    """Split `pool_fen` by the year's department scores and annual grade coefficients."""
    entries = [
        _Entry(
            r.person_id,
            r.department_id,
            r.grade.label,
            dec(policy.incentive.annual_coefficients.of(r.grade)),
            r.score,
            r.roster_position,
        )
        for r in result.people
    ]
    scores = {d.department_id: d.score for d in result.departments}
    return _split(policy.incentive.department_split, entries, scores, pool_fen)


def _split(
    mode: DepartmentSplit, entries: Sequence[_Entry], scores: Mapping[int, Decimal], pool: int
) -> PoolSplit:
    with arithmetic():
        return _split_exact(mode, entries, scores, pool)


def _split_exact(
    mode: DepartmentSplit, entries: Sequence[_Entry], scores: Mapping[int, Decimal], pool: int
) -> PoolSplit:
    if isinstance(pool, bool) or not isinstance(pool, int) or pool < 0:
        raise ValueError(f"the pool must be a whole number of fen ≥ 0, not {pool!r}")
    members: dict[int, list[_Entry]] = defaultdict(list)
    for e in sorted(entries, key=lambda e: (-e.score, e.roster, e.person_id)):
        members[e.department_id].append(e)
    dept_score = {
        d: scores[d] if d in scores else to_decimal(sum((e.score for e in m), ZERO) / len(m))
        for d, m in members.items()
    }
    depts = sorted(members, key=lambda d: (-dept_score[d], d))

    amounts: dict[int, int] = {}
    dept_amounts: dict[int, int] = {}
    if mode is DepartmentSplit.NONE:
        everyone = [e for d in depts for e in members[d]]
        everyone.sort(key=lambda e: (-e.score, e.roster, e.person_id))
        parts = largest_remainder(pool, [e.weight for e in everyone])
        amounts = {e.person_id: a for e, a in zip(everyone, parts, strict=True)}
        dept_amounts = {d: sum(amounts[e.person_id] for e in members[d]) for d in depts}
    else:
        weights = []
        for d in depts:
            inner = sum((e.weight for e in members[d]), ZERO)
            size = len(members[d]) if mode is DepartmentSplit.HEADCOUNT_SCORE else 1
            weights.append(max(dept_score[d], ZERO) * size if inner else ZERO)
        for d, amount in zip(depts, largest_remainder(pool, weights), strict=True):
            dept_amounts[d] = amount
            parts = largest_remainder(amount, [e.weight for e in members[d]])
            amounts.update({e.person_id: a for e, a in zip(members[d], parts, strict=True)})

    departments = tuple(
        DepartmentShare(d, to_decimal(dept_score[d]), len(members[d]), dept_amounts[d])
        for d in depts
    )
    people = tuple(
        PersonShare(
            e.person_id,
            e.department_id,
            e.grade,
            to_decimal(e.coefficient, 4),
            to_decimal(e.score),
            amounts[e.person_id],
        )
        for d in depts
        for e in members[d]
    )
    distributed = sum(amounts.values())
    return PoolSplit(pool, departments, people, pool - distributed)
