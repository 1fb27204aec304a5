"""The facts of a person's year that the 年度考核 common rules act on. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.annual import Standing
from storage.audit import audit
from storage.tables import PersonStanding


async def standings(session: AsyncSession, *, unit_id: int, year: int) -> dict[int, set[Standing]]:
    """Person id → the facts that hold for `year` (cleared ones left out)."""
    query = select(PersonStanding.person_id, PersonStanding.kind).where(
        PersonStanding.unit_id == unit_id,
        PersonStanding.year == year,
        col(PersonStanding.cleared_at).is_(None),
    )
    out: dict[int, set[Standing]] = {}
    for person_id, kind in (await session.exec(query)).all():
        out.setdefault(person_id, set()).add(Standing(kind))
    return out


async def standings_of(
    session: AsyncSession, *, person_id: int, years: Sequence[int] | None = None
) -> list[PersonStanding]:
    """A person's marked facts (cleared ones too), newest year first."""
    query = select(PersonStanding).where(PersonStanding.person_id == person_id)
    if years is not None:
        query = query.where(col(PersonStanding.year).in_(list(years)))
    query = query.order_by(col(PersonStanding.year).desc(), col(PersonStanding.id))
    return list((await session.exec(query)).all())


async def mark(
    session: AsyncSession,
    *,
    unit_id: int,
    person_id: int,
    kind: Standing,
    year: int,
    note: str,
    actor_id: int | None,
    actor: str,
    now: datetime,
) -> bool:
    """Mark a fact for a year (again, if it had been cleared); False if it already held."""
    query = select(PersonStanding).where(
        PersonStanding.person_id == person_id,
        PersonStanding.kind == kind.value,
        PersonStanding.year == year,
    )
    row = (await session.exec(query)).first()
    if row is not None and row.cleared_at is None:
        return False
    if row is None:
        row = PersonStanding(unit_id=unit_id, person_id=person_id, kind=kind.value, year=year)
    row.note, row.marked_by, row.marked_at, row.cleared_at = note, actor_id, now, None
    session.add(row)
    audit(
        session,
        action="standing_mark",
        unit_id=unit_id,
        actor_person_id=actor_id,
        actor=actor,
        subject=f"person:{person_id}",
        detail={"kind": kind.value, "year": year, "note": note},
    )
    return True


async def clear(
    session: AsyncSession,
    *,
    unit_id: int,
    person_id: int,
    kind: Standing,
    year: int,
    actor_id: int | None,
    actor: str,
    now: datetime,
) -> bool:
    """Clear a fact (it no longer holds); False if it was not marked."""
    query = select(PersonStanding).where(
        PersonStanding.person_id == person_id,
        PersonStanding.kind == kind.value,
        PersonStanding.year == year,
        col(PersonStanding.cleared_at).is_(None),
    )
    row = (await session.exec(query)).first()
    if row is None:
        return False
    row.cleared_at = now
    session.add(row)
    audit(
        session,
        action="standing_clear",
        unit_id=unit_id,
        actor_person_id=actor_id,
        actor=actor,
        subject=f"person:{person_id}",
        detail={"kind": kind.value, "year": year},
    )
    return True
