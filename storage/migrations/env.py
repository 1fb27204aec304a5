"""Alembic environment: runs on the connection kaohe hands in (see storage.db)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations must not import app types: UTCDateTime is a plain timezone-aware DateTime.
    if type_ == "type" and isinstance(obj, storage.tables.UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things in place
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    # Plain `alembic` CLI use: build an engine from the URL in the config.
    from storage.db import make_engine

    async def _with_engine() -> None:
        engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
        async with engine.begin() as conn:
            await conn.run_sync(_configure)
        await engine.dispose()

    asyncio.run(_with_engine())


if context.is_offline_mode():
    raise SystemExit("offline SQL generation is not supported; run `kaohe db upgrade`")
_run_online()
