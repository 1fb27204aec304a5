"""Queries for the Excel export: every record with who issued and voided it, daily report
statuses, the audit log. Functions never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.reports import ReportKind
from storage.tables import (
    AuditEntry,
    Department,
    FeedbackTalk,
    Person,
    Rating,
    Record,
    Report,
    ReportItem,
    ReportItemRevision,
    ReportReply,
    ReportReview,
)


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


# ---- issue 20: the archive of reports, the per-person register --------------------------


@dataclass(frozen=True, slots=True)
class ArchivedItem:
    """One item of a report with its earlier texts (oldest first) and when it was edited."""

    seq: int
    text: str
    created_at: datetime
    edited_at: datetime | None
    earlier: tuple[tuple[str, datetime], ...]


@dataclass(frozen=True, slots=True)
class ArchivedReport:
    """A 日报 / 周报 with everything the 考核档案 keeps about it."""

    report_id: int
    person_id: int
    day: date
    kind: str
    status: str
    filed_at: datetime
    items: tuple[ArchivedItem, ...]
    reviews: tuple[tuple[str, datetime], ...]  # (leader, when)
    replies: tuple[tuple[str, str, datetime], ...]  # (leader, text, when)


async def report_ids_between(
    session: AsyncSession, *, unit_id: int, start: date, end: date
) -> list[int]:
    """Ids of the unit's reports for days in [start, end], by day, person and kind."""
    query = (
        select(Report.id)
        .where(Report.unit_id == unit_id, col(Report.day).between(start, end))
        .order_by(col(Report.day), col(Report.person_id), col(Report.kind))
    )
    return [rid for rid in (await session.exec(query)).all() if rid is not None]


async def archived_reports(
    session: AsyncSession, *, report_ids: Sequence[int]
) -> list[ArchivedReport]:
    """The reports with those ids, their items, revisions, reviews and replies, in the order
    of `report_ids` (four queries, whatever the number of reports)."""
    ids = list(report_ids)
    if not ids:
        return []
    reports = {
        r.id: r for r in (await session.exec(select(Report).where(col(Report.id).in_(ids)))).all()
    }
    items = (
        await session.exec(
            select(ReportItem)
            .where(col(ReportItem.report_id).in_(ids))
            .order_by(col(ReportItem.report_id), col(ReportItem.seq), col(ReportItem.id))
        )
    ).all()
    item_ids = [i.id for i in items]
    earlier: dict[int, list[tuple[str, datetime]]] = {}
    if item_ids:
        revisions = await session.exec(
            select(ReportItemRevision)
            .where(col(ReportItemRevision.item_id).in_(item_ids))
            .order_by(col(ReportItemRevision.id))
        )
        for rev in revisions.all():
            earlier.setdefault(rev.item_id, []).append((rev.text, rev.replaced_at))
    by_report: dict[int, list[ArchivedItem]] = {}
    for item in items:
        by_report.setdefault(item.report_id, []).append(
            ArchivedItem(
                item.seq, item.text, item.created_at, item.edited_at,
                tuple(earlier.get(item.id or 0, ())),
            )
        )  # fmt: skip
    reviews: dict[int, list[tuple[str, datetime]]] = {}
    query = (
        select(ReportReview.report_id, Person.name, ReportReview.at)
        .join(Person, col(Person.id) == ReportReview.leader_id)
        .where(col(ReportReview.report_id).in_(ids))
        .order_by(col(ReportReview.at), col(ReportReview.id))
    )
    for report_id, name, at in (await session.exec(query)).all():
        reviews.setdefault(report_id, []).append((name, at))
    replies: dict[int, list[tuple[str, str, datetime]]] = {}
    query = (
        select(ReportReply.report_id, Person.name, ReportReply.text, ReportReply.at)
        .join(Person, col(Person.id) == ReportReply.leader_id)
        .where(col(ReportReply.report_id).in_(ids))
        .order_by(col(ReportReply.at), col(ReportReply.id))
    )
    for report_id, name, text, at in (await session.exec(query)).all():
        replies.setdefault(report_id, []).append((name, text, at))
    found = []
    for rid in ids:
        report = reports.get(rid)
        if report is None:
            continue
        found.append(
            ArchivedReport(
                rid, report.person_id, report.day, report.kind, report.status, report.filed_at,
                tuple(by_report.get(rid, ())), tuple(reviews.get(rid, ())),
                tuple(replies.get(rid, ())),
            )
        )  # fmt: skip
    return found


@dataclass(frozen=True, slots=True)
class PersonDetails:
    """Who a person is, as the 汇总表 and 登记表 print it."""

    person_id: int
    name: str
    employee_id: str
    department: str
    title: str  # 职务, from the roster (empty when the file has no such column)
    category: str
    roster_order: int


async def person_details(session: AsyncSession, *, unit_id: int) -> dict[int, PersonDetails]:
    """Every person of the unit (inactive ones too: a past quarter may include them)."""
    query = (
        select(Person, Department.name)
        .join(Department, col(Department.id) == Person.department_id)
        .where(Person.unit_id == unit_id)
    )
    return {
        p.id: PersonDetails(
            p.id, p.name, p.employee_id or "", department,
            p.position or "", p.category, p.roster_order,
        )
        for p, department in (await session.exec(query)).all()
        if p.id is not None
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class RatingRow:
    """One answered rating: who rated whom, of which kind, the score."""

    ratee_id: int
    kind: str
    rater: str
    score: float


async def answered_ratings(
    session: AsyncSession, *, unit_id: int, quarter: str
) -> list[RatingRow]:
    """The quarter's answered ratings with the rater's name, by ratee, kind and rater."""
    query = (
        select(Rating.ratee_id, Rating.kind, Person.name, Rating.score)
        .join(Person, col(Person.id) == Rating.rater_id)
        .where(
            Rating.unit_id == unit_id,
            Rating.quarter == quarter,
            col(Rating.score).is_not(None),
        )
        .order_by(col(Rating.ratee_id), col(Rating.kind), col(Person.roster_order))
    )
    return [RatingRow(*row) for row in (await session.exec(query)).all()]


async def talks_with_leaders(
    session: AsyncSession, *, unit_id: int, quarter: str
) -> dict[int, tuple[FeedbackTalk, str]]:
    """Person id → the quarter's feedback talk and the leader's name."""
    query = (
        select(FeedbackTalk, Person.name)
        .join(Person, col(Person.id) == FeedbackTalk.leader_id)
        .where(FeedbackTalk.unit_id == unit_id, FeedbackTalk.quarter == quarter)
        .order_by(col(FeedbackTalk.id))
    )
    return {talk.person_id: (talk, name) for talk, name in (await session.exec(query)).all()}


async def people_names(session: AsyncSession, *, unit_id: int) -> dict[int, str]:
    """Person id → name, for the audit log's details."""
    query = select(Person.id, Person.name).where(Person.unit_id == unit_id)
    return dict((await session.exec(query)).all())
