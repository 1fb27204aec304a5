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


@cache
def _filing_statements(dialect: str) -> tuple[Any, Any]:
    """The two statements of `file_item` for a dialect, built once: the filing path runs
    them for every report, and a reused statement skips SQLAlchemy's construction and
    cache-key work (half the Python cost of a statement this size)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    filed_at = bindparam("filed_at")
    upsert = (
        insert(Report)
        .values(
            unit_id=bindparam("unit_id"),
            person_id=bindparam("person_id"),
            kind=bindparam("kind"),
            day=bindparam("day"),
            status=bindparam("status"),
            filed_at=filed_at,
            updated_at=filed_at,
        )
        .on_conflict_do_update(
            index_elements=["person_id", "kind", "day"], set_={"updated_at": filed_at}
        )
        .returning(Report)
        .execution_options(populate_existing=True)
    )
    report_id = bindparam("report_id")
    next_seq = select(func.count() + 1).where(ReportItem.report_id == report_id).scalar_subquery()
    insert_item = (
        insert(ReportItem)
        .values(
            report_id=report_id,
            seq=next_seq,
            text=bindparam("text"),
            file_id=bindparam("file_id"),
            file_kind=bindparam("file_kind"),
            source_chat_id=bindparam("source_chat_id"),
            source_message_id=bindparam("source_message_id"),
            created_at=bindparam("created_at"),
        )
        .on_conflict_do_nothing(index_elements=["source_chat_id", "source_message_id"])
        .returning(ReportItem)
    )
    return upsert, insert_item


async def file_item(
    session: AsyncSession,
    *,
    person: Person,
    kind: ReportKind,
    day: date,
    status: FilingStatus,
    text: str,
    source_chat_id: int,
    source_message_id: int,
    filed_at: datetime,
    file_id: str | None = None,
    file_kind: str | None = None,
) -> Filed:
    """Add one item to the person's report for `day`, creating the report if needed.

    Two statements, no savepoints: an upsert of the report (its status is the one of the
    first filing) and an insert of the item that does nothing when Telegram delivered the
    same message before. Concurrent instances are settled by the unique keys.
    """
    assert person.id is not None
    upsert, insert_item = _filing_statements(session.get_bind().dialect.name)
    values = {
        "unit_id": person.unit_id,
        "person_id": person.id,
        "kind": kind.value,
        "day": day,
        "status": status.value,
        "filed_at": filed_at,
    }
    report = (await session.exec(upsert, params=values)).scalar_one()  # type: ignore[call-overload]
    item_values = {
        "report_id": report.id,
        "text": text,
        "file_id": file_id,
        "file_kind": file_kind,
        "source_chat_id": source_chat_id,
        "source_message_id": source_message_id,
        "created_at": filed_at,
    }
    item = (await session.exec(insert_item, params=item_values)).scalar_one_or_none()  # type: ignore[call-overload]
    if item is None:  # the same message again: nothing new
        again = await item_by_source(session, chat_id=source_chat_id, message_id=source_message_id)
        assert again is not None
        count = await item_count(session, report_id=again.report_id)
        return Filed(report, again, False, count)
    return Filed(report, item, True, item.seq)


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
