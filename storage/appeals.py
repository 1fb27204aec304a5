"""复核 requests and their decisions. Functions never commit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.appeals import AppealKind, AppealStatus
from storage.audit import audit
from storage.tables import Appeal


async def open_appeal(
    session: AsyncSession, *, person_id: int, kind: AppealKind, period: str
) -> Appeal | None:
    """The person's open 复核 of a period, if any."""
    query = select(Appeal).where(
        Appeal.person_id == person_id,
        Appeal.kind == kind.value,
        Appeal.period == period,
        Appeal.status == AppealStatus.OPEN.value,
    )
    return (await session.exec(query)).first()


async def file_appeal(
    session: AsyncSession,
    *,
    unit_id: int,
    person_id: int,
    kind: AppealKind,
    period: str,
    reason: str,
    attachments: list[dict[str, str]],
    decide_by: date,
    old_score: float | None,
    old_grade: str,
    now: datetime,
) -> Appeal:
    """Store a 复核 request (audited)."""
    row = Appeal(
        unit_id=unit_id, person_id=person_id, kind=kind.value, period=period, reason=reason,
        attachments=attachments, filed_at=now, decide_by=decide_by, old_score=old_score,
        old_grade=old_grade,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    audit(
        session,
        action="appeal_file",
        unit_id=unit_id,
        actor_person_id=person_id,
        subject=f"appeal:{row.id}",
        detail={"kind": kind.value, "period": period, "attachments": len(attachments)},
    )
    return row


async def get_appeal(session: AsyncSession, *, unit_id: int, appeal_id: int) -> Appeal | None:
    """One 复核 of the unit."""
    row = await session.get(Appeal, appeal_id)
    return row if row is not None and row.unit_id == unit_id else None


async def open_appeals(session: AsyncSession, *, unit_id: int) -> list[Appeal]:
    """Open 复核 requests, the earliest deadline first."""
    query = (
        select(Appeal)
        .where(Appeal.unit_id == unit_id, Appeal.status == AppealStatus.OPEN.value)
        .order_by(col(Appeal.decide_by), col(Appeal.id))
    )
    return list((await session.exec(query)).all())


async def appeals_of_period(
    session: AsyncSession, *, unit_id: int, kind: AppealKind, period: str
) -> list[Appeal]:
    """Every 复核 of a period (open and decided), in the order filed."""
    query = (
        select(Appeal)
        .where(Appeal.unit_id == unit_id, Appeal.kind == kind.value, Appeal.period == period)
        .order_by(col(Appeal.filed_at), col(Appeal.id))
    )
    return list((await session.exec(query)).all())


async def decide(
    session: AsyncSession,
    *,
    appeal: Appeal,
    status: AppealStatus,
    decision: str,
    new_score: float | None,
    new_grade: str | None,
    petition_until: date | None,
    actor_id: int | None,
    actor: str,
    now: datetime,
) -> None:
    """Record the decision (audited); a 变更 becomes the current version of the result."""
    appeal.status = status.value
    appeal.decision = decision
    appeal.new_score, appeal.new_grade = new_score, new_grade
    appeal.decided_by, appeal.decided_at = actor_id, now
    appeal.petition_until = petition_until
    session.add(appeal)
    audit(
        session,
        action="appeal_decide",
        unit_id=appeal.unit_id,
        actor_person_id=actor_id,
        actor=actor,
        subject=f"appeal:{appeal.id}",
        detail={
            "status": status.value, "decision": decision, "old_score": appeal.old_score,
            "old_grade": appeal.old_grade, "new_score": new_score, "new_grade": new_grade,
        },
    )  # fmt: skip


async def mark_petition(
    session: AsyncSession, *, appeal: Appeal, note: str, actor_id: int | None, now: datetime
) -> None:
    """Record that the person took the case to the next level (申诉), audited."""
    appeal.petition_at, appeal.petition_note = now, note
    session.add(appeal)
    audit(
        session,
        action="appeal_petition",
        unit_id=appeal.unit_id,
        actor_person_id=actor_id,
        subject=f"appeal:{appeal.id}",
        detail={"note": note},
    )


async def changes(
    session: AsyncSession, *, unit_id: int, kind: AppealKind, period: str
) -> dict[int, list[Appeal]]:
    """Person id → the 变更 decisions of a period, oldest first (the last is current)."""
    query = (
        select(Appeal)
        .where(
            Appeal.unit_id == unit_id,
            Appeal.kind == kind.value,
            Appeal.period == period,
            Appeal.status == AppealStatus.CHANGED.value,
        )
        .order_by(col(Appeal.decided_at), col(Appeal.id))
    )
    out: dict[int, list[Appeal]] = {}
    for row in (await session.exec(query)).all():
        out.setdefault(row.person_id, []).append(row)
    return out


def revision_of(changed: list[Appeal]) -> dict[str, Any]:
    """What a result shows about its current version after 复核 变更."""
    last = changed[-1]
    return {
        "version": len(changed) + 1,
        "appeal_id": last.id,
        "reason": last.decision,
        "at": last.decided_at.isoformat() if last.decided_at else None,
        "previous": {"score": last.old_score, "grade": last.old_grade},
    }
