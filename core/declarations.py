"""实绩申报 (DESIGN §6): a person's quarterly list of achievements. Pure vocabulary and
rules; storage keeps the items, the bot asks for them.

A declaration belongs to the quarter whose window (core.quarter_end) is open: it opens in
the quarter's last working days and closes in the next quarter's first ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum

from core.calendar import WorkCalendar
from core.grades import Grade
from core.policy import Policy
from core.quarter import Quarter
from core.quarter_end import QuarterEndWindow, window, windows_around

MAX_ITEMS = 5
MAX_TEXT = 500  # characters of one item: a sentence or two, not an essay


class TaskSource(StrEnum):
    """Where a declared achievement comes from (任务来源)."""

    ANNUAL = "annual"
    TEMPORARY = "temporary"
    CHOSEN = "chosen"

    @property
    def label(self) -> str:
        """The Chinese name shown on buttons and lists."""
        return SOURCE_LABELS[self]


SOURCE_LABELS: dict[TaskSource, str] = {
    TaskSource.ANNUAL: "年度指标",
    TaskSource.TEMPORARY: "临时任务",
    TaskSource.CHOSEN: "自选",
}


@dataclass(frozen=True, slots=True)
class DeclaredItem:
    """One declared achievement as the rest of the app sees it."""

    position: int  # 1-based
    text: str
    source: TaskSource
    self_rating: Grade


class DeclarationError(ValueError):
    """A declaration change the rules do not allow (message is for the log)."""


def check_text(text: str) -> str:
    """The item text, stripped; DeclarationError if empty or too long."""
    text = text.strip()
    if not text:
        raise DeclarationError("empty item")
    if len(text) > MAX_TEXT:
        raise DeclarationError(f"item longer than {MAX_TEXT} characters")
    return text


def _closed(window: QuarterEndWindow, policy: Policy, day: date, at: time | None) -> bool:
    """Whether the window's declaration closed by `day` at `at` (the close day's deadline;
    without a time, at the end of the close day)."""
    if day != window.declare_close:
        return day > window.declare_close
    return at is not None and at >= policy.schedule.deadline


def open_window(
    policy: Policy, calendar: WorkCalendar, day: date, at: time | None = None
) -> QuarterEndWindow | None:
    """The quarter-end window whose declaration is open on `day` at local time `at`."""
    before, current = windows_around(policy, calendar, day)
    for candidate in (before, current):
        if candidate.declaring(day) and not _closed(candidate, policy, day, at):
            return candidate
    return None


def next_window(policy: Policy, calendar: WorkCalendar, day: date) -> QuarterEndWindow:
    """The window whose declaration opens next after `day` (for "opens on …")."""
    before, current = windows_around(policy, calendar, day)
    if day < before.declare_open:
        return before
    if day < current.declare_open:
        return current
    return window(policy, calendar, Quarter.of(day).next())


def last_window(
    policy: Policy, calendar: WorkCalendar, day: date, at: time | None = None
) -> QuarterEndWindow:
    """The latest window whose declaration closed by `day` at `at`."""
    before, current = windows_around(policy, calendar, day)
    for candidate in (current, before):
        if _closed(candidate, policy, day, at):
            return candidate
    return window(policy, calendar, Quarter.of(day).previous().previous())
