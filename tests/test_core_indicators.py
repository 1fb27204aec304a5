"""The indicator component's arithmetic (core.indicators), table-driven."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.facts import QuarterFacts
from core.indicators import (
    IndicatorError,
    IndicatorFact,
    Outcome,
    Quality,
    TaskTally,
    completion,
    indicator_scores,
    task_credit,
)
from core.people import Person, Role
from core.policy import Components, Policy, TaskRules
from core.scoring import explain, score_quarter

RULES = TaskRules()  # indicators 0.6, tasks 0.4; on time 1.0, late 0.8; 优1 良.85 中.7 差.5


@pytest.mark.parametrize(
    ("target", "actual", "expected"),
    [
        (100, 90, 90.0),
        (100, None, 0.0),
        (100, 0, 0.0),
        (100, 150, 100.0),  # capped at the target
        (4, 1, 25.0),
        (3, -1, 0.0),
    ],
)
def test_completion(target: float, actual: float | None, expected: float) -> None:
    assert completion(target, actual) == pytest.approx(expected)


def test_completion_needs_a_positive_target() -> None:
    with pytest.raises(IndicatorError):
        completion(0, 5)


@pytest.mark.parametrize(
    ("outcome", "quality", "expected"),
    [
        (Outcome.ON_TIME, Quality.EXCELLENT, 100.0),
        (Outcome.ON_TIME, Quality.GOOD, 85.0),
        (Outcome.ON_TIME, Quality.FAIR, 70.0),
        (Outcome.ON_TIME, Quality.POOR, 50.0),
        (Outcome.LATE, Quality.EXCELLENT, 80.0),
        (Outcome.LATE, Quality.GOOD, 68.0),
        (Outcome.OVERDUE, None, 0.0),
    ],
)
def test_task_credit(outcome: Outcome, quality: Quality | None, expected: float) -> None:
    assert task_credit(RULES, outcome, quality) == pytest.approx(expected)


def ind(pid: int, weight: float, target: float, actual: float | None) -> IndicatorFact:
    return IndicatorFact(pid, f"指标{weight}", weight, target, actual, "件")


@pytest.mark.parametrize(
    ("indicators", "tasks", "expected"),
    [
        # indicators only: the weighted completion, the tasks' weight goes to them
        ([ind(1, 2, 10, 10), ind(1, 1, 10, 4)], [], 80.0),  # (2×100 + 1×40) / 3
        # tasks only: the mean credit
        ([], [TaskTally(1, Outcome.ON_TIME, 2, Quality.EXCELLENT),
              TaskTally(1, Outcome.OVERDUE, 2)], 50.0),
        # both: 0.6 × 80 + 0.4 × 85
        ([ind(1, 2, 10, 10), ind(1, 1, 10, 4)],
         [TaskTally(1, Outcome.ON_TIME, 1, Quality.GOOD)], 82.0),
        # late, 优: 0.8; one of each: (80 + 100) / 2 = 90 → 0.6 × 0 + 0.4 × 90
        ([ind(1, 1, 5, None)], [TaskTally(1, Outcome.LATE, 1, Quality.EXCELLENT),
                                TaskTally(1, Outcome.ON_TIME, 1, Quality.EXCELLENT)], 36.0),
        # an indicator of weight 0 does not count
        ([ind(1, 0, 10, 0), ind(1, 1, 10, 10)], [], 100.0),
    ],
)  # fmt: skip
def test_component_value(
    indicators: list[IndicatorFact], tasks: list[TaskTally], expected: float
) -> None:
    (score,) = indicator_scores(RULES, indicators, tasks)
    assert score.person_id == 1
    assert score.completion == pytest.approx(expected)


def test_people_without_data_are_absent() -> None:
    scores = indicator_scores(RULES, [ind(1, 0, 10, 1)], [TaskTally(2, Outcome.OVERDUE, 0)])
    assert scores == ()


def test_items_are_one_per_indicator_and_outcome_and_sum_to_the_value() -> None:
    (score,) = indicator_scores(
        RULES,
        [ind(1, 2, 10, 10), ind(1, 1, 10, 4)],
        [TaskTally(1, Outcome.OVERDUE, 1), TaskTally(1, Outcome.ON_TIME, 3, Quality.GOOD)],
    )
    labels = [item.label for item in score.items]
    assert labels == ["指标2", "指标1", "任务·按时完成·良", "任务·逾期未完成"]
    assert score.items[0].detail == "目标10件，完成10件，权重2"
    assert sum(i.share for i in score.items) == pytest.approx(1)
    assert sum(i.share * i.value for i in score.items) == pytest.approx(score.completion)


def test_a_golmud_like_policy_weighs_tasks_more() -> None:
    rules = TaskRules(indicators=0.5, tasks=0.5, late_factor=0.6)
    (score,) = indicator_scores(
        rules, [ind(1, 1, 10, 10)], [TaskTally(1, Outcome.LATE, 1, Quality.EXCELLENT)]
    )
    assert score.completion == pytest.approx(0.5 * 100 + 0.5 * 60)


@given(
    weights=st.lists(st.floats(0, 10), max_size=5),
    actuals=st.lists(st.one_of(st.none(), st.floats(-5, 50)), min_size=5, max_size=5),
    counts=st.lists(st.integers(0, 5), min_size=3, max_size=3),
    quality=st.sampled_from(list(Quality)),
)
@example(  # a subnormal weight once made the shares add up to 1.02
    weights=[5e-324], actuals=[7.0, None, None, None, None], counts=[0, 1, 0],
    quality=Quality.EXCELLENT,
)  # fmt: skip
def test_value_is_within_0_100_and_items_sum_to_it(
    weights: list[float], actuals: list[float | None], counts: list[int], quality: Quality
) -> None:
    facts = [ind(1, w, 10, a) for w, a in zip(weights, actuals, strict=False)]
    tallies = [
        TaskTally(1, Outcome.ON_TIME, counts[0], quality),
        TaskTally(1, Outcome.LATE, counts[1], quality),
        TaskTally(1, Outcome.OVERDUE, counts[2]),
    ]
    scores = indicator_scores(RULES, facts, tallies)
    for score in scores:
        assert 0 <= score.completion <= 100
        total = math.fsum(i.share * i.value for i in score.items)
        assert total == pytest.approx(score.completion, abs=1e-9)


def test_the_breakdown_shows_the_component_line_by_line() -> None:
    person = Person(1, "杨帆", 1, "一般工作人员", frozenset({Role.MEMBER}))
    (score,) = indicator_scores(
        RULES, [ind(1, 1, 10, 8)], [TaskTally(1, Outcome.ON_TIME, 1, Quality.EXCELLENT)]
    )
    policy = Policy(components=Components(filing=0.5, review=0, ratings=0, indicators=0.5))
    facts = QuarterFacts(indicators=(score,))
    result = score_quarter(policy, [person], facts).person(1)
    lines = explain(result)
    assert any(line.startswith("· 指标完成 88") for line in lines)  # 0.6 × 80 + 0.4 × 100
    assert "    – 指标1 80（占60%）  [目标10件，完成8件，权重1]" in lines
    assert "    – 任务·按时完成·优 100（占40%）  [1项]" in lines
