"""Shared set-up of bench/ingest and bench/peak: a throw-away database (SQLite file, or a
PostgreSQL database created and dropped), seeded with N bound people in D departments,
each department with its bound group."""

from __future__ import annotations

import contextlib
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import async_sessionmaker  # noqa: E402
from sqlmodel.ext.asyncio.session import AsyncSession  # noqa: E402

from storage import db  # noqa: E402
from storage.tables import ChatGroup, Department, Person, Unit  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
USER_BASE = 10_000_000
GROUP_BASE = -1_000_000_000_000


@dataclass(frozen=True, slots=True)
class World:
    """The seeded people: (tg user id, department index), and each department's group."""

    url: str
    sessionmaker: async_sessionmaker[AsyncSession]
    users: list[tuple[int, int]]
    groups: list[int]


@contextlib.asynccontextmanager
async def database(pg: str | None) -> AsyncIterator[str]:
    """A fresh database URL: a temp SQLite file, or a new PostgreSQL database on `pg`'s
    server (dropped afterwards)."""
    if pg is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    name = f"kaohe_bench_{uuid.uuid4().hex[:8]}"
    admin = db.make_engine(pg)
    async with admin.connect() as raw:
        conn = await raw.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = pg.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        async with admin.connect() as raw:
            conn = await raw.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@contextlib.asynccontextmanager
async def world(url: str, *, people: int, departments: int) -> AsyncIterator[World]:
    """Migrate `url` and seed it; the sessionmaker's engine is disposed afterwards."""
    engine = db.make_engine(url)
    await db.upgrade(engine)
    sessionmaker = db.make_sessionmaker(engine)
    users: list[tuple[int, int]] = []
    groups: list[int] = []
    async with sessionmaker() as s:
        unit = Unit(name="基准单位")
        s.add(unit)
        await s.flush()
        assert unit.id is not None
        depts = [
            Department(unit_id=unit.id, name=f"部门{d}", sort_order=d) for d in range(departments)
        ]
        s.add_all(depts)
        await s.flush()
        for d, dept in enumerate(depts):
            assert dept.id is not None
            groups.append(GROUP_BASE - d)
            s.add(ChatGroup(unit_id=unit.id, chat_id=GROUP_BASE - d, department_id=dept.id))
        for n in range(people):
            d = n % departments
            role = "head" if n < departments else "member"
            s.add(
                Person(
                    unit_id=unit.id,
                    department_id=depts[d].id,
                    name=f"员工{n}",  # type: ignore[arg-type]
                    category="公务员",
                    roles=role,
                    invite_code=f"B{n:07d}",
                    tg_user_id=USER_BASE + n,
                )  # fmt: skip
            )
            users.append((USER_BASE + n, d))
        await s.commit()
    try:
        yield World(url, sessionmaker, users, groups)
    finally:
        await engine.dispose()
