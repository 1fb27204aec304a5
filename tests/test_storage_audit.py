"""The audit log is append-only."""

from __future__ import annotations

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.audit import audit, audit_entries
from storage.tables import AuditLogIsAppendOnly


async def test_entries_can_be_added_but_never_changed_or_deleted(session: AsyncSession) -> None:
    audit(session, action="test", unit_id=None, actor="cli", detail={"n": 1})
    await session.commit()
    (entry,) = await audit_entries(session, action="test")
    assert entry.detail == {"n": 1} and entry.at.tzinfo is not None

    entry.subject = "changed"
    session.add(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        await session.commit()
    await session.rollback()

    await session.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        await session.commit()
    await session.rollback()
    assert [e.subject for e in await audit_entries(session, action="test")] == [""]
