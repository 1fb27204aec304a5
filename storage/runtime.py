"""Queries for running several instances on one database: who handles which Telegram
update, and a health check. Functions never commit; callers do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import delete, or_, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import UpdateClaim


@dataclass(frozen=True, slots=True)
class ClaimKey:
    """Which update an instance (`owner`) claims."""

    bot_id: int
    update_id: int
    owner: str


@cache
def _claim_statement(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING for a list of claims, built once."""
    table = UpdateClaim.__table__  # type: ignore[attr-defined]
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    return insert.on_conflict_do_nothing(index_elements=["bot_id", "update_id"]).returning(
        table.c.bot_id, table.c.update_id
    )


def _rows(keys: list[ClaimKey], now: datetime, due: bool = False) -> list[dict[str, object]]:
    ordered = sorted(keys, key=lambda k: (k.bot_id, k.update_id))  # one lock order
    return [
        {
            "bot_id": k.bot_id,
            "update_id": k.update_id,
            "owner": k.owner,
            "claimed_at": now,
            "answer_due": due,
        }
        for k in ordered
    ]


async def claim_updates(
    session: AsyncSession, keys: list[ClaimKey], *, now: datetime, answer_due: bool = False
) -> set[tuple[int, int]]:
    """Claim updates in the session's transaction; the (bot id, update id) pairs claimed
    here (the others were claimed before). `answer_due`: what the transaction stores is
    owed an answer (a report's 「已记录」) until `answered` says it went out.

    A claim commits with whatever the transaction stores, and vanishes with a rollback (a
    failure, a crash). A concurrent claim of the same update waits for that transaction:
    it is refused once the first commits, granted if the first rolled back.
    """
    if not keys:
        return set()
    statement = _claim_statement(session.get_bind().dialect.name)
    rows = _rows(keys, now, answer_due)
    result = await session.exec(statement, params=rows)  # type: ignore[call-overload]
    return {(bot_id, update_id) for bot_id, update_id in result.all()}


async def claimed(session: AsyncSession, *, bot_id: int, update_ids: list[int]) -> set[int]:
    """Which of these updates are claimed already (handled, or being handled)."""
    if not update_ids:
        return set()
    query = select(UpdateClaim.update_id).where(
        UpdateClaim.bot_id == bot_id, col(UpdateClaim.update_id).in_(update_ids)
    )
    return set((await session.exec(query)).all())


async def claim_states(
    session: AsyncSession, *, bot_id: int, update_ids: list[int]
) -> dict[int, bool]:
    """The updates claimed already, each with whether its answer is still due (stored,
    but the process stopped before it said so)."""
    if not update_ids:
        return {}
    query = select(UpdateClaim.update_id, UpdateClaim.answer_due).where(
        UpdateClaim.bot_id == bot_id, col(UpdateClaim.update_id).in_(update_ids)
    )
    return dict((await session.exec(query)).all())


async def expect_answer(session: AsyncSession, key: ClaimKey) -> None:
    """Mark a claim taken in this transaction as owed an answer (see `claim_updates`)."""
    await session.exec(
        update(UpdateClaim)  # type: ignore[call-overload]
        .where(col(UpdateClaim.bot_id) == key.bot_id, col(UpdateClaim.update_id) == key.update_id)
        .values(answer_due=True)
    )


async def take_answer(
    session: AsyncSession, key: ClaimKey, *, now: datetime, grace: float
) -> float | None:
    """Take over the answer still due for a stored update: None when `key.owner` may send
    it — it owns the claim, or the owner took it more than `grace` seconds ago (so it
    died before answering) — else the seconds until it may. Taking it makes `key.owner`
    the owner, so of two instances seeing a redelivery at once only one answers."""
    here = (col(UpdateClaim.bot_id) == key.bot_id, col(UpdateClaim.update_id) == key.update_id)
    stale = now - timedelta(seconds=grace)
    result = await session.exec(
        update(UpdateClaim)  # type: ignore[call-overload]
        .where(
            *here,
            col(UpdateClaim.answer_due).is_(True),
            or_(col(UpdateClaim.owner) == key.owner, col(UpdateClaim.claimed_at) < stale),
        )
        .values(owner=key.owner, claimed_at=now)
    )
    if result.rowcount:
        return None
    since = (await session.exec(select(UpdateClaim.claimed_at).where(*here))).first()
    if since is None:
        return 0.0
    return max((since - stale).total_seconds(), 0.0)


async def answered(session: AsyncSession, keys: list[ClaimKey]) -> None:
    """These updates' answers went out: a redelivery is skipped again."""
    for bot_id in sorted({k.bot_id for k in keys}):
        ids = sorted({k.update_id for k in keys if k.bot_id == bot_id})
        await session.exec(
            update(UpdateClaim)  # type: ignore[call-overload]
            .where(col(UpdateClaim.bot_id) == bot_id, col(UpdateClaim.update_id).in_(ids))
            .values(answer_due=False)
        )


def claim_on(connection: Connection, key: ClaimKey, *, now: datetime) -> bool:
    """Claim one update on a connection, from synchronous code (a session event hook):
    True unless it is claimed."""
    statement = _claim_statement(connection.dialect.name)
    return connection.execute(statement, _rows([key], now)[0]).first() is not None


async def release_updates(session: AsyncSession, keys: list[ClaimKey]) -> None:
    """Forget these owners' claims of updates whose handling failed after they committed:
    a redelivery is handled afresh (what it stored is keyed by message, so kept once)."""
    for key in keys:
        await session.exec(
            delete(UpdateClaim).where(  # type: ignore[call-overload]
                col(UpdateClaim.bot_id) == key.bot_id,
                col(UpdateClaim.update_id) == key.update_id,
                col(UpdateClaim.owner) == key.owner,
            )
        )


async def prune_updates(session: AsyncSession, *, before: datetime) -> None:
    """Forget claims older than `before` (Telegram keeps an update 24 hours at most)."""
    await session.exec(delete(UpdateClaim).where(col(UpdateClaim.claimed_at) < before))  # type: ignore[call-overload]


async def ping(session: AsyncSession) -> None:
    """A round trip to the database (raises when it is unreachable)."""
    await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
