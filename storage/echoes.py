"""Batched echoes at peak (issue 10): a per-group queue, batches, and a shared budget of
direct echoes per group and minute. Functions never commit; callers do."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import EchoBatch, EchoBudget, EchoQueue, Person, Report, ReportItem


def _minute(at: datetime) -> datetime:
    """The clock minute of `at`, in UTC (budgets are kept per minute)."""
    return at.replace(second=0, microsecond=0).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class EchoWanted:
    """An item whose echo should go to group `chat_id`, filed at `at`."""

    item_id: int
    chat_id: int
    at: datetime


@cache
def _queue_statements(dialect: str) -> tuple[Any, Any, Any]:
    """The statements of `queue_echoes` for a dialect, built once (they run for every
    batch of filings at peak); the last two take a list of rows."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    queue = EchoQueue.__table__  # type: ignore[attr-defined]  # Core: plain rows
    waiting = (
        select(queue.c.chat_id)
        .where(queue.c.chat_id.in_(bindparam("chats", expanding=True)))
        .distinct()
    )
    table = EchoBudget.__table__  # type: ignore[attr-defined]
    budget = insert(table)
    budget = budget.on_conflict_do_update(
        index_elements=["chat_id", "minute"], set_={"sent": table.c.sent + budget.excluded.sent}
    ).returning(table.c.chat_id, table.c.minute, table.c.sent)
    enqueue = insert(queue).on_conflict_do_nothing(index_elements=["item_id"])
    return waiting, budget, enqueue


async def unit_load(session: AsyncSession, *, at: datetime) -> int:
    """How busy echoing is across all groups: echoes asked for directly in this clock
    minute and the one before, plus echoes waiting in any queue (issue 21)."""
    minute = _minute(at)
    window = col(EchoBudget.minute).between(minute - timedelta(minutes=1), minute)
    asked = (await session.exec(select(func.sum(EchoBudget.sent)).where(window))).one()
    waiting = (await session.exec(select(func.count()).select_from(EchoQueue))).one()
    return int(asked or 0) + int(waiting or 0)


async def queue_echoes(
    session: AsyncSession, wanted: list[EchoWanted], *, limit: int, peak: int | None = None
) -> list[bool]:
    """Decide, and record, for each echo in order whether it waits for its group's next
    batch (True: queued) or may be posted now (False: one of the group's `limit` direct
    echoes in the item's clock minute, counted here).

    Behind echoes already waiting for a group, new ones queue too, in order. Three
    statements for any number of echoes; the budget is one upsert per group and minute,
    so instances sharing the database share it. An item queued already stays queued.

    At the peak — `unit_load` at least `peak` — every echo queues: the groups then get
    their echoes in batches only, a few messages each instead of one per report.
    """
    if not wanted:
        return []
    waiting, budget, enqueue = _queue_statements(session.get_bind().dialect.name)
    chats = sorted({w.chat_id for w in wanted})
    busy = set((await session.exec(waiting, params={"chats": chats})).all())  # type: ignore[call-overload]
    if peak is not None and await unit_load(session, at=wanted[0].at) >= peak:
        busy.update(chats)
    asks = Counter((w.chat_id, _minute(w.at)) for w in wanted if w.chat_id not in busy)
    left: dict[tuple[int, datetime], int] = {}
    if asks:
        rows = [{"chat_id": c, "minute": m, "sent": n} for (c, m), n in sorted(asks.items())]
        for chat_id, minute, sent in (await session.exec(budget, params=rows)).all():  # type: ignore[call-overload]
            key = (chat_id, minute.astimezone(UTC))
            left[key] = limit - (sent - asks[key])
    queued = []
    for w in wanted:
        key = (w.chat_id, _minute(w.at))
        if w.chat_id in busy or left[key] <= 0:
            busy.add(w.chat_id)  # the ones after it in this batch queue behind it
            queued.append(True)
        else:
            left[key] -= 1
            queued.append(False)
    rows = [
        {"item_id": w.item_id, "chat_id": w.chat_id, "queued_at": w.at}
        for w, wait in zip(wanted, queued, strict=True)
        if wait
    ]
    if rows:
        await session.exec(enqueue, params=rows)  # type: ignore[call-overload]
    return queued


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
