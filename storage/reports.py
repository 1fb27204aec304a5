"""Reports, their items, reviews, 批复 and leave. Functions never commit; callers do."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.calendar import LeavePeriod
from core.reports import FilingStatus, ReportKind
from storage.db import dialect_insert
from storage.tables import (
    ChatGroup,
    Leave,
    Person,
    Report,
    ReportItem,
    ReportItemRevision,
    ReportReply,
    ReportReview,
    utcnow,
)


@dataclass(frozen=True, slots=True)
class Filed:
    """The outcome of filing one message."""

    report: Report
    item: ReportItem
    created: bool  # False: Telegram delivered this message before; nothing new stored
    count: int  # items in the report now


async def item_by_source(
    session: AsyncSession, *, chat_id: int, message_id: int
) -> ReportItem | None:
    """The item made from a given Telegram message."""
    query = select(ReportItem).where(
        ReportItem.source_chat_id == chat_id, ReportItem.source_message_id == message_id
    )
    return (await session.exec(query)).first()


async def item_by_echo(
    session: AsyncSession, *, chat_id: int, message_id: int
) -> ReportItem | None:
    """The item whose group echo (or acknowledgement with the 「已阅」 button) is this message.

    None for a batched echo of several reports: a reply to it cannot say which one."""
    query = select(ReportItem).where(
        ReportItem.echo_chat_id == chat_id, ReportItem.echo_message_id == message_id
    )
    items = list((await session.exec(query)).all())
    if len({item.report_id for item in items}) != 1:
        return None
    return items[0]


async def item_count(session: AsyncSession, *, report_id: int) -> int:
    """How many items a report has."""
    query = select(func.count()).where(ReportItem.report_id == report_id)
    return int((await session.exec(query)).one())


@dataclass(frozen=True, slots=True)
class Filing:
    """One message to file as an item of the person's report of `kind` for `day`."""

    person: Person
    kind: ReportKind
    day: date
    status: FilingStatus  # the report's, when this message creates it
    text: str
    source_chat_id: int
    source_message_id: int
    filed_at: datetime
    file_id: str | None = None
    file_kind: str | None = None


@cache
def _filing_statements(dialect: str) -> tuple[Any, Any, Any]:
    """The statements of `file_items` for a dialect, built once: the filing path runs them
    for every batch, and a reused statement skips SQLAlchemy's construction and cache-key
    work. Each takes a list of rows (one statement for the whole batch)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    upsert = insert(Report)
    upsert = upsert.on_conflict_do_update(
        index_elements=["person_id", "kind", "day"],
        set_={"updated_at": upsert.excluded.updated_at},
    ).returning(Report)
    counts = (
        select(ReportItem.report_id, func.count())
        .where(col(ReportItem.report_id).in_(bindparam("ids", expanding=True)))
        .group_by(col(ReportItem.report_id))
    )
    insert_items = (
        insert(ReportItem)
        .on_conflict_do_nothing(index_elements=["source_chat_id", "source_message_id"])
        .returning(ReportItem)
    )
    return upsert, counts, insert_items


async def file_items(session: AsyncSession, filings: list[Filing]) -> list[Filed]:
    """Add each message as the next item of its person's report for its day, creating
    the report if needed; the outcomes in the same order. A message stored before
    (Telegram delivered it again, or it is twice in this list) adds nothing: its outcome
    is the stored item, in its own report.

    Four statements for the whole batch, no savepoints: the items stored already for
    these messages, an upsert of the reports of the new ones (a new report's status is
    the one of its first filing), the reports' item counts, and an insert of the new
    items, numbered after the items their report has. The upsert locks the reports' rows,
    so on PostgreSQL a concurrent batch filing into the same report waits for this one
    and then counts its items; reports are upserted in key order (see `lock_reports`) so
    two batches cannot deadlock on them. Concurrent instances are settled by the unique
    keys.
    """
    if not filings:
        return []
    upsert, counts, insert_items = _filing_statements(session.get_bind().dialect.name)
    stored = await _items_by_sources(session, [_source(f) for f in filings])
    new: dict[tuple[int, int], Filing] = {}
    for filing in filings:
        if _source(filing) not in stored:
            new.setdefault(_source(filing), filing)
    first: dict[tuple[int, str, date], Filing] = {}
    last_at: dict[tuple[int, str, date], datetime] = {}
    for filing in new.values():
        key = _report_key(filing)
        first.setdefault(key, filing)
        last_at[key] = max(last_at.get(key, filing.filed_at), filing.filed_at)
    reports: dict[tuple[int, str, date], Report] = {}
    if first:
        rows = [
            {
                "unit_id": f.person.unit_id,
                "person_id": key[0],
                "kind": key[1],
                "day": key[2],
                "status": f.status.value,
                "filed_at": f.filed_at,
                "updated_at": last_at[key],
            }
            for key, f in sorted(first.items(), key=lambda pair: pair[0])
        ]
        options = {"populate_existing": True}
        result = await session.exec(upsert, params=rows, execution_options=options)  # type: ignore[call-overload]
        reports = {(r.person_id, r.kind, r.day): r for r in result.scalars().all()}
    ids = sorted({r.id for r in reports.values()} | {i.report_id for i in stored.values()})
    have = dict((await session.exec(counts, params={"ids": ids})).all())  # type: ignore[call-overload]
    rows = []
    for source, filing in new.items():
        report = reports[_report_key(filing)]
        have[report.id] = have.get(report.id, 0) + 1
        rows.append(
            {
                "report_id": report.id,
                "seq": have[report.id],
                "text": filing.text,
                "file_id": filing.file_id,
                "file_kind": filing.file_kind,
                "source_chat_id": source[0],
                "source_message_id": source[1],
                "created_at": filing.filed_at,
            }
        )
    if rows:
        result = await session.exec(insert_items, params=rows)  # type: ignore[call-overload]
        added = {(i.source_chat_id, i.source_message_id): i for i in result.scalars().all()}
    else:
        added = {}
    outcomes = []
    for filing in filings:
        source = _source(filing)
        item = added.pop(source, None)
        if item is not None:
            outcomes.append(Filed(reports[_report_key(filing)], item, True, item.seq))
            continue
        again = stored.get(source) or await item_by_source(
            session, chat_id=source[0], message_id=source[1]
        )  # stored meanwhile by another instance: numbers after it may skip one
        assert again is not None
        stored[source] = again
        report = await session.get(Report, again.report_id)
        assert report is not None
        count = have.get(again.report_id) or await item_count(session, report_id=report.id)
        outcomes.append(Filed(report, again, False, count))
    return outcomes


def _source(filing: Filing) -> tuple[int, int]:
    return filing.source_chat_id, filing.source_message_id


def _report_key(filing: Filing) -> tuple[int, str, date]:
    assert filing.person.id is not None
    return filing.person.id, filing.kind.value, filing.day


async def _items_by_sources(
    session: AsyncSession, sources: list[tuple[int, int]]
) -> dict[tuple[int, int], ReportItem]:
    """The items stored already for these (chat id, message id) pairs."""
    query = select(ReportItem).where(
        col(ReportItem.source_chat_id).in_(sorted({c for c, _ in sources})),
        col(ReportItem.source_message_id).in_(sorted({m for _, m in sources})),
    )
    wanted = set(sources)
    found = (await session.exec(query)).all()
    return {
        (i.source_chat_id, i.source_message_id): i
        for i in found
        if (i.source_chat_id, i.source_message_id) in wanted
    }


async def lock_reports(session: AsyncSession, *, report_ids: list[int]) -> dict[int, Report]:
    """The reports, locked for update (PostgreSQL) in the order a batch of filings locks
    them — person, kind, day — so a transaction changing several reports and a batch
    filing into them cannot wait for each other in a circle."""
    query = (
        select(Report)
        .where(col(Report.id).in_(report_ids))
        .order_by(col(Report.person_id), col(Report.kind), col(Report.day))
        .with_for_update(key_share=True)
    )
    return {r.id: r for r in (await session.exec(query)).all() if r.id is not None}


def edit_item(session: AsyncSession, *, item: ReportItem, text: str, at: datetime) -> bool:
    """Replace an item's text, keeping the previous one as a revision. False if unchanged."""
    if item.text == text:
        return False
    assert item.id is not None
    session.add(ReportItemRevision(item_id=item.id, text=item.text, replaced_at=at))
    item.text = text
    item.edited_at = at
    session.add(item)
    return True


async def revisions(session: AsyncSession, *, item_id: int) -> list[str]:
    """Earlier texts of an item, oldest first."""
    query = (
        select(ReportItemRevision.text)
        .where(ReportItemRevision.item_id == item_id)
        .order_by(col(ReportItemRevision.id))
    )
    return list((await session.exec(query)).all())


def set_echo(session: AsyncSession, *, item: ReportItem, chat_id: int, message_id: int) -> None:
    """Remember the group message that stands for the item."""
    item.echo_chat_id, item.echo_message_id = chat_id, message_id
    session.add(item)


async def add_review(session: AsyncSession, *, report: Report, leader_id: int) -> bool:
    """Record that a leader reviewed a report; False if they already had."""
    assert report.id is not None
    now = utcnow()
    insert = (
        dialect_insert(session, ReportReview)
        .values(report_id=report.id, leader_id=leader_id, at=now)
        .on_conflict_do_nothing(index_elements=["report_id", "leader_id"])
        .returning(ReportReview.id)
    )
    if (await session.exec(insert)).scalar_one_or_none() is None:  # type: ignore[call-overload]
        return False
    if report.reviewed_at is None:
        report.reviewed_at = now
        session.add(report)
    return True


async def reviewer_names(session: AsyncSession, *, report_id: int) -> list[str]:
    """Names of the leaders who reviewed a report, in order."""
    query = (
        select(Person.name)
        .join(ReportReview, col(ReportReview.leader_id) == Person.id)
        .where(ReportReview.report_id == report_id)
        .order_by(col(ReportReview.id))
    )
    return list((await session.exec(query)).all())


async def add_reply(
    session: AsyncSession,
    *,
    report: Report,
    leader_id: int,
    text: str,
    chat_id: int,
    message_id: int,
) -> bool:
    """Store a 批复; False when this message was stored before."""
    assert report.id is not None
    insert = (
        dialect_insert(session, ReportReply)
        .values(
            report_id=report.id,
            leader_id=leader_id,
            text=text,
            chat_id=chat_id,
            message_id=message_id,
            at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["chat_id", "message_id"])
        .returning(ReportReply.id)
    )
    return (await session.exec(insert)).scalar_one_or_none() is not None  # type: ignore[call-overload]


async def week_items(
    session: AsyncSession, *, person_id: int, start: date, end: date
) -> list[tuple[date, str]]:
    """The person's daily items in [start, end], in order."""
    query = (
        select(Report.day, ReportItem.text)
        .join(ReportItem, col(ReportItem.report_id) == Report.id)
        .where(
            Report.person_id == person_id,
            Report.kind == ReportKind.DAILY.value,
            col(Report.day).between(start, end),
        )
        .order_by(col(Report.day), col(ReportItem.seq))
    )
    return [(day, text) for day, text in (await session.exec(query)).all()]


async def group_of_department(session: AsyncSession, *, department_id: int) -> ChatGroup | None:
    """The group bound to a department."""
    query = select(ChatGroup).where(ChatGroup.department_id == department_id)
    return (await session.exec(query)).first()


async def filed_days(
    session: AsyncSession, *, person_ids: Iterable[int], start: date, end: date
) -> tuple[dict[tuple[int, date], FilingStatus], set[tuple[int, date]]]:
    """Daily reports in [start, end]: status per (person, day), and which were reviewed."""
    ids = list(person_ids)
    query = select(Report.person_id, Report.day, Report.status, Report.reviewed_at).where(
        col(Report.person_id).in_(ids),
        Report.kind == ReportKind.DAILY.value,
        col(Report.day).between(start, end),
    )
    statuses: dict[tuple[int, date], FilingStatus] = {}
    reviewed: set[tuple[int, date]] = set()
    for person_id, day, status, reviewed_at in (await session.exec(query)).all():
        statuses[(person_id, day)] = FilingStatus(status)
        if reviewed_at is not None:
            reviewed.add((person_id, day))
    return statuses, reviewed


# ---- leave ------------------------------------------------------------------------------


def add_leave(
    session: AsyncSession,
    *,
    person: Person,
    start: date,
    end: date,
    reason: str,
    by: Person,
) -> Leave:
    """Record a leave period (no commit)."""
    assert person.id is not None
    leave = Leave(person_id=person.id, start=start, end=end, reason=reason, created_by=by.id)
    session.add(leave)
    return leave


async def leaves(
    session: AsyncSession, *, person_ids: Iterable[int], start: date, end: date
) -> dict[int, list[LeavePeriod]]:
    """Active (not cancelled) leave overlapping [start, end], per person."""
    query = select(Leave.person_id, Leave.start, Leave.end).where(
        col(Leave.person_id).in_(list(person_ids)),
        col(Leave.cancelled_at).is_(None),
        Leave.start <= end,
        Leave.end >= start,
    )
    result: dict[int, list[LeavePeriod]] = defaultdict(list)
    for person_id, first, last in (await session.exec(query)).all():
        result[person_id].append(LeavePeriod(person_id, first, last))
    return dict(result)


async def leave_list(session: AsyncSession, *, person_id: int, since: date) -> list[Leave]:
    """A person's active leave ending on or after `since`."""
    query = (
        select(Leave)
        .where(
            Leave.person_id == person_id,
            col(Leave.cancelled_at).is_(None),
            Leave.end >= since,
        )
        .order_by(col(Leave.start))
    )
    return list((await session.exec(query)).all())


def cancel_leave(session: AsyncSession, *, leave: Leave, by: Person) -> None:
    """Cancel a leave period (kept, marked cancelled)."""
    leave.cancelled_at = utcnow()
    leave.cancelled_by = by.id
    session.add(leave)


async def echo_ids(session: AsyncSession, *, report_id: int) -> list[tuple[int, int]]:
    """(chat id, message id) of every group message standing for the report's items."""
    query = select(ReportItem.echo_chat_id, ReportItem.echo_message_id).where(
        ReportItem.report_id == report_id, col(ReportItem.echo_message_id).is_not(None)
    )
    return [
        (c, m) for c, m in (await session.exec(query)).all() if c is not None and m is not None
    ]


async def weekly_report(
    session: AsyncSession, *, person_id: int, start: date, end: date
) -> Report | None:
    """The person's weekly report due within [start, end]."""
    query = select(Report).where(
        Report.person_id == person_id,
        Report.kind == ReportKind.WEEKLY.value,
        col(Report.day).between(start, end),
    )
    return (await session.exec(query)).first()


@dataclass(frozen=True, slots=True)
class Feedback:
    """What the leaders did with one report: who marked it 已阅, and their 批复."""

    readers: list[str]
    replies: list[tuple[str, str]]  # (leader, text), in order


async def feedback(
    session: AsyncSession, *, person_id: int, start: date, end: date
) -> dict[tuple[str, date], Feedback]:
    """The person's reports in [start, end] that were read or answered, by (kind, day)."""
    reports = select(Report.id, Report.kind, Report.day).where(
        Report.person_id == person_id, col(Report.day).between(start, end)
    )
    keys = {rid: (kind, day) for rid, kind, day in (await session.exec(reports)).all()}
    if not keys:
        return {}
    readers: dict[int, list[str]] = defaultdict(list)
    read = (
        select(ReportReview.report_id, Person.name)
        .join(Person, col(Person.id) == ReportReview.leader_id)
        .where(col(ReportReview.report_id).in_(list(keys)))
        .order_by(col(ReportReview.id))
    )
    for rid, name in (await session.exec(read)).all():
        readers[rid].append(name)
    replies: dict[int, list[tuple[str, str]]] = defaultdict(list)
    answered = (
        select(ReportReply.report_id, Person.name, ReportReply.text)
        .join(Person, col(Person.id) == ReportReply.leader_id)
        .where(col(ReportReply.report_id).in_(list(keys)))
        .order_by(col(ReportReply.id))
    )
    for rid, name, text in (await session.exec(answered)).all():
        replies[rid].append((name, text))
    return {
        keys[rid]: Feedback(readers.get(rid, []), replies.get(rid, []))
        for rid in keys
        if rid in readers or rid in replies
    }
