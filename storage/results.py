"""Published quarter results (snapshots) and feedback talks. Functions never commit.

A quarter is published once: `publish` stores every person's result with the whole
breakdown as `kaohe score --json` shows it, so that what was published can be shown and
exported again even after records change. Talks belong to a published quarter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.appeals import AppealKind
from core.grades import Grade
from core.quarter import Quarter
from storage.audit import audit
from storage.db import dialect_insert
from storage.tables import FeedbackTalk, PublishedQuarter, PublishedResult


@dataclass(frozen=True, slots=True)
class Published:
    """A published quarter: its row and the people's results in published order."""

    quarter: PublishedQuarter
    people: tuple[dict[str, Any], ...]  # `kaohe score --json` people, plus explain / star

    @property
    def final(self) -> bool:
        """Whether the 公示 is over and the results are final."""
        return self.quarter.final_at is not None

    def person(self, person_id: int) -> dict[str, Any] | None:
        """One person's published result."""
        return next((p for p in self.people if p["person_id"] == person_id), None)


async def publish(
    session: AsyncSession,
    *,
    unit_id: int,
    quarter: Quarter,
    policy: str,
    start: date,
    end: date,
    data: dict[str, Any],
    people: Sequence[dict[str, Any]],
    now: datetime,
) -> tuple[PublishedQuarter, bool]:
    """Store the snapshot once; (the stored one, False) if the quarter was published before
    (by another instance, or an earlier run)."""
    insert = (
        dialect_insert(session, PublishedQuarter)
        .values(
            unit_id=unit_id,
            quarter=str(quarter),
            policy=policy,
            start=start,
            end=end,
            data=data,
            published_at=now,
        )
        .on_conflict_do_nothing(index_elements=["unit_id", "quarter"])
        .returning(PublishedQuarter.id)  # type: ignore[arg-type]
    )
    new_id = (await session.exec(insert)).scalar_one_or_none()  # type: ignore[call-overload]
    row = await published_quarter(session, unit_id=unit_id, quarter=quarter)
    assert row is not None and row.id is not None
    if new_id is None:
        return row, False
    for position, person in enumerate(people):
        session.add(
            PublishedResult(
                published_id=row.id,
                person_id=person["person_id"],
                department_id=person["department_id"],
                position=position,
                score=person["score"],
                rank=person["rank"],
                grade=person["grade"],
                data=person,
            )
        )
    audit(
        session,
        action="results_publish",
        unit_id=unit_id,
        actor="quarter_close",
        subject=str(quarter),
        detail={"people": len(people), "policy": policy},
    )
    return row, True


async def make_final(
    session: AsyncSession, *, unit_id: int, quarter: Quarter, now: datetime
) -> bool:
    """End the 公示 of a published quarter: its results are final. False if they already
    were (another instance, an earlier run) or the quarter was not published."""
    query = (
        update(PublishedQuarter)
        .where(
            col(PublishedQuarter.unit_id) == unit_id,
            col(PublishedQuarter.quarter) == str(quarter),
            col(PublishedQuarter.final_at).is_(None),
        )
        .values(final_at=now)
    )
    done = (await session.exec(query)).rowcount > 0  # type: ignore[call-overload,attr-defined]
    if done:
        audit(
            session,
            action="results_final",
            unit_id=unit_id,
            actor="results_final",
            subject=str(quarter),
        )
    return bool(done)


async def published_quarter(
    session: AsyncSession, *, unit_id: int, quarter: Quarter
) -> PublishedQuarter | None:
    """The published row of a quarter, if it was published."""
    query = select(PublishedQuarter).where(
        PublishedQuarter.unit_id == unit_id, PublishedQuarter.quarter == str(quarter)
    )
    return (await session.exec(query)).first()


async def published(session: AsyncSession, *, unit_id: int, quarter: Quarter) -> Published | None:
    """A published quarter with its people, or None if it was not published."""
    row = await published_quarter(session, unit_id=unit_id, quarter=quarter)
    if row is None:
        return None
    query = (
        select(PublishedResult.data)
        .where(PublishedResult.published_id == row.id)
        .order_by(col(PublishedResult.position))
    )
    people = tuple((await session.exec(query)).all())
    from storage.appeals import changes  # issue 19: a 复核 变更 is the current version

    changed = await changes(session, unit_id=unit_id, kind=AppealKind.QUARTER, period=str(quarter))
    if changed:
        people = tuple(
            _revised(p, changed[p["person_id"]]) if p["person_id"] in changed else p
            for p in people
        )
    return Published(row, people)


def _revised(person: dict[str, Any], changed: list[Any]) -> dict[str, Any]:
    """A published result as its latest 复核 变更 made it; the published row is kept."""
    from storage.appeals import revision_of

    last = changed[-1]
    out = dict(person)
    if last.new_score is not None:
        out["score"] = last.new_score
    if last.new_grade:
        grade = Grade(last.new_grade)
        out["grade"], out["grade_label"], out["undetermined"] = grade.value, grade.label, False
    out["revision"] = revision_of(changed)
    out["grade_reason"] = f"复核变更：{last.decision}（原公布 {person['grade_label']}）"
    score = f"{float(out['score']):.2f}"
    head = f"{out['name']}：{score}分，{out['grade_label']}（复核变更：{last.decision}）"
    lines = list(person.get("explain", []))
    out["explain"] = [head, *(["原公布：" + lines[0], *lines[1:]] if lines else [])]
    return out


async def latest_published(session: AsyncSession, *, unit_id: int) -> Published | None:
    """The most recently closed quarter that was published."""
    query = (
        select(PublishedQuarter.quarter)
        .where(PublishedQuarter.unit_id == unit_id)
        .order_by(col(PublishedQuarter.end).desc())
        .limit(1)
    )
    latest = (await session.exec(query)).first()
    if latest is None:
        return None
    return await published(session, unit_id=unit_id, quarter=Quarter.parse(latest))


# ---- feedback talks ----------------------------------------------------------------------


async def talks(session: AsyncSession, *, unit_id: int, quarter: Quarter) -> list[FeedbackTalk]:
    """The talks recorded for a quarter, oldest first."""
    query = (
        select(FeedbackTalk)
        .where(FeedbackTalk.unit_id == unit_id, FeedbackTalk.quarter == str(quarter))
        .order_by(col(FeedbackTalk.id))
    )
    return list((await session.exec(query)).all())


async def talk_of(
    session: AsyncSession, *, unit_id: int, quarter: Quarter, person_id: int
) -> FeedbackTalk | None:
    """The talk recorded with a person for a quarter, if any."""
    query = select(FeedbackTalk).where(
        FeedbackTalk.unit_id == unit_id,
        FeedbackTalk.quarter == str(quarter),
        FeedbackTalk.person_id == person_id,
    )
    return (await session.exec(query)).first()


async def add_talk(
    session: AsyncSession,
    *,
    unit_id: int,
    quarter: Quarter,
    person_id: int,
    leader_id: int,
    mandatory: bool,
    strengths: str,
    shortcomings: str,
    plan: str,
    now: datetime,
) -> FeedbackTalk | None:
    """Record a talk; None if one was already recorded with that person for the quarter."""
    insert = (
        dialect_insert(session, FeedbackTalk)
        .values(
            unit_id=unit_id,
            quarter=str(quarter),
            person_id=person_id,
            leader_id=leader_id,
            mandatory=mandatory,
            strengths=strengths,
            shortcomings=shortcomings,
            plan=plan,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["unit_id", "quarter", "person_id"])
        .returning(FeedbackTalk)
    )
    return (await session.exec(insert)).scalar_one_or_none()  # type: ignore[call-overload,no-any-return]
