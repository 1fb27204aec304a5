"""Queries for the Excel export: every record with who issued and voided it, daily report
statuses, the audit log. Functions never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.reports import ReportKind
from storage.tables import AuditEntry, Person, Record, Report


@dataclass(frozen=True, slots=True)
class RecordRow:
    """A record as the 明细 sheet shows it."""

    record: Record
    person: str
    department_id: int
    issuer: str | None
    voided_by: str | None


async def records_between(
    session: AsyncSession, *, unit_id: int, start: date, end: date
) -> list[RecordRow]:
    """Every record (voided ones too) of the unit for days in [start, end], oldest first."""
    issuer = Person.__table__.alias("issuer")  # type: ignore[attr-defined]
    voider = Person.__table__.alias("voider")  # type: ignore[attr-defined]
    query = (
        select(Record, Person.name, Person.department_id, issuer.c.name, voider.c.name)
        .join(Person, col(Person.id) == Record.person_id)
        .outerjoin(issuer, issuer.c.id == Record.issuer_id)
        .outerjoin(voider, voider.c.id == Record.voided_by)
        .where(Record.unit_id == unit_id, col(Record.day).between(start, end))
        .order_by(col(Record.day), col(Record.id))
    )
    return [RecordRow(*row) for row in (await session.exec(query)).all()]


async def daily_statuses(
    session: AsyncSession, *, unit_id: int, start: date, end: date
) -> dict[tuple[int, date], str]:
    """(person, day) → the status of their daily report, for days in [start, end]."""
    query = select(Report.person_id, Report.day, Report.status).where(
        Report.unit_id == unit_id,
        Report.kind == ReportKind.DAILY.value,
        col(Report.day).between(start, end),
    )
    return {(pid, day): status for pid, day, status in (await session.exec(query)).all()}


async def audit_since(
    session: AsyncSession, *, unit_id: int, since: datetime, limit: int = 50_000
) -> list[AuditEntry]:
    """The unit's audit entries from `since` on (and unit-less ones), oldest first."""
    query = (
        select(AuditEntry)
        .where(
            (AuditEntry.unit_id == unit_id) | col(AuditEntry.unit_id).is_(None),
            AuditEntry.at >= since,
        )
        .order_by(col(AuditEntry.id))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


def detail_text(detail: dict[str, Any]) -> str:
    """An audit detail as 'key=value; …'."""
    return "; ".join(f"{key}={value}" for key, value in detail.items())
