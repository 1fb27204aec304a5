"""多主体评价: rating requests and answers. Functions never commit; callers do.

A `Rating` row is created when the rating is requested (score NULL) and filled when the
rater answers; answering again inside the window replaces the score. Means for the
scoring core are one `AVG/COUNT … GROUP BY ratee, kind` over the answered rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.facts import RatingMean
from core.policy import RaterKind
from core.quarter import Quarter
from core.ratings import Assignment
from storage.db import dialect_insert
from storage.tables import Rating, SentMessage

CHUNK = 500  # rows per INSERT (SQLite allows 32766 bound parameters)


async def ensure_requests(
    session: AsyncSession,
    *,
    unit_id: int,
    quarter: Quarter,
    assignments: Sequence[Assignment],
    now: datetime,
) -> None:
    """Create the rows of the ratings asked for (those already there are left alone)."""
    rows = [
        {
            "unit_id": unit_id,
            "quarter": str(quarter),
            "rater_id": a.rater_id,
            "ratee_id": a.ratee_id,
            "kind": a.kind.value,
            "requested_at": now,
        }
        for a in assignments
    ]
    for start in range(0, len(rows), CHUNK):
        insert = (
            dialect_insert(session, Rating)
            .values(rows[start : start + CHUNK])
            .on_conflict_do_nothing(index_elements=["quarter", "rater_id", "ratee_id", "kind"])
        )
        await session.exec(insert)  # type: ignore[call-overload]


async def requests_of(
    session: AsyncSession, *, unit_id: int, quarter: Quarter, rater_id: int | None = None
) -> list[Rating]:
    """The quarter's rating rows (of one rater), in the order they were asked for."""
    query = select(Rating).where(Rating.unit_id == unit_id, Rating.quarter == str(quarter))
    if rater_id is not None:
        query = query.where(Rating.rater_id == rater_id)
    return list((await session.exec(query.order_by(col(Rating.id)))).all())


async def answer(session: AsyncSession, *, rating: Rating, score: float, now: datetime) -> None:
    """Store (or replace) the rater's score."""
    rating.score = score
    rating.answered_at = now
    session.add(rating)
    await session.flush()


async def rating_for_prompt(
    session: AsyncSession, *, chat_id: int, message_id: int, jobs: Sequence[str]
) -> Rating | None:
    """The rating a request message asked for: one shown by /ratings, or one sent by a
    scheduled job of `jobs` (its sent_message target is `rating:<id>`)."""
    query = select(Rating).where(
        Rating.prompt_chat_id == chat_id, Rating.prompt_message_id == message_id
    )
    found = (await session.exec(query)).first()
    if found is not None:
        return found
    sent = select(SentMessage.target).where(
        SentMessage.chat_id == chat_id,
        SentMessage.message_id == message_id,
        col(SentMessage.job).in_(list(jobs)),
    )
    target = (await session.exec(sent)).first()
    if target is None or not target.startswith("rating:"):
        return None
    rating_id = target.split(":", 1)[1]
    return await session.get(Rating, int(rating_id)) if rating_id.isdigit() else None


async def rating_means(
    session: AsyncSession, *, unit_id: int, quarter: Quarter, answered_by: datetime | None = None
) -> list[RatingMean]:
    """Per (ratee, kind): the mean answered score and how many answered (facts for the
    scoring core). Unanswered requests do not count, nor (with `answered_by`) answers
    given after that moment. A rating answered again later keeps only its latest answer,
    so an as-of view before a re-answer misses that rating."""
    query = select(
        Rating.ratee_id, Rating.kind, func.avg(Rating.score), func.count(Rating.score)
    ).where(
        Rating.unit_id == unit_id,
        Rating.quarter == str(quarter),
        col(Rating.score).is_not(None),
    )
    if answered_by is not None:
        query = query.where(col(Rating.answered_at) <= answered_by)
    query = query.group_by(Rating.ratee_id, Rating.kind)
    known = {kind.value for kind in RaterKind}
    return [
        RatingMean(ratee_id, RaterKind(kind), float(mean), int(count))
        for ratee_id, kind, mean, count in (await session.exec(query)).all()
        if kind in known and count
    ]
