"""The append-only audit log."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import AuditEntry


def audit(
    session: AsyncSession,
    *,
    action: str,
    unit_id: int | None,
    actor_person_id: int | None = None,
    actor: str = "",
    subject: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the session (the caller commits)."""
    entry = AuditEntry(
        unit_id=unit_id,
        actor_person_id=actor_person_id,
        actor=actor,
        action=action,
        subject=subject,
        detail=detail or {},
    )
    session.add(entry)
    return entry


async def audit_entries(
    session: AsyncSession, *, action: str | None = None, limit: int = 1000
) -> list[AuditEntry]:
    """Audit entries, oldest first, optionally of one action."""
    query = select(AuditEntry).order_by(col(AuditEntry.id)).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    return list((await session.exec(query)).all())
