"""年度考核 as the shell shows it (DESIGN §7 Annual): the year from its quarters' results.

A quarter counts once it is over: its published snapshot if `quarter_close` published it,
else its final live results. Quarters before the unit began assessing with kaohe, and the
quarter still running, are left out (`AnnualView.complete` says whether all four are in).
The facts the common rules act on (试用期, 立案审查调查, 病事假超过半年) come from
storage.annual. `kaohe annual --json`, `/annual`, `annual_close` and the 年度考核 sheet
all use `annual_view` and `annual_rows`, so they show the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.results import quarter_view
from core.annual import AnnualPersonResult, AnnualResult, UngradedResult, annual_results
from core.appeals import AppealKind
from core.calendar import WorkCalendar
from core.grades import AnnualGrade, Grade
from core.policy import Policy
from core.quarter import Quarter
from core.scoring import DepartmentResult, PersonResult, QuarterResult
from storage import annual as store
from storage import appeals
from storage.facts import scored_people
from storage.people import assessment_start, department_names, get_unit


@dataclass(frozen=True, slots=True)
class AnnualView:
    """A year's results: which quarters are in, the core's result, and department names."""

    unit_id: int
    year: int
    policy: str
    included: tuple[str, ...]  # periods counted, e.g. ("2026Q3", "2026Q4")
    published: tuple[str, ...]  # of those, the ones taken from a published snapshot
    missing: tuple[str, ...]  # quarters not over yet: the year is not complete
    before_start: tuple[str, ...]  # quarters before kaohe began: not assessed here
    result: AnnualResult
    departments: dict[int, str]

    @property
    def complete(self) -> bool:
        """Whether every quarter of the year that kaohe assessed is over and counted."""
        return not self.missing


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def as_quarter_result(view: Any) -> QuarterResult:
    """A published (or live) QuarterView as the core's QuarterResult (what annual reads)."""
    people = tuple(
        PersonResult(
            person_id=p["person_id"],
            name=p["name"],
            department_id=p["department_id"],
            category=p["category"],
            group=p["group"],
            score=_decimal(p["score"]),
            rank=p["rank"],
            group_size=p["group_size"],
            grade=Grade(p["grade"]),
            grade_reason=p.get("grade_reason", ""),
            vetoes=tuple(p.get("vetoes", ())),
            caps=tuple(p.get("caps", ())),
            likes=p.get("likes", 0),
            errors=p.get("errors", 0),
            roster_position=p.get("roster_position", position),
        )
        for position, p in enumerate(view.people)
        if not p.get("undetermined")  # 不定等次: the quarter does not count toward the year
    )
    departments = tuple(
        DepartmentResult(
            department_id=d["department_id"],
            score=_decimal(d["score"]),
            source="published",
            members=d.get("members", 0),
            mean_member_score=_decimal(d["score"]),
            filing_rate=None,
            review_rate=None,
            likes=d.get("likes", 0),
            errors=d.get("errors", 0),
            good=0,
            rank=d["rank"],
            red_flag=bool(d.get("red_flag")),
        )
        for d in view.departments
    )
    return QuarterResult(str(view.quarter), view.policy, False, people, (), departments)


async def annual_view(
    session: AsyncSession, *, policy: Policy, calendar: WorkCalendar, year: int, now: datetime
) -> AnnualView:
    """The year's results as at `now`; LookupError without a roster."""
    unit = await get_unit(session)
    if unit is None or unit.id is None:
        raise LookupError("no roster imported yet")
    first = await assessment_start(session)
    quarters: list[QuarterResult] = []
    included: list[str] = []
    published: list[str] = []
    missing: list[str] = []
    before: list[str] = []
    for number in (1, 2, 3, 4):
        quarter = Quarter(year, number)
        if first is not None and quarter.end < first:
            before.append(str(quarter))
            continue
        if quarter.end >= now.date():
            missing.append(str(quarter))
            continue
        view = await quarter_view(
            session, policy=policy, calendar=calendar, quarter=quarter, now=now
        )
        quarters.append(as_quarter_result(view))
        included.append(str(quarter))
        if view.published:
            published.append(str(quarter))
    people = await scored_people(session, unit_id=unit.id)
    marked = await store.standings(session, unit_id=unit.id, year=year)
    result = annual_results(policy, people, quarters, standings=marked)
    changed = await appeals.changes(
        session, unit_id=unit.id, kind=AppealKind.ANNUAL, period=str(year)
    )
    if changed:  # a 复核 变更 is the current version of a person's year
        result = replace(
            result,
            people=tuple(
                _revised(p, changed[p.person_id][-1]) if p.person_id in changed else p
                for p in result.people
            ),
        )
    return AnnualView(
        unit_id=unit.id,
        year=year,
        policy=policy.name,
        included=tuple(included),
        published=tuple(published),
        missing=tuple(missing),
        result=result,
        departments=await department_names(session, unit_id=unit.id),
        before_start=tuple(before),
    )


def _revised(result: AnnualPersonResult, appeal: Any) -> AnnualPersonResult:
    score = result.score if appeal.new_score is None else _decimal(appeal.new_score)
    grade = AnnualGrade(appeal.new_grade) if appeal.new_grade else result.grade
    return replace(result, score=score, grade=grade, grade_reason=f"复核变更：{appeal.decision}")


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _quarters(marks: Any) -> list[dict[str, Any]]:
    return [
        {
            "quarter": m.period,
            "score": float(m.score),
            "grade": m.grade.value,
            "grade_label": m.grade.label,
            "vetoed": m.vetoed,
        }
        for m in marks
    ]


def graded_row(r: AnnualPersonResult, departments: dict[int, str]) -> dict[str, Any]:
    """One graded person of the year, as `kaohe annual --json` prints it."""
    return {
        "person_id": r.person_id,
        "name": r.name,
        "department_id": r.department_id,
        "department": departments.get(r.department_id, ""),
        "category": r.category,
        "group": r.group,
        "grade": r.grade.value,
        "grade_label": r.grade.label,
        "score": float(r.score),
        "rank": r.rank,
        "group_size": r.group_size,
        "good_quarters": r.good_quarters,
        "quarter_mean": float(r.quarter_mean),
        "year_end": _number(r.year_end),
        "quarters": _quarters(r.quarters),
        "reason": r.grade_reason,
        "breakdown": [
            {
                "label": b.label,
                "value": _number(b.value),
                "points": float(b.points),
                "detail": b.detail,
            }
            for b in r.breakdown
        ],
    }


def ungraded_row(u: UngradedResult, departments: dict[int, str]) -> dict[str, Any]:
    """One person set aside by a common rule (不定等次 / 不参加)."""
    return {
        "person_id": u.person_id,
        "name": u.name,
        "department_id": u.department_id,
        "department": departments.get(u.department_id, ""),
        "category": u.category,
        "group": u.category,
        "grade": u.outcome.value,
        "grade_label": u.outcome.label,
        "score": _number(u.score),
        "rank": None,
        "group_size": None,
        "good_quarters": sum(1 for m in u.quarters if m.grade is Grade.GOOD),
        "quarter_mean": _number(u.score),
        "year_end": None,
        "quarters": _quarters(u.quarters),
        "reason": u.reason,
        "breakdown": [],
    }


def annual_rows(view: AnnualView) -> list[dict[str, Any]]:
    """Everyone of the year: graded people by group and rank, then those set aside."""
    names = view.departments
    return [graded_row(r, names) for r in view.result.people] + [
        ungraded_row(u, names) for u in view.result.ungraded
    ]


def annual_json(view: AnnualView) -> dict[str, Any]:
    """The whole year, as `kaohe annual --json` prints it."""
    return {
        "year": view.year,
        "policy": view.policy,
        "complete": view.complete,
        "quarters": list(view.included),
        "published": list(view.published),
        "missing": list(view.missing),
        "before_start": list(view.before_start),
        "people": annual_rows(view),
        "groups": [
            {
                "group": g.group,
                "size": g.size,
                "excellent_quota": g.excellent_quota,
                "counts": {grade.value: n for grade, n in g.counts},
            }
            for g in view.result.groups
        ],
        "departments": [
            {
                "department_id": d.department_id,
                "name": view.departments.get(d.department_id, ""),
                "score": float(d.score),
                "rank": d.rank,
                "red_flag": d.red_flag,
            }
            for d in view.result.departments
        ],
    }


def explain_row(row: dict[str, Any]) -> list[str]:
    """One person's year, line by line (for `--explain` and `/annual`)."""
    score = "—" if row["score"] is None else f"{row['score']:.2f}分"
    head = f"{row['name']}（{row['department']}）：{score}，{row['grade_label']}"
    if row["rank"] is not None:
        head += f"，{row['group']}第{row['rank']}/{row['group_size']}名"
    lines = [head, f"理由：{row['reason']}"]
    for q in row["quarters"]:
        veto = "（一票否决）" if q["vetoed"] else ""
        label = Quarter.parse(q["quarter"]).label
        lines.append(f"· {label} {q['score']:.2f}分 {q['grade_label']}{veto}")
    for b in row["breakdown"]:
        value = "" if b["value"] is None else f" {b['value']:.2f}"
        detail = f"  [{b['detail']}]" if b["detail"] else ""
        lines.append(f"  {b['label']}{value} → {b['points']:.2f}{detail}")
    return lines
