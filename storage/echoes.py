"""Batched echoes at peak (issue 10): a per-group queue, batches, and a shared budget of
direct echoes per group and minute. Functions never commit; callers do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import dialect_insert
from storage.tables import EchoBatch, EchoBudget, EchoQueue, Person, Report, ReportItem


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


async def take_slot(session: AsyncSession, *, chat_id: int, at: datetime, limit: int) -> bool:
    """Count one direct echo to the group in `at`'s clock minute; False beyond `limit`.

    One upsert, so instances sharing the database share the budget."""
    upsert = (
        dialect_insert(session, EchoBudget)
        .values(chat_id=chat_id, minute=_minute(at), sent=1)
        .on_conflict_do_update(
            index_elements=["chat_id", "minute"], set_={"sent": EchoBudget.sent + 1}
        )
        .returning(EchoBudget.sent)
    )
    sent = (await session.exec(upsert)).scalar_one()  # type: ignore[call-overload]
    return int(sent) <= limit


async def has_queue(session: AsyncSession, *, chat_id: int) -> bool:
    """Whether echoes wait for the group (new ones then queue behind them, in order)."""
    query = select(EchoQueue.item_id).where(EchoQueue.chat_id == chat_id).limit(1)
    return (await session.exec(query)).first() is not None


@cache
def _enqueue_if_waiting(dialect: str) -> Any:
    """The statement of `enqueue_if_waiting` for a dialect, built once (it runs for every
    filing at peak)."""
    columns = EchoQueue.__table__.c  # type: ignore[attr-defined]
    chat_id = bindparam("chat_id", type_=columns.chat_id.type)  # BIGINT: ids exceed 32 bits
    waiting = select(EchoQueue.item_id).where(EchoQueue.chat_id == chat_id).exists()
    row = select(
        bindparam("item_id", type_=columns.item_id.type),
        chat_id,
        bindparam("at", type_=columns.queued_at.type),
    ).where(waiting)
    table = EchoQueue.__table__  # type: ignore[attr-defined]  # Core: params are one row
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    return (
        insert.from_select(["item_id", "chat_id", "queued_at"], row)
        .on_conflict_do_update(
            index_elements=["item_id"], set_={"item_id": insert.excluded.item_id}
        )
        .returning(table.c.item_id)
    )


async def enqueue_if_waiting(
    session: AsyncSession, *, item_id: int, chat_id: int, at: datetime
) -> bool:
    """Queue an item's echo behind the group's waiting ones, in one statement; False (and
    nothing stored) when nothing waits for the group. True too when the item is queued
    already."""
    insert = _enqueue_if_waiting(session.get_bind().dialect.name)
    params = {"item_id": item_id, "chat_id": chat_id, "at": at}
    return (await session.exec(insert, params=params)).first() is not None  # type: ignore[call-overload]


async def enqueue(session: AsyncSession, *, item_id: int, chat_id: int, at: datetime) -> None:
    """Queue an item's echo (nothing if it is queued already)."""
    insert = (
        dialect_insert(session, EchoQueue)
        .values(item_id=item_id, chat_id=chat_id, queued_at=at)
        .on_conflict_do_nothing(index_elements=["item_id"])
    )
    await session.exec(insert)  # type: ignore[call-overload]


async def waiting_chats(session: AsyncSession, *, stale: datetime) -> list[int]:
    """Groups with queued echoes nobody is flushing (or whose flusher went quiet)."""
    query = (
        select(EchoQueue.chat_id)
        .where(col(EchoQueue.owner).is_(None) | (col(EchoQueue.claimed_at) < stale))
        .distinct()
    )
    return list((await session.exec(query)).all())


async def claim(
    session: AsyncSession, *, chat_id: int, owner: str, at: datetime, stale: datetime, limit: int
) -> list[int]:
    """Take up to `limit` of the group's oldest free queued items for `owner`; their ids.

    The free-row condition is repeated in the UPDATE itself, so on PostgreSQL a row that
    another instance claimed meanwhile is re-checked and skipped."""
    free = col(EchoQueue.owner).is_(None) | (col(EchoQueue.claimed_at) < stale)
    oldest = (
        select(EchoQueue.item_id)
        .where(EchoQueue.chat_id == chat_id, free)
        .order_by(col(EchoQueue.queued_at), col(EchoQueue.item_id))
        .limit(limit)
    )
    await session.exec(  # type: ignore[call-overload]
        update(EchoQueue)
        .where(col(EchoQueue.item_id).in_(oldest.scalar_subquery()), free)
        .values(owner=owner, claimed_at=at)
    )
    mine = (
        select(EchoQueue.item_id)
        .where(EchoQueue.chat_id == chat_id, EchoQueue.owner == owner, EchoQueue.claimed_at == at)
        .order_by(col(EchoQueue.queued_at), col(EchoQueue.item_id))
    )
    return list((await session.exec(mine)).all())


async def release(session: AsyncSession, *, item_ids: list[int]) -> None:
    """Give claimed items back to the queue (they did not fit, or the send failed)."""
    if item_ids:
        await session.exec(  # type: ignore[call-overload]
            update(EchoQueue)
            .where(col(EchoQueue.item_id).in_(item_ids))
            .values(owner=None, claimed_at=None)
        )


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a batch, with what its line and button show."""

    item_id: int
    report_id: int
    name: str
    day: date
    kind: str
    status: str
    seq: int
    text: str
    reviewed: bool


async def entries(session: AsyncSession, *, item_ids: list[int]) -> list[Entry]:
    """The items, in the order given (missing ones left out)."""
    query = (
        select(ReportItem, Report, Person.name)
        .join(Report, col(Report.id) == ReportItem.report_id)
        .join(Person, col(Person.id) == Report.person_id)
        .where(col(ReportItem.id).in_(item_ids))
    )
    found: dict[int, Entry] = {}
    for item, report, name in (await session.exec(query)).all():
        assert item.id is not None and report.id is not None
        found[item.id] = Entry(
            item.id, report.id, name, report.day, report.kind, report.status,
            item.seq, item.text, report.reviewed_at is not None,
        )  # fmt: skip
    return [found[i] for i in item_ids if i in found]


async def record_batch(
    session: AsyncSession, *, chat_id: int, message_id: int, item_ids: list[int], at: datetime
) -> EchoBatch:
    """The batch message is sent: remember it, point the items' echoes at it, dequeue."""
    batch = EchoBatch(chat_id=chat_id, message_id=message_id, item_ids=item_ids, sent_at=at)
    session.add(batch)
    await session.exec(  # type: ignore[call-overload]
        update(ReportItem)
        .where(col(ReportItem.id).in_(item_ids))
        .values(echo_chat_id=chat_id, echo_message_id=message_id)
    )
    await session.exec(  # type: ignore[call-overload]
        delete(EchoQueue).where(col(EchoQueue.item_id).in_(item_ids))
    )
    await session.flush()
    return batch


async def batch_at(session: AsyncSession, *, chat_id: int, message_id: int) -> EchoBatch | None:
    """The batch a group message stands for, if it is one."""
    query = select(EchoBatch).where(
        EchoBatch.chat_id == chat_id, EchoBatch.message_id == message_id
    )
    return (await session.exec(query)).first()


async def prune_budget(session: AsyncSession, *, before: datetime) -> None:
    """Forget budget minutes older than `before`."""
    await session.exec(  # type: ignore[call-overload]
        delete(EchoBudget).where(col(EchoBudget.minute) < before)
    )


def minute_ago(at: datetime) -> datetime:
    """Where budget rows stop mattering."""
    return _minute(at) - timedelta(minutes=2)
