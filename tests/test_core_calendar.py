"""Working days: official calendar with 调休, overrides, fallback, leave."""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest

from core.calendar import (
    HolidayNotice,
    LeavePeriod,
    Source,
    WorkCalendar,
    statutory_days_off,
)
from core.policy import CalendarRules

cal = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2026, 10, 10), True),  # Saturday, a 调休 workday after 国庆
        (date(2026, 10, 5), False),  # Monday, 国庆 holiday
        (date(2026, 11, 20), True),  # an ordinary Friday
        (date(2026, 11, 21), False),  # an ordinary Saturday
        (date(2027, 1, 4), True),  # 2027: no official data yet → statutory + weekends
        (date(2027, 1, 2), False),
        (date(2027, 1, 1), False),  # 元旦, a Friday
        (date(2027, 2, 5), False),  # 除夕 (Fri); 春节 Sat–Mon, 补假 Tue and Wed
        (date(2027, 2, 10), False),
        (date(2027, 2, 11), True),
    ],
)
def test_official_calendar_with_fallback(day: date, workday: bool) -> None:
    assert cal.is_workday(day) is workday


def test_statutory_fallback_has_every_holiday_of_the_law_for_2027() -> None:
    days_off, extra_workdays = cal.year_facts(2027)
    assert cal.source(2027) is Source.STATUTORY and extra_workdays == []
    expected = ["01-01", "02-05", "02-08", "02-09", "02-10", "04-05", "05-03", "05-04"]
    expected += ["06-09", "09-15", "10-01", "10-04", "10-05"]
    assert [f"{d:%m-%d}" for d in days_off] == expected


def test_statutory_fallback_agrees_with_the_package_on_its_statutory_days() -> None:
    # where chinese_calendar knows the year, every statutory weekday off is off there too
    for year in (2025, 2026):
        for day in statutory_days_off(year):
            if day.weekday() < 5:
                assert not chinese_calendar.is_workday(day), day


def test_a_notice_beats_the_package_and_the_policy_beats_the_notice() -> None:
    notice = HolidayNotice(2026, frozenset({date(2026, 11, 20)}), frozenset({date(2026, 11, 21)}))
    with_notice = cal.with_notices([notice])
    assert with_notice.source(2026) is Source.NOTICE and cal.source(2026) is Source.PACKAGE
    assert not with_notice.is_workday(date(2026, 11, 20))
    assert with_notice.is_workday(date(2026, 11, 21))
    assert with_notice.is_workday(date(2026, 10, 5))  # a notice year: unlisted days are Mon–Fri
    rules = CalendarRules(extra_workdays=frozenset({date(2026, 11, 20)}))
    assert WorkCalendar(rules).with_notices([notice]).is_workday(date(2026, 11, 20))


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
