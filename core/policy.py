"""Assessment policy: a TOML file, validated into frozen dataclasses (DESIGN §7).

`parse_policy(text)` is pure. Reading preset or user files is the shell's job
(`bot/policies.py`). A bad file raises PolicyError listing every problem with the key,
the value found and what was expected. Unknown keys are problems too.

Sections: `calendar` (overrides), `schedule`, `limits` (anti-abuse), `components` (weights of
the score components), `filing`, `raters` (rater kinds and weights), `rating_scale` (scores of
the rating buttons), `adjustments` (points
and caps), `veto` (一票否决 kinds and grade caps), `grades` (quarterly grading), `departments`,
`annual` (年度考核 rules), `incentive` (grade coefficients for the bonus pool), `tasks`
(indicators and tasks: weights, timeliness and quality factors) and `privacy` (what charts
posted to groups may show: the smallest group whose grade distribution is published, and
whether 班子成员 are posted and ranked as a department).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum
from typing import Any, TypeVar

from core.grades import ANNUAL_ORDER, GRADE_ORDER, AnnualGrade, Grade

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

WEIGHT_TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """One thing wrong in a policy file."""

    key: str
    value: object
    expected: str

    def __str__(self) -> str:
        return f"{self.key} = {self.value!r}: expected {self.expected}"


class PolicyError(ValueError):
    """The policy file was rejected; `problems` lists everything wrong with it."""

    def __init__(self, problems: list[PolicyProblem], source: str = "policy") -> None:
        self.problems = problems
        self.source = source
        super().__init__(f"{source}: " + "; ".join(str(p) for p in problems))


class PointsOutOfBounds(ValueError):
    """An error notice asked for points outside the policy's bounds."""


# --- vocabulary -------------------------------------------------------------------------


class Component(StrEnum):
    """A part of the quarterly score, each on a 0–100 scale (DESIGN §7)."""

    FILING = "filing"
    REVIEW = "review"
    RATINGS = "ratings"
    DEPARTMENT = "department"
    INDICATORS = "indicators"

    @property
    def label(self) -> str:
        """The Chinese name used in breakdowns."""
        return COMPONENT_LABELS[self]


COMPONENT_LABELS: dict[Component, str] = {
    Component.FILING: "日报填报",
    Component.REVIEW: "审阅批复",
    Component.RATINGS: "多主体评价",
    Component.DEPARTMENT: "部门绩效",
    Component.INDICATORS: "指标完成",
}


class RaterKind(StrEnum):
    """Who gives a quarterly rating (多主体评价)."""

    SELF = "self"
    HEAD = "head"
    SUPERVISOR = "supervisor"
    CHIEF = "chief"
    PEERS = "peers"
    SUBORDINATES = "subordinates"

    @property
    def label(self) -> str:
        """The Chinese name used in breakdowns."""
        return RATER_LABELS[self]


RATER_LABELS: dict[RaterKind, str] = {
    RaterKind.SELF: "自评",
    RaterKind.HEAD: "部门评分",
    RaterKind.SUPERVISOR: "分管领导评分",
    RaterKind.CHIEF: "主要领导评分",
    RaterKind.PEERS: "同级互评",
    RaterKind.SUBORDINATES: "下级评议",
}


class Severity(StrEnum):
    """How heavy an error notice (错情) is."""

    NORMAL = "normal"
    SERIOUS = "serious"

    @property
    def label(self) -> str:
        """The Chinese name used in breakdowns."""
        return "严重错情" if self is Severity.SERIOUS else "错情"


class Ranking(StrEnum):
    """Which people are graded against each other."""

    CATEGORY = "category"
    UNIT = "unit"


class GradeMode(StrEnum):
    """`quota`: 好 up to a ratio, the rest by thresholds; `forced`: fixed shares per grade."""

    QUOTA = "quota"
    FORCED = "forced"


class DepartmentSplit(StrEnum):
    """How an incentive pool is first split between departments."""

    HEADCOUNT_SCORE = "headcount_score"
    SCORE = "score"
    NONE = "none"


# --- sections ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalendarRules:
    """Admin overrides of the official calendar."""

    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()


@dataclass(frozen=True, slots=True)
class Schedule:
    """Deadlines and trigger times, in the unit's local time."""

    deadline: time = time(20, 0)
    remind_at: time = time(17, 0)
    missing_at: time = time(9, 0)
    digest_at: time = time(20, 30)
    leaderboard_at: time = time(21, 0)
    month_end_days: int = 2
    catch_up_hours: int = 12
    backfill_days: int = 3
    consecutive_misses: int = 2
    echo_to_group: bool = True


@dataclass(frozen=True, slots=True)
class QuarterEnd:
    """The quarter-end windows (DESIGN §6), in working days: 实绩申报 opens on the
    `declare_opens_before_end`-th last working day of the quarter and closes at the
    deadline of the `declare_closes_after_end`-th working day of the next; ratings are
    open for `ratings_workdays` working days after that; results are published the next
    working day; feedback talks are due `talks_within_workdays` working days later."""

    declare_opens_before_end: int = 5
    declare_closes_after_end: int = 3
    ratings_workdays: int = 3
    talks_within_workdays: int = 10
    # 公示 (issue 19): the published results are a proposal for this many working days
    # (the results day counts as the first); they become final the working day after.
    # 0 = final at once.
    publicity_days: int = 5


@dataclass(frozen=True, slots=True)
class Appeals:
    """复核 and 申辩 (《公务员法》 Art. 95–96; DESIGN §6).

    A quarterly grade may be contested during its 公示 and is decided within
    `quarterly_decision_workdays` working days; an annual grade within `annual_days`
    calendar days of receiving it, decided within `annual_decision_days` days. After a
    维持 the person may 申诉 to the next level within `petition_days` days. A 错情 or a
    veto may be objected to (申辩) within `objection_days` working days of its notice.
    Reminders go to the 考核办 `remind_workdays` working days before a decision is due.
    """

    quarterly_decision_workdays: int = 10
    annual_days: int = 30
    annual_decision_days: int = 30
    petition_days: int = 15
    objection_days: int = 3
    remind_workdays: int = 2
    reason_chars: int = 500


@dataclass(frozen=True, slots=True)
class TaskRules:
    """Indicators and tasks (DESIGN §10): how the `indicators` component is made.

    component = indicators · I + tasks · T (renormalised when one has no data), where I is
    the weighted completion of the person's indicators and T the mean credit of their
    tasks due in the period: accepted = timeliness factor × quality factor, overdue and
    not accepted = 0. Reminders go out `remind_workdays` working days before the due day.
    """

    indicators: float = 0.6
    tasks: float = 0.4
    on_time_factor: float = 1.0
    late_factor: float = 0.8
    excellent: float = 1.0
    good: float = 0.85
    fair: float = 0.7
    poor: float = 0.5
    remind_workdays: int = 1

    def quality(self, grade: str) -> float:
        """The factor of a quality rating: excellent | good | fair | poor."""
        return float(getattr(self, grade))


@dataclass(frozen=True, slots=True)
class Limits:
    """Anti-abuse limits on likes and errors."""

    actions_per_leader_per_day: int = 30
    one_like_per_target_per_day: bool = True


@dataclass(frozen=True, slots=True)
class Components:
    """Nominal weights of the score components; they sum to 1. Weight 0 = not used."""

    filing: float = 0.3
    review: float = 0.1
    ratings: float = 0.4
    department: float = 0.0
    indicators: float = 0.2

    def weight(self, component: Component) -> float:
        """The nominal weight of `component`."""
        return {
            Component.FILING: self.filing,
            Component.REVIEW: self.review,
            Component.RATINGS: self.ratings,
            Component.DEPARTMENT: self.department,
            Component.INDICATORS: self.indicators,
        }[component]


@dataclass(frozen=True, slots=True)
class FilingRules:
    """How filing days count: a late (or backfilled) day counts `late_factor` of a day."""

    late_factor: float = 0.5


@dataclass(frozen=True, slots=True)
class Raters:
    """Weights of the rater kinds inside the ratings component; they sum to 1."""

    self_rating: float = 0.1
    head: float = 0.3
    supervisor: float = 0.2
    chief: float = 0.2
    peers: float = 0.1
    subordinates: float = 0.1

    def weight(self, kind: RaterKind) -> float:
        """The weight of ratings by `kind`; 0 means that kind is not part of the scheme."""
        return {
            RaterKind.SELF: self.self_rating,
            RaterKind.HEAD: self.head,
            RaterKind.SUPERVISOR: self.supervisor,
            RaterKind.CHIEF: self.chief,
            RaterKind.PEERS: self.peers,
            RaterKind.SUBORDINATES: self.subordinates,
        }[kind]


@dataclass(frozen=True, slots=True)
class RatingScale:
    """The score (0–100) a rating button stands for (多主体评价: 好 / 较好 / 一般 / 较差)."""

    good: float = 95.0
    fairly_good: float = 85.0
    average: float = 75.0
    poor: float = 60.0

    def score(self, grade: Grade) -> float:
        """The score of the button for `grade`."""
        return {
            Grade.GOOD: self.good,
            Grade.FAIRLY_GOOD: self.fairly_good,
            Grade.AVERAGE: self.average,
            Grade.POOR: self.poor,
        }[grade]


@dataclass(frozen=True, slots=True)
class Adjustments:
    """Points added to or taken from the weighted score, and their caps (per quarter)."""

    like_points: float = 1.0
    like_cap_per_quarter: float = 10.0
    error_points: float = -1.0
    serious_error_points: float = -3.0
    error_points_min: float = -10.0
    error_points_max: float = -0.5
    notice_points: float = -2.0
    missed_day_points: float = 0.0
    bonus_cap_per_quarter: float = 5.0

    def error_points_for(self, severity: Severity, explicit: float | None = None) -> float:
        """Points of one error notice; `explicit` must lie within the policy's bounds."""
        if explicit is None:
            return self.serious_error_points if severity is Severity.SERIOUS else self.error_points
        if not self.error_points_min <= explicit <= self.error_points_max:
            raise PointsOutOfBounds(
                f"{explicit:g} not within [{self.error_points_min:g}, {self.error_points_max:g}]"
            )
        return explicit


@dataclass(frozen=True, slots=True)
class Veto:
    """一票否决 kinds (→ 较差) and capping kinds (→ at most a given grade)."""

    kinds: tuple[str, ...] = ("违纪违法", "不服从组织安排造成不良后果")
    caps: tuple[tuple[str, Grade], ...] = ()

    def cap_for(self, kind: str) -> Grade | None:
        """The best grade a person with an event of `kind` may get, if `kind` is a cap."""
        return next((grade for name, grade in self.caps if name == kind), None)


@dataclass(frozen=True, slots=True)
class PerGrade:
    """A number per quarterly grade (forced shares, incentive coefficients)."""

    good: float
    fairly_good: float
    average: float
    poor: float

    def of(self, grade: Grade) -> float:
        """The number for `grade`."""
        return {
            Grade.GOOD: self.good,
            Grade.FAIRLY_GOOD: self.fairly_good,
            Grade.AVERAGE: self.average,
            Grade.POOR: self.poor,
        }[grade]


@dataclass(frozen=True, slots=True)
class PerAnnualGrade:
    """A number per annual grade (incentive coefficients for a year-end pool)."""

    excellent: float
    competent: float
    basic: float
    incompetent: float

    def of(self, grade: AnnualGrade) -> float:
        """The number for `grade`."""
        return {
            AnnualGrade.EXCELLENT: self.excellent,
            AnnualGrade.COMPETENT: self.competent,
            AnnualGrade.BASIC: self.basic,
            AnnualGrade.INCOMPETENT: self.incompetent,
        }[grade]


@dataclass(frozen=True, slots=True)
class GradeRules:
    """Quarterly grading within ranking groups (DESIGN §7 Quarterly grades)."""

    ranking: Ranking = Ranking.CATEGORY
    mode: GradeMode = GradeMode.QUOTA
    good_ratio: float = 0.4
    good_min: float = 80.0
    fair_below: float = 70.0
    poor_below: float = 60.0
    shortlist_ratio: float = 1.0
    forced_shares: PerGrade | None = None
    group_good_ratio: tuple[tuple[str, float], ...] = ()
    # 不定等次 for a quarter in which the person was required on fewer working days than
    # this (a new arrival, long leave): no grade instead of a misleading one. 0 = off.
    min_required_days: int = 0

    def good_ratio_for(self, group: str) -> float:
        """The 好 cap of a ranking group: its own ratio if the policy sets one."""
        return next((r for name, r in self.group_good_ratio if name == group), self.good_ratio)


@dataclass(frozen=True, slots=True)
class DepartmentRules:
    """Department ranking: how many top departments get the 流动红旗."""

    red_flags: int = 1


@dataclass(frozen=True, slots=True)
class Privacy:
    """What pictures posted to groups may show (issue 22).

    A grade distribution of fewer than `min_group` people identifies them: such groups are
    never shown on their own. `leadership_category` names the 班子成员 category; a department
    whose members are all of it is a leadership department: its weekly board is posted only
    if `post_leadership_boards`, and it is ranked among the departments (流动红旗) only if
    `rank_leadership_department`.
    """

    min_group: int = 5
    leadership_category: str = "班子成员"
    post_leadership_boards: bool = False
    rank_leadership_department: bool = False


@dataclass(frozen=True, slots=True)
class AnnualRules:
    """年度考核 from the four quarters (DESIGN §7 Annual)."""

    excellent_ratio: float = 0.2
    excellent_min_good_quarters: int = 2
    excellent_excludes: frozenset[Grade] = frozenset({Grade.AVERAGE, Grade.POOR})
    excellent_min_score: float = 0.0
    excellent_shortlist_ratio: float = 1.0
    caps_block_excellent: bool = True
    basic_poor_quarters: int = 1
    basic_average_quarters: int = 3
    unfit_poor_quarters: int = 2
    basic_below: float = 0.0
    unfit_below: float = 0.0
    year_end_weight: float = 0.0
    # 《公务员考核规定》 common rules, each a switch (DESIGN §7 Annual): a veto in any
    # quarter bars 优秀; the probation year gets a comment but no grade (不定等次); an
    # investigation not yet closed: no grade until it closes (不定等次); sick / personal
    # leave over half the year: not assessed (不参加).
    vetoes_block_excellent: bool = True
    probation_undetermined: bool = True
    investigation_undetermined: bool = True
    long_leave_not_assessed: bool = True


@dataclass(frozen=True, slots=True)
class Incentive:
    """The bonus pool: department split and grade coefficients."""

    department_split: DepartmentSplit = DepartmentSplit.HEADCOUNT_SCORE
    coefficients: PerGrade = PerGrade(1.2, 1.0, 0.8, 0.0)
    annual_coefficients: PerAnnualGrade = PerAnnualGrade(1.2, 1.0, 0.8, 0.0)


@dataclass(frozen=True, slots=True)
class Policy:
    """A whole assessment scheme."""

    name: str = "standard"
    title: str = "通用方案"
    calendar: CalendarRules = field(default_factory=CalendarRules)
    schedule: Schedule = field(default_factory=Schedule)
    quarter_end: QuarterEnd = field(default_factory=QuarterEnd)
    limits: Limits = field(default_factory=Limits)
    components: Components = field(default_factory=Components)
    filing: FilingRules = field(default_factory=FilingRules)
    raters: Raters = field(default_factory=Raters)
    rating_scale: RatingScale = field(default_factory=RatingScale)
    adjustments: Adjustments = field(default_factory=Adjustments)
    veto: Veto = field(default_factory=Veto)
    grades: GradeRules = field(default_factory=GradeRules)
    departments: DepartmentRules = field(default_factory=DepartmentRules)
    annual: AnnualRules = field(default_factory=AnnualRules)
    incentive: Incentive = field(default_factory=Incentive)
    tasks: TaskRules = field(default_factory=TaskRules)
    appeals: Appeals = field(default_factory=Appeals)
    privacy: Privacy = field(default_factory=Privacy)


# --- reading ----------------------------------------------------------------------------


class _Reader:
    """Reads typed values out of a TOML table, collecting problems instead of failing fast."""

    def __init__(self, data: Mapping[str, Any], prefix: str, problems: list[PolicyProblem]):
        self.data, self.prefix, self.problems = data, prefix, problems
        self.used: set[str] = set()

    def get(self, key: str, default: T, convert: Callable[[Any], T], expected: str) -> T:
        self.used.add(key)
        if key not in self.data:
            return default
        raw = self.data[key]
        try:
            return convert(raw)
        except (TypeError, ValueError):
            self.problems.append(PolicyProblem(f"{self.prefix}{key}", raw, expected))
            return default

    def has(self, key: str) -> bool:
        """Whether the table sets `key`."""
        return key in self.data

    def sub(self, key: str) -> _Reader:
        """A reader over the nested table `key` (empty if absent or not a table)."""
        self.used.add(key)
        value = self.data.get(key, {})
        if not isinstance(value, Mapping):
            self.problem(key, value, "a table")
            value = {}
        return _Reader(value, f"{self.prefix}{key}.", self.problems)

    def problem(self, key: str, value: object, expected: str) -> None:
        """Record a problem about `key` of this table ('' for the table itself)."""
        name = f"{self.prefix}{key}" if key else self.prefix.rstrip(".")
        self.problems.append(PolicyProblem(name, value, expected))

    def unknown(self) -> None:
        for key in self.data:
            if key not in self.used:
                self.problems.append(
                    PolicyProblem(f"{self.prefix}{key}", self.data[key], "no such key")
                )


def as_bool(raw: Any) -> bool:
    """A TOML boolean."""
    if not isinstance(raw, bool):
        raise TypeError
    return raw


def as_int(low: int, high: int) -> Callable[[Any], int]:
    """A TOML integer within [low, high]."""

    def convert(raw: Any) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            raise ValueError
        return raw

    return convert


def as_number(low: float, high: float) -> Callable[[Any], float]:
    """A TOML number within [low, high]."""

    def convert(raw: Any) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not low <= raw <= high:
            raise ValueError
        if not math.isfinite(raw):
            raise ValueError
        return float(raw)

    return convert


def as_time(raw: Any) -> time:
    """'HH:MM' (or a TOML local time)."""
    if isinstance(raw, time):
        return raw
    if not isinstance(raw, str):
        raise TypeError
    hours, minutes = raw.split(":")
    return time(int(hours), int(minutes))


def as_dates(raw: Any) -> frozenset[date]:
    """A list of TOML dates or 'YYYY-MM-DD' strings."""
    if not isinstance(raw, list):
        raise TypeError
    days: set[date] = set()
    for item in raw:
        if isinstance(item, date):
            days.add(item)
        elif isinstance(item, str):
            days.add(date.fromisoformat(item))
        else:
            raise TypeError
    return frozenset(days)


def as_text(raw: Any) -> str:
    """A non-empty string."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError
    return raw.strip()


def as_texts(raw: Any) -> tuple[str, ...]:
    """A list of distinct non-empty strings."""
    if not isinstance(raw, list):
        raise TypeError
    items = tuple(as_text(item) for item in raw)
    if len(set(items)) != len(items):
        raise ValueError
    return items


def as_choice(kind: type[E]) -> Callable[[Any], E]:
    """One of the values of the enum `kind`."""

    def convert(raw: Any) -> E:
        if not isinstance(raw, str):
            raise TypeError
        return kind(raw)

    return convert


def as_grades(raw: Any) -> frozenset[Grade]:
    """A list of quarterly grade names."""
    if not isinstance(raw, list):
        raise TypeError
    return frozenset(as_choice(Grade)(item) for item in raw)


def _choices(kind: type[StrEnum]) -> str:
    return "one of " + ", ".join(f'"{item.value}"' for item in kind)


WEIGHT = "a number from 0 to 1"
RATIO = "a ratio from 0 to 1"
SCORE = "a score from 0 to 100"


def _table(data: Mapping[str, Any], key: str, problems: list[PolicyProblem]) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        problems.append(PolicyProblem(key, value, "a table"))
        return {}
    return value


def parse_policy(text: str, *, source: str = "policy") -> Policy:
    """Validate a policy TOML document; raise PolicyError naming every bad key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError([PolicyProblem("(file)", str(exc), "valid TOML")], source) from exc
    problems: list[PolicyProblem] = []
    top = _Reader(data, "", problems)
    name = top.get("name", "custom", as_text, "a non-empty string")
    title = top.get("title", name, as_text, "a non-empty string")

    sections: dict[str, Any] = {}
    for section, build in SECTIONS.items():
        top.used.add(section)
        reader = _Reader(_table(data, section, problems), f"{section}.", problems)
        sections[section] = build(reader)
        reader.unknown()
    top.unknown()
    if problems:
        raise PolicyError(problems, source)
    return Policy(name=name, title=title, **sections)


def _calendar(r: _Reader) -> CalendarRules:
    dates = "a list of dates (YYYY-MM-DD)"
    none: frozenset[date] = frozenset()
    holidays = r.get("extra_holidays", none, as_dates, dates)
    workdays = r.get("extra_workdays", none, as_dates, dates)
    for day in sorted(holidays & workdays):
        r.problems.append(
            PolicyProblem("calendar.extra_workdays", day.isoformat(), "not also a holiday")
        )
    return CalendarRules(holidays, workdays)


def _schedule(r: _Reader) -> Schedule:
    d = Schedule()
    hhmm = "a time HH:MM"
    return Schedule(
        deadline=r.get("deadline", d.deadline, as_time, hhmm),
        remind_at=r.get("remind_at", d.remind_at, as_time, hhmm),
        missing_at=r.get("missing_at", d.missing_at, as_time, hhmm),
        digest_at=r.get("digest_at", d.digest_at, as_time, hhmm),
        leaderboard_at=r.get("leaderboard_at", d.leaderboard_at, as_time, hhmm),
        month_end_days=r.get("month_end_days", d.month_end_days, as_int(0, 10), "0–10"),
        catch_up_hours=r.get("catch_up_hours", d.catch_up_hours, as_int(0, 72), "0–72"),
        backfill_days=r.get("backfill_days", d.backfill_days, as_int(0, 31), "0–31"),
        consecutive_misses=r.get(
            "consecutive_misses", d.consecutive_misses, as_int(1, 30), "1–30"
        ),
        echo_to_group=r.get("echo_to_group", d.echo_to_group, as_bool, "true or false"),
    )


def _quarter_end(r: _Reader) -> QuarterEnd:
    d = QuarterEnd()
    return QuarterEnd(
        declare_opens_before_end=r.get(
            "declare_opens_before_end", d.declare_opens_before_end, as_int(1, 20), "1–20"
        ),
        declare_closes_after_end=r.get(
            "declare_closes_after_end", d.declare_closes_after_end, as_int(1, 20), "1–20"
        ),
        ratings_workdays=r.get("ratings_workdays", d.ratings_workdays, as_int(1, 20), "1–20"),
        talks_within_workdays=r.get(
            "talks_within_workdays", d.talks_within_workdays, as_int(1, 60), "1–60"
        ),
        publicity_days=r.get("publicity_days", d.publicity_days, as_int(0, 20), "0–20"),
    )


def _appeals(r: _Reader) -> Appeals:
    d = Appeals()
    ranges = {
        "quarterly_decision_workdays": (1, 60),
        "annual_days": (1, 90),
        "annual_decision_days": (1, 90),
        "petition_days": (1, 90),
        "objection_days": (1, 20),
        "remind_workdays": (0, 20),
        "reason_chars": (50, 2000),
    }
    return Appeals(
        **{
            key: r.get(key, getattr(d, key), as_int(low, high), f"{low}–{high}")
            for key, (low, high) in ranges.items()
        }
    )


def _tasks(r: _Reader) -> TaskRules:
    d = TaskRules()
    weights = _weights(r, {"indicators": d.indicators, "tasks": d.tasks}, "weights")
    factor = as_number(0, 1)
    values = {
        key: r.get(key, getattr(d, key), factor, "a factor from 0 to 1")
        for key in ("on_time_factor", "late_factor", "excellent", "good", "fair", "poor")
    }
    quality = [values[k] for k in ("excellent", "good", "fair", "poor")]
    if quality != sorted(quality, reverse=True):
        r.problem("poor", values["poor"], "quality factors that never rise for a worse rating")
    remind = r.get("remind_workdays", d.remind_workdays, as_int(0, 10), "0–10")
    return TaskRules(**weights, **values, remind_workdays=remind)


def _limits(r: _Reader) -> Limits:
    d = Limits()
    return Limits(
        actions_per_leader_per_day=r.get(
            "actions_per_leader_per_day", d.actions_per_leader_per_day, as_int(1, 1000), "1–1000"
        ),
        one_like_per_target_per_day=r.get(
            "one_like_per_target_per_day", d.one_like_per_target_per_day, as_bool, "true or false"
        ),
    )


def _weights(r: _Reader, keys: Mapping[str, float], what: str) -> dict[str, float]:
    """Read weights ≥ 0 for `keys` (defaults as given) and check that they sum to 1."""
    values = {key: r.get(key, default, as_number(0, 1), WEIGHT) for key, default in keys.items()}
    total = math.fsum(values.values())
    if abs(total - 1) > WEIGHT_TOLERANCE:
        shown = {key: value for key, value in values.items() if value}
        r.problem("", shown, f"{what} summing to 1 (they sum to {total:.6g})")
    return values


def _components(r: _Reader) -> Components:
    d = Components()
    keys = {c.value: d.weight(c) for c in Component}
    values = _weights(r, keys, "component weights")
    return Components(**values)


def _filing(r: _Reader) -> FilingRules:
    d = FilingRules()
    return FilingRules(late_factor=r.get("late_factor", d.late_factor, as_number(0, 1), WEIGHT))


def _raters(r: _Reader) -> Raters:
    d = Raters()
    keys = {kind.value: d.weight(kind) for kind in RaterKind}
    values = _weights(r, keys, "rater weights")
    values["self_rating"] = values.pop(RaterKind.SELF.value)
    return Raters(**values)


def _rating_scale(r: _Reader) -> RatingScale:
    d = RatingScale()
    scale = RatingScale(
        **{g.value: r.get(g.value, d.score(g), as_number(0, 100), SCORE) for g in GRADE_ORDER}
    )
    values = [scale.score(g) for g in GRADE_ORDER]
    if values != sorted(values, reverse=True):
        r.problem("", scale, "scores that never rise for a worse grade")
    return scale


def _adjustments(r: _Reader) -> Adjustments:
    d = Adjustments()
    positive, cap = "a number from 0 to 100", "a cap from 0 to 100 points"
    deduction = "a number from -100 to 0"
    adj = Adjustments(
        like_points=r.get("like_points", d.like_points, as_number(0, 100), positive),
        like_cap_per_quarter=r.get(
            "like_cap_per_quarter", d.like_cap_per_quarter, as_number(0, 100), cap
        ),
        error_points=r.get("error_points", d.error_points, as_number(-100, 0), deduction),
        serious_error_points=r.get(
            "serious_error_points", d.serious_error_points, as_number(-100, 0), deduction
        ),
        error_points_min=r.get(
            "error_points_min", d.error_points_min, as_number(-100, 0), deduction
        ),
        error_points_max=r.get(
            "error_points_max", d.error_points_max, as_number(-100, 0), deduction
        ),
        notice_points=r.get("notice_points", d.notice_points, as_number(-100, 0), deduction),
        missed_day_points=r.get(
            "missed_day_points", d.missed_day_points, as_number(-100, 0), deduction
        ),
        bonus_cap_per_quarter=r.get(
            "bonus_cap_per_quarter", d.bonus_cap_per_quarter, as_number(0, 100), cap
        ),
    )
    # error_points_min ≤ serious_error_points ≤ error_points ≤ error_points_max
    chain = [
        ("error_points_min", adj.error_points_min),
        ("serious_error_points", adj.serious_error_points),
        ("error_points", adj.error_points),
        ("error_points_max", adj.error_points_max),
    ]
    for (low_key, low), (key, value) in zip(chain, chain[1:], strict=False):
        if value < low:
            r.problem(key, value, f"at least {low_key} ({low:g})")
    return adj


def _veto(r: _Reader) -> Veto:
    d = Veto()
    kinds = r.get("kinds", d.kinds, as_texts, "a list of distinct non-empty names")
    caps_reader = r.sub("caps")
    caps: list[tuple[str, Grade]] = []
    for kind in sorted(caps_reader.data):
        grade = caps_reader.get(kind, None, as_choice(Grade), _choices(Grade))
        if grade is None:
            continue
        if kind in kinds:
            caps_reader.problem(kind, grade.value, "a kind that is not also a veto kind")
        elif grade is Grade.GOOD:
            caps_reader.problem(kind, grade.value, "a grade below good (a cap on good is none)")
        else:
            caps.append((kind, grade))
    caps_reader.unknown()
    return Veto(kinds=kinds, caps=tuple(caps))


def _per_grade(r: _Reader, default: PerGrade, low: float, high: float) -> PerGrade:
    expected = f"a number from {low:g} to {high:g}"
    values = {
        g.value: r.get(g.value, default.of(g), as_number(low, high), expected) for g in GRADE_ORDER
    }
    r.unknown()
    return PerGrade(**values)


def _grades(r: _Reader) -> GradeRules:
    d = GradeRules()
    rules = GradeRules(
        ranking=r.get("ranking", d.ranking, as_choice(Ranking), _choices(Ranking)),
        mode=r.get("mode", d.mode, as_choice(GradeMode), _choices(GradeMode)),
        good_ratio=r.get("good_ratio", d.good_ratio, as_number(0, 1), RATIO),
        good_min=r.get("good_min", d.good_min, as_number(0, 100), SCORE),
        fair_below=r.get("fair_below", d.fair_below, as_number(0, 100), SCORE),
        poor_below=r.get("poor_below", d.poor_below, as_number(0, 100), SCORE),
        shortlist_ratio=r.get("shortlist_ratio", d.shortlist_ratio, as_number(0, 1), RATIO),
        min_required_days=r.get(
            "min_required_days", d.min_required_days, as_int(0, 60), "0–60 working days"
        ),
    )
    if rules.fair_below < rules.poor_below:
        r.problem("fair_below", rules.fair_below, f"at least poor_below ({rules.poor_below:g})")
    if rules.good_min < rules.fair_below:
        r.problem("good_min", rules.good_min, f"at least fair_below ({rules.fair_below:g})")

    shares: PerGrade | None = None
    if r.has("forced_shares"):
        shares = _per_grade(r.sub("forced_shares"), PerGrade(0, 0, 0, 0), 0, 1)
        total = math.fsum(shares.of(g) for g in GRADE_ORDER)
        if abs(total - 1) > WEIGHT_TOLERANCE:
            r.problem("forced_shares", shares, f"shares summing to 1 (they sum to {total:.6g})")
    elif rules.mode is GradeMode.FORCED:
        r.problem("forced_shares", None, 'a table of shares when mode = "forced"')

    group_reader = r.sub("group_good_ratio")
    groups = tuple(
        (group, group_reader.get(group, rules.good_ratio, as_number(0, 1), RATIO))
        for group in sorted(group_reader.data)
    )
    group_reader.unknown()
    return GradeRules(
        ranking=rules.ranking,
        mode=rules.mode,
        good_ratio=rules.good_ratio,
        good_min=rules.good_min,
        fair_below=rules.fair_below,
        poor_below=rules.poor_below,
        shortlist_ratio=rules.shortlist_ratio,
        forced_shares=shares,
        group_good_ratio=groups,
        min_required_days=rules.min_required_days,
    )


def _departments(r: _Reader) -> DepartmentRules:
    d = DepartmentRules()
    return DepartmentRules(red_flags=r.get("red_flags", d.red_flags, as_int(0, 100), "0–100"))


def _privacy(r: _Reader) -> Privacy:
    d = Privacy()
    return Privacy(
        min_group=r.get("min_group", d.min_group, as_int(1, 100), "1–100 people"),
        leadership_category=r.get(
            "leadership_category", d.leadership_category, as_text, "a non-empty string"
        ),
        **{
            key: r.get(key, getattr(d, key), as_bool, "true or false")
            for key in ("post_leadership_boards", "rank_leadership_department")
        },
    )


def _annual(r: _Reader) -> AnnualRules:
    d = AnnualRules()
    quarters = "a number of quarters 0–4 (0 = rule off)"
    rules = AnnualRules(
        excellent_ratio=r.get(
            "excellent_ratio", d.excellent_ratio, as_number(0, 0.25), "a ratio from 0 to 0.25"
        ),
        excellent_min_good_quarters=r.get(
            "excellent_min_good_quarters", d.excellent_min_good_quarters, as_int(0, 4), "0–4"
        ),
        excellent_excludes=r.get(
            "excellent_excludes",
            d.excellent_excludes,
            as_grades,
            "a list of grades, each " + _choices(Grade),
        ),
        excellent_min_score=r.get(
            "excellent_min_score", d.excellent_min_score, as_number(0, 100), SCORE
        ),
        excellent_shortlist_ratio=r.get(
            "excellent_shortlist_ratio", d.excellent_shortlist_ratio, as_number(0, 1), RATIO
        ),
        caps_block_excellent=r.get(
            "caps_block_excellent", d.caps_block_excellent, as_bool, "true or false"
        ),
        basic_poor_quarters=r.get(
            "basic_poor_quarters", d.basic_poor_quarters, as_int(0, 4), quarters
        ),
        basic_average_quarters=r.get(
            "basic_average_quarters", d.basic_average_quarters, as_int(0, 4), quarters
        ),
        unfit_poor_quarters=r.get(
            "unfit_poor_quarters", d.unfit_poor_quarters, as_int(0, 4), quarters
        ),
        basic_below=r.get("basic_below", d.basic_below, as_number(0, 100), SCORE),
        unfit_below=r.get("unfit_below", d.unfit_below, as_number(0, 100), SCORE),
        year_end_weight=r.get("year_end_weight", d.year_end_weight, as_number(0, 1), WEIGHT),
        **{
            key: r.get(key, getattr(d, key), as_bool, "true or false")
            for key in (
                "vetoes_block_excellent",
                "probation_undetermined",
                "investigation_undetermined",
                "long_leave_not_assessed",
            )
        },
    )
    if rules.basic_below < rules.unfit_below:
        r.problem(
            "basic_below", rules.basic_below, f"at least unfit_below ({rules.unfit_below:g})"
        )
    if 0 < rules.unfit_poor_quarters < rules.basic_poor_quarters:
        r.problem(
            "unfit_poor_quarters",
            rules.unfit_poor_quarters,
            f"0 (off) or at least basic_poor_quarters ({rules.basic_poor_quarters})",
        )
    if Grade.GOOD in rules.excellent_excludes:
        r.problem("excellent_excludes", "good", "grades below good only")
    return rules


def _incentive(r: _Reader) -> Incentive:
    d = Incentive()
    split = r.get(
        "department_split",
        d.department_split,
        as_choice(DepartmentSplit),
        _choices(DepartmentSplit),
    )
    coefficients = _per_grade(r.sub("coefficients"), d.coefficients, 0, 100)
    values = [coefficients.of(g) for g in GRADE_ORDER]
    if values != sorted(values, reverse=True):
        r.problem("coefficients", coefficients, "coefficients that never rise for a worse grade")

    annual_reader = r.sub("annual_coefficients")
    expected = "a number from 0 to 100"
    annual = PerAnnualGrade(
        **{
            g.value: annual_reader.get(
                g.value, d.annual_coefficients.of(g), as_number(0, 100), expected
            )
            for g in ANNUAL_ORDER
        }
    )
    annual_reader.unknown()
    values = [annual.of(g) for g in ANNUAL_ORDER]
    if values != sorted(values, reverse=True):
        r.problem("annual_coefficients", annual, "coefficients that never rise for a worse grade")
    return Incentive(department_split=split, coefficients=coefficients, annual_coefficients=annual)


SECTIONS: dict[str, Callable[[_Reader], Any]] = {
    "calendar": _calendar,
    "schedule": _schedule,
    "quarter_end": _quarter_end,
    "limits": _limits,
    "components": _components,
    "filing": _filing,
    "raters": _raters,
    "rating_scale": _rating_scale,
    "adjustments": _adjustments,
    "veto": _veto,
    "grades": _grades,
    "departments": _departments,
    "annual": _annual,
    "incentive": _incentive,
    "tasks": _tasks,
    "appeals": _appeals,
    "privacy": _privacy,
}
