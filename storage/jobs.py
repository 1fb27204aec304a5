"""Queries for the scheduled jobs: their inputs, the idempotency record of sent messages,
job leases and unreachable people. Functions never commit; callers do."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

import core.people as cp
from core.jobs import RecordFact
from core.reports import ReportKind
from storage.audit import audit
from storage.tables import (
    ChatGroup,
    Department,
    JobRun,
    Person,
    Record,
    Report,
    ReportItem,
    SentMessage,
    Unreachable,
)

Key = tuple[str, date, str]  # (job, day, target)


def _insert(session: AsyncSession, table: type[Any]) -> Any:
    """An INSERT that can say ON CONFLICT, for the database in use."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


# ---- inputs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Staff:
    """The unit's active people: the core's view plus what the shell needs to reach them."""

    people: list[cp.Person]
    rows: dict[int, Person]
    departments: dict[int, str]  # id → name, in roster order
    namesakes: frozenset[str] = frozenset()  # names two or more active people share


async def staff(session: AsyncSession, *, unit_id: int) -> Staff:
    """Active people of the unit (roster order) and the department names."""
    query = (
        select(Person)
        .where(Person.unit_id == unit_id, col(Person.active).is_(True))
        .order_by(col(Person.roster_order), col(Person.id))
    )
    rows = list((await session.exec(query)).all())
    people = [
        cp.Person(
            id=p.id or 0,
            name=p.name,
            department_id=p.department_id,
            category=p.category,
            roles=cp.decode_roles(p.roles),
        )
        for p in rows
    ]
    names = await session.exec(
        select(Department.id, Department.name)
        .where(Department.unit_id == unit_id)
        .order_by(col(Department.sort_order), col(Department.id))
    )
    departments = {dept_id: name for dept_id, name in names.all() if dept_id is not None}
    counts = Counter(p.name for p in rows)
    shared = frozenset(name for name, n in counts.items() if n > 1)
    return Staff(people, {p.id or 0: p for p in rows}, departments, shared)


async def filed_by(
    session: AsyncSession, *, unit_id: int, start: date, end: date, as_of: datetime
) -> set[tuple[int, date]]:
    """(person, day) of the daily reports for days in [start, end] filed by `as_of`."""
    query = select(Report.person_id, Report.day).where(
        Report.unit_id == unit_id,
        Report.kind == ReportKind.DAILY.value,
        col(Report.day).between(start, end),
        Report.filed_at <= as_of,
    )
    return {(person_id, day) for person_id, day in (await session.exec(query)).all()}


async def weekly_texts(
    session: AsyncSession, *, unit_id: int, start: date, end: date, as_of: datetime
) -> dict[int, str]:
    """Person → the text of their weekly report due in [start, end] (items joined)."""
    query = (
        select(Report.person_id, ReportItem.text)
        .join(ReportItem, col(ReportItem.report_id) == Report.id)
        .where(
            Report.unit_id == unit_id,
            Report.kind == ReportKind.WEEKLY.value,
            col(Report.day).between(start, end),
            Report.filed_at <= as_of,
        )
        .order_by(col(Report.person_id), col(ReportItem.seq))
    )
    texts: dict[int, list[str]] = defaultdict(list)
    for person_id, text in (await session.exec(query)).all():
        texts[person_id].append(text)
    return {person_id: "\n".join(parts) for person_id, parts in texts.items()}


async def first_filing_day(session: AsyncSession, *, unit_id: int) -> date | None:
    """The earliest day anyone of the unit filed a daily report for."""
    query = select(func.min(Report.day)).where(
        Report.unit_id == unit_id, Report.kind == ReportKind.DAILY.value
    )
    return (await session.exec(query)).one()


async def likes_and_errors(
    session: AsyncSession, *, unit_id: int, start: date, end: date
) -> list[RecordFact]:
    """Likes and errors (not voided) of the unit for days in [start, end], oldest first."""
    query = (
        select(Record.person_id, Record.kind, Record.points, Record.reason)
        .where(
            Record.unit_id == unit_id,
            col(Record.kind).in_(["like", "error"]),
            col(Record.day).between(start, end),
            col(Record.voided_at).is_(None),
        )
        .order_by(col(Record.day), col(Record.id))
    )
    return [RecordFact(*row) for row in (await session.exec(query)).all()]


async def groups(session: AsyncSession, *, unit_id: int) -> tuple[dict[int, int], int | None]:
    """Department id → its group's chat id, and the unit group's chat id."""
    rows = (
        await session.exec(
            select(ChatGroup.department_id, ChatGroup.chat_id).where(ChatGroup.unit_id == unit_id)
        )
    ).all()
    by_department = {dept: chat for dept, chat in rows if dept is not None}
    unit_chat = next((chat for dept, chat in rows if dept is None), None)
    return by_department, unit_chat


async def add_notice(
    session: AsyncSession,
    *,
    unit_id: int,
    person_id: int,
    points: float,
    reason: str,
    day: date,
    origin: str,
) -> bool:
    """Record a 通报 made by a job, once per (person, origin); False if it existed."""
    insert = (
        _insert(session, Record)
        .values(
            unit_id=unit_id,
            person_id=person_id,
            kind="notice",
            points=points,
            reason=reason,
            day=day,
            origin=origin,
        )
        .on_conflict_do_nothing(index_elements=["person_id", "origin"])
        .returning(Record.id)
    )
    created = (await session.exec(insert)).scalar_one_or_none() is not None  # type: ignore[call-overload]
    if created:
        audit(
            session,
            action="auto_notice",
            unit_id=unit_id,
            actor="bot",
            subject=str(person_id),
            detail={"origin": origin, "points": points, "reason": reason},
        )
    return created


async def notice_origins(
    session: AsyncSession, *, person_ids: Iterable[int], origins: Iterable[str]
) -> dict[tuple[int, str], bool]:
    """Which of these (person, origin) records exist, and whether each was voided."""
    query = select(Record.person_id, Record.origin, Record.voided_at).where(
        col(Record.person_id).in_(list(person_ids)), col(Record.origin).in_(list(origins))
    )
    return {(p, o): v is not None for p, o, v in (await session.exec(query)).all() if o}


async def leaders_to_tell(session: AsyncSession, *, person_id: int) -> list[Person]:
    """Who hears that a person is unreachable: their department's heads, else the 考核办."""
    person = await session.get(Person, person_id)
    if person is None:
        return []
    bound = [
        col(Person.active).is_(True),
        col(Person.tg_user_id).is_not(None),
        Person.id != person_id,
    ]
    heads = await session.exec(
        select(Person).where(
            Person.department_id == person.department_id,
            col(Person.roles).contains(cp.Role.HEAD.value),
            *bound,
        )
    )
    found = list(heads.all())
    if found:
        return found
    admins = await session.exec(
        select(Person).where(
            Person.unit_id == person.unit_id,
            col(Person.roles).contains(cp.Role.ADMIN.value),
            *bound,
        )
    )
    return list(admins.all())


# ---- sent messages: the idempotency record -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    """A message the caller now owns and must send (and then mark)."""

    id: int
    key: Key


async def claim(
    session: AsyncSession,
    *,
    messages: Sequence[tuple[Key, int, int | None]],
    owner: str,
    now: datetime,
    stale_before: datetime,
    at_most_once: frozenset[str] = frozenset(),
) -> list[Claim]:
    """Claim messages ((job, day, target), chat id, person id) for sending.

    A message is claimed when no row has its key yet (a new row, status `sending`), or
    when its row is `retry` (given up earlier for a transient reason) or a `sending`
    left behind by a sender that stopped before `stale_before` (it crashed: see
    bot/sender.py). Rows `sent` or `failed`, or being sent by a live sender, are not.
    Concurrent callers never both claim one key: the unique key settles new rows and the
    conditional UPDATE settles old ones. A left-behind `sending` of a job in
    `at_most_once` whose request had started (`started_at`) is not taken: it becomes
    `failed` (Telegram may have delivered it).
    """
    if not messages:
        return []
    rows = [
        {
            "job": job,
            "day": day,
            "target": target,
            "chat_id": chat_id,
            "person_id": person_id,
            "status": "sending",
            "owner": owner,
            "attempts": 1,
            "claimed_at": now,
        }
        for (job, day, target), chat_id, person_id in messages
    ]
    insert = (
        _insert(session, SentMessage)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["job", "day", "target"])
        .returning(SentMessage.id, SentMessage.job, SentMessage.day, SentMessage.target)
    )
    claimed = [
        Claim(row_id, (job, day, target))
        for row_id, job, day, target in (await session.exec(insert)).all()  # type: ignore[call-overload]
    ]
    taken = {c.key for c in claimed}
    rest = [(key, chat) for key, chat, _ in messages if key not in taken]
    for offset in range(0, len(rest), 200):
        chunk = rest[offset : offset + 200]
        if at_most_once:
            await session.exec(
                update(SentMessage)  # type: ignore[call-overload]
                .where(
                    or_(*(_key_is(key) for key, _ in chunk)),
                    col(SentMessage.job).in_(sorted(at_most_once)),
                    col(SentMessage.status) == "sending",
                    col(SentMessage.claimed_at) < stale_before,
                    col(SentMessage.started_at).is_not(None),
                )
                .values(status="failed", error=IN_FLIGHT_AT_CRASH)
            )
        retake = (
            update(SentMessage)
            .where(
                or_(*(_key_is(key) for key, _ in chunk)),
                or_(
                    col(SentMessage.status) == "retry",
                    and_(
                        col(SentMessage.status) == "sending",
                        col(SentMessage.claimed_at) < stale_before,
                    ),
                ),
            )
            .values(
                status="sending",
                owner=owner,
                claimed_at=now,
                attempts=col(SentMessage.attempts) + 1,
                error=None,
                started_at=None,
            )
            .returning(SentMessage.id, SentMessage.job, SentMessage.day, SentMessage.target)
        )
        for row_id, job, day, target in (await session.exec(retake)).all():  # type: ignore[call-overload]
            claimed.append(Claim(row_id, (job, day, target)))
    return claimed


def _key_is(key: Key) -> Any:
    job, day, target = key
    return and_(
        col(SentMessage.job) == job, col(SentMessage.day) == day, col(SentMessage.target) == target
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """How sending one claimed message ended."""

    id: int
    status: str  # sent | retry | failed
    at: datetime
    message_id: int | None = None
    error: str | None = None


async def finish(session: AsyncSession, *, outcomes: Sequence[Outcome], owner: str) -> None:
    """Mark claimed messages sent, failed for good, or to retry later (one statement)."""
    if not outcomes:
        return
    statement = (
        update(SentMessage)
        .where(col(SentMessage.id) == bindparam("row_id"), col(SentMessage.owner) == owner)
        .values(
            status=bindparam("new_status"),
            sent_at=bindparam("new_sent_at"),
            message_id=bindparam("new_message_id"),
            error=bindparam("new_error"),
        )
    )
    params = [
        {
            "row_id": o.id,
            "new_status": o.status,
            "new_sent_at": o.at if o.status == "sent" else None,
            "new_message_id": o.message_id,
            "new_error": (o.error or "")[:255] or None,
        }
        for o in outcomes
    ]
    connection = await session.connection()
    await connection.execute(statement, params)


IN_FLIGHT_AT_CRASH = "in flight when its sender stopped: not sent again"


async def start(session: AsyncSession, *, ids: Sequence[int], now: datetime) -> None:
    """These claimed messages' requests are about to go to Telegram."""
    if ids:
        await session.exec(
            update(SentMessage)  # type: ignore[call-overload]
            .where(col(SentMessage.id).in_(sorted(ids)))
            .values(started_at=now)
        )


async def touch(session: AsyncSession, *, owner: str, now: datetime) -> None:
    """Keep this sender's claims fresh while it is still working through them."""
    await session.exec(
        update(SentMessage)  # type: ignore[call-overload]
        .where(col(SentMessage.owner) == owner, col(SentMessage.status) == "sending")
        .values(claimed_at=now)
    )


async def release(session: AsyncSession, *, ids: Sequence[int], owner: str) -> None:
    """Give claims back unsent (status `retry`): a later run takes them at once."""
    if ids:
        await session.exec(
            update(SentMessage)  # type: ignore[call-overload]
            .where(
                col(SentMessage.id).in_(list(ids)),
                col(SentMessage.owner) == owner,
                col(SentMessage.status) == "sending",
            )
            .values(status="retry")
        )


async def settled(
    session: AsyncSession, *, keys: Iterable[Key], stale_before: datetime
) -> dict[Key, str]:
    """Status of keys a new run must not send: `sent`, `failed` or a live `sending`."""
    wanted = list(keys)
    found: dict[Key, str] = {}
    for offset in range(0, len(wanted), 200):
        chunk = wanted[offset : offset + 200]
        query = select(
            SentMessage.job,
            SentMessage.day,
            SentMessage.target,
            SentMessage.status,
            SentMessage.claimed_at,
        ).where(or_(*(_key_is(key) for key in chunk)))
        for job, day, target, status, claimed_at in (await session.exec(query)).all():
            live = status == "sending" and claimed_at >= stale_before
            if status in {"sent", "failed"} or live:
                found[(job, day, target)] = status
    return found


async def sent_messages(
    session: AsyncSession, *, job: str | None = None, day: date | None = None
) -> list[SentMessage]:
    """Idempotency rows, oldest first (for tests and `kaohe jobs`)."""
    query = select(SentMessage).order_by(col(SentMessage.id))
    if job is not None:
        query = query.where(SentMessage.job == job)
    if day is not None:
        query = query.where(SentMessage.day == day)
    return list((await session.exec(query)).all())


# ---- unreachable people ------------------------------------------------------------------


async def mark_unreachable(
    session: AsyncSession, *, person_id: int, now: datetime, error: str
) -> bool:
    """Record that the person blocked the bot; True the first time (tell their head)."""
    upsert = (
        _insert(session, Unreachable)
        .values(person_id=person_id, since=now, tried_at=now, last_error=error[:255])
        .on_conflict_do_update(
            index_elements=["person_id"], set_={"tried_at": now, "last_error": error[:255]}
        )
        .returning(Unreachable.since)
    )
    since = (await session.exec(upsert)).scalar_one()  # type: ignore[call-overload]
    if since != now:
        return False
    person = await session.get(Person, person_id)
    audit(
        session,
        action="unreachable",
        unit_id=person.unit_id if person else None,
        actor="bot",
        subject=person.name if person else str(person_id),
        detail={"error": error[:255]},
    )
    return True


async def clear_unreachable(session: AsyncSession, *, person_ids: Iterable[int]) -> None:
    """A message got through: these people are reachable again."""
    ids = list(person_ids)
    if ids:
        await session.exec(delete(Unreachable).where(col(Unreachable.person_id).in_(ids)))  # type: ignore[call-overload]


async def blocked_ids(session: AsyncSession) -> set[int]:
    """Everyone recorded as unreachable, however long ago."""
    return set((await session.exec(select(Unreachable.person_id))).all())


async def unreachable(session: AsyncSession, *, tried_after: datetime) -> set[int]:
    """People not to write to now: blocked, last tried after `tried_after`, and silent since.

    A person who filed a report after the block evidently unblocked the bot.
    """
    rows = (
        await session.exec(
            select(Unreachable.person_id, Unreachable.tried_at).where(
                Unreachable.tried_at > tried_after
            )
        )
    ).all()
    if not rows:
        return set()
    latest = dict(
        (
            await session.exec(
                select(Report.person_id, func.max(Report.updated_at))
                .where(col(Report.person_id).in_([p for p, _ in rows]))
                .group_by(col(Report.person_id))
            )
        ).all()
    )
    return {p for p, tried in rows if latest.get(p) is None or latest[p] <= tried}


# ---- job runs: leases ----------------------------------------------------------------------


async def acquire_run(
    session: AsyncSession,
    *,
    job: str,
    day: date,
    owner: str,
    now: datetime,
    lease_until: datetime,
    again: bool,
    take_over: bool = False,
) -> bool:
    """Take the lease of (job, day). False while another live owner holds it (unless
    `take_over`: an admin knows that owner is dead), and — unless `again` — when the run
    is already done."""
    insert = (
        _insert(session, JobRun)
        .values(
            job=job,
            day=day,
            status="running",
            owner=owner,
            lease_until=lease_until,
            started_at=now,
            runs=1,
            sent=0,
            skipped=0,
            failed=0,
        )
        .on_conflict_do_nothing(index_elements=["job", "day"])
        .returning(JobRun.job)
    )
    if (await session.exec(insert)).scalar_one_or_none() is not None:  # type: ignore[call-overload]
        return True
    free = or_(col(JobRun.status) != "running", col(JobRun.lease_until) < now, take_over)
    if not again:
        free = and_(free, col(JobRun.status) != "done")
    retake = (
        update(JobRun)
        .where(col(JobRun.job) == job, col(JobRun.day) == day, free)
        .values(
            status="running",
            owner=owner,
            lease_until=lease_until,
            started_at=now,
            finished_at=None,
            runs=col(JobRun.runs) + 1,
        )
        .returning(JobRun.job)
    )
    return (await session.exec(retake)).scalar_one_or_none() is not None  # type: ignore[call-overload]


async def renew_run(
    session: AsyncSession, *, job: str, day: date, owner: str, lease_until: datetime
) -> None:
    """Extend a lease this owner holds."""
    await session.exec(
        update(JobRun)  # type: ignore[call-overload]
        .where(col(JobRun.job) == job, col(JobRun.day) == day, col(JobRun.owner) == owner)
        .values(lease_until=lease_until)
    )


async def finish_run(
    session: AsyncSession,
    *,
    job: str,
    day: date,
    owner: str,
    status: str,
    now: datetime,
    sent: int,
    skipped: int,
    failed: int,
) -> None:
    """End a run: its status and counts; the lease is released."""
    await session.exec(
        update(JobRun)  # type: ignore[call-overload]
        .where(col(JobRun.job) == job, col(JobRun.day) == day, col(JobRun.owner) == owner)
        .values(
            status=status,
            finished_at=now,
            lease_until=now,
            sent=col(JobRun.sent) + sent,
            skipped=skipped,
            failed=failed,
        )
    )


async def last_runs(session: AsyncSession) -> dict[str, JobRun]:
    """The most recent run of each job."""
    rows = await session.exec(select(JobRun).order_by(col(JobRun.day), col(JobRun.started_at)))
    return {run.job: run for run in rows.all()}
