"""Quarterly scores, ranks and grades with an explainable breakdown (DESIGN §7).

    S = Σ_k w_k · C_k + adjustments

Components C_k (0–100): filing = (on-time days + late days × late_factor) / required
days × 100; review = reviewed / reports due × 100 (leaders: people with a head,
supervisor or chief role, or anyone with review facts); ratings = Σ w_kind · mean_kind /
Σ w_kind over the rater kinds with data; department = the department's given score;
indicators = the given completion. A component with weight > 0 but no data for a person
is left out and the other weights are scaled up to sum to 1; the breakdown has a line
saying so (0 points) and a note. Likewise inside the ratings component for missing rater
kinds. Review does not apply to people without a leader role: it is left out the same
way, with a note but no line.

Adjustments: likes (their summed points, capped per quarter), errors and notices (their
points), missed days × `missed_day_points`, bonus items (the positive total capped per
quarter; deductions are not capped).

Rounding (see core.rounding): the score is rounded once to 0.01, half away from zero;
the breakdown lines are rounded by largest remainder so that they sum exactly to the
score. Ranks and grades use the rounded score, the number people see.

Tiebreaks (equal rounded score), in order: fewer error notices, more likes, higher
filing rate ((on-time + late) / required; no filing data counts lowest), earlier in the
roster (`QuarterFacts.roster_order`), lower person id. Results never depend on the order
of `people` or of the fact rows.

不定等次 (policy `grades.min_required_days`, 0 = off): a person required on fewer working
days than that in the quarter (a new arrival, long leave) is scored and explained but not
graded: `undetermined` is set, `grade_reason` says why, they take no place in their
group's quota, and they come after the graded people of their group (rank past the
group's size). `grade` then holds no verdict (较好 as a placeholder; read `grade_label`).

Only active people are scored. Departments are ranked by their given score, else by the
mean of their members' scores; ties: higher filing rate, fewer errors, earlier in the
roster. The top `departments.red_flags` get the 流动红旗. A department of 班子成员 only
(policy `privacy`) comes after the others, unranked and without a flag, unless
`privacy.rank_leadership_department` is on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields, make_dataclass
from decimal import Decimal
from operator import attrgetter

from core.collector import collector_paused
from core.facts import FactsError, IndicatorItem, QuarterFacts
from core.grades import GRADE_ORDER, Grade
from core.grading import GroupOutcome, TieKey, grade_ranked
from core.people import Person, Role
from core.policy import Component, Policy, Ranking, RaterKind, Severity
from core.rounding import (
    HUNDRED,
    ZERO,
    arithmetic,
    cents,
    dec,
    rounded,
    split_cents,
    to_decimal,
)

UNIT_GROUP = "全单位"
UNDETERMINED_LABEL = "不定等次"
LEADER_ROLES = frozenset({Role.HEAD, Role.SUPERVISOR, Role.CHIEF})


@dataclass(frozen=True, slots=True)
class BreakdownLine:
    """One line of an explanation: what, its value, and the points it contributes."""

    label: str
    value: Decimal | None
    points: Decimal
    detail: str = ""
    items: tuple[str, ...] = ()  # what the line is made of, one text per item (indicators)


@dataclass(frozen=True, slots=True)
class ComponentResult:
    """A component for one person: value (None = no data), nominal and used weight, points."""

    component: Component
    value: Decimal | None
    nominal_weight: Decimal
    weight: Decimal
    points: Decimal


@dataclass(frozen=True, slots=True)
class AdjustmentResult:
    """An adjustment for one person: kind, label, how many records, points."""

    kind: str
    label: str
    count: int
    points: Decimal


@dataclass(frozen=True, slots=True)
class PersonResult:
    """One person's quarter: score, rank, grade; components, adjustments and breakdown.

    The breakdown (`components`, `adjustments`, `breakdown`, `notes`, `base`,
    `adjustment_total`) is formatted on first access: a leaderboard of ten thousand people
    needs scores and ranks, not ten thousand explanations.
    """

    person_id: int
    name: str
    department_id: int
    category: str
    group: str
    score: Decimal
    rank: int
    group_size: int
    grade: Grade
    grade_reason: str
    vetoes: tuple[str, ...] = ()
    caps: tuple[str, ...] = ()
    likes: int = 0
    errors: int = 0
    filing_rate: Decimal | None = None
    review_rate: Decimal | None = None
    roster_position: int = 0
    provisional: bool = False
    undetermined: bool = False
    explanation: Explanation | None = field(default=None, repr=False, compare=False)

    @property
    def grade_label(self) -> str:
        """The grade in Chinese, or 不定等次."""
        return UNDETERMINED_LABEL if self.undetermined else self.grade.label

    @property
    def components(self) -> tuple[ComponentResult, ...]:
        """The weighted components, including those left out for lack of data."""
        return self._explained().components

    @property
    def adjustments(self) -> tuple[AdjustmentResult, ...]:
        """The adjustments (likes, errors, notices, missed days, bonuses, caps)."""
        return self._explained().adjustments

    @property
    def breakdown(self) -> tuple[BreakdownLine, ...]:
        """Components then adjustments, as lines whose points sum exactly to the score."""
        return self._explained().breakdown

    @property
    def notes(self) -> tuple[str, ...]:
        """What the breakdown left out or renormalised, in words."""
        return self._explained().notes

    @property
    def base(self) -> Decimal:
        """The points of the weighted components."""
        return self._explained().base

    @property
    def adjustment_total(self) -> Decimal:
        """The points of the adjustments."""
        return self._explained().adjustment_total

    def _explained(self) -> Explained:
        if self.explanation is None:
            return EMPTY
        return self.explanation.explained(self.person_id)


@dataclass(frozen=True, slots=True)
class GroupResult:
    """A ranking group: size, 好 quota, shortlist size and how many got each grade."""

    group: str
    size: int
    good_quota: int
    shortlist: int
    counts: tuple[tuple[Grade, int], ...]


@dataclass(frozen=True, slots=True)
class DepartmentResult:
    """A department's score, rank and figures; `red_flag` marks the 流动红旗.

    `ranked` is False for a leadership department (all its members of the policy's
    `privacy.leadership_category`) when `privacy.rank_leadership_department` is off: it is
    ranked after every other department and never gets the 流动红旗.
    """

    department_id: int
    score: Decimal
    source: str
    members: int
    mean_member_score: Decimal
    filing_rate: Decimal | None
    review_rate: Decimal | None
    likes: int
    errors: int
    good: int
    rank: int
    red_flag: bool
    ranked: bool = True


@dataclass(frozen=True, slots=True)
class QuarterResult:
    """Everything scored for one period; people ordered by group, then rank."""

    period: str
    policy: str
    provisional: bool
    people: tuple[PersonResult, ...]
    groups: tuple[GroupResult, ...]
    departments: tuple[DepartmentResult, ...]

    def person(self, person_id: int) -> PersonResult:
        """The result of one person; KeyError if they were not scored."""
        for result in self.people:
            if result.person_id == person_id:
                return result
        raise KeyError(person_id)

    @property
    def red_flags(self) -> tuple[int, ...]:
        """Ids of the 流动红旗 departments, best first."""
        return tuple(d.department_id for d in self.departments if d.red_flag)


@dataclass(frozen=True, slots=True)
class Explained:
    """A formatted breakdown."""

    components: tuple[ComponentResult, ...]
    adjustments: tuple[AdjustmentResult, ...]
    breakdown: tuple[BreakdownLine, ...]
    notes: tuple[str, ...]
    base: Decimal
    adjustment_total: Decimal


EMPTY = Explained((), (), (), (), ZERO, ZERO)


class Explanation:
    """How a quarter's scores came about; each person's breakdown formatted on first use.

    Scoring only sums points (`_points`); this works the same numbers out again, person by
    person, with lines and notes.
    """

    __slots__ = ("_done", "_numbers", "_people", "_by_id", "_idx", "_provisional")

    def __init__(
        self, numbers: _Numbers, people: Sequence[Person], idx: _Index, provisional: bool
    ) -> None:
        self._numbers, self._people, self._idx = numbers, people, idx
        self._provisional = provisional
        self._by_id: dict[int, Person] | None = None
        self._done: dict[int, Explained] = {}

    def explained(self, person_id: int) -> Explained:
        """The person's breakdown, rounded so that the lines sum exactly to the score."""
        done = self._done.get(person_id)
        if done is None:
            if self._by_id is None:
                self._by_id = {p.id: p for p in self._people}
            person = self._by_id[person_id]
            with arithmetic():
                lines, notes = _evaluate(self._numbers, person, self._idx, self._provisional)
                done = self._done[person_id] = _explain_lines(lines, notes)
        return done


def _explain_lines(lines: Sequence[_Line], notes: Sequence[str]) -> Explained:
    _, line_cents = split_cents([line.points for line in lines])
    components: list[ComponentResult] = []
    adjustments: list[AdjustmentResult] = []
    breakdown: list[BreakdownLine] = []
    base = adjustment_total = 0
    for line, count in zip(lines, line_cents, strict=True):
        points = cents(count)
        value = None if line.value is None else to_decimal(line.value)
        breakdown.append(BreakdownLine(line.label, value, points, line.detail, line.items))
        if line.component is not None:
            base += count
            nominal, weight = to_decimal(line.nominal, 4), to_decimal(line.weight, 4)
            components.append(ComponentResult(line.component, value, nominal, weight, points))
        else:
            adjustment_total += count
            adjustments.append(AdjustmentResult(line.kind, line.label, line.count, points))
    return Explained(
        tuple(components),
        tuple(adjustments),
        tuple(breakdown),
        tuple(notes),
        cents(base),
        cents(adjustment_total),
    )


# --- facts indexed per person -----------------------------------------------------------


@dataclass(slots=True)
class _Sum:
    count: int = 0
    points: Decimal = ZERO


@dataclass(slots=True)
class _Tallies:
    """Summed counts and points per person id (plain dicts: no object per person)."""

    count: dict[int, int] = field(default_factory=dict)
    points: dict[int, Decimal] = field(default_factory=dict)


@dataclass(slots=True)
class _Index:
    # filing: required, on time, late days; reviews: reports due, reviewed
    filing: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    reviews: dict[int, tuple[int, int]] = field(default_factory=dict)
    ratings: dict[int, dict[RaterKind, _Sum]] = field(default_factory=dict)
    department: dict[int, Decimal] = field(default_factory=dict)
    indicators: dict[int, Decimal] = field(default_factory=dict)
    indicator_items: dict[int, tuple[IndicatorItem, ...]] = field(default_factory=dict)
    likes: _Tallies = field(default_factory=_Tallies)
    errors: dict[Severity, _Tallies] = field(default_factory=dict)  # severities in order
    error_count: dict[int, int] = field(default_factory=dict)  # all severities
    notices: _Tallies = field(default_factory=_Tallies)
    bonuses: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    vetoes: dict[int, set[str]] = field(default_factory=dict)
    roster: dict[int, int] = field(default_factory=dict)


def _index(facts: QuarterFacts, ids: set[int], departments: set[int]) -> _Index:
    """Fold the fact rows per person, summing repeated rows, and validate them."""
    problems: list[str] = []
    idx = _Index()
    _index_components(facts, ids, departments, idx, problems)
    _index_adjustments(facts, ids, idx, problems)
    listed = dict.fromkeys(pid for pid in facts.roster_order if pid in ids)
    unlisted = sorted(ids - listed.keys())
    idx.roster = {pid: i for i, pid in enumerate([*listed, *unlisted])}
    if problems:
        raise FactsError(problems)
    return idx


def _index_components(
    facts: QuarterFacts, ids: set[int], departments: set[int], idx: _Index, problems: list[str]
) -> None:
    filing = idx.filing
    for f in facts.filing:
        pid = f.person_id
        if pid in ids:
            required, on_time, late = f.required_days, f.on_time_days, f.late_days
            if required < 0 or on_time < 0 or late < 0:
                problems.append(f"filing of person {pid}: negative day count")
            row = filing.get(pid)
            if row is not None:
                required, on_time, late = row[0] + required, row[1] + on_time, row[2] + late
            filing[pid] = (required, on_time, late)
    for pid, (required, on_time, late) in filing.items():
        if on_time + late > required:
            problems.append(f"filing of person {pid}: more days filed than required")
    reviews = idx.reviews
    for r in facts.reviews:
        pid = r.person_id
        if pid in ids:
            reports, reviewed = r.reports, r.reviewed
            if not 0 <= reviewed <= reports:
                problems.append(f"reviews of person {pid}: need 0 ≤ reviewed ≤ reports")
            done = reviews.get(pid)
            if done is not None:
                reports, reviewed = done[0] + reports, done[1] + reviewed
            reviews[pid] = (reports, reviewed)
    for rating in facts.ratings:
        if rating.person_id in ids:
            mean = dec(rating.mean)
            if not ZERO <= mean <= HUNDRED or rating.count < 1:
                problems.append(f"rating of person {rating.person_id}: need mean 0–100, count ≥ 1")
            total = idx.ratings.setdefault(rating.person_id, {}).setdefault(rating.kind, _Sum())
            total.count += rating.count
            total.points += mean * rating.count
    for d in facts.department_scores:
        if d.department_id in departments:
            if d.department_id in idx.department:
                problems.append(f"department {d.department_id}: more than one score")
            idx.department[d.department_id] = _bounded(
                d.score, problems, f"dept {d.department_id}"
            )
    for ind in facts.indicators:
        if ind.person_id in ids:
            if ind.person_id in idx.indicators:
                problems.append(f"indicators of person {ind.person_id}: more than one row")
            idx.indicators[ind.person_id] = _bounded(ind.completion, problems, "indicators")
            if ind.items:
                idx.indicator_items[ind.person_id] = ind.items


def _index_adjustments(
    facts: QuarterFacts, ids: set[int], idx: _Index, problems: list[str]
) -> None:
    decimal = _Decimals()
    count, points = idx.likes.count, idx.likes.points
    for like in facts.likes:
        pid = like.person_id
        if pid in ids:
            n, p = like.count, like.points
            if n < 0 or p < 0:
                problems.append(f"likes of person {pid}: need count, points ≥ 0")
            count[pid] = count.get(pid, 0) + n
            points[pid] = points.get(pid, ZERO) + (decimal[p] if type(p) is float else dec(p))
    errors: dict[Severity, _Tallies] = {}
    error_count = idx.error_count
    for err in facts.errors:
        pid = err.person_id
        if pid in ids:
            n, p = err.count, err.points
            if n < 0 or p > 0:
                problems.append(f"errors of person {pid}: need count ≥ 0, points ≤ 0")
            tallies = errors.get(err.severity)
            if tallies is None:
                tallies = errors[err.severity] = _Tallies()
            tallies.count[pid] = tallies.count.get(pid, 0) + n
            tallies.points[pid] = tallies.points.get(pid, ZERO) + (
                decimal[p] if type(p) is float else dec(p)
            )
    idx.errors = {severity: errors[severity] for severity in sorted(errors)}
    for tallies in idx.errors.values():
        for pid, n in tallies.count.items():
            error_count[pid] = error_count.get(pid, 0) + n
    count, points = idx.notices.count, idx.notices.points
    for notice in facts.notices:
        pid = notice.person_id
        if pid in ids:
            if notice.count < 0 or notice.points > 0:
                problems.append(f"notices of person {pid}: need points ≤ 0")
            count[pid] = count.get(pid, 0) + notice.count
            points[pid] = points.get(pid, ZERO) + dec(notice.points)
    for bonus in facts.bonuses:
        if bonus.person_id in ids:
            reasons = idx.bonuses.setdefault(bonus.person_id, {})
            reason = bonus.reason.strip() or "其他"
            reasons[reason] = reasons.get(reason, ZERO) + dec(bonus.points)
    for veto in facts.vetoes:
        if veto.person_id in ids:
            idx.vetoes.setdefault(veto.person_id, set()).add(veto.kind.strip())


class _Decimals(dict[float, Decimal]):
    """`dec` of the float points of tally rows, which repeat the same few values.

    Floats only, and not zero: 2 and 2.0, or 0.0 and -0.0, are equal keys but not equal
    Decimals.
    """

    def __missing__(self, value: float) -> Decimal:
        number = dec(value)
        if value:
            self[value] = number
        return number


def _bounded(value: float, problems: list[str], what: str) -> Decimal:
    number = dec(value)
    if not ZERO <= number <= HUNDRED:
        problems.append(f"{what}: {value} not within 0–100")
    return number


# --- one person -------------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    """A breakdown line before rounding."""

    label: str
    value: Decimal | None
    points: Decimal
    detail: str = ""
    component: Component | None = None
    nominal: Decimal = ZERO
    weight: Decimal = ZERO
    kind: str = ""
    count: int = 0
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Numbers:
    """The policy's numbers as Decimals, converted once per call."""

    components: tuple[tuple[Component, Decimal], ...]
    raters: tuple[tuple[RaterKind, Decimal], ...]
    late_factor: Decimal
    like_cap: Decimal
    missed_day_points: Decimal
    bonus_cap: Decimal

    @classmethod
    def of(cls, policy: Policy) -> _Numbers:
        weights = ((c, dec(policy.components.weight(c))) for c in Component)
        raters = ((k, dec(policy.raters.weight(k))) for k in RaterKind)
        adj = policy.adjustments
        return cls(
            components=tuple((c, w) for c, w in weights if w),
            raters=tuple((k, w) for k, w in raters if w),
            late_factor=dec(policy.filing.late_factor),
            like_cap=dec(adj.like_cap_per_quarter),
            missed_day_points=dec(adj.missed_day_points),
            bonus_cap=dec(adj.bonus_cap_per_quarter),
        )


def _pct(weight: Decimal) -> str:
    return _num(weight * HUNDRED) + "%"


def _num(value: Decimal) -> str:
    """At most two decimals, trailing zeros dropped: 85, 92.5, 33.33."""
    text = f"{to_decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True, slots=True)
class _Base:
    """A person's weighted components: values, the weights used, points; filing and review.

    A pure function of the component facts (`_base`), so people with the same facts share
    one: most people of a unit differ only in a few filing days.
    """

    values: dict[Component, Decimal]
    weights: tuple[Decimal, ...]  # per component of `values` with a weight, in policy order
    points: tuple[Decimal, ...]  # weight × value, likewise
    total: Decimal  # their sum, the start of the score's sum
    present: Decimal  # the nominal weights of the components with data
    filing_rate: Decimal | None
    review_rate: Decimal | None
    filing_shown: Decimal | None  # the rates as published (4 places)
    review_shown: Decimal | None
    rank_rate: Decimal  # the filing tiebreak: the rate negated, no filing data lowest


def _base(
    numbers: _Numbers,
    filing: tuple[int, int, int] | None,
    reviews: tuple[int, int] | None,
    ratings: dict[RaterKind, _Sum] | None,
    department: Decimal | None,
    indicators: Decimal | None,
) -> _Base:
    values: dict[Component, Decimal] = {}
    filing_rate = review_rate = None
    if filing is not None and filing[0] > 0:
        required, on_time, late = filing
        filing_rate = Decimal(on_time + late) / required
        credited = on_time + late * numbers.late_factor
        values[Component.FILING] = credited * HUNDRED / required
    if reviews is not None and reviews[0] > 0:
        review_rate = Decimal(reviews[1]) / reviews[0]
        values[Component.REVIEW] = review_rate * HUNDRED
    if ratings:
        rating = _ratings(numbers, ratings)
        if rating is not None:
            values[Component.RATINGS] = rating
    if department is not None:
        values[Component.DEPARTMENT] = department
    if indicators is not None:
        values[Component.INDICATORS] = indicators

    present = sum((w for c, w in numbers.components if c in values), ZERO)
    weights = tuple(nominal / present for c, nominal in numbers.components if c in values)
    used = (values[c] for c, _ in numbers.components if c in values)
    points = tuple(weight * value for weight, value in zip(weights, used, strict=True))
    return _Base(
        values=values,
        weights=weights,
        points=points,
        total=sum(points, ZERO),
        present=present,
        filing_rate=filing_rate,
        review_rate=review_rate,
        filing_shown=_rate(filing_rate),
        review_shown=_rate(review_rate),
        rank_rate=-(filing_rate if filing_rate is not None else Decimal(-1)),
    )


def _base_of(
    numbers: _Numbers, person: Person, idx: _Index, shared: dict[object, _Base] | None = None
) -> _Base:
    """The person's `_Base`; with `shared`, one per distinct set of component facts."""
    pid = person.id
    filing, reviews = idx.filing.get(pid), idx.reviews.get(pid)
    ratings = idx.ratings.get(pid) if idx.ratings else None
    indicators = idx.indicators.get(pid) if idx.indicators else None
    department = idx.department.get(person.department_id) if idx.department else None
    if shared is None or ratings or indicators is not None:
        return _base(numbers, filing, reviews, ratings, department, indicators)
    key = (filing, reviews, None if department is None else person.department_id)
    base = shared.get(key)
    if base is None:
        base = shared[key] = _base(numbers, filing, reviews, None, department, None)
    return base


def _rate(rate: Decimal | None) -> Decimal | None:
    return None if rate is None else to_decimal(rate, 4)


def _evaluate(
    numbers: _Numbers, person: Person, idx: _Index, provisional: bool
) -> tuple[list[_Line], list[str]]:
    """The breakdown lines and notes of one person's score."""
    pid = person.id
    base = _base_of(numbers, person, idx)
    lines: list[_Line] = []
    notes: list[str] = []
    received = idx.ratings.get(pid)
    if received and Component.RATINGS in base.values:
        _missing_raters(notes, numbers, received)

    used = zip(base.weights, base.points, strict=True)
    for component, nominal in numbers.components:
        value = base.values.get(component)
        if value is None:
            _missing_line(lines, notes, component, person, provisional)
            continue
        weight, points = next(used)
        detail = f"{_describe(component, numbers, person, idx)}；权重{_pct(weight)}"
        if weight != nominal:
            detail += f"（原{_pct(nominal)}）"
        line = _Line(component.label, value, points, detail, component, nominal, weight)
        if component is Component.INDICATORS:
            line.items = _indicator_items(idx.indicator_items.get(pid, ()))
        lines.append(line)
    if base.present == 0:
        notes.append("暂无任何计分项数据，得分仅含加减分")

    _adjustment_lines(numbers, pid, idx, lines)
    if provisional:
        notes.append("季度进行中：得分、排名和等次均为暂定")
    return lines, notes


def _missing_line(
    lines: list[_Line], notes: list[str], component: Component, person: Person, provisional: bool
) -> None:
    if component is Component.REVIEW and not person.roles & LEADER_ROLES:
        notes.append(f"{component.label}仅适用于领导，本人不计，其余权重按比例放大")
        return
    when = "本季度至今" if provisional else "本季度"
    detail = f"{when}无数据，不计入；其余各项权重按比例放大"
    lines.append(_Line(f"{component.label}（无数据）", None, ZERO, detail, component))
    notes.append(f"{component.label}{when}无数据，不计入，其余权重按比例放大")


def _missing_raters(notes: list[str], numbers: _Numbers, received: dict[RaterKind, _Sum]) -> None:
    missing = [k.label for k, _ in numbers.raters if k not in received or not received[k].count]
    if missing:
        notes.append(f"多主体评价缺少{'、'.join(missing)}，其余评价主体的权重按比例放大")


def _ratings(numbers: _Numbers, received: dict[RaterKind, _Sum]) -> Decimal | None:
    """The weighted mean over the rater kinds with data (their weights renormalised)."""
    whole = total = ZERO
    for kind, weight in numbers.raters:
        acc = received.get(kind)
        if acc is not None and acc.count:
            whole += weight
            total += weight * acc.points / acc.count
    return total / whole if whole else None


def _describe(component: Component, numbers: _Numbers, person: Person, idx: _Index) -> str:
    """What a component's value is made of, in words (explain mode only)."""
    pid = person.id
    if component is Component.FILING:
        required, on_time, late = idx.filing[pid]
        missed = required - on_time - late
        return (
            f"应报{required}天：按时{on_time}天、迟报或补报{late}天"
            f"（每天按{_num(numbers.late_factor)}天计）、缺报{missed}天"
        )
    if component is Component.REVIEW:
        reports, reviewed = idx.reviews[pid]
        return f"应审阅{reports}篇，已审阅{reviewed}篇"
    if component is Component.RATINGS:
        received = idx.ratings[pid]
        used = [(k, w, received[k]) for k, w in numbers.raters if k in received]
        used = [(k, w, acc) for k, w, acc in used if acc.count]
        whole = sum((w for _, w, _ in used), ZERO)
        text = "、".join(
            f"{k.label}{_num(acc.points / acc.count)}（{_pct(w / whole)}，{acc.count}人）"
            for k, w, acc in used
        )
        missing = [k.label for k, _ in numbers.raters if k not in {k for k, _, _ in used}]
        return text + (
            f"；缺{'、'.join(missing)}，其余评价主体的权重按比例放大" if missing else ""
        )
    if component is Component.DEPARTMENT:
        return "所在部门绩效得分"
    items = idx.indicator_items.get(pid, ())
    tasks = sum(1 for item in items if item.label.startswith("任务"))
    if not items:
        return "指标及任务完成度"
    return f"指标{len(items) - tasks}项、任务{tasks}类，完成度按权重合计"


def _indicator_items(items: Sequence[IndicatorItem]) -> tuple[str, ...]:
    """One text per indicator or task outcome: its value and its share of the component."""
    return tuple(
        f"{item.label} {_num(dec(item.value))}（占{_pct(dec(item.share))}）"
        + (f"  [{item.detail}]" if item.detail else "")
        for item in items
    )


# --- adjustments ------------------------------------------------------------------------
#
# Two views of the same rules, kept side by side: `_adjustment_lines` walks one person's
# adjustments and words them; `_add_adjustments` adds everyone's points kind by kind, for
# scoring. Both add in the breakdown's order (likes, errors by severity, notices, missed
# days, bonuses by reason, the bonus cap), so every sum, hence every rounding, is the same.


def _adjustment_lines(numbers: _Numbers, pid: int, idx: _Index, lines: list[_Line]) -> None:
    """Append one person's adjustment lines (one per kind with records) to `lines`."""
    count = idx.likes.count.get(pid)
    if count is not None:
        total = idx.likes.points[pid]
        if count or total:
            detail = f"{count}次共{_num(total)}分"
            if total > numbers.like_cap:
                detail += f"，每季度封顶{_num(numbers.like_cap)}分"
            points = numbers.like_cap if numbers.like_cap < total else total  # min(total, cap)
            lines.append(_Line("点赞", Decimal(count), points, detail, kind="likes", count=count))

    for severity, errors in idx.errors.items():
        count = errors.count.get(pid)
        if count is not None:
            points = errors.points[pid]
            if count or points:
                kind = f"errors.{severity.value}"
                label, value, detail = severity.label, Decimal(count), f"{count}次"
                lines.append(_Line(label, value, points, detail, kind=kind, count=count))

    count = idx.notices.count.get(pid)
    if count is not None:
        points = idx.notices.points[pid]
        if count or points:
            value, detail = Decimal(count), f"{count}次"
            lines.append(_Line("通报", value, points, detail, kind="notices", count=count))

    row = idx.filing.get(pid) if numbers.missed_day_points else None
    missed = 0 if row is None else row[0] - row[1] - row[2]
    if missed > 0:
        points = missed * numbers.missed_day_points
        detail = f"缺报{missed}天，每天{_num(numbers.missed_day_points)}分"
        value = Decimal(missed)
        lines.append(_Line("缺报扣分", value, points, detail, kind="missed_days", count=missed))

    positive = ZERO
    for reason, points in sorted(idx.bonuses.get(pid, {}).items()):
        if points:
            positive += max(points, ZERO)
            label = ("加分：" if points > 0 else "扣分：") + reason
            lines.append(_Line(label, None, points, kind="bonus", count=1))
    if positive > numbers.bonus_cap:
        detail = f"加分合计{_num(positive)}分，每季度封顶{_num(numbers.bonus_cap)}分"
        points = numbers.bonus_cap - positive
        lines.append(_Line("加分封顶", None, points, detail, kind="bonus_cap"))


def _add_adjustments(numbers: _Numbers, idx: _Index, totals: dict[int, Decimal]) -> None:
    """Add everyone's adjustment points to their running `totals`."""
    likes, cap = idx.likes, numbers.like_cap
    for pid, points in likes.points.items():
        if likes.count[pid] or points:
            totals[pid] += cap if cap < points else points  # min(points, cap)
    for errors in idx.errors.values():
        for pid, points in errors.points.items():
            if errors.count[pid] or points:
                totals[pid] += points
    notices = idx.notices
    for pid, points in notices.points.items():
        if notices.count[pid] or points:
            totals[pid] += points
    if numbers.missed_day_points:
        for pid, (required, on_time, late) in idx.filing.items():
            missed = required - on_time - late
            if missed > 0:
                totals[pid] += missed * numbers.missed_day_points
    # A cap below zero would apply to people without bonuses too.
    for pid in totals if numbers.bonus_cap < ZERO else idx.bonuses:
        total, positive = totals[pid], ZERO
        for _, points in sorted(idx.bonuses.get(pid, {}).items()):
            if points:
                positive += max(points, ZERO)
                total += points
        if positive > numbers.bonus_cap:
            total += numbers.bonus_cap - positive
        totals[pid] = total


def _events(
    policy: Policy, kinds: set[str]
) -> tuple[tuple[str, ...], tuple[str, ...], Grade | None]:
    """Split event kinds into vetoes and caps; kinds the policy does not list are vetoes."""
    caps = sorted(k for k in kinds if policy.veto.cap_for(k) is not None)
    vetoes = sorted(kinds - set(caps))
    cap: Grade | None = None
    for kind in caps:
        grade = policy.veto.cap_for(kind)
        if grade is not None and (cap is None or grade.level > cap.level):
            cap = grade
    return tuple(vetoes), tuple(caps), cap


# --- the quarter ------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _Scored:
    """One participant's points: what grading reads (core.grading.Graded), then the rest."""

    key: int  # the person id
    score: Decimal
    vetoes: tuple[str, ...]
    cap: Grade | None
    cap_kinds: tuple[str, ...]
    # Rank order, as core.grading.rank_order with the tiebreaks of the module docstring:
    # (-score, errors, -likes, -filing rate, roster, id).
    order: TieKey
    person: Person
    roster_position: int
    likes: int
    errors: int
    base: _Base


def score_quarter(
    policy: Policy, people: Sequence[Person], facts: QuarterFacts, *, provisional: bool = False
) -> QuarterResult:
    """Score, rank and grade every active person; `provisional` = quarter-to-date."""
    with arithmetic(), collector_paused():
        return _score_quarter(policy, people, facts, provisional)


def _score_quarter(
    policy: Policy, people: Sequence[Person], facts: QuarterFacts, provisional: bool
) -> QuarterResult:
    participants = [p for p in people if p.active]
    ids = {p.id for p in participants}
    if len(ids) != len(participants):
        raise FactsError(["people: a person id appears more than once"])
    departments = {p.department_id for p in participants}
    idx = _index(facts, ids, departments)
    numbers = _Numbers.of(policy)
    groups = _points(policy, numbers, participants, idx)

    explanation = Explanation(numbers, participants, idx, provisional)
    results: list[PersonResult] = []
    group_results: list[GroupResult] = []
    min_days = policy.grades.min_required_days
    for group in sorted(groups, key=lambda g: (min(map(_roster_of, groups[g])), g)):
        ordered = groups[group]
        ordered.sort(key=attrgetter("order"))
        aside: list[_Scored] = []
        if min_days:
            aside = [s for s in ordered if _required(idx, s.key) < min_days]
            if aside:
                ordered = [s for s in ordered if _required(idx, s.key) >= min_days]
        outcome = grade_ranked(policy.grades, ordered, policy.grades.good_ratio_for(group))
        results.extend(_person_results(group, ordered, outcome, provisional, explanation))
        results.extend(
            _undetermined(group, aside, outcome.size, min_days, idx, provisional, explanation)
        )
        graded = Counter(outcome.grades)
        counts = tuple((g, graded[g]) for g in GRADE_ORDER)
        group_results.append(
            GroupResult(group, outcome.size, outcome.good_quota, outcome.shortlist, counts)
        )

    return QuarterResult(
        period=facts.period,
        policy=policy.name,
        provisional=provisional,
        people=tuple(results),
        groups=tuple(group_results),
        departments=_departments(policy, results, idx),
    )


def _points(
    policy: Policy, numbers: _Numbers, participants: Sequence[Person], idx: _Index
) -> dict[str, list[_Scored]]:
    """Every participant's rounded score, tiebreak and negative-list events, by group."""
    shared: dict[object, _Base] = {}
    bases: list[_Base] = []
    totals: dict[int, Decimal] = {}
    for p in participants:
        base = _base_of(numbers, p, idx, shared)
        bases.append(base)
        totals[p.id] = base.total
    _add_adjustments(numbers, idx, totals)

    by_category = policy.grades.ranking is Ranking.CATEGORY
    groups: dict[str, list[_Scored]] = defaultdict(list)
    likes, errors, roster = idx.likes.count, idx.error_count, idx.roster
    for p, base in zip(participants, bases, strict=True):
        pid = p.id
        score = rounded(totals[pid])
        liked, erred, position = likes.get(pid, 0), errors.get(pid, 0), roster[pid]
        order = (-score, erred, -liked, base.rank_rate, position, pid)
        events = idx.vetoes.get(pid)
        vetoes, caps, cap = _events(policy, events) if events else ((), (), None)
        groups[p.category if by_category else UNIT_GROUP].append(
            _Scored(pid, score, vetoes, cap, caps, order, p, position, liked, erred, base)
        )
    return groups


_PersonResultDraft = make_dataclass(
    "_PersonResultDraft", [f.name for f in fields(PersonResult)], slots=True
)


def _person_results(
    group: str,
    ordered: Sequence[_Scored],
    outcome: GroupOutcome,
    provisional: bool,
    explanation: Explanation,
) -> Iterator[PersonResult]:
    """The results of a graded group, best first.

    PersonResult is a frozen dataclass: its __init__ sets every field through
    `object.__setattr__`, a fifth of the time of a 10,000-person quarter. So each result is
    filled in as a plain slots twin with the very same fields and then made a PersonResult
    (same layout, so `__class__` may be reassigned): an ordinary, frozen PersonResult.
    """
    rows = zip(ordered, outcome.grades, outcome.reasons, strict=True)
    for rank, (s, grade, reason) in enumerate(rows, 1):
        person, base = s.person, s.base
        result = _PersonResultDraft(
            s.key,
            person.name,
            person.department_id,
            person.category,
            group,
            s.score,
            rank,
            outcome.size,
            grade,
            reason,
            s.vetoes,
            s.cap_kinds,
            s.likes,
            s.errors,
            base.filing_shown,
            base.review_shown,
            s.roster_position,
            provisional,
            False,
            explanation,
        )
        result.__class__ = PersonResult
        yield result


def _required(idx: _Index, pid: int) -> int:
    filing = idx.filing.get(pid)
    return filing[0] if filing is not None else 0


def _undetermined(
    group: str,
    aside: Sequence[_Scored],
    size: int,
    min_days: int,
    idx: _Index,
    provisional: bool,
    explanation: Explanation,
) -> Iterator[PersonResult]:
    """不定等次: scored, explained, not graded; after the graded people of the group."""
    for offset, s in enumerate(aside, 1):
        base = s.base
        reason = f"本季度应报{_required(idx, s.key)}个工作日，少于{min_days}个，不定等次"
        yield PersonResult(
            s.key, s.person.name, s.person.department_id, s.person.category, group, s.score,
            size + offset, size, Grade.FAIRLY_GOOD, reason, s.vetoes, s.cap_kinds, s.likes,
            s.errors, base.filing_shown, base.review_shown, s.roster_position, provisional,
            True, explanation,
        )  # fmt: skip


def _departments(
    policy: Policy, results: Sequence[PersonResult], idx: _Index
) -> tuple[DepartmentResult, ...]:
    """Department scores (given, else the mean of members' scores), ranks and 流动红旗."""
    members: dict[int, list[PersonResult]] = defaultdict(list)
    for r in results:
        members[r.department_id].append(r)
    rows = []
    for dept, people in members.items():
        mean = to_decimal(sum(map(_score_of, people), ZERO) / len(people))
        given = idx.department.get(dept)
        score = to_decimal(given) if given is not None else mean
        ids = list(map(_id_of, people))
        filing = [f for f in map(idx.filing.get, ids) if f is not None]
        required = sum(f[0] for f in filing)
        filed = sum(f[1] + f[2] for f in filing)
        filing_rate = Decimal(filed) / required if required else None
        reviews = [r for r in map(idx.reviews.get, ids) if r is not None]
        due = sum(r[0] for r in reviews)
        review_rate = Decimal(sum(r[1] for r in reviews)) / due if due else None
        errors = sum(map(_errors_of, people))
        first = min(map(_roster_of, people))
        rows.append((dept, people, mean, given, score, filing_rate, review_rate, errors, first))

    privacy = policy.privacy
    leaders = set()
    if not privacy.rank_leadership_department:
        leaders = {
            row[0]
            for row in rows
            if all(p.category == privacy.leadership_category for p in row[1])
        }
    rows.sort(
        key=lambda row: (
            row[0] in leaders,
            -row[4],
            -(row[5] if row[5] is not None else -1),
            row[7],
            row[8],
        )
    )
    flags = policy.departments.red_flags
    return tuple(
        DepartmentResult(
            department_id=dept,
            score=score,
            source="given" if given is not None else "members",
            members=len(people),
            mean_member_score=mean,
            filing_rate=None if filing_rate is None else to_decimal(filing_rate, 4),
            review_rate=None if review_rate is None else to_decimal(review_rate, 4),
            likes=sum(map(_likes_of, people)),
            errors=errors,
            good=list(map(_grade_of, people)).count(Grade.GOOD),
            rank=rank,
            red_flag=rank <= flags and dept not in leaders,
            ranked=dept not in leaders,
        )
        for rank, (dept, people, mean, given, score, filing_rate, review_rate, errors, _) in (
            enumerate(rows, 1)
        )
    )


# The tie rules above in words, for the footers of charts that show equal scores.
PERSON_TIEBREAK = "同分依次比较错情少、点赞多、填报率高，再按名册顺序"
DEPARTMENT_TIEBREAK = "同分依次比较填报率高、错情少，再按名册顺序"

_id_of = attrgetter("person_id")
_score_of = attrgetter("score")
_likes_of = attrgetter("likes")
_errors_of = attrgetter("errors")
_grade_of = attrgetter("grade")
_roster_of = attrgetter("roster_position")  # of a PersonResult or a _Scored


def explain(result: PersonResult) -> list[str]:
    """The breakdown as plain text lines (for `/me` and `--explain`)."""
    who = f"{result.name}：{result.score}分"
    if result.undetermined:
        lines = [f"{who}，{UNDETERMINED_LABEL}（{result.grade_reason}）"]
    else:
        head = f"{who}，{result.group}第{result.rank}/{result.group_size}名"
        grade = result.grade.label + ("（暂定）" if result.provisional else "")
        lines = [f"{head}，{grade}（{result.grade_reason}）"]
    for line in result.breakdown:
        value = "" if line.value is None else f" {line.value}"
        sign = "+" if line.points >= 0 else ""
        detail = f"  [{line.detail}]" if line.detail else ""
        lines.append(f"· {line.label}{value} → {sign}{line.points}{detail}")
        lines.extend(f"    – {item}" for item in line.items)
    lines.extend(f"注：{note}" for note in result.notes)
    return lines
