"""The 好 line (core.standing): where a person stands, and /me's phone-sized summary."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import pytest

from core.facts import ErrorTally, Filing, QuarterFacts, RatingMean, Tally, VetoEvent
from core.people import Person, Role
from core.policy import Components, GradeRules, Policy, RaterKind, Raters, Severity
from core.scoring import QuarterResult, score_quarter
from core.standing import Place, headline, short_breakdown, standing, standings, summary

MEMBER = frozenset({Role.MEMBER})
STAFF = "一般工作人员"
GOOD_MIN = Decimal(80)
D = Decimal


def person(pid: int) -> Person:
    return Person(pid, f"人{pid}", 1, STAFF, MEMBER)


def scored(
    scores: dict[int, float], *, provisional: bool = False, **facts: object
) -> QuarterResult:
    """Scores equal the head's rating (ratings only, head only)."""
    weights = dict.fromkeys(("filing", "review", "ratings", "department", "indicators"), 0.0)
    weights["ratings"] = 1.0
    policy = Policy(components=Components(**weights), raters=Raters(0, 1, 0, 0, 0, 0))
    ratings = tuple(RatingMean(pid, RaterKind.HEAD, score) for pid, score in scores.items())
    people = [person(pid) for pid in scores]
    return score_quarter(
        policy, people, QuarterFacts(ratings=ratings, **facts), provisional=provisional
    )  # type: ignore[arg-type]


TEN = {i: 100 - i for i in range(1, 11)}  # 99 … 90: 4 places of 好 (40% of 10)


def test_inside_the_quota_says_the_places_and_the_rank() -> None:
    result = scored(TEN)
    where = standing(result, 3, GOOD_MIN)
    assert (where.place, where.quota, where.rank) == (Place.INSIDE, 4, 3)
    assert headline(result.person(3), where) == [
        "得分：97.00分",
        "排名：一般工作人员第3名（共10人）",
        "等次：好",
        "“好”等次名额4人，你排第3",
    ]


def test_outside_the_quota_says_the_gap_to_the_last_one_inside() -> None:
    result = scored({**TEN, 5: 95.2})  # the 4th (the last inside) has 96
    where = standing(result, 5, GOOD_MIN)
    assert (where.place, where.line, where.gap) == (Place.SHORT, D("96.00"), D("0.80"))
    assert headline(result.person(5), where)[1:] == [
        "排名：一般工作人员第5名（共10人）",
        "等次：较好",
        "差0.8分进入“好”等次（名额4人）",
    ]


def test_the_same_score_as_the_last_one_inside_lost_the_tiebreak() -> None:
    # 4 and 5 both 96: nothing else tells them apart but the roster, so 4 takes the place
    result = scored({**TEN, 5: 96})
    where = standing(result, 5, GOOD_MIN)
    assert (where.place, where.gap) == (Place.SHORT, D("0.00"))
    assert headline(result.person(5), where)[-1] == (
        "与“好”等次末位同分，按同分排序规则列其后（名额4人）"
    )


def test_provisional_results_say_so_in_the_grade_line() -> None:
    result = scored(TEN, provisional=True)
    lines = headline(result.person(1), standing(result, 1, GOOD_MIN))
    assert lines[2] == "等次：好（暂定）"


def test_below_the_minimum_when_the_quota_is_not_filled() -> None:
    result = scored({1: 90, 2: 70.5, 3: 60, 4: 50, 5: 40})  # 2 places, one reached 80
    where = standing(result, 2, GOOD_MIN)
    assert (where.place, where.line, where.minimum) == (Place.SHORT, GOOD_MIN, True)
    assert headline(result.person(2), where)[-1] == "差9.5分达到“好”等次最低分80分"


def test_a_veto_is_said_plainly() -> None:
    result = scored(TEN, vetoes=(VetoEvent(1, "违纪违法"),))
    where = standing(result, 1, GOOD_MIN)
    assert where.place is Place.BARRED
    assert headline(result.person(1), where)[2:] == ["等次：较差", "一票否决：违纪违法"]


def test_a_group_without_places() -> None:
    result = scored({1: 95, 2: 90})  # floor(0.4 × 2) = 0
    where = standing(result, 1, GOOD_MIN)
    assert where.place is Place.NO_QUOTA
    assert headline(result.person(1), where)[-1] == "本组没有“好”等次名额"


def test_undetermined_says_why_and_no_rank() -> None:
    weights = dict.fromkeys(("review", "ratings", "department", "indicators"), 0.0)
    policy = Policy(
        components=Components(filing=1.0, **weights),
        grades=replace(GradeRules(), min_required_days=20),
    )
    facts = QuarterFacts(filing=(Filing(1, 5, 5, 0), Filing(2, 40, 40, 0)))
    result = score_quarter(policy, [person(1), person(2)], facts)
    where = standing(result, 1, GOOD_MIN)
    assert where.place is Place.UNDETERMINED
    assert headline(result.person(1), where) == [
        "得分：100.00分",
        "等次：不定等次",
        "本季度应报5个工作日，少于20个",
    ]


def test_standings_of_everyone_agree_with_each_one() -> None:
    result = scored({**TEN, 5: 95.2}, vetoes=(VetoEvent(2, "违纪违法"),))
    everyone = standings(result, GOOD_MIN)
    assert everyone == {
        p.person_id: standing(result, p.person_id, GOOD_MIN) for p in result.people
    }


POINTS = re.compile(r"^· .+? ([+-]\d+\.\d\d)")


@pytest.mark.parametrize(
    "facts",
    [
        QuarterFacts(filing=(Filing(1, 21, 17, 4),)),  # ratings and indicators missing
        QuarterFacts(
            filing=(Filing(1, 21, 16, 3),),
            ratings=(RatingMean(1, RaterKind.HEAD, 95), RatingMean(1, RaterKind.SELF, 88)),
            likes=(Tally(1, 3, 3.0),),
            errors=(ErrorTally(1, Severity.NORMAL, 2, -2.0),),
        ),
        QuarterFacts(likes=(Tally(1, 1, 1.0),)),  # no component has data
    ],
)
def test_the_short_breakdown_sums_exactly_to_the_score(facts: QuarterFacts) -> None:
    result = score_quarter(Policy(), [person(1)], facts).person(1)
    lines = short_breakdown(result)
    points = [D(m[1]) for line in lines if (m := POINTS.match(line))]
    assert sum(points, D(0)) == result.score
    assert not any("（" in line and line.count("（") > 1 for line in lines)  # nothing nested
    said = [line for line in lines if "按比例放大" in line]
    assert len(said) <= 1  # a renormalisation is said once


def test_the_summary_says_renormalisation_once_and_the_weight_once() -> None:
    facts = QuarterFacts(filing=(Filing(1, 10, 10, 0),))
    result = score_quarter(Policy(), [person(1), person(2)], facts)
    lines = summary(result.person(1), standing(result, 1, GOOD_MIN))
    assert lines[4:] == [
        "得分构成：",
        "· 日报填报 +100.00（100分×100%）",
        "多主体评价、指标完成暂无数据，审阅批复仅适用于领导，均不计入，其余权重按比例放大",
    ]
