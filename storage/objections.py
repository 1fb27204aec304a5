"""申辩 of 错情 and vetoes. Functions never commit."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.audit import audit
from storage.tables import Objection, Record


async def open_objection(session: AsyncSession, *, record_id: int) -> Objection | None:
    """The open 申辩 of a record, if any."""
    query = select(Objection).where(Objection.record_id == record_id, Objection.status == "open")
    return (await session.exec(query)).first()


async def file_objection(
    session: AsyncSession, *, record: Record, reason: str, now: datetime
) -> Objection:
    """Store a 申辩 (audited)."""
    row = Objection(
        unit_id=record.unit_id, record_id=record.id or 0, person_id=record.person_id,
        reason=reason, filed_at=now,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    audit(
        session,
        action="objection_file",
        unit_id=record.unit_id,
        actor_person_id=record.person_id,
        subject=f"record:{record.id}",
        detail={"objection": row.id},
    )
    return row


async def decide(
    session: AsyncSession, *, objection: Objection, voided: bool, decision: str,
    actor_id: int | None, now: datetime,
) -> None:  # fmt: skip
    """Record the decision (the record's void is the caller's, through storage.records)."""
    objection.status = "voided" if voided else "upheld"
    objection.decision, objection.decided_by, objection.decided_at = decision, actor_id, now
    session.add(objection)
    audit(
        session,
        action="objection_decide",
        unit_id=objection.unit_id,
        actor_person_id=actor_id,
        subject=f"record:{objection.record_id}",
        detail={"objection": objection.id, "status": objection.status, "decision": decision},
    )


async def open_in_period(
    session: AsyncSession, *, unit_id: int, start: date, end: date
) -> list[tuple[Objection, Record]]:
    """Open 申辩 of records dated in [start, end], oldest first."""
    query = (
        select(Objection, Record)
        .join(Record, col(Record.id) == col(Objection.record_id))
        .where(
            Objection.unit_id == unit_id,
            Objection.status == "open",
            col(Record.day) >= start,
            col(Record.day) <= end,
        )
        .order_by(col(Objection.id))
    )
    return [(o, r) for o, r in (await session.exec(query)).all()]
