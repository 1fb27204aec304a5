"""The `indicators` score component (DESIGN §10): indicators and tasks, as plain arithmetic.

A person's component value (0–100) is

    value = a · I + b · T

- I, the indicators (一人一表): Σ wᵢ · cᵢ / Σ wᵢ over the person's own indicators with a
  weight > 0, where cᵢ = min(actual / target, 1) × 100 (no reported actual = 0).
- T, the tasks (动态指标 / 督办) due in the period: the mean credit of the tasks, where an
  accepted task earns timeliness × quality × 100 (timeliness: `on_time_factor` if done by
  its due working day, else `late_factor`; quality 优 / 良 / 中 / 差 from the policy) and an
  overdue task not accepted earns 0. Tasks not yet due, or done and awaiting acceptance,
  do not count yet.
- a, b: the policy's `[tasks]` weights `indicators` and `tasks`; when a person has only one
  kind, it takes the whole weight. With neither, the person has no indicator data (the
  component is left out and the other components renormalised, as DESIGN §7 says).

Every value comes with its items (one per indicator, one per kind of task outcome) whose
`share × value` sum to the component value: the breakdown shows them line by line.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from core.facts import IndicatorItem, IndicatorScore
from core.policy import TaskRules


class Quality(StrEnum):
    """The quality rating a leader gives an accepted task (审核评定)."""

    EXCELLENT = "excellent"
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"

    @property
    def label(self) -> str:
        """优 / 良 / 中 / 差."""
        return QUALITY_LABELS[self]

    @classmethod
    def parse(cls, word: str) -> Quality | None:
        """A rating as typed or pressed: 优, 良, 中, 差 (or the English value)."""
        word = word.strip()
        for quality, label in QUALITY_LABELS.items():
            if word in {label, quality.value}:
                return quality
        return None


QUALITY_LABELS: dict[Quality, str] = {
    Quality.EXCELLENT: "优",
    Quality.GOOD: "良",
    Quality.FAIR: "中",
    Quality.POOR: "差",
}


class Outcome(StrEnum):
    """How a task that counts in a period ended up."""

    ON_TIME = "on_time"  # accepted, done by its due working day
    LATE = "late"  # accepted, done after it
    OVERDUE = "overdue"  # due day passed, not accepted

    @property
    def label(self) -> str:
        """按时 / 逾期完成 / 逾期未完成."""
        return {"on_time": "按时完成", "late": "逾期完成", "overdue": "逾期未完成"}[self.value]


@dataclass(frozen=True, slots=True)
class IndicatorFact:
    """One current indicator of a person: weight, target and the reported actual value."""

    person_id: int
    title: str
    weight: float
    target: float
    actual: float | None = None
    unit: str = ""


@dataclass(frozen=True, slots=True)
class TaskTally:
    """How many of a person's tasks ended with one outcome and quality (a GROUP BY row)."""

    person_id: int
    outcome: Outcome
    count: int
    quality: Quality | None = None


class IndicatorError(ValueError):
    """Indicator or task facts that make no sense (negative weight, target ≤ 0…)."""


def completion(target: float, actual: float | None) -> float:
    """An indicator's completion, 0–100: actual / target, capped at the target."""
    if target <= 0:
        raise IndicatorError(f"target must be > 0, got {target}")
    if actual is None or actual <= 0:
        return 0.0
    return min(actual / target, 1.0) * 100


def task_credit(rules: TaskRules, outcome: Outcome, quality: Quality | None) -> float:
    """A task's credit, 0–100: timeliness × quality × 100; overdue earns nothing."""
    if outcome is Outcome.OVERDUE:
        return 0.0
    if quality is None:
        raise IndicatorError("an accepted task needs a quality rating")
    timeliness = rules.on_time_factor if outcome is Outcome.ON_TIME else rules.late_factor
    return timeliness * rules.quality(quality.value) * 100


def indicator_scores(
    rules: TaskRules, indicators: Iterable[IndicatorFact], tasks: Iterable[TaskTally]
) -> tuple[IndicatorScore, ...]:
    """Each person's component value with its items; people without data are absent."""
    by_person: dict[int, list[IndicatorFact]] = defaultdict(list)
    for fact in indicators:
        if fact.weight < 0:
            raise IndicatorError(f"negative weight of indicator {fact.title!r}")
        if fact.weight > 0:
            by_person[fact.person_id].append(fact)
    tallies: dict[int, list[TaskTally]] = defaultdict(list)
    for tally in tasks:
        if tally.count < 0:
            raise IndicatorError("negative task count")
        if tally.count:
            tallies[tally.person_id].append(tally)
    scores = []
    for pid in sorted(by_person.keys() | tallies.keys()):
        score = _person(rules, pid, by_person.get(pid, []), tallies.get(pid, []))
        if score is not None:
            scores.append(score)
    return tuple(scores)


def _person(
    rules: TaskRules, pid: int, indicators: list[IndicatorFact], tasks: list[TaskTally]
) -> IndicatorScore | None:
    a = rules.indicators if indicators else 0.0
    b = rules.tasks if tasks else 0.0
    if a + b <= 0:
        # The policy gives the present kind no weight: it still counts alone, rather than
        # silently dropping the person's only data.
        a, b = (1.0 if indicators else 0.0), (0.0 if indicators else 1.0)
    a, b = a / (a + b), b / (a + b)
    items: list[IndicatorItem] = []
    # Shares as weight ratios, renormalised to sum to exactly 1: a weight × factor product
    # could underflow for tiny weights and let the shares add up to more than the whole.
    ratios = [f.weight / math.fsum(g.weight for g in indicators) for f in indicators]
    ratio_sum = math.fsum(ratios)
    for fact, ratio in zip(indicators, ratios, strict=True):
        value = completion(fact.target, fact.actual)
        actual = "未报" if fact.actual is None else f"{_num(fact.actual)}{fact.unit}"
        detail = f"目标{_num(fact.target)}{fact.unit}，完成{actual}，权重{_num(fact.weight)}"
        items.append(IndicatorItem(fact.title, value, a * (ratio / ratio_sum), detail))
    count = sum(t.count for t in tasks)
    order = {o: i for i, o in enumerate(Outcome)}
    ranks = {q: i for i, q in enumerate(Quality)}
    for tally in sorted(tasks, key=lambda t: (order[t.outcome], _rank(ranks, t.quality))):
        value = task_credit(rules, tally.outcome, tally.quality)
        label = f"任务·{tally.outcome.label}" + (
            f"·{tally.quality.label}" if tally.quality is not None else ""
        )
        items.append(IndicatorItem(label, value, b * tally.count / count, f"{tally.count}项"))
    value = sum(item.share * item.value for item in items)
    return IndicatorScore(pid, min(max(value, 0.0), 100.0), tuple(items))


def _rank(ranks: dict[Quality, int], quality: Quality | None) -> int:
    return len(ranks) if quality is None else ranks[quality]


def _num(value: float) -> str:
    """At most two decimals, trailing zeros dropped."""
    text = f"{value:.2f}"
    return text.rstrip("0").rstrip(".")
