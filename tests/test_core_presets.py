"""One worked example per preset, reproducing what its seed article states."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources

from core.annual import annual_results
from core.facts import (
    DepartmentScore,
    Filing,
    IndicatorScore,
    QuarterFacts,
    RatingMean,
    Tally,
    VetoEvent,
    YearEndScore,
)
from core.grades import GRADE_ORDER, AnnualGrade, Grade
from core.incentive import split_pool
from core.people import Person, Role
from core.policy import Policy, RaterKind, parse_policy
from core.scoring import QuarterResult, score_quarter

D = Decimal
MEMBER = frozenset({Role.MEMBER})


def preset(name: str) -> Policy:
    text = (resources.files("core") / "presets" / f"{name}.toml").read_text(encoding="utf-8")
    return parse_policy(text, source=name)


def counts(result: QuarterResult) -> list[int]:
    return [sum(1 for r in result.people if r.grade is g) for g in GRADE_ORDER]


def all_raters(
    pid: int, mean: float, kinds: tuple[RaterKind, ...] = tuple(RaterKind)
) -> tuple[RatingMean, ...]:
    return tuple(RatingMean(pid, kind, mean) for kind in kinds)


# --- 沂水 -------------------------------------------------------------------------------


def yishui_town() -> tuple[Policy, list[Person], QuarterFacts]:
    """20 cadres of one category whose scores spread over 85–95, as the seed says."""
    policy = preset("yishui")
    people = [Person(i, f"干部{i}", 1 + i % 4, "一般人员", MEMBER) for i in range(1, 21)]
    facts = QuarterFacts(
        filing=tuple(Filing(i, 63, 63, 0) for i in range(1, 21)),
        # filing 100 (40%) and ratings r (50%), renormalised without review: (40 + r/2)/0.9
        ratings=tuple(r for i in range(1, 21) for r in all_raters(i, 90.1 - 0.9 * (i - 1))),
        roster_order=tuple(range(1, 21)),
    )
    return policy, people, facts


def test_yishui_forced_distribution_15_80_5_of_20_is_3_16_1() -> None:
    policy, people, facts = yishui_town()
    result = score_quarter(policy, people, facts)
    assert all(D(85) <= r.score <= D(95) for r in result.people)  # 「85~95分之间」
    assert counts(result) == [3, 16, 1, 0]
    assert {r.person_id for r in result.people if r.grade is Grade.GOOD} == {1, 2, 3}
    assert [r.person_id for r in result.people if r.grade is Grade.AVERAGE] == [20]


def test_yishui_two_missed_days_bring_a_notice_and_a_deduction() -> None:
    policy, people, facts = yishui_town()
    assert policy.schedule.consecutive_misses == 2  # 「连续两次未及时填报的…下发通报」
    noticed = QuarterFacts(
        filing=facts.filing,
        ratings=facts.ratings,
        notices=(Tally(1, 1, policy.adjustments.notice_points),),
    )
    before = score_quarter(policy, people, facts).person(1).score
    after = score_quarter(policy, people, noticed).person(1)
    assert after.score == before + D("-2")
    assert any(b.label == "通报" for b in after.breakdown)


def test_yishui_incentive_some_get_over_ten_thousand_others_three_to_four_thousand() -> None:
    policy, people, facts = yishui_town()
    result = score_quarter(policy, people, facts)
    # Assumption for the example: the town's pot averages ¥7000 a head (the seed gives no pool).
    pool = split_pool(policy, result, 20 * 7000 * 100)
    assert sum(p.amount_fen for p in pool.people) == 20 * 7000 * 100
    top = pool.amount(1) / 100
    bottom = pool.amount(20) / 100
    assert 10_000 <= top < 11_000  # 「有的同志拿到一万余元」
    assert 3_000 <= bottom < 5_000  # 「有的同志只拿到三四千元」


def test_yishui_annual_excellent_15_percent_and_lowest_tier_disqualifies() -> None:
    policy, people, facts = yishui_town()
    quarters = [
        score_quarter(policy, people, QuarterFacts(**{**_fields(facts), "period": f"2024Q{q}"}))
        for q in range(1, 5)
    ]
    year = annual_results(policy, people, quarters)
    excellent = [r.person_id for r in year.people if r.grade is AnnualGrade.EXCELLENT]
    assert excellent == [1, 2, 3]  # floor(15% × 20)
    assert year.person(20).grade is AnnualGrade.BASIC  # 一般 every quarter, no 评先树优


def _fields(facts: QuarterFacts) -> dict[str, object]:
    return {name: getattr(facts, name) for name in facts.__slots__}


# --- 新余 -------------------------------------------------------------------------------


def test_xinyu_half_performance_half_leaders_rating() -> None:
    policy = preset("xinyu")
    leaders = (RaterKind.HEAD, RaterKind.SUPERVISOR, RaterKind.CHIEF)
    facts = QuarterFacts(
        indicators=(IndicatorScore(1, 90),),  # 考核组's 实绩考核分值
        ratings=all_raters(1, 80, leaders),  # 领导测评分值
    )
    result = score_quarter(policy, [Person(1, "甲", 1, "一般公务员", MEMBER)], facts).person(1)
    assert result.score == D("85.00")
    assert [(c.component.value, c.weight, c.points) for c in result.components] == [
        ("ratings", D("0.5000"), D("40.00")),
        ("indicators", D("0.5000"), D("45.00")),
    ]


def test_xinyu_good_at_most_40_percent_in_each_of_four_levels() -> None:
    policy = preset("xinyu")
    levels = {"四级调研员": 2, "机关正科级公务员": 5, "派出机构科级公务员": 8, "一般公务员": 10}
    people = []
    for level, size in levels.items():
        people += [Person(len(people) + i, level, 1, level, MEMBER) for i in range(1, size + 1)]
    facts = QuarterFacts(
        indicators=tuple(IndicatorScore(p.id, 95 - p.id * 0.5) for p in people),
        ratings=tuple(RatingMean(p.id, RaterKind.HEAD, 90) for p in people),
    )
    result = score_quarter(policy, people, facts)
    good = {g.group: dict(g.counts)[Grade.GOOD] for g in result.groups}
    assert good == {
        "四级调研员": 0,
        "机关正科级公务员": 2,
        "派出机构科级公务员": 3,
        "一般公务员": 4,
    }
    assert sum(good.values()) <= 0.4 * len(people)


def test_xinyu_refusing_orders_makes_the_quarter_poor() -> None:
    policy = preset("xinyu")
    people = [Person(i, f"人{i}", 1, "一般公务员", MEMBER) for i in range(1, 6)]
    facts = QuarterFacts(
        indicators=tuple(IndicatorScore(i, 99) for i in range(1, 6)),
        vetoes=(VetoEvent(1, "不服从组织安排"),),
    )
    assert score_quarter(policy, people, facts).person(1).grade is Grade.POOR


def test_xinyu_annual_excellent_needs_many_good_and_no_average_or_poor() -> None:
    policy = preset("xinyu")
    people = [Person(i, f"人{i}", 1, "一般公务员", MEMBER) for i in range(1, 11)]
    quarters = []
    for q in range(1, 5):
        # Person 1 tops every quarter but slips to 一般 in Q3 (a low 实绩 score).
        scores = {i: 96 - i for i in range(1, 11)} | ({1: 65} if q == 3 else {})
        facts = QuarterFacts(
            period=f"2022Q{q}",
            indicators=tuple(IndicatorScore(i, s) for i, s in scores.items()),
            ratings=tuple(RatingMean(i, RaterKind.HEAD, s) for i, s in scores.items()),
        )
        quarters.append(score_quarter(policy, people, facts))
    assert quarters[2].person(1).grade is Grade.AVERAGE
    year = annual_results(policy, people, quarters)
    assert year.person(1).good_quarters == 3
    assert year.person(1).grade is AnnualGrade.COMPETENT  # 好 较多, but one 一般
    assert [r.person_id for r in year.people if r.grade is AnnualGrade.EXCELLENT] == [2, 3]


# --- 成都 -------------------------------------------------------------------------------


def test_chengdu_head_weighs_40_percent_more_than_supervisor_or_chief() -> None:
    policy = preset("chengdu")
    assert policy.raters.head == 0.4
    assert policy.raters.head > max(policy.raters.supervisor, policy.raters.chief)
    facts = QuarterFacts(
        ratings=(RatingMean(1, RaterKind.HEAD, 100),)
        + tuple(RatingMean(1, k, 0) for k in RaterKind if k is not RaterKind.HEAD)
    )
    result = score_quarter(policy, [Person(1, "甲", 1, "一般工作人员", MEMBER)], facts)
    assert result.person(1).score == D("40.00")  # only the ratings component has data


def test_chengdu_good_only_from_the_top_half() -> None:
    policy = preset("chengdu")
    people = [Person(i, f"人{i}", 1, "一般工作人员", MEMBER) for i in range(1, 11)]
    facts = QuarterFacts(
        ratings=tuple(r for i in range(1, 11) for r in all_raters(i, 96 - i)),
        # Two of the top five are out of the running (一票否决), so 好 stays with three people
        # although the 40% quota would allow four: the sixth is not in the top 50%.
        vetoes=(VetoEvent(1, "违纪违法"), VetoEvent(3, "违纪违法")),
    )
    result = score_quarter(policy, people, facts)
    assert [r.person_id for r in result.people if r.grade is Grade.GOOD] == [2, 4, 5]
    assert result.person(6).grade is Grade.FAIRLY_GOOD
    assert "前5名" in result.person(6).grade_reason


def test_chengdu_bonus_first_between_then_within_departments() -> None:
    policy = preset("chengdu")
    people = [Person(i, f"人{i}", 1 if i <= 2 else 2, "一般工作人员", MEMBER) for i in range(1, 5)]
    facts = QuarterFacts(
        ratings=tuple(r for i in range(1, 5) for r in all_raters(i, 90)),
        department_scores=(DepartmentScore(1, 95), DepartmentScore(2, 76)),
    )
    result = score_quarter(policy, people, facts)
    pool = split_pool(policy, result, 1_000_000)
    by_dept = {d.department_id: d.amount_fen for d in pool.departments}
    # two people each: 95 × 2 : 76 × 2 → 555555.56 and 444444.44 fen; the fen left over
    # goes to the larger remainder
    assert by_dept == {1: 555_556, 2: 444_444}
    # 「科室间+科室内部」: same personal score, different money across departments
    assert pool.amount(1) > pool.amount(3)


# --- 腾冲 -------------------------------------------------------------------------------


def test_tengchong_self_department_and_supervisor_ratings_in_different_proportions() -> None:
    policy = preset("tengchong")
    facts = QuarterFacts(
        ratings=(
            RatingMean(1, RaterKind.SELF, 100),
            RatingMean(1, RaterKind.HEAD, 80),
            RatingMean(1, RaterKind.SUPERVISOR, 90),
        )
    )
    result = score_quarter(policy, [Person(1, "甲", 1, "工作人员", MEMBER)], facts).person(1)
    assert result.score == D("87.00")  # 20% × 100 + 50% × 80 + 30% × 90
    weights = {policy.raters.self_rating, policy.raters.head, policy.raters.supervisor}
    assert len(weights) == 3  # 「按不同比例」


def test_tengchong_department_score_counts_in_and_the_top_department_gets_the_red_flag() -> None:
    policy = preset("tengchong")
    departments = range(1, 33)  # 「19个基层所、13个股室」
    people = [
        Person(d * 10 + k, f"{d}-{k}", d, "工作人员", MEMBER) for d in departments for k in (1, 2)
    ]
    facts = QuarterFacts(
        filing=tuple(Filing(p.id, 60, 60, 0) for p in people),
        ratings=tuple(r for p in people for r in all_raters(p.id, 85, tuple(RaterKind)[:4])),
        department_scores=tuple(DepartmentScore(d, 60 + d) for d in departments),
    )
    result = score_quarter(policy, people, facts)
    # Equal personal work; the department's score (20%) decides the order.
    assert result.person(321).score - result.person(11).score == D("0.2") * 31
    assert result.red_flags == (32,)
    good = [r.person_id for r in result.people if r.grade is Grade.GOOD]
    assert len(good) == 25  # floor(40% × 64)
    assert {pid // 10 for pid in good} == set(range(20, 33))


# --- 格尔木 -----------------------------------------------------------------------------


def golmud_unit(vetoes: tuple[VetoEvent, ...] = ()) -> QuarterResult:
    policy = preset("golmud")
    people = [Person(i, f"人{i}", 1 + i % 2, "中层干部", MEMBER) for i in range(1, 11)]
    facts = QuarterFacts(
        indicators=tuple(IndicatorScore(i, 100 - i) for i in range(1, 11)),
        ratings=tuple(r for i in range(1, 11) for r in all_raters(i, 100 - i)),
        vetoes=vetoes,
    )
    return score_quarter(policy, people, facts)


def test_golmud_warning_bars_the_top_grade_and_accountability_means_average() -> None:
    result = golmud_unit((VetoEvent(1, "诫勉"), VetoEvent(2, "追责")))
    assert result.person(1).grade is Grade.FAIRLY_GOOD  # 「被诫勉的…不得评定为优秀等次」
    assert result.person(2).grade is Grade.AVERAGE  # 「被追责的直接确定为一般等次」
    assert [r.person_id for r in result.people if r.grade is Grade.GOOD] == [3, 4, 5, 6]


def test_golmud_first_department_is_singled_out() -> None:
    result = golmud_unit()
    assert result.red_flags == (result.departments[0].department_id,)
    assert result.departments[0].score > result.departments[1].score


def test_golmud_year_is_daily_performance_plus_year_end_assessment() -> None:
    policy = preset("golmud")
    people = [Person(i, f"人{i}", 1 + i % 2, "中层干部", MEMBER) for i in range(1, 11)]
    quarters = [golmud_unit((VetoEvent(1, "诫勉"),) if q == 2 else ()) for q in range(1, 5)]
    quarters = [
        QuarterResult(f"2017Q{q}", r.policy, False, r.people, r.groups, r.departments)
        for q, r in enumerate(quarters, 1)
    ]
    year = annual_results(policy, people, quarters, year_end=(YearEndScore(3, 70),))
    three = year.person(3)
    # 「平时绩效考核+年终实绩考核」, 50 / 50 by assumption
    assert three.score == (three.quarter_mean * D("0.5") + D(35)).quantize(D("0.01"))
    assert year.person(1).grade is not AnnualGrade.EXCELLENT  # 诫勉 in Q2
    assert "诫勉" in year.person(1).grade_reason
    assert [r.person_id for r in year.people if r.grade is AnnualGrade.EXCELLENT] == [2, 4]
