"""What each chart draws: small frozen dataclasses, drawn in the order given.

Builders in `charts.build` make them from core results; tests and the demo may make them by
hand. Scores are points on the 100-point scale, rates are shares (0.87 = 87%).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.grades import GRADE_ORDER, Grade
from core.scoring import DEPARTMENT_TIEBREAK, PERSON_TIEBREAK


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    """One member: name, quarter-to-date score, grade (drawn once final), 绩效之星 or not,
    and the ranking group (类别) they are ranked in."""

    name: str
    score: float
    grade: Grade | None = None
    star: bool = False
    group: str = ""


@dataclass(frozen=True, slots=True)
class Leaderboard:
    """A department's members, best first. Provisional: neutral bars, no grades, 暂定.

    Rows of more than one ranking group are drawn as one section per group, in the order
    the groups first appear, each ranked on its own. `tiebreak` says how equal scores were
    ordered (the core's rule); the footer shows it when two shown scores are equal.
    """

    department: str
    period: str
    rows: tuple[LeaderboardRow, ...]
    provisional: bool = True
    tiebreak: str = PERSON_TIEBREAK

    @property
    def groups(self) -> tuple[str, ...]:
        """The ranking groups of the rows, in order of first appearance."""
        return tuple(dict.fromkeys(r.group for r in self.rows))


@dataclass(frozen=True, slots=True)
class RankingRow:
    """One department: name, score, members, filing rate, 流动红旗 or not."""

    name: str
    score: float
    members: int = 0
    filing_rate: float | None = None
    red_flag: bool = False


@dataclass(frozen=True, slots=True)
class DepartmentRanking:
    """The unit's departments, best first."""

    unit: str
    period: str
    rows: tuple[RankingRow, ...]
    provisional: bool = True
    tiebreak: str = DEPARTMENT_TIEBREAK


@dataclass(frozen=True, slots=True)
class FilingRow:
    """One department's filing rate this week and last week (None: nothing was due)."""

    name: str
    this_week: float | None
    last_week: float | None


@dataclass(frozen=True, slots=True)
class FilingChart:
    """Filing rates per department, this week against last."""

    unit: str
    period: str
    rows: tuple[FilingRow, ...]


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One week of a person's quarter: its label, the score then, the week's filing rate."""

    label: str
    score: float | None
    filing_rate: float | None


@dataclass(frozen=True, slots=True)
class Trend:
    """A person's quarter week by week (for /me)."""

    name: str
    period: str
    points: tuple[TrendPoint, ...]
    provisional: bool = True


@dataclass(frozen=True, slots=True)
class GradeRow:
    """How many members of a department got each grade, in GRADE_ORDER (好, 较好, 一般, 较差)."""

    name: str
    counts: tuple[int, int, int, int]

    @classmethod
    def of(cls, name: str, counts: Mapping[Grade, int]) -> GradeRow:
        """From a count per grade (missing grades count 0)."""
        good, fairly_good, average, poor = (counts.get(g, 0) for g in GRADE_ORDER)
        return cls(name, (good, fairly_good, average, poor))

    @property
    def total(self) -> int:
        """Members graded."""
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class GradeDistribution:
    """The quarter's grades per department; `note` is added to the footer (e.g. that small
    departments are merged)."""

    unit: str
    period: str
    rows: tuple[GradeRow, ...]
    provisional: bool = False
    note: str = ""
