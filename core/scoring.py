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

Only active people are scored. Departments are ranked by their given score, else by the
mean of their members' scores; ties: higher filing rate, fewer errors, earlier in the
roster. The top `departments.red_flags` get the 流动红旗.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from core.facts import FactsError, QuarterFacts
from core.grades import GRADE_ORDER, Grade
from core.grading import Entrant, grade_group
from core.people import Person, Role
from core.policy import Component, Policy, Ranking, RaterKind, Severity
from core.rounding import (
    HUNDRED,
    ZERO,
    arithmetic,
    cents,
    dec,
    split_cents,
    to_decimal,
    total_cents,
)

UNIT_GROUP = "全单位"
LEADER_ROLES = frozenset({Role.HEAD, Role.SUPERVISOR, Role.CHIEF})


@dataclass(frozen=True, slots=True)
class BreakdownLine:
    """One line of an explanation: what, its value, and the points it contributes."""

    label: str
    value: Decimal | None
    points: Decimal
    detail: str = ""


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
    explanation: Explanation | None = field(default=None, repr=False, compare=False)

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
        return self.explanation.explained()


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
    """A department's score, rank and figures; `red_flag` marks the 流动红旗."""

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
    """How one person's score came about; formatted once, on first use.

    Scoring runs `_evaluate` without explanations (it only sums points); this re-runs the
    same code with explanations on, so the lines carry the very numbers the score was
    made of.
    """

    __slots__ = ("_done", "_numbers", "_person", "_idx", "_provisional")

    def __init__(self, numbers: _Numbers, person: Person, idx: _Index, provisional: bool) -> None:
        self._numbers, self._person, self._idx = numbers, person, idx
        self._provisional = provisional
        self._done: Explained | None = None

    def explained(self) -> Explained:
        """The breakdown, rounded so that the lines sum exactly to the score."""
        if self._done is None:
            with arithmetic():
                ev = _evaluate(self._numbers, self._person, self._idx, self._provisional, True)
                self._done = _explain_lines(ev.lines, ev.notes)
        return self._done


def _explain_lines(lines: Sequence[_Line], notes: Sequence[str]) -> Explained:
    _, line_cents = split_cents([line.points for line in lines])
    components: list[ComponentResult] = []
    adjustments: list[AdjustmentResult] = []
    breakdown: list[BreakdownLine] = []
    base = adjustment_total = 0
    for line, count in zip(lines, line_cents, strict=True):
        points = cents(count)
        value = None if line.value is None else to_decimal(line.value)
        breakdown.append(BreakdownLine(line.label, value, points, line.detail))
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
class _Filing:
    required: int = 0
    on_time: int = 0
    late: int = 0


@dataclass(slots=True)
class _Sum:
    count: int = 0
    points: Decimal = ZERO


@dataclass(slots=True)
class _Index:
    filing: dict[int, _Filing] = field(default_factory=dict)
    reviews: dict[int, list[int]] = field(default_factory=dict)
    ratings: dict[int, dict[RaterKind, _Sum]] = field(default_factory=dict)
    department: dict[int, Decimal] = field(default_factory=dict)
    indicators: dict[int, Decimal] = field(default_factory=dict)
    likes: dict[int, _Sum] = field(default_factory=dict)
    errors: dict[int, dict[Severity, _Sum]] = field(default_factory=dict)
    notices: dict[int, _Sum] = field(default_factory=dict)
    bonuses: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    vetoes: dict[int, set[str]] = field(default_factory=dict)
    roster: dict[int, int] = field(default_factory=dict)


def _index(facts: QuarterFacts, ids: set[int], departments: set[int]) -> _Index:
    """Fold the fact rows per person, summing repeated rows, and validate them."""
    problems: list[str] = []
    idx = _Index()
    _index_components(facts, ids, departments, idx, problems)
    _index_adjustments(facts, ids, idx, problems)
    listed: dict[int, int] = {}
    for pid in facts.roster_order:
        if pid in ids:
            listed.setdefault(pid, len(listed))
    unlisted = sorted(ids - listed.keys())
    idx.roster = listed
    idx.roster.update({pid: len(listed) + i for i, pid in enumerate(unlisted)})
    if problems:
        raise FactsError(problems)
    return idx


def _index_components(
    facts: QuarterFacts, ids: set[int], departments: set[int], idx: _Index, problems: list[str]
) -> None:
    for f in facts.filing:
        if f.person_id in ids:
            if min(f.required_days, f.on_time_days, f.late_days) < 0:
                problems.append(f"filing of person {f.person_id}: negative day count")
            row = idx.filing.setdefault(f.person_id, _Filing())
            row.required += f.required_days
            row.on_time += f.on_time_days
            row.late += f.late_days
    for pid, row in idx.filing.items():
        if row.on_time + row.late > row.required:
            problems.append(f"filing of person {pid}: more days filed than required")
    for r in facts.reviews:
        if r.person_id in ids:
            if not 0 <= r.reviewed <= r.reports:
                problems.append(f"reviews of person {r.person_id}: need 0 ≤ reviewed ≤ reports")
            acc = idx.reviews.setdefault(r.person_id, [0, 0])
            acc[0] += r.reports
            acc[1] += r.reviewed
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


def _index_adjustments(
    facts: QuarterFacts, ids: set[int], idx: _Index, problems: list[str]
) -> None:
    for like in facts.likes:
        if like.person_id in ids:
            if like.count < 0 or like.points < 0:
                problems.append(f"likes of person {like.person_id}: need count, points ≥ 0")
            _add(idx.likes.setdefault(like.person_id, _Sum()), like.count, like.points)
    for err in facts.errors:
        if err.person_id in ids:
            if err.count < 0 or err.points > 0:
                problems.append(f"errors of person {err.person_id}: need count ≥ 0, points ≤ 0")
            by_severity = idx.errors.setdefault(err.person_id, {})
            _add(by_severity.setdefault(err.severity, _Sum()), err.count, err.points)
    for notice in facts.notices:
        if notice.person_id in ids:
            if notice.count < 0 or notice.points > 0:
                problems.append(f"notices of person {notice.person_id}: need points ≤ 0")
            _add(idx.notices.setdefault(notice.person_id, _Sum()), notice.count, notice.points)
    for bonus in facts.bonuses:
        if bonus.person_id in ids:
            reasons = idx.bonuses.setdefault(bonus.person_id, {})
            reason = bonus.reason.strip() or "其他"
            reasons[reason] = reasons.get(reason, ZERO) + dec(bonus.points)
    for veto in facts.vetoes:
        if veto.person_id in ids:
            idx.vetoes.setdefault(veto.person_id, set()).add(veto.kind.strip())


def _bounded(value: float, problems: list[str], what: str) -> Decimal:
    number = dec(value)
    if not ZERO <= number <= HUNDRED:
        problems.append(f"{what}: {value} not within 0–100")
    return number


def _add(acc: _Sum, count: int, points: float) -> None:
    acc.count += count
    acc.points += dec(points)


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


@dataclass(slots=True)
class _Evaluation:
    """The points of one person; lines and notes only when explaining."""

    explain: bool
    parts: list[Decimal] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    likes: int = 0
    errors: int = 0
    filing_rate: Decimal | None = None
    review_rate: Decimal | None = None

    def add(self, points: Decimal) -> bool:
        """Count `points`; True if a line should be written for them."""
        self.parts.append(points)
        return self.explain


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


def _evaluate(
    numbers: _Numbers, person: Person, idx: _Index, provisional: bool, explain: bool
) -> _Evaluation:
    """The points of one person's components and adjustments (and, if asked, their lines)."""
    ev = _Evaluation(explain)
    pid = person.id
    values: dict[Component, Decimal] = {}

    filing = idx.filing.get(pid)
    if filing is not None and filing.required > 0:
        ev.filing_rate = Decimal(filing.on_time + filing.late) / filing.required
        credited = filing.on_time + filing.late * numbers.late_factor
        values[Component.FILING] = credited * HUNDRED / filing.required
    reviews = idx.reviews.get(pid)
    if reviews is not None and reviews[0] > 0:
        ev.review_rate = Decimal(reviews[1]) / reviews[0]
        values[Component.REVIEW] = ev.review_rate * HUNDRED
    received = idx.ratings.get(pid)
    if received:
        rating = _ratings(numbers, received)
        if rating is not None:
            values[Component.RATINGS] = rating
            if explain:
                _missing_raters(ev, numbers, received)
    if person.department_id in idx.department:
        values[Component.DEPARTMENT] = idx.department[person.department_id]
    if pid in idx.indicators:
        values[Component.INDICATORS] = idx.indicators[pid]

    present = sum((w for c, w in numbers.components if c in values), ZERO)
    for component, nominal in numbers.components:
        value = values.get(component)
        if value is None:
            if explain:
                _missing_line(ev, component, person, provisional)
            continue
        weight = nominal / present
        if ev.add(weight * value):
            detail = f"{_describe(component, numbers, person, idx)}；权重{_pct(weight)}"
            if weight != nominal:
                detail += f"（原{_pct(nominal)}）"
            ev.lines.append(
                _Line(component.label, value, weight * value, detail, component, nominal, weight)
            )
    if explain and present == 0:
        ev.notes.append("暂无任何计分项数据，得分仅含加减分")

    _adjustments(numbers, pid, idx, ev)
    if explain and provisional:
        ev.notes.append("季度进行中：得分、排名和等次均为暂定")
    return ev


def _missing_line(
    ev: _Evaluation, component: Component, person: Person, provisional: bool
) -> None:
    if component is Component.REVIEW and not person.roles & LEADER_ROLES:
        ev.notes.append(f"{component.label}仅适用于领导，本人不计，其余权重按比例放大")
        return
    when = "本季度至今" if provisional else "本季度"
    detail = f"{when}无数据，不计入；其余各项权重按比例放大"
    ev.lines.append(_Line(f"{component.label}（无数据）", None, ZERO, detail, component))
    ev.notes.append(f"{component.label}{when}无数据，不计入，其余权重按比例放大")


def _missing_raters(ev: _Evaluation, numbers: _Numbers, received: dict[RaterKind, _Sum]) -> None:
    missing = [k.label for k, _ in numbers.raters if k not in received or not received[k].count]
    if missing:
        ev.notes.append(f"多主体评价缺少{'、'.join(missing)}，其余评价主体的权重按比例放大")


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
        row = idx.filing[pid]
        missed = row.required - row.on_time - row.late
        return (
            f"应报{row.required}天：按时{row.on_time}天、迟报或补报{row.late}天"
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
    return "指标及任务完成度"


def _adjustments(numbers: _Numbers, pid: int, idx: _Index, ev: _Evaluation) -> None:
    """Count the adjustment points (and write their lines when explaining)."""
    like = idx.likes.get(pid)
    if like is not None and (like.count or like.points):
        ev.likes = like.count
        points = min(like.points, numbers.like_cap)
        if ev.add(points):
            detail = f"{like.count}次共{_num(like.points)}分"
            if like.points > numbers.like_cap:
                detail += f"，每季度封顶{_num(numbers.like_cap)}分"
            value = Decimal(like.count)
            ev.lines.append(_Line("点赞", value, points, detail, kind="likes", count=like.count))

    for severity, err in sorted(idx.errors.get(pid, {}).items()):
        if err.count or err.points:
            ev.errors += err.count
            if ev.add(err.points):
                ev.lines.append(
                    _Line(
                        severity.label,
                        Decimal(err.count),
                        err.points,
                        f"{err.count}次",
                        kind=f"errors.{severity.value}",
                        count=err.count,
                    )
                )

    notice = idx.notices.get(pid)
    if notice is not None and (notice.count or notice.points) and ev.add(notice.points):
        ev.lines.append(
            _Line(
                "通报",
                Decimal(notice.count),
                notice.points,
                f"{notice.count}次",
                kind="notices",
                count=notice.count,
            )
        )

    row = idx.filing.get(pid)
    missed = 0 if row is None else row.required - row.on_time - row.late
    if missed > 0 and numbers.missed_day_points:
        points = missed * numbers.missed_day_points
        if ev.add(points):
            detail = f"缺报{missed}天，每天{_num(numbers.missed_day_points)}分"
            ev.lines.append(
                _Line(
                    "缺报扣分", Decimal(missed), points, detail, kind="missed_days", count=missed
                )
            )

    positive = ZERO
    for reason, points in sorted(idx.bonuses.get(pid, {}).items()):
        if points:
            positive += max(points, ZERO)
            if ev.add(points):
                label = ("加分：" if points > 0 else "扣分：") + reason
                ev.lines.append(_Line(label, None, points, kind="bonus", count=1))
    if positive > numbers.bonus_cap and ev.add(numbers.bonus_cap - positive):
        detail = f"加分合计{_num(positive)}分，每季度封顶{_num(numbers.bonus_cap)}分"
        ev.lines.append(
            _Line("加分封顶", None, numbers.bonus_cap - positive, detail, kind="bonus_cap")
        )


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


@dataclass(frozen=True, slots=True)
class _Scored:
    person: Person
    score: Decimal
    likes: int
    errors: int
    filing_rate: Decimal | None
    review_rate: Decimal | None
    vetoes: tuple[str, ...]
    caps: tuple[str, ...]
    cap: Grade | None


def score_quarter(
    policy: Policy, people: Sequence[Person], facts: QuarterFacts, *, provisional: bool = False
) -> QuarterResult:
    """Score, rank and grade every active person; `provisional` = quarter-to-date."""
    with arithmetic():
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
    scored: dict[int, _Scored] = {}
    for p in participants:
        ev = _evaluate(numbers, p, idx, provisional, False)
        events = idx.vetoes.get(p.id)
        vetoes, caps, cap = _events(policy, events) if events else ((), (), None)
        score = cents(total_cents(ev.parts))
        scored[p.id] = _Scored(
            p, score, ev.likes, ev.errors, ev.filing_rate, ev.review_rate, vetoes, caps, cap
        )

    groups: dict[str, list[int]] = defaultdict(list)
    for p in participants:
        groups[_group_of(policy, p)].append(p.id)

    results: list[PersonResult] = []
    group_results: list[GroupResult] = []
    for group in sorted(groups, key=lambda g: (min(idx.roster[i] for i in groups[g]), g)):
        entrants = [_entrant(scored[i], idx.roster[i]) for i in groups[group]]
        outcome = grade_group(policy.grades, entrants, policy.grades.good_ratio_for(group))
        for verdict in outcome.verdicts:
            s = scored[verdict.key]
            results.append(
                PersonResult(
                    person_id=s.person.id,
                    name=s.person.name,
                    department_id=s.person.department_id,
                    category=s.person.category,
                    group=group,
                    score=s.score,
                    rank=verdict.rank,
                    group_size=outcome.size,
                    grade=verdict.grade,
                    grade_reason=verdict.reason,
                    vetoes=s.vetoes,
                    caps=s.caps,
                    likes=s.likes,
                    errors=s.errors,
                    filing_rate=_rate(s.filing_rate),
                    review_rate=_rate(s.review_rate),
                    roster_position=idx.roster[s.person.id],
                    provisional=provisional,
                    explanation=Explanation(numbers, s.person, idx, provisional),
                )
            )
        counts = tuple((g, outcome.count(g)) for g in GRADE_ORDER)
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


def _rate(rate: Decimal | None) -> Decimal | None:
    return None if rate is None else to_decimal(rate, 4)


def _group_of(policy: Policy, person: Person) -> str:
    return person.category if policy.grades.ranking is Ranking.CATEGORY else UNIT_GROUP


def _entrant(s: _Scored, roster_position: int) -> Entrant:
    rate = s.filing_rate if s.filing_rate is not None else Decimal(-1)
    return Entrant(
        key=s.person.id,
        score=s.score,
        tiebreak=(s.errors, -s.likes, -rate, roster_position, s.person.id),
        vetoes=s.vetoes,
        cap=s.cap,
        cap_kinds=s.caps,
    )


def _departments(
    policy: Policy, results: Sequence[PersonResult], idx: _Index
) -> tuple[DepartmentResult, ...]:
    """Department scores (given, else the mean of members' scores), ranks and 流动红旗."""
    members: dict[int, list[PersonResult]] = defaultdict(list)
    for r in results:
        members[r.department_id].append(r)
    rows = []
    for dept, people in members.items():
        mean = to_decimal(sum((r.score for r in people), ZERO) / len(people))
        given = idx.department.get(dept)
        score = to_decimal(given) if given is not None else mean
        filing = [idx.filing[r.person_id] for r in people if r.person_id in idx.filing]
        required = sum(f.required for f in filing)
        filed = sum(f.on_time + f.late for f in filing)
        filing_rate = Decimal(filed) / required if required else None
        reviews = [idx.reviews[r.person_id] for r in people if r.person_id in idx.reviews]
        due = sum(r[0] for r in reviews)
        review_rate = Decimal(sum(r[1] for r in reviews)) / due if due else None
        errors = sum(r.errors for r in people)
        first = min(r.roster_position for r in people)
        rows.append((dept, people, mean, given, score, filing_rate, review_rate, errors, first))

    rows.sort(key=lambda row: (-row[4], -(row[5] if row[5] is not None else -1), row[7], row[8]))
    out = []
    for rank, (dept, people, mean, given, score, filing_rate, review_rate, errors, _) in enumerate(
        rows, 1
    ):
        out.append(
            DepartmentResult(
                department_id=dept,
                score=score,
                source="given" if given is not None else "members",
                members=len(people),
                mean_member_score=mean,
                filing_rate=None if filing_rate is None else to_decimal(filing_rate, 4),
                review_rate=None if review_rate is None else to_decimal(review_rate, 4),
                likes=sum(r.likes for r in people),
                errors=errors,
                good=sum(1 for r in people if r.grade is Grade.GOOD),
                rank=rank,
                red_flag=rank <= policy.departments.red_flags,
            )
        )
    return tuple(out)


def explain(result: PersonResult) -> list[str]:
    """The breakdown as plain text lines (for `/me` and `--explain`)."""
    head = f"{result.name}：{result.score}分，{result.group}第{result.rank}/{result.group_size}名"
    grade = result.grade.label + ("（暂定）" if result.provisional else "")
    lines = [f"{head}，{grade}（{result.grade_reason}）"]
    for line in result.breakdown:
        value = "" if line.value is None else f" {line.value}"
        sign = "+" if line.points >= 0 else ""
        detail = f"  [{line.detail}]" if line.detail else ""
        lines.append(f"· {line.label}{value} → {sign}{line.points}{detail}")
    lines.extend(f"注：{note}" for note in result.notes)
    return lines
