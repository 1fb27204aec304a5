"""A quarter's results as the shell shows them: the published snapshot once the quarter is
closed (what was published stays what it was), else live from the scoring core.

People are the dicts of `kaohe score --json` (bot/cli_score.py `person_json`) plus
`department_id`, `explain` (the lines of core.scoring.explain), `summary` (the short
headline and breakdown of core.standing, for the private result; snapshots published
before it have none) and `star` (绩效之星), so that a snapshot, an export and the CLI all
show the same figures.

绩效之星: the first-ranked person of each ranking group, if graded 好 (a group where nobody
reached 好 has no star). 流动红旗: the core's red-flag departments (policy
`departments.red_flags`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli_score import person_json, result_json
from bot.scores import quarter_results
from core.calendar import WorkCalendar
from core.grades import Grade
from core.policy import Policy
from core.quarter import Quarter
from core.rounding import dec
from core.scoring import QuarterResult, explain
from core.standing import standings, summary
from storage import results as store
from storage.people import get_unit


@dataclass(frozen=True, slots=True)
class QuarterView:
    """The results of one quarter, published or live."""

    unit_id: int
    quarter: Quarter
    published: bool
    provisional: bool
    policy: str
    start: date
    end: date
    people: tuple[dict[str, Any], ...]
    departments: tuple[dict[str, Any], ...]  # `kaohe score --json` departments, rank order
    stars: tuple[int, ...]
    published_at: datetime | None = None
    final_at: datetime | None = None  # when the 公示 ended and the results became final

    def snapshot_data(self) -> dict[str, Any]:
        """What PublishedQuarter.data keeps."""
        return {
            "provisional": self.provisional,
            "departments": list(self.departments),
            "stars": list(self.stars),
        }

    @property
    def red_flags(self) -> tuple[dict[str, Any], ...]:
        """The 流动红旗 departments."""
        return tuple(d for d in self.departments if d.get("red_flag"))

    def grade_counts(self) -> dict[int, Counter[Grade]]:
        """Department id → how many got each grade."""
        counts: dict[int, Counter[Grade]] = {}
        for p in self.people:
            grade = grade_of(p)
            if grade is not None:
                counts.setdefault(p["department_id"], Counter())[grade] += 1
        return counts

    def department_name(self, department_id: int) -> str:
        """The name of a department as the results know it."""
        for d in self.departments:
            if d["department_id"] == department_id:
                return str(d["name"])
        return next(
            (p["department"] for p in self.people if p["department_id"] == department_id), ""
        )


def grade_of(person: dict[str, Any]) -> Grade | None:
    """A result dict's quarterly grade; None for 不定等次."""
    return None if person.get("undetermined") else Grade(person["grade"])


def needs_talk(person: dict[str, Any]) -> bool:
    """Whether a feedback talk is mandatory after this result (never for 不定等次)."""
    grade = grade_of(person)
    return grade is not None and grade.needs_talk


def stars_of(result: QuarterResult) -> tuple[int, ...]:
    """绩效之星: the first of each ranking group, if graded 好."""
    stars: dict[str, int] = {}
    for p in result.people:
        good = p.grade is Grade.GOOD and not p.undetermined
        if p.rank == 1 and good and not p.vetoes and p.group not in stars:
            stars[p.group] = p.person_id
    return tuple(stars.values())


def live_view(
    unit_id: int, quarter: Quarter, result: QuarterResult, gathered: Any, good_min: Decimal
) -> QuarterView:
    """A view of freshly scored results; `good_min` is the policy's 好 minimum score."""
    stars = set(stars_of(result))
    places = standings(result, good_min)
    people = []
    for p in result.people:
        row = person_json(p, gathered.departments)
        row["department_id"] = p.department_id
        row["explain"] = explain(p)
        row["summary"] = summary(p, places[p.person_id])
        row["star"] = p.person_id in stars
        people.append(row)
    whole = result_json(result, gathered)
    return QuarterView(
        unit_id=unit_id,
        quarter=quarter,
        published=False,
        provisional=result.provisional,
        policy=result.policy,
        start=gathered.start,
        end=gathered.end,
        people=tuple(people),
        departments=tuple(whole["departments"]),
        stars=tuple(p["person_id"] for p in people if p["star"]),
    )


def published_view(published: store.Published) -> QuarterView:
    """A view of a stored snapshot."""
    row = published.quarter
    return QuarterView(
        unit_id=row.unit_id,
        quarter=Quarter.parse(row.quarter),
        published=True,
        provisional=False,
        policy=row.policy,
        start=row.start,
        end=row.end,
        people=published.people,
        departments=tuple(row.data.get("departments", [])),
        stars=tuple(row.data.get("stars", [])),
        published_at=row.published_at,
        final_at=row.final_at,
    )


async def compute(
    session: AsyncSession,
    *,
    policy: Policy,
    calendar: WorkCalendar,
    quarter: Quarter,
    now: datetime,
) -> QuarterView:
    """Live results (final for a past quarter, provisional for the current one)."""
    unit = await get_unit(session)
    if unit is None or unit.id is None:
        raise LookupError("no roster imported yet")
    result, gathered = await quarter_results(
        session, policy=policy, calendar=calendar, quarter=quarter, now=now
    )
    return live_view(unit.id, quarter, result, gathered, dec(policy.grades.good_min))


async def quarter_view(
    session: AsyncSession,
    *,
    policy: Policy,
    calendar: WorkCalendar,
    quarter: Quarter,
    now: datetime,
) -> QuarterView:
    """The published snapshot if the quarter was published, else live results."""
    unit = await get_unit(session)
    if unit is None or unit.id is None:
        raise LookupError("no roster imported yet")
    snapshot = await store.published(session, unit_id=unit.id, quarter=quarter)
    if snapshot is not None:
        return published_view(snapshot)
    result, gathered = await quarter_results(
        session, policy=policy, calendar=calendar, quarter=quarter, now=now
    )
    return live_view(unit.id, quarter, result, gathered, dec(policy.grades.good_min))
