"""Working days: the official mainland calendar with 调休 workdays, policy overrides, leave.

`chinese_calendar` is a pure lookup table shipped as code (no I/O), so the core may use
it. It has data only for the years it was released with; for any other year the
calendar falls back to Monday–Friday and says so (`known`), so the shell can log it and
tell the admins once. Nothing here ever raises for an unknown year.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

from core.policy import CalendarRules

SATURDAY = 5


@lru_cache(maxsize=8192)  # the package checks every date against its whole table (~0.1 ms)
def official_workday(day: date) -> bool | None:
    """The official answer (with 调休), or None for a year the package has no data for."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@dataclass(frozen=True, slots=True)
class LeavePeriod:
    """Days (inclusive) on which a person is excused: 请假 / 出差 / 培训."""

    person_id: int
    start: date
    end: date

    def covers(self, day: date) -> bool:
        """Whether `day` falls in the period."""
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """Which days are working days for the unit."""

    rules: CalendarRules = field(default_factory=CalendarRules)

    def known(self, day: date) -> bool:
        """Whether the official calendar has data for the day's year."""
        return official_workday(day) is not None

    def is_workday(self, day: date) -> bool:
        """Official calendar with 调休, overridden by the policy; Mon–Fri where unknown."""
        if day in self.rules.extra_holidays:
            return False
        if day in self.rules.extra_workdays:
            return True
        official = official_workday(day)
        return day.weekday() < SATURDAY if official is None else official

    def workdays(self, start: date, end: date) -> list[date]:
        """Working days from start to end, inclusive."""
        return [day for day in _days(start, end) if self.is_workday(day)]

    def unknown_years(self, start: date, end: date) -> set[int]:
        """Years in [start, end] for which the fallback is used."""
        years = range(start.year, end.year + 1)
        return {year for year in years if not self.known(date(year, 6, 1))}

    def week_of(self, day: date) -> tuple[date, date]:
        """Monday and Sunday of the ISO week containing `day`."""
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)

    def last_workday_of_week(self, day: date) -> date | None:
        """The week's last working day (the weekly report's due day), if it has one."""
        monday, sunday = self.week_of(day)
        days = self.workdays(monday, sunday)
        return days[-1] if days else None

    def last_workdays_of_month(self, day: date, count: int) -> list[date]:
        """The last `count` working days of the month containing `day`."""
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return self.workdays(first, following - timedelta(days=1))[-count:] if count else []

    def previous_workday(self, day: date) -> date:
        """The working day before `day` (searching back at most a year)."""
        for back in range(1, 370):
            candidate = day - timedelta(days=back)
            if self.is_workday(candidate):
                return candidate
        return day - timedelta(days=1)

    def required_days(
        self, start: date, end: date, leave: Iterable[LeavePeriod] = ()
    ) -> list[date]:
        """Working days in [start, end] not covered by any of the person's leave."""
        periods = list(leave)
        return [d for d in self.workdays(start, end) if not any(p.covers(d) for p in periods)]


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)
