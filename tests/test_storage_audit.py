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


def test_every_audited_action_has_a_chinese_name_in_the_audit_sheet() -> None:
    """The 审计日志 (workbook and console) shows each action in Chinese: every action the
    code writes — literal, or record_<kind> / task_<event> — has a name."""
    import re
    from pathlib import Path

    from bot import texts
    from core.records import RecordKind

    root = Path(__file__).resolve().parent.parent
    code = "\n".join(
        p.read_text(encoding="utf-8") for d in ("bot", "storage") for p in (root / d).rglob("*.py")
    )
    argparse = {"store", "store_true", "store_false", "append", "count", "help", "version"}
    actions = set(re.findall(r'\baction="([a-z_]+)"', code)) - argparse
    actions |= {f"record_{k.value}" for k in RecordKind}
    actions |= {f"task_{e}" for e in re.findall(r'kind="(progress|done|returned|accepted)"', code)}
    missing = sorted(a for a in actions if a not in texts.AUDIT_ACTIONS)
    assert missing == []
