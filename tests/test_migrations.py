"""Alembic migrations: the stairway (up, down, up) and migrations matching the tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from storage import db


def _tables(connection) -> set[str]:  # type: ignore[no-untyped-def]
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_stairway_each_step_up_and_down(empty_db_url: str) -> None:
    engine = db.make_engine(empty_db_url)
    try:
        for revision in db.revisions():
            await db.upgrade(engine, revision)
            await db.downgrade(engine, "-1")
            await db.upgrade(engine, revision)
        assert await db.current_revision(engine) == db.head_revision()
        await db.downgrade(engine, "base")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == set()
        await db.upgrade(engine)
        async with engine.connect() as conn:
            assert {
                "person",
                "department",
                "unit",
                "chatgroup",
                "audit_log",
            } <= await conn.run_sync(_tables)
    finally:
        await engine.dispose()


async def test_migrations_match_the_tables(db_url: str) -> None:
    engine = db.make_engine(db_url)

    def diff(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)

    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(diff) == []
    finally:
        await engine.dispose()


async def test_sqlite_schema_upgrades_itself_but_postgres_must_be_told(empty_db_url: str) -> None:
    engine = db.make_engine(empty_db_url)
    try:
        if db.is_sqlite(empty_db_url):
            await db.prepare(engine, auto_upgrade=True)
            assert await db.current_revision(engine) == db.head_revision()
        else:
            try:
                await db.prepare(engine, auto_upgrade=False)
            except db.SchemaOutdated as exc:
                assert exc.current is None and exc.head == db.head_revision()
            else:
                raise AssertionError("an empty PostgreSQL database must not be used silently")
    finally:
        await engine.dispose()
