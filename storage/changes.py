"""Which committed writes could change a quarter figure, and from which day on (issue 21).

Every INSERT / UPDATE / DELETE that goes through SQLAlchemy in this process is noted on
its connection (`before_execute`); when the connection commits, the notes become a
`Changes` step: the generation counter moves on, and the first day whose standing may
have changed is remembered. A write whose day is known (a report or record filed for a
day, a leave from its first day) changes the standings from that day on; any other
write to a table that feeds the figures (a review, a void, a rating, a task, the roster,
a setting) counts as changing every day. Writes to tables that never feed a figure
(update claims, echo queues and batches, sent messages, job runs, the audit log, report
texts) change nothing. A rollback drops the notes.

Cached standings compare `version(end)` — the generation of the last change that could
reach `end` — with the one they were computed at (bot/figures.py). The tracker is per
process: another instance's writes are not seen (see README, 'Figures cache').
"""

from __future__ import annotations

import contextlib
import re
import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import Pool
from sqlalchemy.sql.dml import UpdateBase

# tables whose rows never enter a figure (DESIGN §7): writes to them change no standing
QUIET_TABLES = frozenset(
    {
        "update_claim",
        "echo_queue",
        "echo_batch",
        "echo_budget",
        "sent_message",
        "job_run",
        "audit_log",
        "unreachable",
        "reportitem",
        "reportitemrevision",
        "reportreply",
        "feedback_talk",
        "chatgroup",
        "web_token",
        "web_export",
        "alembic_version",
    }
)
# tables whose inserted rows carry the first day they count on
DAY_COLUMNS = {"report": "day", "record": "day", "leave": "start"}
EVERY_DAY = date.min  # "changes every day"
_KEY = "kaohe_changes"
_COMMITTED = "kaohe_committed"
_SQL_TABLE = re.compile(
    r"^\s*(?:insert\s+(?:or\s+\w+\s+)?into|update|delete\s+from|replace\s+into)\s+\"?(\w+)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What `version` needs, small enough to send to a worker process."""

    every: int  # generation of the last change to every day
    days: tuple[tuple[date, int], ...]  # (first changed day, generation), day-sorted

    def version(self, end: date) -> int:
        """Generation of the last change that can reach the standing at `end`."""
        found = self.every
        for day, generation in self.days:
            if day > end:
                break
            found = max(found, generation)
        return found


class Changes:
    """The process's record of committed figure changes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation = 0
        self.every = 0
        self.days: dict[date, int] = {}

    def note(self, first_day: date) -> None:
        """A committed change to the standings from `first_day` on (EVERY_DAY: all)."""
        with self.lock:
            self.generation += 1
            if first_day == EVERY_DAY:
                self.every = self.generation
                self.days.clear()  # older day marks are covered by `every`
            else:
                self.days[first_day] = self.generation

    def snapshot(self) -> Snapshot:
        """The current state, for `Snapshot.version`."""
        with self.lock:
            return Snapshot(self.every, tuple(sorted(self.days.items())))


CHANGES = Changes()


def _first_day(table: str, params: Any) -> date:
    """The first day a write to `table` with these bound parameters can change."""
    column = DAY_COLUMNS.get(table)
    if column is None:
        return EVERY_DAY
    rows = params if isinstance(params, list | tuple) else [params]
    days = [row.get(column) if isinstance(row, dict) else None for row in rows]
    if not days or not all(isinstance(d, date) for d in days):
        return EVERY_DAY  # an UPDATE / DELETE by id, or values inlined: assume any day
    return min(days)


def _statement_table(statement: Any) -> str | None:
    if isinstance(statement, UpdateBase):
        table = getattr(statement, "table", None)
        return getattr(table, "name", None)
    if isinstance(statement, str):
        text = statement
    elif hasattr(statement, "text"):
        text = str(statement.text)
    else:
        return None
    found = _SQL_TABLE.match(text)
    return found.group(1).lower() if found else None


def _before_execute(
    conn: Connection, statement: Any, multiparams: Any, params: Any, _options: Any
) -> None:
    table = _statement_table(statement)
    if table is None or table in QUIET_TABLES:
        return
    day = EVERY_DAY  # an UPDATE / DELETE, text() or inlined values: any day
    if (
        isinstance(statement, UpdateBase)
        and statement.is_insert
        and table in DAY_COLUMNS
        and not getattr(statement, "_multi_values", None)
        and not getattr(statement, "_values", None)
    ):
        day = _first_day(table, multiparams or params or {})
    pending: list[date] = conn.info.setdefault(_KEY, [])
    pending.append(day)


def _commit(conn: Connection) -> None:
    """The `commit` event comes before the database has the data: note the change now
    (a standing read from here on is suspect) and again when the connection goes back to
    the pool, after the commit (a standing read meanwhile may lack it)."""
    pending = conn.info.pop(_KEY, None)
    if pending:
        day = min(pending)
        CHANGES.note(day)
        before = conn.info.get(_COMMITTED)
        conn.info[_COMMITTED] = day if before is None else min(before, day)


def _checkin(_dbapi_connection: Any, record: Any) -> None:
    day = record.info.pop(_COMMITTED, None) if record is not None else None
    if day is not None:
        CHANGES.note(day)


def _rollback(conn: Connection) -> None:
    # A rollback after a cancelled or failed statement runs on an invalidated connection,
    # whose `info` raises: the notes go with the connection then, and the rollback (the
    # session's clean-up) must not fail for their sake.
    with contextlib.suppress(Exception):
        conn.info.pop(_KEY, None)


def install() -> None:
    """Listen on every engine of the process (idempotent)."""
    if event.contains(Engine, "commit", _commit):
        return
    event.listen(Engine, "before_execute", _before_execute)
    event.listen(Engine, "commit", _commit)
    event.listen(Engine, "rollback", _rollback)
    event.listen(Pool, "checkin", _checkin)
