"""Working days: official calendar with 调休, overrides, fallback, leave."""

from __future__ import annotations

from datetime import date

import pytest

from core.calendar import LeavePeriod, WorkCalendar
from core.policy import CalendarRules

cal = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2026, 10, 10), True),  # Saturday, a 调休 workday after 国庆
        (date(2026, 10, 5), False),  # Monday, 国庆 holiday
        (date(2026, 11, 20), True),  # an ordinary Friday
        (date(2026, 11, 21), False),  # an ordinary Saturday
        (date(2027, 1, 4), True),  # 2027: no official data yet → Mon–Fri
        (date(2027, 1, 2), False),
    ],
)
def test_official_calendar_with_fallback(day: date, workday: bool) -> None:
    assert cal.is_workday(day) is workday


def test_unknown_years_are_reported_not_raised() -> None:
    assert cal.known(date(2026, 10, 10)) and not cal.known(date(2027, 3, 1))
    assert cal.unknown_years(date(2026, 12, 1), date(2027, 2, 1)) == {2027}


def test_policy_overrides_win() -> None:
    rules = CalendarRules(
        extra_holidays=frozenset({date(2026, 11, 20)}),
        extra_workdays=frozenset({date(2026, 11, 22)}),
    )
    custom = WorkCalendar(rules)
    assert not custom.is_workday(date(2026, 11, 20))
    assert custom.is_workday(date(2026, 11, 22))


def test_week_helpers_follow_the_calendar() -> None:
    # 国庆 week 2026: Oct 1–7 off; Sat Oct 10 is the week's last working day
    assert cal.last_workday_of_week(date(2026, 10, 8)) == date(2026, 10, 10)
    assert cal.last_workday_of_week(date(2026, 11, 18)) == date(2026, 11, 20)
    assert cal.previous_workday(date(2026, 10, 8)) == date(2026, 9, 30)
    assert cal.last_workdays_of_month(date(2026, 11, 3), 2) == [
        date(2026, 11, 27),
        date(2026, 11, 30),
    ]


def test_leave_excuses_working_days_only() -> None:
    leave = [LeavePeriod(1, date(2026, 11, 19), date(2026, 11, 23))]
    assert cal.required_days(date(2026, 11, 16), date(2026, 11, 24), leave) == [
        date(2026, 11, 16),
        date(2026, 11, 17),
        date(2026, 11, 18),
        date(2026, 11, 24),
    ]
