"""Roster, people and account binding queries. Functions never commit; callers do."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

import core.people as cp
from core.binding import INVITE_ALPHABET, INVITE_LENGTH
from core.roster import KnownPerson, RosterEntry, match_roster
from core.text import normalise_name
from storage.audit import audit
from storage.db import dialect_insert
from storage.tables import (
    ChatGroup,
    Department,
    Leave,
    Person,
    Setting,
    Supervision,
    Unit,
    utcnow,
)

DEFAULT_UNIT_NAME = "本单位"


async def get_unit(session: AsyncSession) -> Unit | None:
    """The unit this installation serves (the first one)."""
    return (await session.exec(select(Unit).order_by(col(Unit.id)).limit(1))).first()


async def ensure_unit(session: AsyncSession, *, name: str | None = None) -> Unit:
    """The unit, created (or renamed) as needed; the caller commits."""
    unit = await get_unit(session)
    if unit is None:
        unit = Unit(name=name or DEFAULT_UNIT_NAME)
        session.add(unit)
        await session.flush()
    elif name and unit.name != name:
        unit.name = name
        session.add(unit)
    return unit


def new_invite_code(taken: set[str]) -> str:
    """A fresh random invite code not in `taken` (which it joins)."""
    while True:
        code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
        if code not in taken:
            taken.add(code)
            return code


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What a roster import changed."""

    added: int
    updated: int
    unchanged: int
    deactivated: int
    reactivated: int
    departments_added: int
    # every change, in words (what `kaohe import --dry-run` lists)
    new_people: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    leaving: tuple[str, ...] = ()
    returning: tuple[str, ...] = ()
    new_departments: tuple[str, ...] = ()


async def apply_roster(
    session: AsyncSession, *, unit: Unit, entries: Sequence[RosterEntry], actor: str = "cli"
) -> ImportReport:
    """Create or update people and departments from a validated roster (no commit)."""
    assert unit.id is not None
    departments, new_departments = await _sync_departments(session, unit.id, entries)
    departments_added = len(new_departments)
    dept_name = {d.id: name for name, d in departments.items()}

    people = list(await session.exec(select(Person).where(Person.unit_id == unit.id)))
    by_id = {p.id: p for p in people}
    known = [
        KnownPerson(
            p.id,
            normalise_name(p.name),
            normalise_name(dept_name.get(p.department_id, "")),
            p.employee_id,
        )
        for p in people
        if p.id is not None
    ]
    plan = match_roster(known, entries)
    codes = set((await session.exec(select(Person.invite_code))).all())

    updated = unchanged = reactivated = 0
    changes: list[str] = []
    returning: list[str] = []
    targets: list[tuple[RosterEntry, Person]] = []
    for entry, person_id in plan.updates:
        person = by_id[person_id]
        before = _snapshot(person)
        facts = _facts(person, dept_name)
        if not person.active:
            reactivated += 1
            returning.append(f"{entry.name}（{entry.department}）")
        _fill(person, entry, departments[entry.department].id)
        if _snapshot(person) == before:
            unchanged += 1
        else:
            updated += 1
            session.add(person)
            differences = _differences(facts, _facts(person, dept_name))
            if differences:
                changes.append(f"{facts['姓名']}（{facts['部门']}）：{differences}")
        targets.append((entry, person))
    for entry in plan.additions:
        person = Person(
            unit_id=unit.id,
            department_id=0,
            name=entry.name,
            category=entry.category,
            roles="",
            invite_code=new_invite_code(codes),
        )
        _fill(person, entry, departments[entry.department].id)
        session.add(person)
        targets.append((entry, person))
    deactivated = 0
    leaving: list[str] = []
    for person_id in plan.deactivations:
        person = by_id[person_id]
        if person.active:
            person.active = False
            session.add(person)
            deactivated += 1
            leaving.append(f"{person.name}（{dept_name.get(person.department_id, '')}）")
    await session.flush()

    ids = [p.id for _, p in targets]
    await session.exec(delete(Supervision).where(col(Supervision.person_id).in_(ids)))  # type: ignore[call-overload]
    for entry, person in targets:
        for name in entry.supervises:
            session.add(Supervision(person_id=person.id, department_id=departments[name].id))

    report = ImportReport(
        added=len(plan.additions),
        updated=updated,
        unchanged=unchanged,
        deactivated=deactivated,
        reactivated=reactivated,
        departments_added=departments_added,
        new_people=tuple(f"{e.name}（{e.department}）" for e in plan.additions),
        changes=tuple(changes),
        leaving=tuple(leaving),
        returning=tuple(returning),
        new_departments=tuple(new_departments),
    )
    audit(
        session,
        action="roster_import",
        unit_id=unit.id,
        actor=actor,
        subject=unit.name,
        detail={
            "people": len(entries),
            "added": report.added,
            "updated": updated,
            "unchanged": unchanged,
            "deactivated": deactivated,
            "reactivated": reactivated,
            "departments_added": departments_added,
        },
    )
    return report


async def _sync_departments(
    session: AsyncSession, unit_id: int, entries: Sequence[RosterEntry]
) -> tuple[dict[str, Department], list[str]]:
    """The unit's departments by name, the roster's created and put in its order."""
    # keyed by the normalised name, so 「办 公 室」 stored by an older import is healed
    departments: dict[str, Department] = {}
    for d in await session.exec(select(Department).where(Department.unit_id == unit_id)):
        departments.setdefault(normalise_name(d.name), d)
    new_departments: list[str] = []
    for order, name in enumerate(dict.fromkeys(e.department for e in entries), start=1):
        department = departments.get(name)
        if department is None:
            department = Department(unit_id=unit_id, name=name, sort_order=order)
            new_departments.append(name)
        department.name = name
        department.sort_order = order
        session.add(department)
        departments[name] = department
    await session.flush()
    return departments, new_departments


def _fill(person: Person, entry: RosterEntry, department_id: int | None) -> None:
    assert department_id is not None
    person.name = entry.name
    person.department_id = department_id
    person.category = entry.category
    person.roles = cp.encode_roles(entry.roles)
    person.employee_id = entry.employee_id
    person.position = entry.position
    person.tg_username = entry.username
    person.roster_order = entry.row
    person.active = True


def _snapshot(person: Person) -> tuple[object, ...]:
    return (
        person.name,
        person.department_id,
        person.category,
        person.roles,
        person.employee_id,
        person.position,
        person.tg_username,
        person.roster_order,
        person.active,
    )


def _facts(person: Person, dept_name: dict[int | None, str]) -> dict[str, str]:
    """A person's roster facts as an admin reads them (for the list of changes)."""
    return {
        "姓名": person.name,
        "部门": dept_name.get(person.department_id, ""),
        "类别": person.category,
        "角色": person.roles,
        "工号": person.employee_id or "",
        "职务": person.position or "",
        "Telegram": person.tg_username or "",
    }


def _differences(before: dict[str, str], after: dict[str, str]) -> str:
    return "；".join(
        f"{label} {before[label] or '—'} → {after[label] or '—'}"
        for label in before
        if before[label] != after[label]
    )


# ---- reading people -------------------------------------------------------------------


async def person_by_tg(session: AsyncSession, *, tg_user_id: int) -> Person | None:
    """The person bound to a Telegram user id (active or not)."""
    return (await session.exec(select(Person).where(Person.tg_user_id == tg_user_id))).first()


@dataclass(frozen=True, slots=True)
class Identity:
    """Who sent an update, read in one query: the bound person, their department's group
    (the first bound, if several) and the last day of their active leave (None: none)."""

    person: Person | None
    home_group: ChatGroup | None = None
    leave_until: date | None = None


@cache
def _identity_query() -> Any:
    """The query of `identities_by_tg`, built once: it runs for every batch of updates,
    and a reused statement skips SQLAlchemy's construction and cache-key work."""
    first_group = (
        select(ChatGroup.id)
        .where(ChatGroup.department_id == Person.department_id)
        .order_by(col(ChatGroup.id))
        .limit(1)
        .correlate(Person)
        .scalar_subquery()
    )
    leave_until = (
        select(func.max(Leave.end))
        .where(Leave.person_id == Person.id, col(Leave.cancelled_at).is_(None))
        .correlate(Person)
        .scalar_subquery()
    )
    return (
        select(Person, ChatGroup, leave_until)
        .outerjoin(ChatGroup, col(ChatGroup.id) == first_group)
        .where(col(Person.tg_user_id).in_(bindparam("ids", expanding=True)))
    )


async def identities_by_tg(
    session: AsyncSession, *, tg_user_ids: list[int]
) -> dict[int, Identity]:
    """The people bound to Telegram user ids (active or not), each with their department's
    group and how long their leave runs, in one query (each update needs them); ids
    nobody is bound to are left out."""
    if not tg_user_ids:
        return {}
    rows = await session.exec(_identity_query(), params={"ids": tg_user_ids})
    return {p.tg_user_id: Identity(p, group, until) for p, group, until in rows.all()}


async def supervised_ids(session: AsyncSession, *, person_id: int) -> frozenset[int]:
    """Departments a supervisor oversees."""
    rows = await session.exec(
        select(Supervision.department_id).where(Supervision.person_id == person_id)
    )
    return frozenset(rows.all())


async def to_core(session: AsyncSession, person: Person) -> cp.Person:
    """The core's view of a stored person."""
    assert person.id is not None
    return cp.Person(
        id=person.id,
        name=person.name,
        department_id=person.department_id,
        category=person.category,
        roles=cp.decode_roles(person.roles),
        supervises=await supervised_ids(session, person_id=person.id),
        active=person.active,
    )


async def department_names(session: AsyncSession, *, unit_id: int) -> dict[int, str]:
    """Department id → name, in roster order."""
    rows = await session.exec(
        select(Department.id, Department.name)
        .where(Department.unit_id == unit_id)
        .order_by(col(Department.sort_order), col(Department.id))
    )
    return {dept_id: name for dept_id, name in rows.all() if dept_id is not None}


async def positions(session: AsyncSession, *, unit_id: int) -> dict[int, str]:
    """职务 of each person of the unit who has one (for exports)."""
    rows = await session.exec(
        select(Person.id, Person.position).where(
            Person.unit_id == unit_id, col(Person.position).is_not(None)
        )
    )
    return {person_id: position or "" for person_id, position in rows.all() if person_id}


async def department_by_name(
    session: AsyncSession, *, unit_id: int, name: str
) -> Department | None:
    """A department of the unit by name, compared normalised (「办 公 室」 is 办公室)."""
    wanted = normalise_name(name)
    rows = await session.exec(select(Department).where(Department.unit_id == unit_id))
    return next((d for d in rows.all() if normalise_name(d.name) == wanted), None)


@dataclass(frozen=True, slots=True)
class InviteRow:
    """One line of `kaohe invites`."""

    person_id: int
    name: str
    department: str
    employee_id: str | None
    username: str | None
    code: str
    bound: bool


async def invite_rows(session: AsyncSession, *, unit_id: int) -> list[InviteRow]:
    """Active people with their invite codes, in department then roster order."""
    rows = await session.exec(
        select(Person, Department.name)
        .join(Department, col(Department.id) == Person.department_id)
        .where(Person.unit_id == unit_id, col(Person.active).is_(True))
        .order_by(col(Department.sort_order), col(Person.roster_order), col(Person.id))
    )
    return [
        InviteRow(
            person_id=p.id or 0,
            name=p.name,
            department=dept,
            employee_id=p.employee_id,
            username=p.tg_username,
            code=p.invite_code,
            bound=p.tg_user_id is not None,
        )
        for p, dept in rows.all()
    ]


# ---- binding -------------------------------------------------------------------------


async def unbound_by_username(session: AsyncSession, *, username: str) -> Person | None:
    """The active, unbound roster person whose Telegram username matches."""
    query = select(Person).where(
        Person.tg_username == username.lower().lstrip("@"),
        col(Person.tg_user_id).is_(None),
        col(Person.active).is_(True),
    )
    return (await session.exec(query)).first()


async def person_by_code(session: AsyncSession, *, code: str) -> Person | None:
    """The person an invite code belongs to."""
    return (await session.exec(select(Person).where(Person.invite_code == code))).first()


def bind(session: AsyncSession, *, person: Person, tg_user_id: int, how: str) -> None:
    """Bind a Telegram account to a person and audit it (no commit)."""
    person.tg_user_id = tg_user_id
    person.bound_at = utcnow()
    session.add(person)
    audit(
        session,
        action="bind",
        unit_id=person.unit_id,
        actor_person_id=person.id,
        actor=person.name,
        subject=person.name,
        detail={"tg_user_id": tg_user_id, "how": how},
    )


async def unbind(session: AsyncSession, *, person: Person, actor: str) -> str:
    """Release a person's Telegram binding and issue a new invite code (admin action)."""
    codes = set((await session.exec(select(Person.invite_code))).all())
    old = person.tg_user_id
    person.tg_user_id = None
    person.bound_at = None
    person.invite_code = new_invite_code(codes)
    session.add(person)
    audit(
        session,
        action="unbind",
        unit_id=person.unit_id,
        actor=actor,
        subject=person.name,
        detail={"tg_user_id": old},
    )
    return person.invite_code


async def find_people(session: AsyncSession, *, unit_id: int, query: str) -> list[Person]:
    """People whose name or 工号 is exactly `query` (a name compared normalised)."""
    query = query.strip()
    name = normalise_name(query)
    rows = await session.exec(
        select(Person)
        .where(Person.unit_id == unit_id)
        .where((Person.name == name) | (Person.employee_id == query))
        .order_by(col(Person.roster_order))
    )
    return list(rows.all())


async def get_setting(session: AsyncSession, *, key: str) -> str | None:
    """A stored app setting."""
    row = await session.get(Setting, key)
    return row.value if row else None


async def set_setting(session: AsyncSession, *, key: str, value: str) -> None:
    """Store an app setting (no commit). An upsert: instances starting together both
    store the bot's username, and the second must not fail on the first's row."""
    upsert = (
        dialect_insert(session, Setting)
        .values(key=key, value=value)
        .on_conflict_do_update(index_elements=["key"], set_={"value": value})
    )
    await session.exec(upsert)  # type: ignore[call-overload]
    cached = session.identity_map.get(session.identity_key(Setting, key))
    if cached is not None:  # a row this session loaded earlier shows the new value
        set_committed_value(cached, "value", value)


async def admin_chat_ids(session: AsyncSession) -> list[int]:
    """Telegram ids of the bound, active 考核办 members."""
    query = select(Person.tg_user_id).where(
        col(Person.roles).contains(cp.Role.ADMIN.value),
        col(Person.active).is_(True),
        col(Person.tg_user_id).is_not(None),
    )
    return [tg for tg in (await session.exec(query)).all() if tg is not None]


async def members_of(
    session: AsyncSession, *, unit_id: int, department_ids: Iterable[int] | None = None
) -> list[Person]:
    """Active people who file reports (role member), optionally of some departments."""
    query = select(Person).where(
        Person.unit_id == unit_id,
        col(Person.active).is_(True),
        col(Person.roles).contains(cp.Role.MEMBER.value),
    )
    if department_ids is not None:
        query = query.where(col(Person.department_id).in_(list(department_ids)))
    return list((await session.exec(query.order_by(col(Person.roster_order)))).all())


async def resolve_person(session: AsyncSession, *, unit_id: int, ref: str) -> list[Person]:
    """People an admin or leader means by `@username`, 姓名 or 工号 (active ones)."""
    ref = ref.strip()
    if ref.startswith("@"):
        query = select(Person).where(
            Person.unit_id == unit_id, Person.tg_username == ref[1:].lower()
        )
    else:
        query = select(Person).where(
            Person.unit_id == unit_id,
            (Person.name == normalise_name(ref)) | (Person.employee_id == ref),
        )
    query = query.where(col(Person.active).is_(True)).order_by(col(Person.roster_order))
    return list((await session.exec(query)).all())


ASSESSMENT_START = "assessment_start"


async def assessment_start(session: AsyncSession) -> date | None:
    """The first day the unit assesses with kaohe (days before it are never required)."""
    value = await get_setting(session, key=ASSESSMENT_START)
    return date.fromisoformat(value) if value else None


async def set_assessment_start(session: AsyncSession, *, day: date, actor: str) -> None:
    """Set (or move) the first assessed day; audited (no commit)."""
    await set_setting(session, key=ASSESSMENT_START, value=day.isoformat())
    unit = await get_unit(session)
    audit(
        session,
        action="assessment_start",
        unit_id=unit.id if unit else None,
        actor=actor,
        subject=day.isoformat(),
    )
