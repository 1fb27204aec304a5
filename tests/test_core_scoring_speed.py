"""The fast paths of the scoring core (issue 6) against a straightforward computation.

`score_quarter` sums everyone's points kind by kind, shares the component arithmetic of
people with the same facts, sorts by a flat key and builds results without the frozen
dataclass __init__; these tests recompute scores and rank order from the facts with exact
fractions, the way the docstring of core.scoring states them, and check the shortcuts.
"""

from __future__ import annotations

import dataclasses
import gc
import math
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.facts import (
    Bonus,
    DepartmentScore,
    ErrorTally,
    Filing,
    IndicatorScore,
    QuarterFacts,
    RatingMean,
    Reviews,
    Tally,
    VetoEvent,
)
from core.grades import Grade
from core.grading import Entrant, grade_group, rank_order
from core.people import Person, Role
from core.policy import (
    Adjustments,
    Component,
    Components,
    FilingRules,
    Policy,
    RaterKind,
    Raters,
    Severity,
)
from core.scoring import PersonResult, QuarterResult, score_quarter

MEMBER = frozenset({Role.MEMBER})
HEAD = frozenset({Role.HEAD, Role.MEMBER})
CATEGORIES = ("班子成员", "中层干部", "一般工作人员")

Scenario = tuple[Policy, list[Person], QuarterFacts]


def exact(value: float) -> Fraction:
    """A number as the core reads it: a float at its shortest decimal spelling."""
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


# Points as tally rows carry them: quarters, halves and whole numbers, as floats or ints,
# and the two zeros.
POINTS = st.one_of(
    st.integers(0, 24).map(lambda x: x / 4), st.integers(0, 6), st.sampled_from([0.0, -0.0])
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    n = draw(st.integers(1, 30))
    people = [
        Person(
            pid,
            f"人{pid}",
            draw(st.integers(1, 3)),
            draw(st.sampled_from(CATEGORIES)),
            draw(st.sampled_from([MEMBER, HEAD])),
        )
        for pid in range(1, n + 1)
    ]
    ids = st.sampled_from(range(1, n + 1))
    filing = []
    for pid in draw(st.lists(ids, max_size=2 * n)):  # repeated rows are summed
        required = draw(st.sampled_from([0, 1, 7, 21, 63]))
        on_time = draw(st.integers(0, required))
        filing.append(Filing(pid, required, on_time, draw(st.integers(0, required - on_time))))
    reviews = []
    for pid in draw(st.sets(ids)):
        due = draw(st.integers(0, 30))
        reviews.append(Reviews(pid, due, draw(st.integers(0, due))))
    ratings = [
        RatingMean(pid, kind, draw(st.integers(0, 400)) / 4, draw(st.integers(1, 4)))
        for pid in draw(st.lists(ids, max_size=n))
        for kind in draw(st.sets(st.sampled_from(list(RaterKind)), min_size=1, max_size=3))
    ]
    facts = QuarterFacts(
        period="2026Q2",
        filing=tuple(filing),
        reviews=tuple(reviews),
        ratings=tuple(ratings),
        department_scores=tuple(
            DepartmentScore(d, draw(st.integers(0, 100))) for d in draw(st.sets(st.integers(1, 3)))
        ),
        indicators=tuple(
            IndicatorScore(pid, draw(st.integers(0, 100)) / 2) for pid in draw(st.sets(ids))
        ),
        likes=tuple(
            Tally(pid, draw(st.integers(0, 3)), draw(POINTS))
            for pid in draw(st.lists(ids, max_size=3 * n))
        ),
        errors=tuple(
            ErrorTally(
                pid, draw(st.sampled_from(list(Severity))), draw(st.integers(0, 2)), -draw(POINTS)
            )
            for pid in draw(st.lists(ids, max_size=2 * n))
        ),
        notices=tuple(
            Tally(pid, draw(st.integers(0, 2)), -draw(POINTS))
            for pid in draw(st.lists(ids, max_size=n))
        ),
        bonuses=tuple(
            Bonus(
                pid,
                draw(st.sampled_from([-2.5, -1, 0, 0.5, 2, 4.0])),
                draw(st.sampled_from(["获奖", "急难险重", " ", ""])),
            )
            for pid in draw(st.lists(ids, max_size=n))
        ),
        vetoes=tuple(VetoEvent(pid, "违纪违法") for pid in draw(st.lists(ids, max_size=2))),
        roster_order=tuple(draw(st.permutations(range(1, n + 1))))[: draw(st.integers(0, n))],
    )
    weights = draw(
        st.sampled_from(
            [
                Components(),
                Components(0.0, 0.0, 1.0, 0.0, 0.0),
                Components(0.5, 0.5, 0.0, 0.0, 0.0),
                Components(0.2, 0.1, 0.3, 0.25, 0.15),
                Components(1.0, 0.0, 0.0, 0.0, 0.0),
            ]
        )
    )
    policy = Policy(
        components=weights,
        raters=draw(
            st.sampled_from([Raters(), Raters(0, 1, 0, 0, 0, 0), Raters(0.5, 0.5, 0, 0, 0, 0)])
        ),
        filing=FilingRules(late_factor=draw(st.sampled_from([0.0, 0.3, 0.5, 1.0]))),
        adjustments=Adjustments(
            like_cap_per_quarter=draw(st.sampled_from([0.0, 2.5, 10.0])),
            missed_day_points=draw(st.sampled_from([0.0, -0.5, -1.0])),
            bonus_cap_per_quarter=draw(st.sampled_from([0.0, 1.0, 5.0])),
        ),
    )
    return policy, people, facts


def straightforward(
    policy: Policy, people: list[Person], facts: QuarterFacts
) -> dict[int, Fraction]:
    """Every person's unrounded score, in exact fractions, person by person."""
    scores = {}
    for p in people:
        pid = p.id
        values: dict[Component, Fraction] = {}
        rows = [f for f in facts.filing if f.person_id == pid]
        required = sum(f.required_days for f in rows)
        on_time = sum(f.on_time_days for f in rows)
        late = sum(f.late_days for f in rows)
        if required > 0:
            credited = on_time + late * exact(policy.filing.late_factor)
            values[Component.FILING] = credited * 100 / required
        due = sum(r.reports for r in facts.reviews if r.person_id == pid)
        if due > 0:
            done = sum(r.reviewed for r in facts.reviews if r.person_id == pid)
            values[Component.REVIEW] = Fraction(done, due) * 100
        by_kind: dict[RaterKind, list[RatingMean]] = defaultdict(list)
        for r in facts.ratings:
            if r.person_id == pid:
                by_kind[r.kind].append(r)
        rated = {
            kind: sum(exact(r.mean) * r.count for r in given) / sum(r.count for r in given)
            for kind, given in by_kind.items()
            if policy.raters.weight(kind)
        }
        if rated:
            whole = sum(exact(policy.raters.weight(k)) for k in rated)
            values[Component.RATINGS] = (
                sum(exact(policy.raters.weight(k)) * mean for k, mean in rated.items()) / whole
            )
        for d in facts.department_scores:
            if d.department_id == p.department_id:
                values[Component.DEPARTMENT] = exact(d.score)
        for i in facts.indicators:
            if i.person_id == pid:
                values[Component.INDICATORS] = exact(i.completion)
        weighted = {c: exact(policy.components.weight(c)) for c in values}
        weighted = {c: w for c, w in weighted.items() if w}
        present = sum(weighted.values(), Fraction(0))
        score = sum((w / present * values[c] for c, w in weighted.items()), Fraction(0))

        adj = policy.adjustments
        likes = [t for t in facts.likes if t.person_id == pid]
        if likes:
            score += min(sum(exact(t.points) for t in likes), exact(adj.like_cap_per_quarter))
        score += sum(exact(t.points) for t in facts.errors if t.person_id == pid)
        score += sum(exact(t.points) for t in facts.notices if t.person_id == pid)
        if required:
            score += (required - on_time - late) * exact(adj.missed_day_points)
        by_reason: dict[str, Fraction] = defaultdict(Fraction)
        for b in facts.bonuses:
            if b.person_id == pid:
                by_reason[b.reason.strip() or "其他"] += exact(b.points)
        score += sum(by_reason.values(), Fraction(0))
        positive = sum((v for v in by_reason.values() if v > 0), Fraction(0))
        score -= max(positive - exact(adj.bonus_cap_per_quarter), Fraction(0))
        scores[pid] = score
    return scores


def cents(value: Fraction) -> Decimal:
    """Rounded half away from zero to 0.01, as core.rounding documents."""
    hundredths = math.floor(abs(value) * 100 + Fraction(1, 2))
    return Decimal(hundredths if value >= 0 else -hundredths).scaleb(-2)


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_scores_match_a_straightforward_computation(scenario: Scenario) -> None:
    policy, people, facts = scenario
    result = score_quarter(policy, people, facts)
    expected = straightforward(policy, people, facts)
    for r in result.people:
        assert r.score == cents(expected[r.person_id])
        assert str(r.score) == str(cents(expected[r.person_id]))  # 0.00, never -0.00
        assert sum((b.points for b in r.breakdown), Decimal(0)) == r.score


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_rank_order_is_core_grading_rank_order(scenario: Scenario) -> None:
    policy, people, facts = scenario
    result = score_quarter(policy, people, facts)
    filed: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for f in facts.filing:
        filed[f.person_id][0] += f.required_days
        filed[f.person_id][1] += f.on_time_days + f.late_days
    for group in result.groups:
        members = [r for r in result.people if r.group == group.group]
        entrants = []
        for r in members:
            required, days = filed.get(r.person_id, (0, 0))
            rate = Fraction(days, required) if required else Fraction(-1)
            tiebreak = (r.errors, -r.likes, -rate, r.roster_position, r.person_id)
            entrants.append(Entrant(r.person_id, r.score, tiebreak))  # type: ignore[arg-type]
        assert [e.key for e in rank_order(entrants)] == [r.person_id for r in members]
        assert [r.rank for r in members] == list(range(1, len(members) + 1))


def test_results_are_ordinary_frozen_person_results() -> None:
    people = [Person(1, "甲", 1, "一般工作人员", MEMBER), Person(2, "乙", 1, "一般工作人员", HEAD)]
    facts = QuarterFacts(filing=(Filing(1, 10, 9, 1), Filing(2, 10, 10, 0)))
    result = score_quarter(Policy(), people, facts)
    first = result.people[0]
    assert type(first) is PersonResult
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.score = Decimal(0)  # type: ignore[misc]
    twin = PersonResult(**{f.name: getattr(first, f.name) for f in dataclasses.fields(first)})
    assert twin == first and hash(twin) == hash(first) and repr(twin) == repr(first)
    assert dataclasses.replace(first, rank=9).rank == 9
    assert isinstance(result, QuarterResult) and result.person(2).grade in Grade


@pytest.mark.parametrize("enabled", [True, False])
def test_scoring_leaves_the_garbage_collector_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        score_quarter(Policy(), [Person(1, "甲", 1, "一般工作人员", MEMBER)], QuarterFacts())
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_ints_and_floats_and_both_zeros_of_tally_points_score_alike() -> None:
    people = [Person(pid, f"人{pid}", 1, "一般工作人员", MEMBER) for pid in (1, 2)]

    def score(points: list[float]) -> list[str]:
        facts = QuarterFacts(
            likes=tuple(Tally(1, 1, p) for p in points) + tuple(Tally(2, 1, p) for p in points),
            errors=tuple(ErrorTally(2, Severity.NORMAL, 1, -p) for p in points),
        )
        result = score_quarter(Policy(), people, facts)
        return [repr((r.score, r.breakdown, r.adjustments)) for r in result.people]

    assert score([2, 0, 1]) == score([2.0, 0.0, 1.0]) == score([2.0, -0.0, 1])


def test_grade_group_ranks_then_grades() -> None:
    entrants = [
        Entrant(1, Decimal("90.00"), (0,)),
        Entrant(2, Decimal("95.00"), (1,)),
        Entrant(3, Decimal("95.00"), (0,)),
        Entrant(4, Decimal("55.00"), (0,), vetoes=("违纪违法",)),
    ]
    outcome = grade_group(Policy().grades, entrants, 0.5)
    assert outcome.keys == (3, 2, 1, 4)
    assert [(v.key, v.rank, v.grade) for v in outcome.verdicts] == [
        (3, 1, Grade.GOOD),
        (2, 2, Grade.GOOD),
        (1, 3, Grade.FAIRLY_GOOD),
        (4, 4, Grade.POOR),
    ]
    assert outcome.count(Grade.GOOD) == 2 and outcome.verdicts[3].reason == "一票否决：违纪违法"
