"""Queries for running several instances on one database: who handles which Telegram
update, and a health check. Functions never commit; callers do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, text
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import dialect_insert
from storage.tables import UpdateClaim


async def claim_update(
    session: AsyncSession, *, bot_id: int, update_id: int, owner: str, now: datetime
) -> bool:
    """Claim update `update_id` in the session's transaction: True unless it is claimed.

    The claim commits with whatever the handler commits, and vanishes with a rollback (a
    failure, a crash). A concurrent claim of the same update waits for that transaction:
    it gets False once the first commits, True if the first rolled back.
    """
    insert = (
        dialect_insert(session, UpdateClaim)
        .values(bot_id=bot_id, update_id=update_id, owner=owner, claimed_at=now)
        .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
        .returning(UpdateClaim.update_id)
    )
    return (await session.exec(insert)).scalar_one_or_none() is not None  # type: ignore[call-overload]


async def release_update(
    session: AsyncSession, *, bot_id: int, update_id: int, owner: str
) -> None:
    """Forget this owner's claim of an update whose handling failed after it committed:
    a redelivery is handled afresh (what it stored is keyed by message, so kept once)."""
    await session.exec(
        delete(UpdateClaim).where(  # type: ignore[call-overload]
            col(UpdateClaim.bot_id) == bot_id,
            col(UpdateClaim.update_id) == update_id,
            col(UpdateClaim.owner) == owner,
        )
    )


async def prune_updates(session: AsyncSession, *, before: datetime) -> None:
    """Forget claims older than `before` (Telegram keeps an update 24 hours at most)."""
    await session.exec(delete(UpdateClaim).where(col(UpdateClaim.claimed_at) < before))  # type: ignore[call-overload]


async def ping(session: AsyncSession) -> None:
    """A round trip to the database (raises when it is unreachable)."""
    await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
