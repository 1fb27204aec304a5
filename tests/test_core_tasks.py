"""Task commands and due-day rules (core.tasks), with the 国庆 holiday of 2026."""

from __future__ import annotations

from datetime import date

import pytest

from core.calendar import WorkCalendar
from core.tasks import (
    DueInPast,
    NoDue,
    NoText,
    TaskCommand,
    due_workday,
    is_overdue,
    on_time,
    parse_task,
    remind_today,
)

CAL = WorkCalendar()
TODAY = date(2026, 11, 21)


@pytest.mark.parametrize(
    ("args", "replying", "expected"),
    [
        ("@zhangsan 整理迎检材料 截止 12-05", False,
         TaskCommand("@zhangsan", "整理迎检材料", date(2026, 12, 5))),
        ("杨帆 起草方案 截止12月5日", False, TaskCommand("杨帆", "起草方案", date(2026, 12, 5))),
        ("杨帆 起草方案 指标 K01 截止 12-05", False,
         TaskCommand("杨帆", "起草方案", date(2026, 12, 5), "K01")),
        ("核对台账 截止 01-10", True, TaskCommand(None, "核对台账", date(2027, 1, 10))),
        ("@yf 核对台账 截止：今天", True, TaskCommand("@yf", "核对台账", TODAY)),
    ],
)  # fmt: skip
def test_parse_task(args: str, replying: bool, expected: TaskCommand) -> None:
    assert parse_task(args, today=TODAY, replying=replying) == expected


@pytest.mark.parametrize(
    ("args", "replying", "error"),
    [
        ("杨帆 起草方案", False, NoDue),
        ("杨帆 起草方案 截止 下周", False, NoDue),
        ("杨帆 截止 12-05", False, NoText),
        ("截止 12-05", True, NoText),
        ("杨帆 起草方案 截止 11-01", False, DueInPast),
        ("杨帆 起草方案 截止 昨天", False, DueInPast),
    ],
)
def test_parse_task_refuses(args: str, replying: bool, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_task(args, today=TODAY, replying=replying)


@pytest.mark.parametrize(
    ("due", "workday"),
    [
        (date(2026, 9, 30), date(2026, 9, 30)),  # a working day
        (date(2026, 10, 3), date(2026, 10, 8)),  # in 国庆: the first working day after
        (date(2026, 10, 1), date(2026, 10, 8)),
        (date(2026, 10, 11), date(2026, 10, 12)),  # a Sunday after the 10-10 调休 Saturday
        (date(2026, 10, 10), date(2026, 10, 10)),  # 调休: a Saturday that is a working day
    ],
)
def test_due_workday(due: date, workday: date) -> None:
    assert due_workday(CAL, due) == workday


@pytest.mark.parametrize(
    ("due", "today", "overdue"),
    [
        (date(2026, 9, 30), date(2026, 9, 30), False),
        (date(2026, 9, 30), date(2026, 10, 1), True),  # the holiday after it: already late
        (date(2026, 10, 3), date(2026, 10, 7), False),  # due in the holiday: moves to 10-08
        (date(2026, 10, 3), date(2026, 10, 8), False),
        (date(2026, 10, 3), date(2026, 10, 9), True),
    ],
)
def test_overdue_across_the_national_day_holiday(due: date, today: date, overdue: bool) -> None:
    assert is_overdue(CAL, due, today=today) is overdue
    assert is_overdue(CAL, due, today=today, done=True) is False


def test_on_time_counts_the_moved_due_day() -> None:
    assert on_time(CAL, date(2026, 10, 3), done_on=date(2026, 10, 8))
    assert not on_time(CAL, date(2026, 10, 3), done_on=date(2026, 10, 9))


@pytest.mark.parametrize(
    ("today", "workdays", "expected"),
    [
        (date(2026, 10, 8), 1, True),  # the moved due day itself
        (date(2026, 9, 30), 1, True),  # the working day before it (across the holiday)
        (date(2026, 9, 29), 1, False),
        (date(2026, 9, 29), 2, True),
        (date(2026, 10, 3), 1, False),  # never on a holiday
        (date(2026, 10, 9), 1, False),  # after the due day: task_overdue's business
    ],
)
def test_remind_today(today: date, workdays: int, expected: bool) -> None:
    assert remind_today(CAL, date(2026, 10, 3), today=today, workdays=workdays) is expected
