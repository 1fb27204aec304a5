"""The web console's queries (issue 23): sign-in tokens, sessions and the searches behind
its pages. Functions never commit; callers do."""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import delete, or_, update
from sqlalchemy.orm import defer
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.appeals import AppealStatus
from storage.tables import (
    Appeal,
    AuditEntry,
    Department,
    Objection,
    Person,
    Record,
    Report,
    ReportItem,
    ReportItemRevision,
    ReportReply,
    ReportReview,
    WebExport,
    WebToken,
)

LOGIN = "login"
SESSION = "session"


def digest(secret: str) -> str:
    """What is stored of a secret: its SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(
    session: AsyncSession, *, person_id: int, kind: str, via: str, now: datetime, ttl: timedelta
) -> tuple[str, WebToken]:
    """A new secret (returned once, never stored) and its row (no commit)."""
    secret = secrets.token_urlsafe(32)
    row = WebToken(
        digest=digest(secret),
        kind=kind,
        person_id=person_id,
        csrf=secrets.token_urlsafe(24) if kind == SESSION else "",
        via=via,
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(row)
    return secret, row


async def use_login(session: AsyncSession, *, secret: str, now: datetime) -> int | None:
    """Spend a sign-in link: the person it was made for, once, before it expires; else None.

    One UPDATE marks it used only if unused and unexpired, so two instances (or a double
    click) cannot both spend it."""
    spend = (
        update(WebToken)
        .where(
            col(WebToken.digest) == digest(secret),
            col(WebToken.kind) == LOGIN,
            col(WebToken.used_at).is_(None),
            col(WebToken.expires_at) > now,
        )
        .values(used_at=now)
        .returning(WebToken.person_id)
    )
    return (await session.exec(spend)).scalar_one_or_none()  # type: ignore[call-overload]


async def session_person(
    session: AsyncSession, *, secret: str, now: datetime
) -> tuple[WebToken, Person] | None:
    """A live browser session and its (active) person, or None."""
    query = (
        select(WebToken, Person)
        .join(Person, col(Person.id) == WebToken.person_id)
        .where(
            WebToken.digest == digest(secret),
            WebToken.kind == SESSION,
            col(WebToken.used_at).is_(None),
            col(WebToken.expires_at) > now,
            col(Person.active).is_(True),
        )
    )
    found = (await session.exec(query)).first()
    return (found[0], found[1]) if found else None


async def end_session(session: AsyncSession, *, secret: str, now: datetime) -> None:
    """Sign out: the session can no longer be used (no commit)."""
    await session.exec(  # type: ignore[call-overload]
        update(WebToken)
        .where(col(WebToken.digest) == digest(secret), col(WebToken.kind) == SESSION)
        .values(used_at=now)
    )


async def prune_tokens(session: AsyncSession, *, before: datetime) -> None:
    """Forget links and sessions that expired before `before` (no commit)."""
    await session.exec(delete(WebToken).where(col(WebToken.expires_at) < before))  # type: ignore[call-overload]


# ---- workbooks built for download -------------------------------------------------------------

BUILDING, DONE, FAILED = "building", "done", "failed"
EXPORT_KEPT = timedelta(days=1)


def start_export(
    session: AsyncSession, *, person_id: int, quarter: str, now: datetime
) -> WebExport:
    """A workbook to build for the person, `building` (no commit)."""
    row = WebExport(
        token=secrets.token_urlsafe(24), person_id=person_id, quarter=quarter, created_at=now
    )
    session.add(row)
    return row


async def end_export(
    session: AsyncSession,
    *,
    export_id: int,
    now: datetime,
    filename: str = "",
    data: bytes | None = None,
    error: str = "",
) -> None:
    """The build finished: `done` with its file, or `failed` with why (no commit)."""
    await session.exec(
        update(WebExport)  # type: ignore[call-overload]
        .where(col(WebExport.id) == export_id, col(WebExport.status) == BUILDING)
        .values(
            status=FAILED if data is None else DONE,
            filename=filename[:200],
            data=data,
            error=error[:200],
            finished_at=now,
        )
    )


async def recent_exports(
    session: AsyncSession, *, person_id: int, since: datetime, limit: int = 5
) -> list[WebExport]:
    """The person's latest workbooks since `since`, newest first, without their files."""
    rows = await session.exec(
        select(WebExport)
        .where(col(WebExport.person_id) == person_id, col(WebExport.created_at) >= since)
        .options(defer(WebExport.data))  # type: ignore[arg-type]
        .order_by(col(WebExport.id).desc())
        .limit(limit)
    )
    return list(rows.all())


async def export_file(
    session: AsyncSession, *, token: str, person_id: int, since: datetime
) -> WebExport | None:
    """A finished workbook by its token, only for the person who asked for it."""
    rows = await session.exec(
        select(WebExport).where(
            col(WebExport.token) == token,
            col(WebExport.person_id) == person_id,
            col(WebExport.status) == DONE,
            col(WebExport.created_at) >= since,
        )
    )
    return rows.first()


async def prune_exports(session: AsyncSession, *, before: datetime) -> None:
    """Forget workbooks asked for before `before` (no commit)."""
    await session.exec(delete(WebExport).where(col(WebExport.created_at) < before))  # type: ignore[call-overload]


# ---- people ---------------------------------------------------------------------------------


async def search_people(
    session: AsyncSession, *, unit_id: int, text: str, department_ids: Iterable[int] | None
) -> list[tuple[Person, str]]:
    """Active people whose name, 工号 or department contains `text` (all when empty), with
    their department's name, in roster order; only of `department_ids` unless None."""
    query = (
        select(Person, Department.name)
        .join(Department, col(Department.id) == Person.department_id)
        .where(Person.unit_id == unit_id, col(Person.active).is_(True))
        .order_by(col(Department.sort_order), col(Person.roster_order))
    )
    if text:
        like = f"%{_escape(text)}%"
        query = query.where(
            or_(
                col(Person.name).like(like, escape="\\"),
                col(Person.employee_id).like(like, escape="\\"),
                col(Department.name).like(like, escape="\\"),
            )
        )
    if department_ids is not None:
        query = query.where(col(Person.department_id).in_(list(department_ids)))
    return [(p, name) for p, name in (await session.exec(query)).all()]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ---- reports --------------------------------------------------------------------------------


class FoundItem:
    """One report item a search found, with what the page shows next to it."""

    __slots__ = ("item", "replies", "report", "revisions", "reviewers", "who")

    def __init__(self, item: ReportItem, report: Report, who: Person) -> None:
        self.item, self.report, self.who = item, report, who
        self.revisions: list[str] = []
        self.replies: list[tuple[str, str]] = []  # (leader, text)
        self.reviewers: list[str] = []


async def search_reports(
    session: AsyncSession,
    *,
    unit_id: int,
    words: Sequence[str],
    person_ids: Iterable[int] | None,
    department_id: int | None,
    start: date | None,
    end: date | None,
    limit: int = 100,
) -> tuple[list[FoundItem], bool]:
    """Report items containing every word (in the text or an earlier revision), newest
    first, with revisions, 批复 and reviewers; and whether there were more than `limit`."""
    query = (
        select(ReportItem, Report, Person)
        .join(Report, col(Report.id) == ReportItem.report_id)
        .join(Person, col(Person.id) == Report.person_id)
        .where(Report.unit_id == unit_id)
        .order_by(col(Report.day).desc(), col(Report.id).desc(), col(ReportItem.seq))
        .limit(limit + 1)
    )
    for word in words:
        like = f"%{_escape(word)}%"
        older = select(ReportItemRevision.item_id).where(
            col(ReportItemRevision.text).like(like, escape="\\")
        )
        query = query.where(
            or_(col(ReportItem.text).like(like, escape="\\"), col(ReportItem.id).in_(older))
        )
    if person_ids is not None:
        query = query.where(col(Report.person_id).in_(list(person_ids)))
    if department_id is not None:
        query = query.where(Person.department_id == department_id)
    if start is not None:
        query = query.where(col(Report.day) >= start)
    if end is not None:
        query = query.where(col(Report.day) <= end)
    rows = list((await session.exec(query)).all())
    more = len(rows) > limit
    found = [FoundItem(item, report, who) for item, report, who in rows[:limit]]
    item_ids = [f.item.id for f in found]
    report_ids = list({f.report.id for f in found})
    revisions: dict[int, list[str]] = defaultdict(list)
    for item_id, text in (
        await session.exec(
            select(ReportItemRevision.item_id, ReportItemRevision.text)
            .where(col(ReportItemRevision.item_id).in_(item_ids))
            .order_by(col(ReportItemRevision.id))
        )
    ).all():
        revisions[item_id].append(text)
    replies: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for report_id, name, text in (
        await session.exec(
            select(ReportReply.report_id, Person.name, ReportReply.text)
            .join(Person, col(Person.id) == ReportReply.leader_id)
            .where(col(ReportReply.report_id).in_(report_ids))
            .order_by(col(ReportReply.id))
        )
    ).all():
        replies[report_id].append((name, text))
    reviewers: dict[int, list[str]] = defaultdict(list)
    for report_id, name in (
        await session.exec(
            select(ReportReview.report_id, Person.name)
            .join(Person, col(Person.id) == ReportReview.leader_id)
            .where(col(ReportReview.report_id).in_(report_ids))
            .order_by(col(ReportReview.id))
        )
    ).all():
        reviewers[report_id].append(name)
    seen: set[int] = set()
    for f in found:
        f.revisions = revisions.get(f.item.id or 0, [])
        if f.report.id not in seen:  # replies and reviews belong to the report: shown once
            seen.add(f.report.id or 0)
            f.replies = replies.get(f.report.id or 0, [])
            f.reviewers = reviewers.get(f.report.id or 0, [])
    return found, more


# ---- records --------------------------------------------------------------------------------


async def find_records(
    session: AsyncSession,
    *,
    unit_id: int,
    person_ids: Iterable[int] | None,
    issuer_id: int | None,
    kinds: Sequence[str],
    start: date | None,
    end: date | None,
    limit: int = 200,
) -> tuple[list[tuple[Record, str, str | None]], bool]:
    """Records (newest first) with the person's and the issuer's names; and whether there
    were more than `limit`."""
    issuer = Person.__table__.alias("issuer")  # type: ignore[attr-defined]
    query = (
        select(Record, Person.name, issuer.c.name)
        .join(Person, col(Person.id) == Record.person_id)
        .outerjoin(issuer, issuer.c.id == Record.issuer_id)
        .where(Record.unit_id == unit_id, col(Record.kind).in_(list(kinds)))
        .order_by(col(Record.day).desc(), col(Record.id).desc())
        .limit(limit + 1)
    )
    if person_ids is not None:
        query = query.where(col(Record.person_id).in_(list(person_ids)))
    if issuer_id is not None:
        query = query.where(Record.issuer_id == issuer_id)
    if start is not None:
        query = query.where(col(Record.day) >= start)
    if end is not None:
        query = query.where(col(Record.day) <= end)
    rows = [(r, name, by) for r, name, by in (await session.exec(query)).all()]
    return rows[:limit], len(rows) > limit


async def issuers(session: AsyncSession, *, unit_id: int) -> list[tuple[int, str]]:
    """People who ever issued a record (leaders), by name."""
    query = (
        select(Person.id, Person.name)
        .where(
            Person.unit_id == unit_id,
            col(Person.id).in_(select(Record.issuer_id).where(Record.unit_id == unit_id)),
        )
        .order_by(col(Person.roster_order))
    )
    return [(pid, name) for pid, name in (await session.exec(query)).all() if pid is not None]


# ---- 申辩 and 复核 ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenRequest:
    """An open 申辩 (of a record) or 复核 (of a period), with its person and department."""

    source: str  # "objection" | "appeal"
    item_id: int
    person: Person
    department: str
    filed_at: datetime
    decide_by: date | None  # 复核 only
    record_id: int | None  # 申辩: the record contested, its kind and issuer
    record_kind: str | None
    issuer_id: int | None
    kind: str | None  # 复核: an AppealKind value and the period
    period: str | None


async def open_requests(session: AsyncSession, *, unit_id: int) -> list[OpenRequest]:
    """The unit's open 申辩 and 复核 in one query (UNION ALL), the earliest deadline
    first, then by filing; who may see which is the caller's (core.appeals)."""
    objections = (
        sa.select(
            sa.literal("objection", sa.String).label("source"),
            col(Objection.id).label("item_id"),
            col(Objection.person_id).label("person_id"),
            col(Objection.filed_at).label("filed_at"),
            sa.cast(sa.null(), sa.Date).label("decide_by"),
            col(Record.id).label("record_id"),
            col(Record.kind).label("record_kind"),
            col(Record.issuer_id).label("issuer_id"),
            sa.cast(sa.null(), sa.String).label("kind"),
            sa.cast(sa.null(), sa.String).label("period"),
        )
        .join(Record, col(Record.id) == col(Objection.record_id))
        .where(Objection.unit_id == unit_id, Objection.status == "open")
    )
    appeals = sa.select(
        sa.literal("appeal", sa.String),
        col(Appeal.id),
        col(Appeal.person_id),
        col(Appeal.filed_at),
        col(Appeal.decide_by),
        sa.cast(sa.null(), sa.Integer),
        sa.cast(sa.null(), sa.String),
        sa.cast(sa.null(), sa.Integer),
        col(Appeal.kind),
        col(Appeal.period),
    ).where(Appeal.unit_id == unit_id, Appeal.status == AppealStatus.OPEN.value)
    both = sa.union_all(objections, appeals).subquery("open_requests")
    query = (
        sa.select(both, Person, Department.name)
        .join(Person, col(Person.id) == both.c.person_id)
        .outerjoin(Department, col(Department.id) == col(Person.department_id))
        .order_by(both.c.decide_by.is_(None), both.c.decide_by, both.c.filed_at, both.c.item_id)
    )
    return [
        OpenRequest(
            source=row.source,
            item_id=row.item_id,
            person=row.Person,
            department=row.name or "",
            filed_at=row.filed_at,
            decide_by=row.decide_by,
            record_id=row.record_id,
            record_kind=row.record_kind,
            issuer_id=row.issuer_id,
            kind=row.kind,
            period=row.period,
        )
        for row in (await session.exec(query)).all()
    ]


# ---- audit ----------------------------------------------------------------------------------


async def find_audit(
    session: AsyncSession,
    *,
    unit_id: int,
    actor: str,
    action: str,
    start: date | None,
    end: date | None,
    zone: ZoneInfo,
    limit: int = 200,
) -> tuple[list[AuditEntry], bool]:
    """Audit entries (newest first) by actor (a part of the name) and action, between local
    dates; and whether there were more than `limit`."""
    query = (
        select(AuditEntry)
        .where(or_(col(AuditEntry.unit_id) == unit_id, col(AuditEntry.unit_id).is_(None)))
        .order_by(col(AuditEntry.id).desc())
        .limit(limit + 1)
    )
    if actor:
        query = query.where(col(AuditEntry.actor).like(f"%{_escape(actor)}%", escape="\\"))
    if action:
        query = query.where(AuditEntry.action == action)
    if start is not None:
        query = query.where(col(AuditEntry.at) >= datetime.combine(start, time(), zone))
    if end is not None:
        after = datetime.combine(end + timedelta(days=1), time(), zone)
        query = query.where(col(AuditEntry.at) < after)
    rows = list((await session.exec(query)).all())
    return rows[:limit], len(rows) > limit


async def audit_actions(session: AsyncSession, *, unit_id: int) -> list[str]:
    """The actions the audit log holds, for the filter."""
    query = (
        select(AuditEntry.action)
        .where(or_(col(AuditEntry.unit_id) == unit_id, col(AuditEntry.unit_id).is_(None)))
        .group_by(AuditEntry.action)
        .order_by(AuditEntry.action)
    )
    return list((await session.exec(query)).all())


async def report_count(session: AsyncSession, *, unit_id: int) -> int:
    """How many reports the unit has (for the overview's footer)."""
    query = select(func.count()).select_from(Report).where(Report.unit_id == unit_id)
    return int((await session.exec(query)).one())
