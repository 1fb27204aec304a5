"""Engines, sessions and schema upgrades for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS = Path(__file__).parent / "migrations"


def async_url(url: str) -> str:
    """The SQLAlchemy async URL for a user-facing one (`sqlite:///x.db`, `postgresql://…`)."""
    parsed = make_url(url)
    driver = {
        "sqlite": "sqlite+aiosqlite",
        "postgresql": "postgresql+asyncpg",
        "postgres": "postgresql+asyncpg",
    }.get(parsed.drivername)
    if driver:
        parsed = parsed.set(drivername=driver)
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    """Whether `url` names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets foreign keys on and a busy timeout. Statement
    parameters — people's reports and names — never appear in errors or logs."""
    full = async_url(url)
    if is_sqlite(full):
        engine = create_async_engine(full, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_async_engine(full, pool_pre_ping=True, hide_parameters=True)


def unsavable_text(exc: BaseException) -> bool:
    """PostgreSQL refused a text it cannot store (a NUL character)."""
    message = str(getattr(exc, "orig", None) or exc)
    return isinstance(exc, DBAPIError) and ("0x00" in message or "\\u0000" in message)


def database_down(exc: BaseException) -> bool:
    """The database is down, restarting, unreachable or busy past its timeout (so what
    was being written was not stored)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | ConnectionError | TimeoutError)


def dialect_insert(session: AsyncSession, table: type[Any]) -> Any:
    """An INSERT that can say ON CONFLICT … RETURNING, for SQLite or PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def _alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _run(connection: Connection, action: str, revision: str) -> None:
    config = _alembic_config(connection)
    getattr(command, action)(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to `revision`."""
    async with engine.begin() as conn:
        await conn.run_sync(_run, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    """Revert migrations down to `revision`."""
    async with engine.begin() as conn:
        await conn.run_sync(_run, "downgrade", revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


def head_revision() -> str | None:
    """The newest migration shipped with this version of kaohe."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def revisions() -> list[str]:
    """All migrations, oldest first."""
    script = ScriptDirectory.from_config(_alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


async def prepare(engine: AsyncEngine, *, auto_upgrade: bool) -> None:
    """Make sure the schema is current: upgrade it, or raise SchemaOutdated."""
    if await current_revision(engine) == head_revision():
        return
    if not auto_upgrade:
        raise SchemaOutdated(await current_revision(engine), head_revision())
    await upgrade(engine)


class SchemaOutdated(RuntimeError):
    """The database needs `kaohe db upgrade` before the bot may use it."""

    def __init__(self, current: str | None, head: str | None) -> None:
        self.current, self.head = current, head
        super().__init__(f"database at revision {current}, code expects {head}")
