"""Quarterly scoring (DESIGN §7): components, adjustments, breakdown, ranks, grades."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.facts import (
    Bonus,
    DepartmentScore,
    ErrorTally,
    FactsError,
    Filing,
    IndicatorScore,
    QuarterFacts,
    RatingMean,
    Reviews,
    Tally,
    VetoEvent,
)
from core.grades import GRADE_ORDER, Grade
from core.grading import floor_share
from core.people import Person, Role
from core.policy import (
    Adjustments,
    Components,
    DepartmentRules,
    GradeMode,
    GradeRules,
    PerGrade,
    Policy,
    Ranking,
    RaterKind,
    Raters,
    Severity,
    Veto,
)
from core.scoring import QuarterResult, explain, score_quarter

MEMBER = frozenset({Role.MEMBER})
HEAD = frozenset({Role.HEAD, Role.MEMBER})
STAFF = "一般工作人员"
D = Decimal


def person(
    pid: int, dept: int = 1, category: str = STAFF, roles: frozenset[Role] = MEMBER
) -> Person:
    return Person(pid, f"人{pid}", dept, category, roles)


def only(component: str) -> Components:
    """Weights with everything on one component."""
    weights = dict.fromkeys(("filing", "review", "ratings", "department", "indicators"), 0.0)
    weights[component] = 1.0
    return Components(**weights)


def ratings_policy(**grades: object) -> Policy:
    """Scores equal the head's rating: ratings only, head only, no caps in the way."""
    return Policy(
        components=only("ratings"),
        raters=Raters(0, 1, 0, 0, 0, 0),
        grades=replace(GradeRules(), **grades),  # type: ignore[arg-type]
    )


def rated(scores: dict[int, float], **more: object) -> QuarterFacts:
    """Facts where each person's head rating is the given score."""
    ratings = tuple(RatingMean(pid, RaterKind.HEAD, score) for pid, score in scores.items())
    return QuarterFacts(ratings=ratings, **more)  # type: ignore[arg-type]


def grades_of(result: QuarterResult) -> dict[int, Grade]:
    return {r.person_id: r.grade for r in result.people}


def counts(result: QuarterResult) -> list[int]:
    return [sum(1 for r in result.people if r.grade is g) for g in GRADE_ORDER]


# --- components -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("required", "on_time", "late", "late_factor", "score"),
    [
        (60, 60, 0, 0.5, "100.00"),
        (60, 55, 2, 0.5, "93.33"),  # (55 + 1) / 60
        (63, 60, 3, 0.0, "95.24"),  # late days worth nothing
        (63, 60, 3, 1.0, "100.00"),  # late days worth a full day
        (10, 0, 0, 0.5, "0.00"),
        (8, 7, 1, 0.5, "93.75"),
    ],
)
def test_filing_component(
    required: int, on_time: int, late: int, late_factor: float, score: str
) -> None:
    policy = Policy(components=only("filing"))
    policy = replace(policy, filing=replace(policy.filing, late_factor=late_factor))
    facts = QuarterFacts(filing=(Filing(1, required, on_time, late),))
    result = score_quarter(policy, [person(1)], facts).person(1)
    assert result.score == D(score)
    assert result.filing_rate == (D(on_time + late) / required).quantize(D("0.0001"))


def test_review_component_for_a_head() -> None:
    policy = Policy(components=Components(0.5, 0.5, 0, 0, 0))
    facts = QuarterFacts(
        filing=(Filing(1, 10, 10, 0), Filing(2, 10, 10, 0)), reviews=(Reviews(1, 40, 30),)
    )
    result = score_quarter(policy, [person(1, roles=HEAD), person(2)], facts)
    assert result.person(1).score == D("87.50")  # 0.5 × 100 + 0.5 × 75
    assert result.person(1).review_rate == D("0.7500")
    # A member has no review to do: filing carries the whole score, and a note says so.
    assert result.person(2).score == D("100.00")
    assert any("仅适用于领导" in n for n in result.person(2).notes)
    assert [c.component.value for c in result.person(2).components] == ["filing"]


def test_a_head_without_review_data_gets_a_no_data_line() -> None:
    policy = Policy(components=Components(0.5, 0.5, 0, 0, 0))
    facts = QuarterFacts(filing=(Filing(1, 10, 10, 0),))
    result = score_quarter(policy, [person(1, roles=HEAD)], facts).person(1)
    assert result.score == D("100.00")
    line = next(b for b in result.breakdown if b.label.startswith("审阅批复"))
    assert line.points == 0 and "无数据" in line.label


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # all six kinds: weighted mean with the policy's weights
        (
            {
                "self": 100,
                "head": 80,
                "supervisor": 70,
                "chief": 60,
                "peers": 90,
                "subordinates": 50,
            },
            "74.00",  # weights .1 .3 .2 .2 .1 .1: 10 + 24 + 14 + 12 + 9 + 5
        ),
        # head and self only: their weights .3 and .1 renormalised to 3/4 and 1/4
        ({"self": 100, "head": 80}, "85.00"),
        ({"peers": 64.5}, "64.50"),
    ],
)
def test_ratings_component_renormalises_missing_rater_kinds(
    given: dict[str, float], expected: str
) -> None:
    policy = Policy(components=only("ratings"))
    facts = QuarterFacts(
        ratings=tuple(RatingMean(1, RaterKind(kind), mean) for kind, mean in given.items())
    )
    result = score_quarter(policy, [person(1)], facts).person(1)
    assert result.score == D(expected)
    missing = 6 - len(given)
    assert (missing > 0) == any("多主体评价缺少" in n for n in result.notes)


def test_repeated_rating_rows_are_combined_by_count() -> None:
    policy = Policy(components=only("ratings"), raters=Raters(0, 1, 0, 0, 0, 0))
    facts = QuarterFacts(
        ratings=(RatingMean(1, RaterKind.HEAD, 90, 3), RatingMean(1, RaterKind.HEAD, 70, 1))
    )
    assert score_quarter(policy, [person(1)], facts).person(1).score == D("85.00")


def test_department_and_indicator_components() -> None:
    policy = Policy(components=Components(0, 0, 0, 0.4, 0.6))
    facts = QuarterFacts(
        department_scores=(DepartmentScore(7, 90),), indicators=(IndicatorScore(1, 80),)
    )
    result = score_quarter(policy, [person(1, dept=7)], facts).person(1)
    assert result.score == D("84.00")
    assert [(c.component.value, c.points) for c in result.components] == [
        ("department", D("36.00")),
        ("indicators", D("48.00")),
    ]


def test_a_component_without_data_is_left_out_and_weights_renormalised() -> None:
    policy = Policy(components=Components(0.3, 0.1, 0.4, 0.0, 0.2))
    facts = QuarterFacts(
        filing=(Filing(1, 10, 10, 0),), ratings=(RatingMean(1, RaterKind.HEAD, 80),)
    )
    result = score_quarter(policy, [person(1)], facts).person(1)
    # (0.3 × 100 + 0.4 × 80) / 0.7
    assert result.score == D("88.57")
    used = {c.component.value: c.weight for c in result.components}
    assert used == {"filing": D("0.4286"), "ratings": D("0.5714"), "indicators": D("0")}
    no_data = [b for b in result.breakdown if "无数据" in b.label]
    assert [b.label for b in no_data] == ["指标完成（无数据）"]
    assert no_data[0].points == 0
    assert any("指标完成" in n and "无数据" in n for n in result.notes)


def test_nobody_with_no_data_at_all_scores_only_adjustments() -> None:
    facts = QuarterFacts(likes=(Tally(1, 2, 2.0),))
    result = score_quarter(Policy(), [person(1)], facts).person(1)
    assert result.score == D("2.00")
    assert any("暂无任何计分项数据" in n for n in result.notes)


# --- adjustments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "points"),
    [
        (QuarterFacts(likes=(Tally(1, 3, 3.0),)), "3.00"),
        (QuarterFacts(likes=(Tally(1, 15, 15.0),)), "10.00"),  # like cap 10 per quarter
        (QuarterFacts(errors=(ErrorTally(1, Severity.NORMAL, 2, -2.0),)), "-2.00"),
        (QuarterFacts(errors=(ErrorTally(1, Severity.SERIOUS, 1, -3.0),)), "-3.00"),
        (QuarterFacts(notices=(Tally(1, 1, -2.0),)), "-2.00"),
        (QuarterFacts(bonuses=(Bonus(1, 3, "急难险重"),)), "3.00"),
        (QuarterFacts(bonuses=(Bonus(1, 4, "获奖"), Bonus(1, 3, "急难险重"))), "5.00"),  # cap 5
        (QuarterFacts(bonuses=(Bonus(1, 4, "获奖"), Bonus(1, -6, "督查扣分"))), "-2.00"),
        (QuarterFacts(bonuses=(Bonus(1, 9, "获奖"), Bonus(1, -6, "督查扣分"))), "-1.00"),
    ],
)
def test_adjustments(facts: QuarterFacts, points: str) -> None:
    policy = Policy(components=only("indicators"))
    result = score_quarter(policy, [person(1)], facts).person(1)
    assert result.adjustment_total == D(points)
    assert result.score == D(points)  # no component data: the adjustments are the score


def test_missed_days_cost_points_when_the_policy_says_so() -> None:
    policy = Policy(
        components=only("filing"), adjustments=replace(Adjustments(), missed_day_points=-0.5)
    )
    facts = QuarterFacts(filing=(Filing(1, 20, 16, 0),))
    result = score_quarter(policy, [person(1)], facts).person(1)
    assert result.score == D("78.00")  # 80 − 4 × 0.5
    missed = next(a for a in result.adjustments if a.kind == "missed_days")
    assert (missed.count, missed.points) == (4, D("-2.00"))


def test_caps_are_shown_in_the_breakdown() -> None:
    facts = QuarterFacts(
        likes=(Tally(1, 12, 12.0),), bonuses=(Bonus(1, 4, "获奖"), Bonus(1, 3, "急难险重"))
    )
    result = score_quarter(Policy(components=only("indicators")), [person(1)], facts).person(1)
    like = next(b for b in result.breakdown if b.label == "点赞")
    assert like.points == D("10.00") and "封顶" in like.detail
    cap = next(b for b in result.breakdown if b.label == "加分封顶")
    assert cap.points == D("-2.00")


# --- rounding and the breakdown ---------------------------------------------------------


def test_score_rounds_half_away_from_zero_and_lines_sum_to_it() -> None:
    policy = Policy(components=Components(0.5, 0, 0.5, 0, 0), raters=Raters(0, 1, 0, 0, 0, 0))
    facts = QuarterFacts(
        filing=(Filing(1, 10, 10, 0),), ratings=(RatingMean(1, RaterKind.HEAD, 84.25),)
    )
    result = score_quarter(policy, [person(1)], facts).person(1)
    assert result.score == D("92.13")  # 50 + 42.125: half rounds up, not to even
    assert [b.points for b in result.breakdown] == [D("50.00"), D("42.13")]


def test_largest_remainder_keeps_the_breakdown_exact() -> None:
    # Three components of 1/3 each (review does not apply to a member), each worth 33.333…
    policy = Policy(components=Components(0.3, 0.1, 0.3, 0, 0.3))
    facts = QuarterFacts(
        filing=(Filing(1, 10, 10, 0),),
        ratings=(RatingMean(1, RaterKind.HEAD, 100),),
        indicators=(IndicatorScore(1, 100),),
    )
    result = score_quarter(policy, [person(1)], facts).person(1)
    assert result.score == D("100.00")
    assert [b.points for b in result.breakdown] == [D("33.34"), D("33.33"), D("33.33")]


def test_explain_reads_out_every_line() -> None:
    facts = QuarterFacts(
        filing=(Filing(1, 60, 55, 2),),
        ratings=(RatingMean(1, RaterKind.HEAD, 85),),
        likes=(Tally(1, 2, 2.0),),
    )
    result = score_quarter(Policy(), [person(1)], facts).person(1)
    text = "\n".join(explain(result))
    assert str(result.score) in text
    assert "日报填报" in text and "点赞" in text and result.grade.label in text
    assert len(explain(result)) == 1 + len(result.breakdown) + len(result.notes)


# --- vetoes, caps, grades ---------------------------------------------------------------


def test_veto_gives_poor_whatever_the_score_and_frees_the_good_place() -> None:
    people = [person(i) for i in range(1, 6)]
    facts = rated({1: 99, 2: 95, 3: 90, 4: 85, 5: 82}, vetoes=(VetoEvent(1, "违纪违法"),))
    result = score_quarter(ratings_policy(), people, facts)
    grades = grades_of(result)
    assert grades[1] is Grade.POOR
    assert "一票否决" in result.person(1).grade_reason
    assert result.person(1).rank == 1  # the rank still shows the score
    assert [pid for pid, g in grades.items() if g is Grade.GOOD] == [2, 3]  # floor(0.4 × 5)


def test_an_unknown_event_kind_counts_as_a_veto() -> None:
    facts = rated({1: 99}, vetoes=(VetoEvent(1, "旧方案的否决项"),))
    result = score_quarter(ratings_policy(), [person(1)], facts)
    assert result.person(1).grade is Grade.POOR


def test_a_grade_cap_lowers_the_grade_and_skips_good() -> None:
    policy = replace(
        ratings_policy(),
        veto=Veto(
            kinds=("违纪违法",), caps=(("诫勉", Grade.FAIRLY_GOOD), ("追责", Grade.AVERAGE))
        ),
    )
    people = [person(i) for i in range(1, 6)]
    facts = rated(
        {1: 99, 2: 98, 3: 90, 4: 85, 5: 82},
        vetoes=(VetoEvent(1, "诫勉"), VetoEvent(2, "追责")),
    )
    result = score_quarter(policy, people, facts)
    grades = grades_of(result)
    assert grades[1] is Grade.FAIRLY_GOOD and "诫勉" in result.person(1).grade_reason
    assert grades[2] is Grade.AVERAGE and "追责" in result.person(2).grade_reason
    assert [pid for pid, g in grades.items() if g is Grade.GOOD] == [3, 4]


@pytest.mark.parametrize(
    ("size", "good"), [(1, 0), (2, 0), (3, 1), (4, 1), (5, 2), (10, 4), (11, 4), (20, 8)]
)
def test_good_quota_is_floored(size: int, good: int) -> None:
    people = [person(i) for i in range(1, size + 1)]
    facts = rated({i: 100 - i for i in range(1, size + 1)})
    result = score_quarter(ratings_policy(), people, facts)
    assert counts(result)[0] == good
    assert result.groups[0].good_quota == good


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (95, Grade.GOOD),
        (80, Grade.GOOD),
        (79.99, Grade.FAIRLY_GOOD),
        (70, Grade.FAIRLY_GOOD),
        (69.99, Grade.AVERAGE),
        (60, Grade.AVERAGE),
        (59.99, Grade.POOR),
        (0, Grade.POOR),
    ],
)
def test_thresholds(score: float, grade: Grade) -> None:
    # Person 1 is always first of three, so the 好 place is theirs if the score allows.
    people = [person(1), person(2), person(3)]
    facts = rated({1: score, 2: 0, 3: 0})
    result = score_quarter(ratings_policy(), people, facts)
    assert result.person(1).grade is grade


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (20, [3, 16, 1, 0]),  # 沂水: 15% / 80% / 5%
        (40, [6, 32, 2, 0]),
        (7, [1, 6, 0, 0]),  # shares floored; 较好 takes the rest
        (1, [0, 1, 0, 0]),
    ],
)
def test_forced_distribution(size: int, expected: list[int]) -> None:
    policy = ratings_policy(
        mode=GradeMode.FORCED,
        forced_shares=PerGrade(0.15, 0.80, 0.05, 0.0),
        good_min=0,
        fair_below=0,
        poor_below=0,
    )
    people = [person(i) for i in range(1, size + 1)]
    result = score_quarter(policy, people, rated({i: 95 - i * 0.5 for i in range(1, size + 1)}))
    assert counts(result) == expected
    ranked = sorted(result.people, key=lambda r: r.rank)
    assert [r.grade for r in ranked] == sorted((r.grade for r in ranked), key=lambda g: g.level)


def test_forced_distribution_puts_vetoed_people_in_the_bottom_places() -> None:
    policy = ratings_policy(
        mode=GradeMode.FORCED,
        forced_shares=PerGrade(0.15, 0.80, 0.05, 0.0),
        good_min=0,
        fair_below=0,
        poor_below=0,
    )
    people = [person(i) for i in range(1, 21)]
    facts = rated({i: 95 - i * 0.5 for i in range(1, 21)}, vetoes=(VetoEvent(5, "违纪违法"),))
    grades = grades_of(score_quarter(policy, people, facts))
    assert grades[5] is Grade.POOR
    assert grades[20] is Grade.FAIRLY_GOOD  # the one bottom place is taken by the veto
    assert [pid for pid, g in grades.items() if g is Grade.GOOD] == [1, 2, 3]


def test_forced_poor_share_is_taken_by_a_veto_first() -> None:
    policy = ratings_policy(
        mode=GradeMode.FORCED,
        forced_shares=PerGrade(0.2, 0.6, 0.1, 0.1),
        good_min=0,
        fair_below=0,
        poor_below=0,
    )
    people = [person(i) for i in range(1, 11)]
    scores = {i: 95 - i for i in range(1, 11)}
    plain = grades_of(score_quarter(policy, people, rated(scores)))
    assert (plain[8], plain[9], plain[10]) == (Grade.FAIRLY_GOOD, Grade.AVERAGE, Grade.POOR)
    veto = (VetoEvent(3, "违纪违法"),)
    vetoed = grades_of(score_quarter(policy, people, rated(scores, vetoes=veto)))
    # The veto fills the one 较差 place; the last ranked moves up to the 一般 place.
    assert (vetoed[3], vetoed[9], vetoed[10]) == (Grade.POOR, Grade.FAIRLY_GOOD, Grade.AVERAGE)
    assert [pid for pid, g in vetoed.items() if g is Grade.GOOD] == [1, 2]
    no_average = replace(
        policy, grades=replace(policy.grades, forced_shares=PerGrade(0.2, 0.7, 0, 0.1))
    )
    vetoed = grades_of(score_quarter(no_average, people, rated(scores, vetoes=veto)))
    assert (vetoed[3], vetoed[10]) == (Grade.POOR, Grade.FAIRLY_GOOD)


def test_forced_good_share_never_exceeds_the_good_ratio() -> None:
    policy = ratings_policy(
        mode=GradeMode.FORCED, forced_shares=PerGrade(0.6, 0.4, 0, 0), good_min=0, good_ratio=0.4
    )
    people = [person(i) for i in range(1, 11)]
    result = score_quarter(policy, people, rated({i: 100 - i for i in range(1, 11)}))
    assert counts(result)[0] == 4


def test_shortlist_only_the_top_share_may_be_good() -> None:
    # 10 people, quota 4, shortlist 5: two of the top five are vetoed → only three 好.
    people = [person(i) for i in range(1, 11)]
    facts = rated(
        {i: 100 - i for i in range(1, 11)},
        vetoes=(VetoEvent(2, "违纪违法"), VetoEvent(4, "违纪违法")),
    )
    result = score_quarter(ratings_policy(shortlist_ratio=0.5), people, facts)
    grades = grades_of(result)
    assert [pid for pid, g in grades.items() if g is Grade.GOOD] == [1, 3, 5]
    assert grades[6] is Grade.FAIRLY_GOOD
    assert "入围" in result.person(6).grade_reason
    without = grades_of(score_quarter(ratings_policy(), people, facts))
    assert without[6] is Grade.GOOD


def test_good_min_keeps_good_from_a_weak_group() -> None:
    people = [person(i) for i in range(1, 6)]
    result = score_quarter(ratings_policy(), people, rated({i: 79 - i for i in range(1, 6)}))
    assert counts(result)[0] == 0
    assert "最低分" in result.person(1).grade_reason


def test_groups_by_category_or_whole_unit() -> None:
    people = [person(i, category="中层干部" if i <= 5 else STAFF) for i in range(1, 11)]
    facts = rated({i: 100 - i for i in range(1, 11)})
    by_category = score_quarter(ratings_policy(), people, facts)
    assert {g.group: g.good_quota for g in by_category.groups} == {"中层干部": 2, STAFF: 2}
    assert by_category.person(6).rank == 1
    assert by_category.person(6).grade is Grade.GOOD
    unit = score_quarter(ratings_policy(ranking=Ranking.UNIT), people, facts)
    assert [(g.group, g.good_quota) for g in unit.groups] == [("全单位", 4)]
    assert unit.person(6).rank == 6 and unit.person(6).grade is Grade.FAIRLY_GOOD


def test_a_group_may_have_its_own_good_ratio() -> None:
    people = [person(i, category="班子成员" if i <= 4 else STAFF) for i in range(1, 14)]
    policy = ratings_policy(group_good_ratio=(("班子成员", 0.5),))
    result = score_quarter(policy, people, rated({i: 100 - i for i in range(1, 14)}))
    assert {g.group: g.good_quota for g in result.groups} == {"班子成员": 2, STAFF: 3}


# --- tiebreaks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "first"),
    [
        # equal scores (error −1 offset by a bonus +1): fewer errors first
        (
            rated(
                {1: 80, 2: 80},
                errors=(ErrorTally(1, Severity.NORMAL, 1, -1.0),),
                bonuses=(Bonus(1, 1, "获奖"),),
            ),
            2,
        ),
        # equal scores (likes +2 offset by a deduction): more likes first
        (rated({1: 80, 2: 80}, likes=(Tally(2, 2, 2.0),), bonuses=(Bonus(2, -2, "扣分"),)), 2),
        # equal scores: higher filing rate first (filing has no weight in this policy)
        (rated({1: 80, 2: 80}, filing=(Filing(1, 10, 8, 0), Filing(2, 10, 9, 0))), 2),
        # no filing data counts lowest
        (rated({1: 80, 2: 80}, filing=(Filing(2, 10, 0, 0),)), 2),
        # everything equal: roster order
        (rated({1: 80, 2: 80}, roster_order=(2, 1)), 2),
        (rated({1: 80, 2: 80}, roster_order=(1, 2)), 1),
        # not in the roster order at all: by id
        (rated({1: 80, 2: 80}), 1),
    ],
)
def test_tiebreaks(facts: QuarterFacts, first: int) -> None:
    result = score_quarter(ratings_policy(), [person(1), person(2)], facts)
    assert result.person(1).score == result.person(2).score
    assert result.person(first).rank == 1


# --- departments ------------------------------------------------------------------------


def test_departments_ranked_by_given_score_with_a_red_flag() -> None:
    people = [person(i, dept=10 + i % 3) for i in range(1, 10)]
    facts = rated(
        dict.fromkeys(range(1, 10), 80),
        department_scores=(
            DepartmentScore(10, 88),
            DepartmentScore(11, 93),
            DepartmentScore(12, 90),
        ),
    )
    result = score_quarter(ratings_policy(), people, facts)
    assert [d.department_id for d in result.departments] == [11, 12, 10]
    assert result.red_flags == (11,)
    assert all(d.source == "given" and d.members == 3 for d in result.departments)


def test_department_score_defaults_to_the_members_mean() -> None:
    people = [person(1, dept=1), person(2, dept=1), person(3, dept=2)]
    facts = rated({1: 90, 2: 81, 3: 85})
    result = score_quarter(ratings_policy(), people, facts)
    first, second = result.departments
    assert (first.department_id, first.score, first.source) == (1, D("85.50"), "members")
    assert (second.department_id, second.score) == (2, D("85.00"))
    assert result.red_flags == (1,)


def test_several_red_flags_and_none() -> None:
    people = [person(i, dept=i) for i in range(1, 5)]
    facts = rated({1: 70, 2: 90, 3: 80, 4: 60})
    two = replace(ratings_policy(), departments=DepartmentRules(red_flags=2))
    assert score_quarter(two, people, facts).red_flags == (2, 3)
    none = replace(ratings_policy(), departments=DepartmentRules(red_flags=0))
    assert score_quarter(none, people, facts).red_flags == ()


def test_department_filing_and_review_rates() -> None:
    people = [person(1, roles=HEAD), person(2)]
    facts = QuarterFacts(
        filing=(Filing(1, 10, 10, 0), Filing(2, 10, 6, 2)), reviews=(Reviews(1, 18, 9),)
    )
    dept = score_quarter(Policy(), people, facts).departments[0]
    assert (dept.filing_rate, dept.review_rate) == (D("0.9000"), D("0.5000"))


# --- modes, validation, order -----------------------------------------------------------


def test_provisional_results_are_marked() -> None:
    facts = QuarterFacts(filing=(Filing(1, 5, 5, 0),))
    result = score_quarter(Policy(), [person(1)], facts, provisional=True)
    assert result.provisional and result.person(1).provisional
    assert any("暂定" in n for n in result.person(1).notes)
    assert any("至今" in b.detail for b in result.person(1).breakdown)
    assert "（暂定）" in explain(result.person(1))[0]


def test_inactive_people_and_strangers_are_not_scored() -> None:
    gone = replace(person(2), active=False)
    facts = rated({1: 80, 2: 90, 99: 100})
    result = score_quarter(ratings_policy(), [person(1), gone], facts)
    assert [r.person_id for r in result.people] == [1]
    with pytest.raises(KeyError):
        result.person(2)


def test_repeated_filing_rows_are_summed() -> None:
    policy = Policy(components=only("filing"))
    split = QuarterFacts(filing=(Filing(1, 21, 20, 0), Filing(1, 22, 21, 1), Filing(1, 20, 19, 0)))
    whole = QuarterFacts(filing=(Filing(1, 63, 60, 1),))
    assert (
        score_quarter(policy, [person(1)], split).person(1).score
        == score_quarter(policy, [person(1)], whole).person(1).score
    )


@pytest.mark.parametrize(
    "facts",
    [
        QuarterFacts(filing=(Filing(1, 10, 8, 3),)),
        QuarterFacts(filing=(Filing(1, -1, 0, 0),)),
        QuarterFacts(reviews=(Reviews(1, 5, 6),)),
        QuarterFacts(ratings=(RatingMean(1, RaterKind.HEAD, 101),)),
        QuarterFacts(ratings=(RatingMean(1, RaterKind.HEAD, 90, 0),)),
        QuarterFacts(department_scores=(DepartmentScore(1, 90), DepartmentScore(1, 80))),
        QuarterFacts(indicators=(IndicatorScore(1, -5),)),
        QuarterFacts(likes=(Tally(1, 1, -1.0),)),
        QuarterFacts(errors=(ErrorTally(1, Severity.NORMAL, 1, 1.0),)),
        QuarterFacts(notices=(Tally(1, 1, 2.0),)),
    ],
)
def test_inconsistent_facts_are_refused(facts: QuarterFacts) -> None:
    with pytest.raises(FactsError):
        score_quarter(Policy(), [person(1)], facts)


def test_a_person_listed_twice_is_refused() -> None:
    with pytest.raises(FactsError):
        score_quarter(Policy(), [person(1), person(1)], QuarterFacts())


# --- properties -------------------------------------------------------------------------

CATEGORIES = ("班子成员", "中层干部", STAFF)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Policy, list[Person], QuarterFacts]:
    n = draw(st.integers(1, 24))
    people = [
        Person(
            pid,
            f"人{pid}",
            draw(st.integers(1, 4)),
            draw(st.sampled_from(CATEGORIES)),
            draw(st.sampled_from([MEMBER, HEAD])),
        )
        for pid in range(1, n + 1)
    ]
    ids = st.sampled_from(range(1, n + 1))
    points = st.integers(0, 40).map(lambda x: x / 4)
    filing = []
    for p in people:
        if draw(st.booleans()):
            required = draw(st.integers(0, 63))
            on_time = draw(st.integers(0, required))
            filing.append(
                Filing(p.id, required, on_time, draw(st.integers(0, required - on_time)))
            )
    ratings = [
        RatingMean(pid, kind, draw(st.integers(0, 400)) / 4, draw(st.integers(1, 5)))
        for pid in draw(st.lists(ids, max_size=n))
        for kind in draw(st.sets(st.sampled_from(list(RaterKind)), min_size=1, max_size=3))
    ]
    facts = QuarterFacts(
        filing=tuple(filing),
        reviews=tuple(
            Reviews(p.id, 10, draw(st.integers(0, 10))) for p in people if p.roles == HEAD
        ),
        ratings=tuple(ratings),
        department_scores=tuple(
            DepartmentScore(d, draw(st.integers(0, 100))) for d in draw(st.sets(st.integers(1, 4)))
        ),
        indicators=tuple(
            IndicatorScore(pid, draw(st.integers(0, 100))) for pid in draw(st.sets(ids))
        ),
        likes=tuple(Tally(pid, 1, draw(points)) for pid in draw(st.lists(ids, max_size=6))),
        errors=tuple(
            ErrorTally(pid, draw(st.sampled_from(list(Severity))), 1, -draw(points))
            for pid in draw(st.lists(ids, max_size=6))
        ),
        bonuses=tuple(
            Bonus(pid, draw(st.integers(-8, 8)), draw(st.sampled_from(["获奖", "急难险重"])))
            for pid in draw(st.lists(ids, max_size=4))
        ),
        vetoes=tuple(
            VetoEvent(pid, draw(st.sampled_from(["违纪违法", "诫勉", "追责"])))
            for pid in draw(st.lists(ids, max_size=3))
        ),
        roster_order=tuple(draw(st.permutations(range(1, n + 1)))),
    )
    poor = draw(st.integers(0, 80))
    fair = draw(st.integers(poor, 90))
    mode = draw(st.sampled_from(list(GradeMode)))
    shares = draw(
        st.sampled_from(
            [PerGrade(0.15, 0.80, 0.05, 0.0), PerGrade(0.5, 0.3, 0.1, 0.1), PerGrade(0, 1, 0, 0)]
        )
    )
    grades = GradeRules(
        ranking=draw(st.sampled_from(list(Ranking))),
        mode=mode,
        good_ratio=draw(st.sampled_from([0.0, 0.2, 0.4, 0.5, 1.0])),
        good_min=draw(st.integers(fair, 95)),
        fair_below=fair,
        poor_below=poor,
        shortlist_ratio=draw(st.sampled_from([0.3, 0.5, 1.0])),
        forced_shares=shares,
        group_good_ratio=(("班子成员", draw(st.sampled_from([0.0, 0.34, 0.5]))),),
    )
    policy = Policy(
        grades=grades,
        veto=Veto(
            kinds=("违纪违法",), caps=(("诫勉", Grade.FAIRLY_GOOD), ("追责", Grade.AVERAGE))
        ),
    )
    return policy, people, facts


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_property_good_share_never_exceeds_the_cap(
    scenario: tuple[Policy, list[Person], QuarterFacts],
) -> None:
    policy, people, facts = scenario
    result = score_quarter(policy, people, facts)
    for group in result.groups:
        members = [r for r in result.people if r.group == group.group]
        good = sum(1 for r in members if r.grade is Grade.GOOD)
        assert good <= floor_share(policy.grades.good_ratio_for(group.group), len(members))
        if policy.grades.shortlist_ratio < 1:
            shortlist = floor_share(policy.grades.shortlist_ratio, len(members))
            assert all(r.rank <= shortlist for r in members if r.grade is Grade.GOOD)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_property_veto_always_gives_poor_and_caps_hold(
    scenario: tuple[Policy, list[Person], QuarterFacts],
) -> None:
    policy, people, facts = scenario
    result = score_quarter(policy, people, facts)
    vetoed = {v.person_id for v in facts.vetoes if v.kind == "违纪违法"}
    warned = {v.person_id for v in facts.vetoes if v.kind == "诫勉"}
    blamed = {v.person_id for v in facts.vetoes if v.kind == "追责"}
    for r in result.people:
        if r.person_id in vetoed:
            assert r.grade is Grade.POOR
        if r.person_id in warned:
            assert r.grade is not Grade.GOOD
        if r.person_id in blamed:
            assert r.grade in (Grade.AVERAGE, Grade.POOR)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_property_breakdown_sums_exactly_to_the_score(
    scenario: tuple[Policy, list[Person], QuarterFacts],
) -> None:
    policy, people, facts = scenario
    for r in score_quarter(policy, people, facts).people:
        assert sum((b.points for b in r.breakdown), D(0)) == r.score
        assert r.base + r.adjustment_total == r.score
        assert sum((c.points for c in r.components), D(0)) == r.base
        assert r.score == r.score.quantize(D("0.01"))


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_property_results_do_not_depend_on_input_order(
    scenario: tuple[Policy, list[Person], QuarterFacts], rnd: random.Random
) -> None:
    policy, people, facts = scenario

    def shuffled(items: tuple[object, ...]) -> tuple[object, ...]:
        items = list(items)  # type: ignore[assignment]
        rnd.shuffle(items)  # type: ignore[arg-type]
        return tuple(items)

    mixed = replace(
        facts,
        **{
            name: shuffled(getattr(facts, name))
            for name in (
                "filing",
                "reviews",
                "ratings",
                "department_scores",
                "indicators",
                "likes",
                "errors",
                "bonuses",
                "vetoes",
            )
        },
    )
    people_mixed = list(people)
    rnd.shuffle(people_mixed)
    first = score_quarter(policy, people, facts)
    second = score_quarter(policy, people_mixed, mixed)
    assert first == second
    assert [r.breakdown for r in first.people] == [r.breakdown for r in second.people]
    assert [r.notes for r in first.people] == [r.notes for r in second.people]


@pytest.mark.parametrize(("required", "undetermined"), [(0, True), (9, True), (10, False)])
def test_too_few_required_days_is_undetermined_and_takes_no_quota(
    required: int, undetermined: bool
) -> None:
    policy = replace(Policy(), grades=replace(GradeRules(), min_required_days=10))
    people = [Person(i, f"人{i}", 1, "一般", frozenset({Role.MEMBER})) for i in range(1, 6)]
    filing = (Filing(1, required, required, 0),) + tuple(
        Filing(i, 60, 60 - i, 0) for i in range(2, 6)
    )
    result = score_quarter(policy, people, QuarterFacts(filing=filing))
    one = result.person(1)
    assert one.undetermined is undetermined
    if undetermined:
        assert one.grade_label == "不定等次" and "少于10个" in one.grade_reason
        assert result.groups[0].size == 4 and one.rank == 5
        assert explain(one)[0].startswith("人1：") and "不定等次" in explain(one)[0]
    else:
        assert result.groups[0].size == 5 and one.grade_label == one.grade.label
