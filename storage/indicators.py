"""Indicators (一人一表): versioned rows, the import, and the facts for scoring. No commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.indicator_sheet import IndicatorRow
from core.indicators import IndicatorFact
from core.roster import RosterError, RosterProblem
from storage.audit import audit
from storage.tables import Department, Indicator, Person, utcnow

FIELDS = ("level", "department_id", "person_id", "title", "weight", "target", "measure", "actual")


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an indicator import did."""

    added: int
    revised: int
    unchanged: int


async def apply_indicators(
    session: AsyncSession,
    *,
    unit_id: int,
    rows: Sequence[IndicatorRow],
    actor: str,
    actor_person_id: int | None = None,
) -> ImportReport:
    """Add new indicators and revise changed ones (a new version; the old one is kept).

    People and departments are resolved first; any row that names an unknown one fails
    the whole import (RosterError by row), nothing is written."""
    departments = {
        name: d_id
        for d_id, name in (
            await session.exec(
                select(Department.id, Department.name).where(Department.unit_id == unit_id)
            )
        ).all()
    }
    people = (
        await session.exec(
            select(Person).where(Person.unit_id == unit_id, col(Person.active).is_(True))
        )
    ).all()
    problems: list[RosterProblem] = []
    resolved: list[tuple[IndicatorRow, int | None, int | None]] = []
    for row in rows:
        department_id = departments.get(row.department) if row.department else None
        if row.department and department_id is None:
            problems.append(RosterProblem(row.row, f"名单里没有部门「{row.department}」"))
            continue
        person_id = None
        if row.person:
            found = [
                p
                for p in people
                if p.department_id == department_id and row.person in {p.name, p.employee_id or ""}
            ]
            if len(found) != 1:
                what = "有重名，请填工号" if found else "名单里没有此人"
                problems.append(RosterProblem(row.row, f"{row.department}「{row.person}」{what}"))
                continue
            person_id = found[0].id
        resolved.append((row, department_id, person_id))
    if problems:
        raise RosterError(problems)

    current = {
        (i.year, i.key): i
        for i in (
            await session.exec(
                select(Indicator).where(
                    Indicator.unit_id == unit_id, col(Indicator.current).is_(True)
                )
            )
        ).all()
    }
    added = revised = unchanged = 0
    now = utcnow()
    for row, department_id, person_id in resolved:
        values = {
            "level": row.level,
            "department_id": department_id,
            "person_id": person_id,
            "title": row.title,
            "weight": row.weight,
            "target": row.target,
            "measure": row.measure,
            "actual": row.actual,
        }
        before = current.get((row.year, row.key))
        if before is not None and all(getattr(before, f) == values[f] for f in FIELDS):
            unchanged += 1
            continue
        version = 1
        if before is not None:
            before.current = False
            session.add(before)
            version = before.version + 1
            revised += 1
        else:
            added += 1
        session.add(
            Indicator(
                unit_id=unit_id,
                year=row.year,
                key=row.key,
                version=version,
                current=True,
                changed_by=actor_person_id,
                changed_by_name=actor,
                changed_at=now,
                **values,
            )
        )
    audit(
        session,
        action="indicators_import",
        unit_id=unit_id,
        actor_person_id=actor_person_id,
        actor=actor,
        detail={"added": added, "revised": revised, "unchanged": unchanged},
    )
    return ImportReport(added, revised, unchanged)


async def current_indicators(
    session: AsyncSession,
    *,
    unit_id: int,
    year: int,
    person_ids: Iterable[int] | None = None,
    department_ids: Iterable[int] | None = None,
) -> list[Indicator]:
    """Current versions, of some people and/or departments (department-level rows)."""
    query = select(Indicator).where(
        Indicator.unit_id == unit_id, Indicator.year == year, col(Indicator.current).is_(True)
    )
    if person_ids is not None:
        query = query.where(col(Indicator.person_id).in_(list(person_ids)))
    if department_ids is not None:
        query = query.where(col(Indicator.department_id).in_(list(department_ids)))
    # unit, then department rows before people's (NULLs sort differently per backend)
    query = query.order_by(
        col(Indicator.department_id).is_not(None),
        col(Indicator.department_id),
        col(Indicator.person_id).is_not(None),
        col(Indicator.person_id),
        col(Indicator.id),
    )
    return list((await session.exec(query)).all())


async def indicator_by_key(
    session: AsyncSession, *, unit_id: int, year: int, key: str
) -> Indicator | None:
    """The current version of an indicator."""
    query = select(Indicator).where(
        Indicator.unit_id == unit_id,
        Indicator.year == year,
        Indicator.key == key,
        col(Indicator.current).is_(True),
    )
    return (await session.exec(query)).first()


async def versions(session: AsyncSession, *, unit_id: int, year: int, key: str) -> list[Indicator]:
    """Every version of an indicator, oldest first."""
    query = (
        select(Indicator)
        .where(Indicator.unit_id == unit_id, Indicator.year == year, Indicator.key == key)
        .order_by(col(Indicator.version))
    )
    return list((await session.exec(query)).all())


async def indicator_facts(
    session: AsyncSession, *, unit_id: int, year: int, person_ids: Iterable[int]
) -> list[IndicatorFact]:
    """The person-level current indicators of a year, as the core sees them."""
    ids = set(person_ids)
    rows = await session.exec(
        select(
            Indicator.person_id,
            Indicator.title,
            Indicator.weight,
            Indicator.target,
            Indicator.actual,
            Indicator.measure,
        )
        .where(
            Indicator.unit_id == unit_id,
            Indicator.year == year,
            col(Indicator.current).is_(True),
            col(Indicator.person_id).is_not(None),
        )
        .order_by(col(Indicator.person_id), col(Indicator.id))
    )
    return [
        IndicatorFact(pid, title, weight, target, actual, measure)
        for pid, title, weight, target, actual, measure in rows.all()
        if pid in ids
    ]
