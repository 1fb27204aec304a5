"""Likes, errors and the other scored records. Functions never commit; callers do."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.records import Decision, RecordKind
from storage.audit import audit
from storage.db import dialect_insert
from storage.tables import Person, Record, stamped_now


async def add_record(
    session: AsyncSession,
    *,
    decision: Decision,
    unit_id: int,
    report_id: int | None,
    source_chat_id: int | None,
    source_message_id: int | None,
    created_at: datetime,
) -> tuple[Record, bool]:
    """Store a like or error; (record, False) when Telegram delivered the command before."""
    insert = (
        dialect_insert(session, Record)
        .values(
            unit_id=unit_id,
            person_id=decision.person_id,
            kind=decision.kind.value,
            points=decision.points,
            severity=decision.severity.value if decision.severity else None,
            reason=decision.reason,
            day=decision.day,
            issuer_id=decision.issuer_id,
            report_id=report_id,
            source_chat_id=source_chat_id,
            source_message_id=source_message_id,
            created_at=created_at,
        )
        .on_conflict_do_nothing(index_elements=["source_chat_id", "source_message_id"])
        .returning(Record)
    )
    record = (await session.exec(insert)).scalar_one_or_none()  # type: ignore[call-overload]
    if record is not None:
        return record, True
    query = select(Record).where(
        Record.source_chat_id == source_chat_id, Record.source_message_id == source_message_id
    )
    return (await session.exec(query)).one(), False


async def issued_on(session: AsyncSession, *, issuer_id: int, day: date) -> int:
    """Likes and errors a leader issued on a day (undone ones count: the cap is on actions)."""
    query = select(func.count()).where(
        Record.issuer_id == issuer_id,
        Record.day == day,
        col(Record.kind).in_([RecordKind.LIKE.value, RecordKind.ERROR.value]),
    )
    return int((await session.exec(query)).one())


async def liked_on(session: AsyncSession, *, issuer_id: int, person_id: int, day: date) -> bool:
    """Whether the leader already liked the person that day (and did not undo it)."""
    query = select(Record.id).where(
        Record.issuer_id == issuer_id,
        Record.person_id == person_id,
        Record.day == day,
        Record.kind == RecordKind.LIKE.value,
        col(Record.voided_at).is_(None),
    )
    return (await session.exec(query)).first() is not None


def set_confirm(session: AsyncSession, *, record: Record, chat_id: int, message_id: int) -> None:
    """Remember the bot's confirmation, so a reply to it can undo the record."""
    record.confirm_chat_id, record.confirm_message_id = chat_id, message_id
    session.add(record)


async def record_by_confirm(
    session: AsyncSession, *, chat_id: int, message_id: int
) -> Record | None:
    """The record a bot confirmation stands for."""
    query = select(Record).where(
        Record.confirm_chat_id == chat_id, Record.confirm_message_id == message_id
    )
    return (await session.exec(query)).first()


async def latest_by_issuer(session: AsyncSession, *, issuer_id: int) -> Record | None:
    """The issuer's newest like or error that is not undone."""
    query = (
        select(Record)
        .where(Record.issuer_id == issuer_id, col(Record.voided_at).is_(None))
        .where(col(Record.kind).in_([RecordKind.LIKE.value, RecordKind.ERROR.value]))
        .order_by(col(Record.created_at).desc(), col(Record.id).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


def void_record(
    session: AsyncSession, *, record: Record, by: Person, reason: str, action: str
) -> None:
    """Reverse a record (undo or admin void): kept, marked void, audited."""
    record.voided_at = stamped_now()
    record.voided_by = by.id
    record.void_reason = reason[:255]
    session.add(record)
    audit(
        session,
        action=action,
        unit_id=record.unit_id,
        actor_person_id=by.id,
        actor=by.name,
        subject=str(record.id),
        detail={
            "record_id": record.id,
            "person_id": record.person_id,
            "kind": record.kind,
            "points": record.points,
            "reason": reason,
        },
    )


async def records_of(
    session: AsyncSession, *, person_id: int, start: date, end: date
) -> list[tuple[Record, str | None]]:
    """A person's records in [start, end] with the issuer's name, newest first."""
    issuer = Person.__table__.alias("issuer")  # type: ignore[attr-defined]
    query = (
        select(Record, issuer.c.name)
        .outerjoin(issuer, issuer.c.id == Record.issuer_id)
        .where(Record.person_id == person_id, col(Record.day).between(start, end))
        .order_by(col(Record.day).desc(), col(Record.id).desc())
    )
    return [(record, name) for record, name in (await session.exec(query)).all()]


async def record_by_source(
    session: AsyncSession, *, chat_id: int, message_id: int
) -> Record | None:
    """The record made from a given command message."""
    query = select(Record).where(
        Record.source_chat_id == chat_id, Record.source_message_id == message_id
    )
    return (await session.exec(query)).first()
