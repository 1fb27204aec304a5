"""Annual results (年度考核) from the quarters of a year (DESIGN §7 Annual).

Annual score: the mean of the person's published quarterly scores; if the policy gives
the year-end assessment (年终实绩考核, 格尔木) a weight and the person has one, the score is
(1 − w) × quarterly mean + w × year-end score. Rounded to 0.01 like a quarter; the
breakdown lines sum exactly to it.

Grades, checked in this order, within the ranking group (category or unit):
1. 不称职: at least `unfit_poor_quarters` 较差 quarters (0 = off) or score < `unfit_below`;
2. 基本称职: at least `basic_poor_quarters` 较差 quarters, or at least
   `basic_average_quarters` quarters graded 一般 or 较差 (0 = off), or score < `basic_below`;
3. 优秀: the highest-ranked eligible people, at most `floor(excellent_ratio × n)`. Eligible:
   at least `excellent_min_good_quarters` 好 quarters, no quarter graded one of
   `excellent_excludes`, no grade-capping event in the year if `caps_block_excellent`,
   score ≥ `excellent_min_score`, and rank ≤ `floor(excellent_shortlist_ratio × n)`;
4. 称职: everyone else.

Tiebreaks (equal annual score): more 好 quarters, fewer error notices over the year, more
likes, earlier in the roster, lower person id. n counts every graded person: active, with
at least one quarter result, and not set aside by a common rule below.

Common rules (《公务员考核规定》), each a policy switch, checked before grading; a person
set aside is neither ranked nor counted in n, and is listed in `AnnualResult.ungraded`:
- sick / personal leave over half the year (`long_leave_not_assessed`) → 不参加;
- the probation year (`probation_undetermined`) → 不定等次 (a comment only);
- an investigation not yet closed (`investigation_undetermined`) → 不定等次 until it
  closes.
A veto in any quarter bars 优秀 (`vetoes_block_excellent`), as does a quarter graded one
of `excellent_excludes`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from core.facts import FactsError, YearEndScore
from core.grades import ANNUAL_ORDER, AnnualGrade, Grade
from core.grading import floor_share
from core.people import Person
from core.policy import Policy, Ranking
from core.rounding import ZERO, arithmetic, cents, dec, split_cents, to_cents, to_decimal
from core.scoring import UNIT_GROUP, BreakdownLine, PersonResult, QuarterResult


class Standing(StrEnum):
    """A fact about a person's year that the common rules act on (marked by an admin)."""

    PROBATION = "probation"
    INVESTIGATION = "investigation"
    LONG_LEAVE = "long_leave"

    @property
    def label(self) -> str:
        """The Chinese name of the fact."""
        return STANDING_LABELS[self]


STANDING_LABELS: dict[Standing, str] = {
    Standing.PROBATION: "试用期",
    Standing.INVESTIGATION: "立案审查调查未结案",
    Standing.LONG_LEAVE: "病事假累计超过半年",
}


class Outcome(StrEnum):
    """Why a person has no annual grade."""

    UNDETERMINED = "undetermined"
    NOT_ASSESSED = "not_assessed"

    @property
    def label(self) -> str:
        """不定等次 or 不参加."""
        return "不定等次" if self is Outcome.UNDETERMINED else "不参加"


def standing_outcome(policy: Policy, standings: Set[Standing]) -> tuple[Outcome, str] | None:
    """The outcome and reason the common rules give a person's year, or None (graded)."""
    rules = policy.annual
    if rules.long_leave_not_assessed and Standing.LONG_LEAVE in standings:
        return Outcome.NOT_ASSESSED, "病事假累计超过考核年度的一半，不参加年度考核"
    if rules.probation_undetermined and Standing.PROBATION in standings:
        return Outcome.UNDETERMINED, "试用期内，只写评语，不确定等次"
    if rules.investigation_undetermined and Standing.INVESTIGATION in standings:
        return Outcome.UNDETERMINED, "立案审查调查尚未结案，结案后再确定等次"
    return None


@dataclass(frozen=True, slots=True)
class QuarterMark:
    """One quarter of a person's year as the annual rules see it."""

    period: str
    score: Decimal
    grade: Grade
    capped: bool = False
    vetoed: bool = False


@dataclass(frozen=True, slots=True)
class UngradedResult:
    """A person the common rules set aside: 不定等次 or 不参加, with the reason."""

    person_id: int
    name: str
    department_id: int
    category: str
    quarters: tuple[QuarterMark, ...]
    score: Decimal | None
    outcome: Outcome
    reason: str
    roster_position: int = 0


@dataclass(frozen=True, slots=True)
class AnnualPersonResult:
    """One person's year: quarters, annual score, rank, grade and breakdown."""

    person_id: int
    name: str
    department_id: int
    category: str
    group: str
    quarters: tuple[QuarterMark, ...]
    good_quarters: int
    poor_quarters: int
    average_or_worse_quarters: int
    quarter_mean: Decimal
    year_end: Decimal | None
    score: Decimal
    rank: int
    group_size: int
    grade: AnnualGrade
    grade_reason: str
    breakdown: tuple[BreakdownLine, ...]
    likes: int = 0
    errors: int = 0
    roster_position: int = 0


@dataclass(frozen=True, slots=True)
class AnnualGroupResult:
    """An annual ranking group: size, 优秀 quota, shortlist size and counts per grade."""

    group: str
    size: int
    excellent_quota: int
    shortlist: int
    counts: tuple[tuple[AnnualGrade, int], ...]


@dataclass(frozen=True, slots=True)
class AnnualDepartmentResult:
    """A department's year: the mean of its quarterly department scores, and its rank."""

    department_id: int
    score: Decimal
    quarters: int
    rank: int
    red_flag: bool


@dataclass(frozen=True, slots=True)
class AnnualResult:
    """The year; people ordered by group, then rank."""

    periods: tuple[str, ...]
    people: tuple[AnnualPersonResult, ...]
    groups: tuple[AnnualGroupResult, ...]
    departments: tuple[AnnualDepartmentResult, ...]
    ungraded: tuple[UngradedResult, ...] = ()

    def person(self, person_id: int) -> AnnualPersonResult:
        """The result of one person; KeyError if they have none."""
        for result in self.people:
            if result.person_id == person_id:
                return result
        raise KeyError(person_id)


@dataclass(slots=True)
class _Year:
    person: Person
    marks: list[tuple[str, PersonResult]]
    score_cents: int = 0
    line_cents: tuple[int, ...] = ()
    lines: tuple[tuple[str, Decimal | None, str], ...] = ()
    mean: Decimal = ZERO
    year_end: Decimal | None = None
    roster: int = 0

    @property
    def good(self) -> int:
        return sum(1 for _, r in self.marks if r.grade is Grade.GOOD)

    @property
    def poor(self) -> int:
        return sum(1 for _, r in self.marks if r.grade is Grade.POOR)

    @property
    def average_or_worse(self) -> int:
        return sum(1 for _, r in self.marks if r.grade in (Grade.AVERAGE, Grade.POOR))

    @property
    def likes(self) -> int:
        return sum(r.likes for _, r in self.marks)

    @property
    def errors(self) -> int:
        return sum(r.errors for _, r in self.marks)


def annual_results(
    policy: Policy,
    people: Sequence[Person],
    quarters: Sequence[QuarterResult],
    *,
    year_end: Sequence[YearEndScore] = (),
    standings: Mapping[int, Set[Standing]] | None = None,
) -> AnnualResult:
    """Annual grades of every active person with at least one final quarter result; those
    the common rules set aside (see `standings`) are in `ungraded` instead."""
    with arithmetic():
        return _annual_results(policy, people, quarters, year_end, standings or {})


def _annual_results(
    policy: Policy,
    people: Sequence[Person],
    quarters: Sequence[QuarterResult],
    year_end: Sequence[YearEndScore],
    standings: Mapping[int, Set[Standing]],
) -> AnnualResult:
    problems = [f"quarter {q.period or '?'} is provisional" for q in quarters if q.provisional]
    periods = [q.period for q in quarters]
    if len(set(periods)) != len(periods):
        problems.append("the same quarter appears twice")
    active = {p.id: p for p in people if p.active}
    ends: dict[int, Decimal] = {}
    for row in year_end:
        if row.person_id in active:
            value = dec(row.score)
            if not 0 <= value <= 100 or row.person_id in ends:
                problems.append(f"year-end score of person {row.person_id}: one value 0–100")
            ends[row.person_id] = value
    if problems:
        raise FactsError(problems)

    ordered_quarters = sorted(quarters, key=lambda q: q.period)
    years: dict[int, _Year] = {}
    for quarter in ordered_quarters:
        for result in quarter.people:
            # A quarter of 不定等次 (too few required days) does not count toward the year.
            if result.person_id in active and not result.undetermined:
                year = years.setdefault(result.person_id, _Year(active[result.person_id], []))
                year.marks.append((quarter.period, result))
    for year in years.values():
        _score_year(policy, year, ends.get(year.person.id))
        # Roster position from the latest quarter the person was scored in.
        year.roster = year.marks[-1][1].roster_position

    ungraded: list[UngradedResult] = []
    for pid in sorted(set(standings) & set(active)):
        outcome = standing_outcome(policy, standings[pid])
        if outcome is None:
            continue
        found: _Year | None = years.pop(pid, None)
        who = active[pid]
        ungraded.append(
            UngradedResult(
                person_id=pid,
                name=who.name,
                department_id=who.department_id,
                category=who.category,
                quarters=() if found is None else _marks(found),
                score=None if found is None else cents(found.score_cents),
                outcome=outcome[0],
                reason=outcome[1],
                roster_position=0 if found is None else found.roster,
            )
        )

    groups: dict[str, list[_Year]] = defaultdict(list)
    for year in years.values():
        group = year.person.category if policy.grades.ranking is Ranking.CATEGORY else UNIT_GROUP
        groups[group].append(year)

    people_out: list[AnnualPersonResult] = []
    groups_out: list[AnnualGroupResult] = []
    for group in sorted(groups, key=lambda g: (min(y.roster for y in groups[g]), g)):
        members = sorted(
            groups[group],
            key=lambda y: (-y.score_cents, -y.good, y.errors, -y.likes, y.roster, y.person.id),
        )
        graded = _grade(policy, members)
        counts = tuple((g, sum(1 for _, grade, _ in graded if grade is g)) for g in ANNUAL_ORDER)
        n = len(members)
        quota = floor_share(policy.annual.excellent_ratio, n)
        shortlist = floor_share(policy.annual.excellent_shortlist_ratio, n)
        groups_out.append(AnnualGroupResult(group, n, quota, shortlist, counts))
        for rank, (year, grade, reason) in enumerate(graded, 1):
            people_out.append(_result(year, group, rank, n, grade, reason))

    return AnnualResult(
        periods=tuple(q.period for q in ordered_quarters),
        people=tuple(people_out),
        groups=tuple(groups_out),
        departments=_departments(policy, ordered_quarters),
        ungraded=tuple(sorted(ungraded, key=lambda u: (u.roster_position, u.person_id))),
    )


def _marks(y: _Year) -> tuple[QuarterMark, ...]:
    return tuple(
        QuarterMark(p, r.score, r.grade, bool(r.caps), bool(r.vetoes)) for p, r in y.marks
    )


def _score_year(policy: Policy, year: _Year, end: Decimal | None) -> None:
    scores = [r.score for _, r in year.marks]
    year.mean = sum(scores, ZERO) / len(scores)
    year.year_end = end
    weight = dec(policy.annual.year_end_weight)
    mean_label = f"季度平均分（{len(scores)}个季度）"
    quarters_detail = "、".join(f"{p or '季度'} {r.score}" for p, r in year.marks)
    lines: list[tuple[str, Decimal | None, str]]
    if weight == 0:
        parts = [year.mean]
        lines = [(mean_label, to_decimal(year.mean), quarters_detail)]
    elif end is None:
        parts = [year.mean, ZERO]
        lines = [
            (mean_label, to_decimal(year.mean), quarters_detail + "；年终考核无数据，按100%计"),
            ("年终实绩考核（无数据）", None, "无数据，不计入"),
        ]
    else:
        pct = f"{to_decimal((1 - weight) * 100).normalize():f}%"
        parts = [(1 - weight) * year.mean, weight * end]
        lines = [
            (mean_label, to_decimal(year.mean), f"{quarters_detail}；权重{pct}"),
            ("年终实绩考核", to_decimal(end), f"权重{to_decimal(weight * 100).normalize():f}%"),
        ]
    total, line_cents = split_cents(parts)
    year.score_cents, year.line_cents, year.lines = total, tuple(line_cents), tuple(lines)


def _grade(policy: Policy, members: list[_Year]) -> list[tuple[_Year, AnnualGrade, str]]:
    rules = policy.annual
    n = len(members)
    quota = floor_share(rules.excellent_ratio, n)
    shortlist = floor_share(rules.excellent_shortlist_ratio, n)
    excellent = 0
    out: list[tuple[_Year, AnnualGrade, str]] = []
    for position, y in enumerate(members, 1):
        score = cents(y.score_cents)
        if rules.unfit_poor_quarters and y.poor >= rules.unfit_poor_quarters:
            out.append((y, AnnualGrade.INCOMPETENT, f"平时考核“较差”{y.poor}次"))
            continue
        if score < dec(rules.unfit_below):
            out.append((y, AnnualGrade.INCOMPETENT, f"年度得分低于{rules.unfit_below:g}分"))
            continue
        if rules.basic_poor_quarters and y.poor >= rules.basic_poor_quarters:
            out.append((y, AnnualGrade.BASIC, f"平时考核“较差”{y.poor}次"))
            continue
        if rules.basic_average_quarters and y.average_or_worse >= rules.basic_average_quarters:
            reason = f"平时考核“一般”及以下{y.average_or_worse}次"
            out.append((y, AnnualGrade.BASIC, reason))
            continue
        if score < dec(rules.basic_below):
            out.append((y, AnnualGrade.BASIC, f"年度得分低于{rules.basic_below:g}分"))
            continue
        blocker = _excellent_blocker(policy, y, score, position, shortlist)
        if blocker is None and excellent < quota:
            excellent += 1
            reason = f"“好”{y.good}次、组内第{position}名，在“优秀”名额（{quota}人）内"
            out.append((y, AnnualGrade.EXCELLENT, reason))
            continue
        reason = blocker or f"“优秀”名额（{quota}人）已满"
        out.append((y, AnnualGrade.COMPETENT, reason))
    return out


def _excellent_blocker(
    policy: Policy, y: _Year, score: Decimal, position: int, shortlist: int
) -> str | None:
    """Why `y` cannot be 优秀 regardless of the quota, or None."""
    rules = policy.annual
    if rules.vetoes_block_excellent and any(r.vetoes for _, r in y.marks):
        return "有一票否决事项：不得评为“优秀”"
    if y.good < rules.excellent_min_good_quarters:
        return f"“好”等次{y.good}次，少于{rules.excellent_min_good_quarters}次"
    excluded = sorted(
        {r.grade for _, r in y.marks if r.grade in rules.excellent_excludes}, key=lambda g: g.level
    )
    if excluded:
        return "有" + "、".join(f"“{g.label}”" for g in excluded) + "等次"
    if rules.caps_block_excellent and any(r.caps for _, r in y.marks):
        kinds = sorted({k for _, r in y.marks for k in r.caps})
        return "、".join(kinds) + "：不得评为“优秀”"
    if score < dec(rules.excellent_min_score):
        return f"年度得分低于“优秀”最低分{rules.excellent_min_score:g}"
    if position > shortlist:
        return f"未进入组内前{shortlist}名入围范围"
    return None


def _result(
    y: _Year, group: str, rank: int, size: int, grade: AnnualGrade, reason: str
) -> AnnualPersonResult:
    breakdown = tuple(
        BreakdownLine(label, value, cents(c), detail)
        for (label, value, detail), c in zip(y.lines, y.line_cents, strict=True)
    )
    return AnnualPersonResult(
        person_id=y.person.id,
        name=y.person.name,
        department_id=y.person.department_id,
        category=y.person.category,
        group=group,
        quarters=_marks(y),
        good_quarters=y.good,
        poor_quarters=y.poor,
        average_or_worse_quarters=y.average_or_worse,
        quarter_mean=to_decimal(y.mean),
        year_end=None if y.year_end is None else to_decimal(y.year_end),
        score=cents(y.score_cents),
        rank=rank,
        group_size=size,
        grade=grade,
        grade_reason=reason,
        breakdown=breakdown,
        likes=y.likes,
        errors=y.errors,
        roster_position=y.roster,
    )


def _departments(
    policy: Policy, quarters: Sequence[QuarterResult]
) -> tuple[AnnualDepartmentResult, ...]:
    scores: dict[int, list[Decimal]] = defaultdict(list)
    for quarter in quarters:
        for dept in quarter.departments:
            scores[dept.department_id].append(dept.score)
    means = {d: sum(s, ZERO) / len(s) for d, s in scores.items()}
    # Ranked on the rounded (published) mean; equal means: lower department id first.
    ordered = sorted(means, key=lambda d: (-to_cents(means[d]), d))
    return tuple(
        AnnualDepartmentResult(
            department_id=d,
            score=to_decimal(means[d]),
            quarters=len(scores[d]),
            rank=rank,
            red_flag=rank <= policy.departments.red_flags,
        )
        for rank, d in enumerate(ordered, 1)
    )
