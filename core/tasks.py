"""Tasks (动态指标 / 督查督办, DESIGN §10): the `/task` command and the due-day rules.

Due days are judged on working days (official calendar with 调休, policy overrides):
- a task's **due working day** is its due date, or the next working day when the date is
  not one (a task due on 10-03, in the 国庆 holiday, is due on 10-08);
- a task is **overdue** once its due working day has ended without it being done, i.e. on
  any later day (the `task_overdue` job, which runs on working days, warns the first
  working morning after);
- a task done (marked by the assignee) on or before its due working day is **on time**;
- `task_due` reminds on the due working day and on the `remind_workdays` working days
  before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from core.calendar import WorkCalendar
from core.reports import BadDate, parse_day

MAX_TEXT = 500
_DUE = re.compile(r"(?:截止|截至|期限|due)\s*[:：]?\s*(\S+)\s*$", re.IGNORECASE)
_INDICATOR = re.compile(r"(?:^|\s)(?:指标|#)\s*[:：]?\s*([A-Za-z0-9_\-.]+)\s*$")


class TaskStatus(StrEnum):
    """Where a task stands."""

    OPEN = "open"  # assigned (or sent back), being worked on
    DONE = "done"  # the assignee marked it done; awaiting the leader's acceptance
    ACCEPTED = "accepted"  # accepted with a quality rating

    @property
    def label(self) -> str:
        """办理中 / 待验收 / 已验收."""
        return {"open": "办理中", "done": "待验收", "accepted": "已验收"}[self.value]


class TaskInputError(ValueError):
    """A `/task` command that cannot be understood."""


class NoDue(TaskInputError):
    """No 截止 date."""


class DueInPast(TaskInputError):
    """The due date has already passed."""


class NoText(TaskInputError):
    """No task content."""


@dataclass(frozen=True, slots=True)
class TaskCommand:
    """`/task [@某人] 内容 [指标 编号] 截止 MM-DD`, validated."""

    target: str | None  # @username / 姓名 / 工号; None when the command replies to a message
    text: str
    due: date
    indicator: str | None = None


def parse_task(args: str, *, today: date, replying: bool) -> TaskCommand:
    """Parse a `/task` command's arguments. Without a reply the first word names the assignee."""
    words = args.strip()
    match = _DUE.search(words)
    if match is None:
        raise NoDue(words)
    try:
        due = parse_day(match[1], today=today)
    except BadDate as exc:
        raise NoDue(match[1]) from exc
    if due < today:
        # MM-DD means the nearest such day; a deadline is never in the past.
        try:
            due = due.replace(year=due.year + 1)
        except ValueError as exc:
            raise DueInPast(match[1]) from exc
        if (due - today).days > 200:
            raise DueInPast(match[1])
    words = words[: match.start()].strip()
    indicator = None
    if found := _INDICATOR.search(words):
        indicator = found[1]
        words = words[: found.start()].strip()
    target = None
    if not replying or words.startswith("@"):
        head, _, words = words.partition(" ")
        target = head or None
        words = words.strip()
    if not words:
        raise NoText(args)
    if target is None and not replying:
        raise NoText(args)
    return TaskCommand(target, words[:MAX_TEXT], due, indicator)


def due_workday(calendar: WorkCalendar, due: date) -> date:
    """The due date, or the next working day when it is not one (searching a year)."""
    for ahead in range(370):
        day = due + timedelta(days=ahead)
        if calendar.is_workday(day):
            return day
    return due


def is_overdue(calendar: WorkCalendar, due: date, *, today: date, done: bool = False) -> bool:
    """Whether a task not done by `today` is past its due working day."""
    return not done and today > due_workday(calendar, due)


def on_time(calendar: WorkCalendar, due: date, *, done_on: date) -> bool:
    """Whether a task marked done on `done_on` was done by its due working day."""
    return done_on <= due_workday(calendar, due)


def remind_today(calendar: WorkCalendar, due: date, *, today: date, workdays: int) -> bool:
    """Whether `task_due` reminds about an open task today: on working days from
    `workdays` working days before its due working day up to that day."""
    deadline = due_workday(calendar, due)
    if not calendar.is_workday(today) or today > deadline:
        return False
    between = calendar.workdays(today + timedelta(days=1), deadline)
    return len(between) <= workdays
