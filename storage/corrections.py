"""Admin corrections: 加分 / 扣分 (bonus records) and 负面清单 (veto records). Audited;
functions never commit."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.records import RecordKind
from storage.audit import audit
from storage.db import dialect_insert
from storage.tables import Person, Record


async def bonus_used(session: AsyncSession, *, person_id: int, start: date, end: date) -> float:
    """The positive bonus points a person has (not voided) for days in [start, end]."""
    query = select(func.sum(Record.points)).where(
        Record.person_id == person_id,
        Record.kind == RecordKind.BONUS.value,
        col(Record.day).between(start, end),
        col(Record.voided_at).is_(None),
        Record.points > 0,
    )
    return float((await session.exec(query)).one() or 0)


async def add_correction(
    session: AsyncSession,
    *,
    kind: RecordKind,
    person: Person,
    points: float,
    veto_kind: str | None,
    reason: str,
    day: date,
    by: Person,
    source_chat_id: int,
    source_message_id: int,
    now: datetime,
) -> tuple[Record, bool]:
    """Store a bonus (points ≠ 0) or a veto (its kind in `severity`), audited; (the stored
    record, False) when the same command was confirmed before."""
    insert = (
        dialect_insert(session, Record)
        .values(
            unit_id=person.unit_id,
            person_id=person.id,
            kind=kind.value,
            points=points,
            severity=veto_kind,
            reason=reason,
            day=day,
            issuer_id=by.id,
            source_chat_id=source_chat_id,
            source_message_id=source_message_id,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["source_chat_id", "source_message_id"])
        .returning(Record)
    )
    record = (await session.exec(insert)).scalar_one_or_none()  # type: ignore[call-overload]
    if record is None:
        query = select(Record).where(
            Record.source_chat_id == source_chat_id, Record.source_message_id == source_message_id
        )
        return (await session.exec(query)).one(), False
    audit(
        session,
        action=f"record_{kind.value}",
        unit_id=person.unit_id,
        actor_person_id=by.id,
        actor=by.name,
        subject=person.name,
        detail={
            "record_id": record.id,
            "person_id": person.id,
            "points": points,
            "veto_kind": veto_kind,
            "reason": reason,
            "day": day.isoformat(),
        },
    )
    return record, True
