"""Annual results (年度考核) from four quarters (DESIGN §7 Annual)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.annual import Outcome, Standing, annual_results
from core.facts import FactsError, QuarterFacts, RatingMean, VetoEvent, YearEndScore
from core.grades import AnnualGrade, Grade
from core.grading import floor_share
from core.people import Person, Role
from core.policy import AnnualRules, Components, Policy, RaterKind, Raters, Veto
from core.scoring import DepartmentResult, PersonResult, QuarterResult, score_quarter

D = Decimal
G, F, A, P = Grade.GOOD, Grade.FAIRLY_GOOD, Grade.AVERAGE, Grade.POOR
STAFF = "一般工作人员"


def person(pid: int, dept: int = 1, category: str = STAFF) -> Person:
    return Person(pid, f"人{pid}", dept, category, frozenset({Role.MEMBER}))


def mark(
    pid: int, score: float, grade: Grade, *, caps: tuple[str, ...] = (), dept: int = 1
) -> PersonResult:
    """One person's published quarter, as annual rules read it."""
    return PersonResult(
        person_id=pid,
        name=f"人{pid}",
        department_id=dept,
        category=STAFF,
        group=STAFF,
        score=D(str(score)).quantize(D("0.01")),
        rank=0,
        group_size=0,
        grade=grade,
        grade_reason="",
        caps=caps,
        roster_position=pid,
    )


def quarter(period: str, marks: list[PersonResult], **dept_scores: float) -> QuarterResult:
    departments = tuple(
        DepartmentResult(int(d[1:]), D(str(s)), "given", 1, D(0), None, None, 0, 0, 0, 0, False)
        for d, s in dept_scores.items()
    )
    return QuarterResult(period, "test", False, tuple(marks), (), departments)


def year(
    rows: dict[int, list[tuple[float, Grade]]], caps: dict[int, str] | None = None
) -> list[QuarterResult]:
    """Four quarters from {person: [(score, grade) × 4]}."""
    caps = caps or {}
    return [
        quarter(
            f"2026Q{q + 1}",
            [
                mark(pid, marks[q][0], marks[q][1], caps=(caps[pid],) if pid in caps else ())
                for pid, marks in rows.items()
            ],
        )
        for q in range(4)
    ]


FILLER = [(80.0, F)] * 4


@pytest.mark.parametrize(
    ("grades", "expected"),
    [
        ([G, G, F, F], AnnualGrade.EXCELLENT),  # 好 in half the quarters, nothing below 较好
        ([G, G, G, G], AnnualGrade.EXCELLENT),
        ([G, F, F, F], AnnualGrade.COMPETENT),  # not enough 好
        ([G, G, G, A], AnnualGrade.COMPETENT),  # an 一般 quarter rules 优秀 out
        ([G, G, P, G], AnnualGrade.BASIC),  # one 较差 quarter
        ([A, A, A, F], AnnualGrade.BASIC),  # three quarters 一般 or worse
        ([A, A, F, F], AnnualGrade.COMPETENT),
        ([P, P, G, G], AnnualGrade.INCOMPETENT),  # two 较差 quarters
    ],
)
def test_annual_grade_from_quarter_grades(grades: list[Grade], expected: AnnualGrade) -> None:
    # Person 1 has the top annual score of five, so the one 优秀 place (floor(0.2 × 5)) is
    # theirs if the rules allow it.
    rows = {1: [(95.0, g) for g in grades]} | dict.fromkeys(range(2, 6), FILLER)
    result = annual_results(Policy(), [person(i) for i in range(1, 6)], year(rows))
    assert result.person(1).grade is expected
    assert result.person(1).grade_reason


def test_excellent_is_capped_at_the_annual_ratio() -> None:
    rows = {pid: [(100.0 - pid, G)] * 4 for pid in range(1, 11)}
    result = annual_results(Policy(), [person(i) for i in range(1, 11)], year(rows))
    excellent = [r.person_id for r in result.people if r.grade is AnnualGrade.EXCELLENT]
    assert excellent == [1, 2]  # floor(0.2 × 10), best annual scores first
    assert result.groups[0].excellent_quota == 2
    assert "名额" in result.person(3).grade_reason


def test_annual_shortlist() -> None:
    # 10 people, quota 2, shortlist 5: only person 5 of the top five is eligible.
    rows = {pid: [(100.0 - pid, G if pid >= 5 else F)] * 4 for pid in range(1, 11)}
    policy = replace(Policy(), annual=replace(AnnualRules(), excellent_shortlist_ratio=0.5))
    result = annual_results(policy, [person(i) for i in range(1, 11)], year(rows))
    assert [r.person_id for r in result.people if r.grade is AnnualGrade.EXCELLENT] == [5]
    assert "入围" in result.person(6).grade_reason
    unlimited = annual_results(Policy(), [person(i) for i in range(1, 11)], year(rows))
    excellent = [r.person_id for r in unlimited.people if r.grade is AnnualGrade.EXCELLENT]
    assert excellent == [5, 6]


@pytest.mark.parametrize(
    ("score", "expected"),
    [(75.0, AnnualGrade.COMPETENT), (65.0, AnnualGrade.BASIC), (55.0, AnnualGrade.INCOMPETENT)],
)
def test_annual_score_thresholds(score: float, expected: AnnualGrade) -> None:
    policy = replace(Policy(), annual=replace(AnnualRules(), basic_below=70, unfit_below=60))
    result = annual_results(policy, [person(1)], year({1: [(score, F)] * 4}))
    assert result.person(1).grade is expected


def test_a_grade_cap_in_any_quarter_blocks_excellent() -> None:
    rows = {1: [(95.0, G), (95.0, G), (95.0, F), (95.0, G)]} | dict.fromkeys(range(2, 6), FILLER)
    people = [person(i) for i in range(1, 6)]
    capped = annual_results(Policy(), people, year(rows, caps={1: "诫勉"}))
    assert capped.person(1).grade is AnnualGrade.COMPETENT
    assert "诫勉" in capped.person(1).grade_reason
    lenient = replace(Policy(), annual=replace(AnnualRules(), caps_block_excellent=False))
    assert annual_results(lenient, people, year(rows, caps={1: "诫勉"})).person(1).grade is (
        AnnualGrade.EXCELLENT
    )


def test_year_end_assessment_is_blended_in() -> None:
    policy = replace(Policy(), annual=replace(AnnualRules(), year_end_weight=0.5))
    rows = {1: [(80.0, F), (82.0, F), (78.0, F), (80.0, F)], 2: [(70.0, F)] * 4}
    result = annual_results(
        policy, [person(1), person(2)], year(rows), year_end=(YearEndScore(1, 90),)
    )
    one, two = result.person(1), result.person(2)
    assert (one.quarter_mean, one.year_end, one.score) == (D("80.00"), D("90.00"), D("85.00"))
    assert [b.points for b in one.breakdown] == [D("40.00"), D("45.00")]
    # No year-end score: the quarters count fully, and the breakdown says so.
    assert (two.year_end, two.score) == (None, D("70.00"))
    assert "无数据" in two.breakdown[1].label and two.breakdown[1].points == 0


def test_quarter_mean_rounding_and_breakdown() -> None:
    rows = {1: [(80.01, F), (80.0, F), (80.0, F), (80.0, F)]}
    result = annual_results(Policy(), [person(1)], year(rows))
    assert result.person(1).score == D("80.00")  # 80.0025 rounds down
    assert sum(b.points for b in result.person(1).breakdown) == result.person(1).score


def test_quarters_may_come_in_any_order_and_fewer_than_four() -> None:
    rows = {1: [(90.0, G), (90.0, G), (80.0, F), (70.0, F)]} | dict.fromkeys(range(2, 6), FILLER)
    quarters = year(rows)
    people = [person(i) for i in range(1, 6)]
    forward = annual_results(Policy(), people, quarters)
    backward = annual_results(Policy(), list(reversed(people)), list(reversed(quarters)))
    assert forward == backward
    assert forward.periods == ("2026Q1", "2026Q2", "2026Q3", "2026Q4")
    half = annual_results(Policy(), people, quarters[:2])
    assert half.person(1).good_quarters == 2 and len(half.person(1).quarters) == 2


def test_provisional_or_repeated_quarters_are_refused() -> None:
    q = year({1: FILLER})
    with pytest.raises(FactsError):
        annual_results(Policy(), [person(1)], [replace(q[0], provisional=True)])
    with pytest.raises(FactsError):
        annual_results(Policy(), [person(1)], [q[0], q[0]])


def test_annual_department_scores_are_quarter_means() -> None:
    quarters = [
        quarter("2026Q1", [mark(1, 80, F)], d1=90, d2=80),
        quarter("2026Q2", [mark(1, 80, F)], d1=80, d2=86),
    ]
    result = annual_results(Policy(), [person(1)], quarters)
    assert [(d.department_id, d.score, d.red_flag) for d in result.departments] == [
        (1, D("85.00"), True),
        (2, D("83.00"), False),
    ]


def test_annual_from_real_quarters() -> None:
    """End to end: four scored quarters, then the year."""
    policy = Policy(
        components=Components(0, 0, 1, 0, 0),
        raters=Raters(0, 1, 0, 0, 0, 0),
        veto=Veto(kinds=("违纪违法",)),
    )
    people = [person(i) for i in range(1, 11)]
    quarters = []
    for q in range(1, 5):
        scores = {pid: 90 - pid + (q if pid == 7 else 0) for pid in range(1, 11)}
        vetoes = (VetoEvent(2, "违纪违法"),) if q == 3 else ()
        ratings = tuple(RatingMean(pid, RaterKind.HEAD, s) for pid, s in scores.items())
        facts = QuarterFacts(period=f"2026Q{q}", ratings=ratings, vetoes=vetoes)
        quarters.append(score_quarter(policy, people, facts))
    result = annual_results(policy, people, quarters)
    assert result.person(2).grade is AnnualGrade.BASIC  # one vetoed (较差) quarter
    excellent = [r.person_id for r in result.people if r.grade is AnnualGrade.EXCELLENT]
    assert excellent == [1, 3]  # 好 in every quarter; person 2 is out


@st.composite
def years(draw: st.DrawFn) -> tuple[Policy, list[Person], list[QuarterResult]]:
    n = draw(st.integers(1, 20))
    grade = st.sampled_from([G, F, A, P])
    rows = {
        pid: [(draw(st.integers(50, 100)) + 0.0, draw(grade)) for _ in range(4)]
        for pid in range(1, n + 1)
    }
    rules = AnnualRules(
        excellent_ratio=draw(st.sampled_from([0.0, 0.15, 0.2, 0.5])),
        excellent_min_good_quarters=draw(st.integers(0, 4)),
        excellent_shortlist_ratio=draw(st.sampled_from([0.5, 1.0])),
    )
    return replace(Policy(), annual=rules), [person(i) for i in range(1, n + 1)], year(rows)


@settings(max_examples=150, deadline=None)
@given(years())
def test_property_excellent_within_cap_and_never_with_a_bad_quarter(
    scenario: tuple[Policy, list[Person], list[QuarterResult]],
) -> None:
    policy, people, quarters = scenario
    result = annual_results(policy, people, quarters)
    excellent = [r for r in result.people if r.grade is AnnualGrade.EXCELLENT]
    assert len(excellent) <= floor_share(policy.annual.excellent_ratio, len(result.people))
    for r in excellent:
        assert r.good_quarters >= policy.annual.excellent_min_good_quarters
        assert not any(q.grade in (A, P) for q in r.quarters)
    for r in result.people:
        assert sum(b.points for b in r.breakdown) == r.score
        if r.poor_quarters >= 2:
            assert r.grade is AnnualGrade.INCOMPETENT


# ---- the common rules (issue 19) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("standings", "outcome", "words"),
    [
        ({Standing.PROBATION}, Outcome.UNDETERMINED, "试用期"),
        ({Standing.INVESTIGATION}, Outcome.UNDETERMINED, "立案审查调查"),
        ({Standing.LONG_LEAVE}, Outcome.NOT_ASSESSED, "不参加"),
        ({Standing.LONG_LEAVE, Standing.PROBATION}, Outcome.NOT_ASSESSED, "半"),
    ],
)
def test_common_rules_set_a_person_aside_with_the_reason(
    standings: set[Standing], outcome: Outcome, words: str
) -> None:
    rows = {1: [(99.0, G)] * 4} | dict.fromkeys(range(2, 7), FILLER)
    people = [person(i) for i in range(1, 7)]
    result = annual_results(Policy(), people, year(rows), standings={1: standings})
    assert [u.person_id for u in result.ungraded] == [1]
    aside = result.ungraded[0]
    assert aside.outcome is outcome and words in aside.reason
    assert aside.score == D("99.00") and len(aside.quarters) == 4
    with pytest.raises(KeyError):
        result.person(1)
    # Not counted in the group: five graded people, one 优秀 place, which goes to the next.
    assert result.groups[0].size == 5


def test_a_common_rule_switched_off_grades_the_person() -> None:
    rows = {1: [(99.0, G)] * 4} | dict.fromkeys(range(2, 6), FILLER)
    rules = replace(AnnualRules(), probation_undetermined=False)
    policy = replace(Policy(), annual=rules)
    people = [person(i) for i in range(1, 6)]
    result = annual_results(policy, people, year(rows), standings={1: {Standing.PROBATION}})
    assert result.ungraded == () and result.person(1).grade is AnnualGrade.EXCELLENT


def test_a_long_leave_person_without_any_quarter_is_listed_as_not_assessed() -> None:
    result = annual_results(
        Policy(), [person(1), person(2)], year({1: FILLER}), standings={2: {Standing.LONG_LEAVE}}
    )
    assert [(u.person_id, u.outcome, u.score) for u in result.ungraded] == [
        (2, Outcome.NOT_ASSESSED, None)
    ]


def test_a_veto_in_any_quarter_bars_excellent_even_if_its_grade_is_not_excluded() -> None:
    vetoed = replace(mark(1, 99, G), vetoes=("违纪违法",))
    quarters = year({1: [(99.0, G)] * 4} | dict.fromkeys(range(2, 6), FILLER))
    quarters[1] = replace(quarters[1], people=(vetoed, *quarters[1].people[1:]))
    rules = replace(AnnualRules(), excellent_excludes=frozenset())
    people = [person(i) for i in range(1, 6)]
    result = annual_results(replace(Policy(), annual=rules), people, quarters)
    assert result.person(1).grade is AnnualGrade.COMPETENT
    assert "一票否决" in result.person(1).grade_reason
    lenient = replace(rules, vetoes_block_excellent=False)
    again = annual_results(replace(Policy(), annual=lenient), people, quarters)
    assert again.person(1).grade is AnnualGrade.EXCELLENT
