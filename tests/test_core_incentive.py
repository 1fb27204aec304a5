"""Incentive pool (正向激励资金): department split, coefficient × score, exact fen."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.annual import annual_results
from core.grades import AnnualGrade, Grade
from core.incentive import split_annual_pool, split_pool
from core.policy import DepartmentSplit, Incentive, PerGrade, Policy
from core.rounding import largest_remainder
from core.scoring import DepartmentResult, PersonResult, QuarterResult
from tests.test_core_annual import FILLER, person, year

D = Decimal
G, F, A, P = Grade.GOOD, Grade.FAIRLY_GOOD, Grade.AVERAGE, Grade.POOR


def member(pid: int, dept: int, score: float, grade: Grade) -> PersonResult:
    return PersonResult(
        person_id=pid,
        name=f"人{pid}",
        department_id=dept,
        category="一般工作人员",
        group="一般工作人员",
        score=D(str(score)).quantize(D("0.01")),
        rank=0,
        group_size=0,
        grade=grade,
        grade_reason="",
        roster_position=pid,
    )


def result(people: list[PersonResult], dept_scores: dict[int, float]) -> QuarterResult:
    departments = tuple(
        DepartmentResult(d, D(str(s)), "given", 0, D(0), None, None, 0, 0, 0, 0, False)
        for d, s in dept_scores.items()
    )
    return QuarterResult("2026Q4", "test", False, tuple(people), (), departments)


def policy(split: DepartmentSplit, coefficients: PerGrade | None = None) -> Policy:
    incentive = Incentive(department_split=split)
    if coefficients is not None:
        incentive = replace(incentive, coefficients=coefficients)
    return replace(Policy(), incentive=incentive)


EQUAL = PerGrade(1, 1, 1, 1)


@pytest.mark.parametrize(
    ("split", "first_department"),
    [
        # dept 1: score 90, 2 people → 180; dept 2: score 80, 3 people → 240
        (DepartmentSplit.HEADCOUNT_SCORE, 180 * 10_000 // 420),
        # by the department score alone: 90 vs 80
        (DepartmentSplit.SCORE, 90 * 10_000 // 170),
    ],
)
def test_split_between_departments(split: DepartmentSplit, first_department: int) -> None:
    people = [member(1, 1, 80, F), member(2, 1, 80, F)] + [
        member(pid, 2, 80, F) for pid in (3, 4, 5)
    ]
    pool = split_pool(policy(split, EQUAL), result(people, {1: 90, 2: 80}), 10_000)
    amounts = {d.department_id: d.amount_fen for d in pool.departments}
    assert abs(amounts[1] - first_department) <= 1
    assert amounts[1] + amounts[2] == 10_000
    assert pool.amount(1) + pool.amount(2) == amounts[1]


def test_within_a_department_by_coefficient_times_score() -> None:
    people = [member(1, 1, 90, G), member(2, 1, 80, F), member(3, 1, 70, A), member(4, 1, 50, P)]
    coefficients = PerGrade(1.5, 1.0, 0.5, 0.0)
    pool = split_pool(policy(DepartmentSplit.SCORE, coefficients), result(people, {1: 80}), 2_000)
    # weights 135 : 80 : 35 : 0 of 250
    assert [pool.amount(pid) for pid in (1, 2, 3, 4)] == [1080, 640, 280, 0]


def test_one_pot_for_the_whole_unit() -> None:
    people = [member(1, 1, 80, F), member(2, 2, 80, F), member(3, 2, 80, F)]
    pool = split_pool(policy(DepartmentSplit.NONE, EQUAL), result(people, {1: 99, 2: 1}), 3_000)
    assert [pool.amount(pid) for pid in (1, 2, 3)] == [1000, 1000, 1000]
    assert {d.department_id: d.amount_fen for d in pool.departments} == {1: 1000, 2: 2000}


def test_remainders_go_to_the_higher_score_then_the_roster() -> None:
    people = [member(3, 1, 80, F), member(1, 1, 80, F), member(2, 1, 81, F)]
    pool = split_pool(policy(DepartmentSplit.NONE, PerGrade(1, 1, 1, 1)), result(people, {}), 100)
    # 81 : 80 : 80 → 33.47, 33.06, 33.06: the cent left over goes to the biggest remainder
    assert [pool.amount(pid) for pid in (2, 1, 3)] == [34, 33, 33]
    assert largest_remainder(100, [D(1), D(1), D(1)]) == [34, 33, 33]


def test_a_department_whose_people_weigh_nothing_gets_nothing() -> None:
    people = [member(1, 1, 90, P), member(2, 2, 80, F)]
    pool = split_pool(policy(DepartmentSplit.HEADCOUNT_SCORE), result(people, {1: 95, 2: 80}), 500)
    assert (pool.amount(1), pool.amount(2), pool.undistributed_fen) == (0, 500, 0)


def test_nobody_eligible_leaves_the_pool_undistributed() -> None:
    people = [member(1, 1, 90, P)]
    pool = split_pool(policy(DepartmentSplit.HEADCOUNT_SCORE), result(people, {1: 95}), 500)
    assert (pool.amount(1), pool.undistributed_fen) == (0, 500)


@pytest.mark.parametrize("pool", [-1, 1.5, True])
def test_the_pool_must_be_whole_fen(pool: object) -> None:
    with pytest.raises(ValueError):
        split_pool(Policy(), result([member(1, 1, 80, F)], {1: 80}), pool)  # type: ignore[arg-type]


def test_annual_pool_uses_annual_coefficients() -> None:
    rows = {1: [(95.0, G)] * 4} | dict.fromkeys(range(2, 6), FILLER)
    annual = annual_results(Policy(), [person(i) for i in range(1, 6)], year(rows))
    assert annual.person(1).grade is AnnualGrade.EXCELLENT
    pool = split_annual_pool(Policy(), annual, 100_000)
    # 1.2 × 95 = 114 against 1.0 × 80 for the others: 100000 × 114 / 434 = 26267.28 and
    # 18433.18 each; floors leave one fen over, which goes to the larger remainder (.28).
    assert pool.amount(1) == 26268
    assert [pool.amount(pid) for pid in range(2, 6)] == [18433] * 4
    assert sum(p.amount_fen for p in pool.people) == 100_000


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 4),
            st.integers(-10, 100),
            st.sampled_from([G, F, A, P]),
        ),
        min_size=1,
        max_size=30,
    ),
    st.dictionaries(st.integers(1, 4), st.integers(0, 100)),
    st.integers(0, 10**9),
    st.sampled_from(list(DepartmentSplit)),
)
def test_property_amounts_sum_exactly_to_the_pool(
    rows: list[tuple[int, int, Grade]],
    dept_scores: dict[int, int],
    pool_fen: int,
    split: DepartmentSplit,
) -> None:
    people = [member(pid, dept, score, grade) for pid, (dept, score, grade) in enumerate(rows, 1)]
    pool = split_pool(policy(split), result(people, dict(dept_scores)), pool_fen)
    paid = sum(p.amount_fen for p in pool.people)
    assert paid + pool.undistributed_fen == pool_fen
    assert sum(d.amount_fen for d in pool.departments) == paid
    assert all(p.amount_fen >= 0 for p in pool.people)
    # All or nothing: money stays undistributed only if nobody at all may receive it.
    assert pool.undistributed_fen in (0, pool_fen)
    if split is DepartmentSplit.NONE and any(g is not P and s > 0 for _, s, g in rows):
        assert pool.undistributed_fen == 0
