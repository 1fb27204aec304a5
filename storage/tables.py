"""SQLModel tables. Times are stored as timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Dialect, Index, UniqueConstraint, event
from sqlalchemy.orm import Session as SyncSession
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time in UTC (the shell's clock; the core never calls it)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite hands back naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_column(**kwargs: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kwargs))


class Unit(SQLModel, table=True):
    """The organisation being assessed (单位)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    created_at: datetime = _utc_column(nullable=False, default=utcnow)


class Department(SQLModel, table=True):
    """A sub-unit (部门 / 股室 / 基层所); people belong to exactly one."""

    __table_args__ = (UniqueConstraint("unit_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    name: str = Field(max_length=100)
    sort_order: int = Field(default=0)
    created_at: datetime = _utc_column(nullable=False, default=utcnow)


class Person(SQLModel, table=True):
    """A roster entry; bound to a Telegram account by its numeric user id."""

    __table_args__ = (
        Index("ix_person_unit_name", "unit_id", "name"),
        Index("ix_person_tg_username", "tg_username"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    name: str = Field(max_length=64)
    category: str = Field(max_length=32)
    roles: str = Field(max_length=64, description="canonical, e.g. 'head,member'")
    employee_id: str | None = Field(default=None, max_length=32)
    tg_username: str | None = Field(default=None, max_length=32)
    tg_user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, unique=True, nullable=True)
    )
    invite_code: str = Field(max_length=16, unique=True)
    active: bool = Field(default=True)
    roster_order: int = Field(default=0)
    bound_at: datetime | None = _utc_column(nullable=True)
    created_at: datetime = _utc_column(nullable=False, default=utcnow)
    updated_at: datetime = _utc_column(nullable=False, default=utcnow, onupdate=utcnow)


class Supervision(SQLModel, table=True):
    """分管: a supervisor oversees a department."""

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    department_id: int = Field(foreign_key="department.id", primary_key=True)


class ChatGroup(SQLModel, table=True):
    """A Telegram group bound to a department, or to the whole unit (department_id NULL)."""

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    chat_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    title: str = Field(default="", max_length=255)
    bound_by: int | None = Field(default=None, foreign_key="person.id")
    bound_at: datetime = _utc_column(nullable=False, default=utcnow)


class AuditEntry(SQLModel, table=True):
    """Append-only audit log: who did what to whom, when. Never updated, never deleted."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    at: datetime = _utc_column(nullable=False, default=utcnow, index=True)
    actor_person_id: int | None = Field(default=None, foreign_key="person.id")
    actor: str = Field(default="", max_length=100, description="'cli', 'bot', a name…")
    action: str = Field(max_length=64, index=True)
    subject: str = Field(default="", max_length=255)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Setting(SQLModel, table=True):
    """Small key/value facts the app learns at run time (e.g. the bot's username)."""

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", max_length=1000)


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


@event.listens_for(SyncSession, "before_flush")
def _protect_audit_log(session: SyncSession, _context: object, _instances: object) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("the audit log is append-only")
