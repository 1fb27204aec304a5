"""What the scoring core needs to know about a quarter: plain aggregates per person.

Every row type is the shape of one SQL `GROUP BY` result row, so storage fills a
`QuarterFacts` with a handful of aggregate queries and no per-report objects:

    filing      GROUP BY person            (required days come from the work calendar)
    reviews     GROUP BY reviewer           reports due for review / reviewed
    ratings     GROUP BY ratee, rater kind  AVG(score), COUNT(*)
    likes       GROUP BY person             COUNT(*), SUM(points)
    errors      GROUP BY person, severity   COUNT(*), SUM(points)
    notices     GROUP BY person             COUNT(*), SUM(points)
    bonuses     GROUP BY person, reason     SUM(points)
    vetoes      one row per event           (rare)

Rows for people who are not being scored are ignored. Points are signed as they count:
likes ≥ 0, errors and notices ≤ 0; a bonus may be negative (a deduction, 扣分).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.policy import RaterKind, Severity


class FactsError(ValueError):
    """The facts handed to the core are inconsistent; `problems` says how."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True, slots=True)
class Filing:
    """A person's filing days in the period: required, on time, late (or backfilled)."""

    person_id: int
    required_days: int
    on_time_days: int
    late_days: int

    @property
    def missed_days(self) -> int:
        """Required days with no report at all."""
        return self.required_days - self.on_time_days - self.late_days


@dataclass(frozen=True, slots=True)
class Reviews:
    """For a leader (head, or a supervisor where they review): reports due and reviewed."""

    person_id: int
    reports: int
    reviewed: int


@dataclass(frozen=True, slots=True)
class RatingMean:
    """Mean rating (0–100) a person received from one rater kind, and how many ratings."""

    person_id: int
    kind: RaterKind
    mean: float
    count: int = 1


@dataclass(frozen=True, slots=True)
class DepartmentScore:
    """A department's own score (0–100) for the period (腾冲 部门绩效得分)."""

    department_id: int
    score: float


@dataclass(frozen=True, slots=True)
class IndicatorItem:
    """One line of an indicator score: an indicator, or tasks of one outcome (core.indicators).

    `value` is its completion or credit (0–100), `share` its part of the component: the
    items' Σ share × value is the completion.
    """

    label: str
    value: float
    share: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class IndicatorScore:
    """A person's indicator / task completion (0–100) for the period, with its items."""

    person_id: int
    completion: float
    items: tuple[IndicatorItem, ...] = ()


@dataclass(frozen=True, slots=True)
class Tally:
    """Count and summed points of likes or notices (通报) for a person."""

    person_id: int
    count: int
    points: float


@dataclass(frozen=True, slots=True)
class ErrorTally:
    """Count and summed points (≤ 0) of error notices of one severity for a person."""

    person_id: int
    severity: Severity
    count: int
    points: float


@dataclass(frozen=True, slots=True)
class Bonus:
    """Bonus points (加分, or a deduction if negative) of one reason for a person."""

    person_id: int
    points: float
    reason: str


@dataclass(frozen=True, slots=True)
class VetoEvent:
    """A negative-list event (一票否决, or a grade cap if its kind is one of the policy's caps)."""

    person_id: int
    kind: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class QuarterFacts:
    """Everything the core needs to score one period (a quarter, or quarter-to-date).

    `roster_order` lists person ids in roster order: the last tiebreak. People missing
    from it come after everyone listed, by id.
    """

    period: str = ""
    filing: tuple[Filing, ...] = ()
    reviews: tuple[Reviews, ...] = ()
    ratings: tuple[RatingMean, ...] = ()
    department_scores: tuple[DepartmentScore, ...] = ()
    indicators: tuple[IndicatorScore, ...] = ()
    likes: tuple[Tally, ...] = ()
    errors: tuple[ErrorTally, ...] = ()
    notices: tuple[Tally, ...] = ()
    bonuses: tuple[Bonus, ...] = ()
    vetoes: tuple[VetoEvent, ...] = ()
    roster_order: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class YearEndScore:
    """A person's year-end assessment score (年终实绩考核, 格尔木), 0–100."""

    person_id: int
    score: float
