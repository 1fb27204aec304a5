"""SQLModel tables. Times are stored as timezone-aware UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Session as SyncSession
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time in UTC (the shell's clock; the core never calls it)."""
    return datetime.now(UTC)


class _Stamps:
    """The clock of audit times (`kaohe demo` sets its simulated one; None: real time)."""

    clock: Callable[[], datetime] | None = None


STAMPS = _Stamps()


def stamped_now() -> datetime:
    """When an audited act happens: the simulated clock of the demo if set, else now. Only
    for times people read (the audit log, an undo); runtime bookkeeping keeps `utcnow`."""
    clock = STAMPS.clock
    return clock() if clock is not None else utcnow()


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
    position: str | None = Field(default=None, max_length=64, description="职务, from the roster")
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
    at: datetime = _utc_column(nullable=False, default=stamped_now, index=True)
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


class Report(SQLModel, table=True):
    """One person's 日报 for a local date, or 周报 for a week (day = its due day)."""

    __table_args__ = (
        UniqueConstraint("person_id", "kind", "day"),
        Index("ix_report_unit_day", "unit_id", "day"),
        # covering index for the quarter's GROUP BY person, status (storage/facts.py)
        Index("ix_report_facts", "unit_id", "kind", "person_id", "status", "day", "reviewed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=8, description="daily | weekly")
    day: date
    status: str = Field(max_length=12, description="on_time | late | backfill | voluntary")
    filed_at: datetime = _utc_column(nullable=False, default=utcnow)
    updated_at: datetime = _utc_column(nullable=False, default=utcnow)
    reviewed_at: datetime | None = _utc_column(nullable=True)


class ReportItem(SQLModel, table=True):
    """One message of a report, with its Telegram ids and those of its echo."""

    __table_args__ = (
        UniqueConstraint("source_chat_id", "source_message_id"),
        Index("ix_reportitem_echo", "echo_chat_id", "echo_message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    seq: int = Field(default=1)
    text: str = Field(sa_column=Column(Text, nullable=False))
    file_id: str | None = Field(default=None, max_length=255)
    file_kind: str | None = Field(default=None, max_length=16, description="photo | document")
    source_chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    source_message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    echo_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    echo_message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = _utc_column(nullable=False, default=utcnow)
    edited_at: datetime | None = _utc_column(nullable=True)


class ReportItemRevision(SQLModel, table=True):
    """The text an item had before an edit (history is never lost)."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="reportitem.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    replaced_at: datetime = _utc_column(nullable=False, default=utcnow)


class ReportReview(SQLModel, table=True):
    """审阅: a leader marked a report as read (「已阅」 or by a 批复)."""

    __table_args__ = (UniqueConstraint("report_id", "leader_id"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    leader_id: int = Field(foreign_key="person.id")
    at: datetime = _utc_column(nullable=False, default=utcnow)


class ReportReply(SQLModel, table=True):
    """批复: a leader's written answer to a report, sent privately to the author."""

    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    leader_id: int = Field(foreign_key="person.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    at: datetime = _utc_column(nullable=False, default=utcnow)


class Leave(SQLModel, table=True):
    """请假 / 出差 / 培训: days on which filing is not required."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    start: date
    end: date
    reason: str = Field(max_length=200)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _utc_column(nullable=False, default=utcnow)
    cancelled_at: datetime | None = _utc_column(nullable=True)
    cancelled_by: int | None = Field(default=None, foreign_key="person.id")


class Record(SQLModel, table=True):
    """A scored event about a person: 点赞, 错情, 通报, missed day, 加分, 一票否决.

    Never deleted: an undo or an admin correction sets `voided_at` and is audited.
    """

    __table_args__ = (
        UniqueConstraint("source_chat_id", "source_message_id"),
        UniqueConstraint("person_id", "origin"),
        Index("ix_record_person_day", "person_id", "day"),
        Index("ix_record_unit_day", "unit_id", "day"),
        Index("ix_record_issuer_created", "issuer_id", "created_at"),
        Index("ix_record_confirm", "confirm_chat_id", "confirm_message_id"),
        Index("ix_record_kind_day", "unit_id", "kind", "day"),  # rare kinds: bonus, veto
        Index(
            "ix_record_facts",
            "unit_id",
            "person_id",
            "kind",
            "severity",
            "day",
            "voided_at",
            "points",
        ),  # fmt: skip
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    person_id: int = Field(foreign_key="person.id")
    kind: str = Field(max_length=16, description="like | error | notice | missed | bonus | veto")
    points: float = Field(default=0.0)
    severity: str | None = Field(default=None, max_length=16)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    day: date
    issuer_id: int | None = Field(default=None, foreign_key="person.id")
    report_id: int | None = Field(default=None, foreign_key="report.id")
    origin: str | None = Field(
        default=None, max_length=64, description="what created it, e.g. 'escalate:2026-11-20'"
    )
    source_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    source_message_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )
    confirm_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    confirm_message_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )
    created_at: datetime = _utc_column(nullable=False, default=utcnow)
    voided_at: datetime | None = _utc_column(nullable=True)
    voided_by: int | None = Field(default=None, foreign_key="person.id")
    void_reason: str | None = Field(default=None, max_length=255)


class SentMessage(SQLModel, table=True):
    """A message a scheduled job sent or is sending: the idempotency record.

    Unique per (job, day, target). A sender claims the row (status `sending`) before the
    request and marks it `sent` after Telegram answered; see bot/sender.py for why.
    """

    __tablename__ = "sent_message"
    __table_args__ = (
        UniqueConstraint("job", "day", "target"),
        Index("ix_sent_message_status", "status", "claimed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=32)
    day: date
    target: str = Field(max_length=64, description="e.g. 'person:12', 'dept:3'")
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    person_id: int | None = Field(default=None, foreign_key="person.id")
    status: str = Field(max_length=12, description="sending | sent | retry | failed")
    owner: str = Field(default="", max_length=64, description="the sender that claimed it")
    attempts: int = Field(default=1)
    claimed_at: datetime = _utc_column(nullable=False, default=utcnow)
    sent_at: datetime | None = _utc_column(nullable=True)
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    error: str | None = Field(default=None, max_length=255)
    # issue 16: when the request went to Telegram (None: claimed, never sent)
    started_at: datetime | None = _utc_column(nullable=True)


class JobRun(SQLModel, table=True):
    """One run of a scheduled job for a day, and its lease: one instance runs it at a time."""

    __tablename__ = "job_run"

    job: str = Field(primary_key=True, max_length=32)
    day: date = Field(primary_key=True)
    status: str = Field(max_length=12, description="running | done | partial | error")
    owner: str = Field(default="", max_length=64)
    lease_until: datetime = _utc_column(nullable=False)
    started_at: datetime = _utc_column(nullable=False, default=utcnow)
    finished_at: datetime | None = _utc_column(nullable=True)
    runs: int = Field(default=1)
    sent: int = Field(default=0)
    skipped: int = Field(default=0)
    failed: int = Field(default=0)


class Unreachable(SQLModel, table=True):
    """A person the bot cannot write to (they blocked it: 403). Gone once a message gets
    through again; the audit log keeps the history."""

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    since: datetime = _utc_column(nullable=False, default=utcnow)
    tried_at: datetime = _utc_column(nullable=False, default=utcnow)
    last_error: str = Field(default="", max_length=255)


# ---- quarter end: declarations, ratings (issue 8; migration 0006) ----------------------------


class Declaration(SQLModel, table=True):
    """实绩申报: one person's declaration for a quarter (items in DeclarationItem)."""

    __table_args__ = (UniqueConstraint("person_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    quarter: str = Field(max_length=8, description="e.g. '2026Q4'")
    submitted_at: datetime | None = _utc_column(nullable=True)
    created_at: datetime = _utc_column(nullable=False, default=utcnow)
    updated_at: datetime = _utc_column(nullable=False, default=utcnow)


class DeclarationItem(SQLModel, table=True):
    """One achievement of a declaration: text, task source and self-rating."""

    __table_args__ = (Index("ix_declarationitem_declaration", "declaration_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    declaration_id: int = Field(foreign_key="declaration.id")
    position: int = Field(default=1, description="1-based order in the list")
    text: str = Field(sa_column=Column(Text, nullable=False))
    source: str = Field(max_length=16, description="annual | temporary | chosen")
    self_rating: str = Field(max_length=16, description="a core.grades.Grade value")
    created_at: datetime = _utc_column(nullable=False, default=utcnow)
    updated_at: datetime = _utc_column(nullable=False, default=utcnow)


class Rating(SQLModel, table=True):
    """多主体评价: one rater's rating of one ratee, of one rater kind, for a quarter.

    The row exists from the request on (score NULL); answering fills the score and
    re-answering inside the window replaces it.
    """

    __table_args__ = (
        UniqueConstraint("quarter", "rater_id", "ratee_id", "kind"),
        Index("ix_rating_facts", "unit_id", "quarter", "ratee_id", "kind", "score"),
        Index("ix_rating_rater", "rater_id", "quarter"),
        Index("ix_rating_prompt", "prompt_chat_id", "prompt_message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    quarter: str = Field(max_length=8, description="e.g. '2026Q4'")
    rater_id: int = Field(foreign_key="person.id")
    ratee_id: int = Field(foreign_key="person.id")
    kind: str = Field(max_length=16, description="a core.policy.RaterKind value")
    score: float | None = Field(default=None)
    requested_at: datetime = _utc_column(nullable=False, default=utcnow)
    answered_at: datetime | None = _utc_column(nullable=True)
    # the latest request message shown by /ratings, so a typed reply to it finds the row
    # (the scheduled requests are found through sent_message)
    prompt_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    prompt_message_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )


# ---- quarter end: published results, talks (issue 8; migration 0007) -------------------------


class PublishedQuarter(SQLModel, table=True):
    """The results of a quarter as `quarter_close` published them: a snapshot that later
    changes to records (a void, a late bonus) never rewrite. Department figures and the
    honours (绩效之星, 流动红旗) are kept as JSON; people are in PublishedResult."""

    __tablename__ = "published_quarter"
    __table_args__ = (UniqueConstraint("unit_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    quarter: str = Field(max_length=8, description="e.g. '2026Q4'")
    policy: str = Field(max_length=64)
    start: date
    end: date
    data: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False),
        description="departments, groups, stars, red flags (as `kaohe score --json`)",
    )
    published_at: datetime = _utc_column(nullable=False, default=utcnow)
    # 公示 (issue 19; migration 0012_annual): NULL while the results are a proposal.
    final_at: datetime | None = _utc_column(nullable=True)


class PublishedResult(SQLModel, table=True):
    """One person's published quarter result, with the whole breakdown in `data`."""

    __tablename__ = "published_result"
    __table_args__ = (UniqueConstraint("published_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    published_id: int = Field(foreign_key="published_quarter.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    department_id: int = Field(foreign_key="department.id")
    position: int = Field(default=0, description="order in the results (group, then rank)")
    score: float
    rank: int
    grade: str = Field(max_length=16, description="a core.grades.Grade value")
    data: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSON, nullable=False),
        description="as one person of `kaohe score --json`, plus the explained lines",
    )


class FeedbackTalk(SQLModel, table=True):
    """反馈谈话: a leader's one-to-one talk with a person about a published quarter."""

    __tablename__ = "feedback_talk"
    __table_args__ = (UniqueConstraint("unit_id", "quarter", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    quarter: str = Field(max_length=8)
    person_id: int = Field(foreign_key="person.id")
    leader_id: int = Field(foreign_key="person.id")
    mandatory: bool = Field(default=False, description="graded 一般 / 较差 that quarter")
    strengths: str = Field(sa_column=Column(Text, nullable=False))
    shortcomings: str = Field(sa_column=Column(Text, nullable=False))
    plan: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _utc_column(nullable=False, default=utcnow)


# ---- indicators and tasks (issue 9; migration 0008) -------------------------------------------


class Indicator(SQLModel, table=True):
    """One version of an indicator (指标) of the unit, a department or a person (一人一表).

    A revision (三上三下) adds a new version and marks the previous one not current; the
    old row stays, with who changed it and when. `key` names the indicator across versions.
    """

    __table_args__ = (
        UniqueConstraint("unit_id", "year", "key", "version"),
        Index("ix_indicator_current", "unit_id", "current", "person_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    year: int
    key: str = Field(max_length=64)
    version: int = Field(default=1)
    current: bool = Field(default=True)
    level: str = Field(max_length=12, description="unit | department | person")
    department_id: int | None = Field(default=None, foreign_key="department.id")
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    title: str = Field(max_length=200)
    weight: float = Field(default=1.0)
    target: float = Field(default=100.0)
    measure: str = Field(default="", max_length=16, description="unit of the target, e.g. 件")
    actual: float | None = Field(default=None)
    changed_by: int | None = Field(default=None, foreign_key="person.id")
    changed_by_name: str = Field(default="", max_length=100)
    changed_at: datetime = _utc_column(nullable=False, default=utcnow)
    note: str = Field(default="", max_length=200)


class Task(SQLModel, table=True):
    """A task assigned in chat (动态指标 / 督办): assignee, leader, due day, status."""

    __table_args__ = (
        Index("ix_task_facts", "unit_id", "assignee_id", "due_workday", "status"),
        Index("ix_task_notice", "notice_chat_id", "notice_message_id"),
        Index("ix_task_confirm", "confirm_chat_id", "confirm_message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    assignee_id: int = Field(foreign_key="person.id", index=True)
    assigner_id: int = Field(foreign_key="person.id", index=True)
    indicator_key: str | None = Field(default=None, max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    due: date
    due_workday: date = Field(description="the due date, or the next working day after it")
    status: str = Field(default="open", max_length=12, description="open | done | accepted")
    on_time: bool | None = Field(default=None, description="done by the due working day")
    quality: str | None = Field(default=None, max_length=12)
    done_on: date | None = Field(default=None)
    source_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    source_message_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )
    confirm_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    confirm_message_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )
    notice_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    notice_message_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True)
    )
    created_at: datetime = _utc_column(nullable=False, default=utcnow)
    done_at: datetime | None = _utc_column(nullable=True)
    accepted_at: datetime | None = _utc_column(nullable=True)


class TaskEvent(SQLModel, table=True):
    """The history of a task: progress reports (进度汇报), done, returned, accepted."""

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    kind: str = Field(max_length=12, description="progress | done | returned | accepted")
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    at: datetime = _utc_column(nullable=False, default=utcnow)


# ---- production runtime (issue 10; migration 0009) --------------------------------------------


class EchoQueue(SQLModel, table=True):
    """A report item waiting to be echoed to a busy department group in a batch (issue 10).

    `owner`/`claimed_at` mark a flush in progress (another instance skips it until it is
    stale); `message_id` is the batch message once sent. Rows are deleted after the batch
    is sent and the item's echo ids point at it."""

    __tablename__ = "echo_queue"
    __table_args__ = (Index("ix_echo_queue_chat", "chat_id", "queued_at"),)

    item_id: int = Field(foreign_key="reportitem.id", primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    queued_at: datetime = _utc_column(nullable=False)
    owner: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = _utc_column(nullable=True)


class EchoBatch(SQLModel, table=True):
    """A group message standing for several report items (a batched echo, issue 10)."""

    __tablename__ = "echo_batch"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    item_ids: list[int] = Field(sa_column=Column(JSON, nullable=False))
    sent_at: datetime = _utc_column(nullable=False)


class EchoBudget(SQLModel, table=True):
    """Echoes sent straight to a group in one clock minute, shared by all instances."""

    __tablename__ = "echo_budget"

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    minute: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    sent: int = Field(default=0)


class UpdateClaim(SQLModel, table=True):
    """A Telegram update an instance handled (issue 10): Telegram may deliver an update
    twice, and several instances may see it. The row is inserted in the transaction that
    stores the update's effects, so it exists exactly when they do; rows older than a few
    days are pruned (Telegram keeps an update for 24 hours)."""

    __tablename__ = "update_claim"

    bot_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    owner: str = Field(default="", max_length=64)
    claimed_at: datetime = _utc_column(nullable=False, index=True)
    # issue 16: a report stored with this claim whose 「已记录」 is not sent yet; a
    # redelivery of the update sends it then (bot/middlewares.py)
    answer_due: bool = Field(default=False)


class CalendarNotice(SQLModel, table=True):
    """A year's State Council holiday notice, imported by an admin (DESIGN §2).

    Beats chinese_calendar and the statutory fallback; re-importing a year replaces it
    (the audit log keeps who imported what, and when)."""

    __tablename__ = "calendar_notice"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    days_off: list[str] = Field(sa_column=Column(JSON, nullable=False))  # ISO dates
    workdays: list[str] = Field(sa_column=Column(JSON, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))  # the notice as pasted
    imported_by: str = Field(max_length=100)
    imported_at: datetime = _utc_column(nullable=False, default=utcnow)


# ---- 年度考核 (issue 19; migration 0012_annual) -------------------------------------------------


class PersonStanding(SQLModel, table=True):
    """A fact about a person's year the 年度考核 common rules act on (core.annual.Standing:
    试用期, 立案审查调查未结案, 病事假超过半年), marked by an admin; `cleared_at` when it no
    longer holds (e.g. the investigation closed). Marking and clearing are audited."""

    __tablename__ = "person_standing"
    __table_args__ = (UniqueConstraint("person_id", "kind", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=16, description="a core.annual.Standing value")
    year: int
    note: str = Field(default="", max_length=200)
    marked_by: int | None = Field(default=None, foreign_key="person.id")
    marked_at: datetime = _utc_column(nullable=False, default=utcnow)
    cleared_at: datetime | None = _utc_column(nullable=True)


class Appeal(SQLModel, table=True):
    """复核: a person contests their quarterly (during 公示) or annual grade. A 变更 is a
    new version of the published result: the published row stays as it was, this row
    holds the new score / grade (storage.results overlays the latest one)."""

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=8, description="a core.appeals.AppealKind value")
    period: str = Field(max_length=8, description="'2026Q3' or '2026'")
    reason: str = Field(sa_column=Column(Text, nullable=False))
    attachments: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    filed_at: datetime = _utc_column(nullable=False, default=utcnow)
    decide_by: date
    status: str = Field(default="open", max_length=8, index=True)
    old_score: float | None = None
    old_grade: str = Field(default="", max_length=16)
    new_score: float | None = None
    new_grade: str | None = Field(default=None, max_length=16)
    decision: str = Field(default="", sa_column=Column(Text, nullable=False))
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = _utc_column(nullable=True)
    petition_until: date | None = None
    petition_at: datetime | None = _utc_column(nullable=True)
    petition_note: str = Field(default="", max_length=200)


class Objection(SQLModel, table=True):
    """申辩: a person objects to a 错情 or veto; the issuer or an admin upholds it or voids
    the record (撤销 = void, audited)."""

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    record_id: int = Field(foreign_key="record.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    reason: str = Field(sa_column=Column(Text, nullable=False))
    filed_at: datetime = _utc_column(nullable=False, default=utcnow)
    status: str = Field(default="open", max_length=8, index=True)
    decision: str = Field(default="", sa_column=Column(Text, nullable=False))
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = _utc_column(nullable=True)


class WebToken(SQLModel, table=True):
    """A web console credential (issue 23): a one-time sign-in link (`login`, 10 minutes,
    used once) or a browser session (`session`, 8 hours, ended by signing out). Only a
    SHA-256 of the secret is stored, so a copy of the database signs nobody in."""

    __tablename__ = "web_token"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, unique=True, description="sha256 hex of the secret")
    kind: str = Field(max_length=8, description="login | session")
    person_id: int = Field(foreign_key="person.id", index=True)
    csrf: str = Field(default="", max_length=64, description="a session's form token")
    via: str = Field(default="", max_length=16, description="link | cli | webapp")
    created_at: datetime = _utc_column(nullable=False, default=utcnow)
    expires_at: datetime = _utc_column(nullable=False)
    used_at: datetime | None = _utc_column(nullable=True)


class WebExport(SQLModel, table=True):
    """A quarter's workbook an admin asked the console for (issue 23). The instance that
    took the request builds it in the background (`building`, then `done` with the file or
    `failed` with a reason); only that person may download it, for a day. Kept in the
    database so that any instance behind the same address can show and serve it."""

    __tablename__ = "web_export"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True, description="the download's secret id")
    person_id: int = Field(foreign_key="person.id", index=True)
    quarter: str = Field(max_length=8, description="e.g. 2026Q2")
    status: str = Field(default="building", max_length=8, description="building|done|failed")
    filename: str = Field(default="", max_length=200)
    data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    error: str = Field(default="", max_length=200, description="why it failed, in Chinese")
    created_at: datetime = _utc_column(nullable=False, default=utcnow)
    finished_at: datetime | None = _utc_column(nullable=True)
