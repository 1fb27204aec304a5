"""Working days: the official mainland calendar with 调休 workdays, policy overrides, leave.

Where a day's answer comes from, first that applies (DESIGN §2):
1. the policy's `extra_holidays` / `extra_workdays` (the unit's own overrides);
2. the State Council's notice for the year, imported by an admin (`HolidayNotice`, kept
   in the database and handed in by the shell);
3. `chinese_calendar`'s table, for the years it was released with;
4. the statutory fallback: the holidays of 《全国年节及纪念日放假办法》 computed for the
   year (lunar dates included, and the 补假 on a working day when one falls on a
   weekend, Art. 6) by the `holidays` package, plus weekends. Only the 调休 workdays are
   unknown then, and `known()` says so, so the shell can tell the admins.

`chinese_calendar` and `holidays` are lookup tables and date arithmetic shipped as code,
so the core may use them. Nothing here ever raises for an unknown year.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import chinese_calendar
import holidays

from core.policy import CalendarRules

SATURDAY = 5
MAX_RUN = 31  # the longest run of days off looked for around a holiday


class Source(StrEnum):
    """Where a year's official calendar comes from (`kaohe calendar show`)."""

    NOTICE = "notice"
    PACKAGE = "package"
    STATUTORY = "statutory"


@dataclass(frozen=True, slots=True)
class HolidayNotice:
    """One year's schedule as the State Council's notice gives it (国务院办公厅通知).

    `days_off` are the days of the holidays (放假, 补休), weekends inside them included;
    `workdays` the 调休 days worked (上班), usually weekends. A listed date may lie in the
    neighbouring year (a 元旦 holiday's Saturday worked on 31 December)."""

    year: int
    days_off: frozenset[date]
    workdays: frozenset[date]

    def says(self, day: date) -> bool | None:
        """Whether the notice makes `day` a working day, or None if it does not name it."""
        if day in self.days_off:
            return False
        if day in self.workdays:
            return True
        return None


@lru_cache(maxsize=8192)  # the package checks every date against its whole table (~0.1 ms)
def package_workday(day: date) -> bool | None:
    """`chinese_calendar`'s answer (with 调休), or None for a year it has no data for."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@lru_cache(maxsize=64)
def statutory_days_off(year: int) -> frozenset[date]:
    """The year's statutory holidays and their 补假 days, as the law alone gives them."""
    return frozenset(holidays.country_holidays("CN", years=year, language="en_US"))


def official_workday(day: date) -> bool | None:
    """The package's answer, or None for a year it has no data for (kept for callers)."""
    return package_workday(day)


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
    notices: Mapping[int, HolidayNotice] = field(default_factory=dict, compare=False)

    def with_notices(self, notices: Iterable[HolidayNotice]) -> WorkCalendar:
        """The same calendar with these imported notices (by year) in force."""
        return WorkCalendar(self.rules, {notice.year: notice for notice in notices})

    def source(self, year: int) -> Source:
        """Where the year's official calendar comes from."""
        if year in self.notices:
            return Source.NOTICE
        if package_workday(date(year, 6, 1)) is not None:
            return Source.PACKAGE
        return Source.STATUTORY

    def known(self, day: date) -> bool:
        """Whether the year's 调休 workdays are known (a notice, or the package's data)."""
        return self.source(day.year) is not Source.STATUTORY

    def official(self, day: date) -> bool:
        """The official answer without the policy's overrides: notice, package, statutory."""
        for year in (day.year, day.year + 1, day.year - 1):
            notice = self.notices.get(year)
            if notice is not None and (said := notice.says(day)) is not None:
                return said
        if day.year in self.notices:
            return day.weekday() < SATURDAY
        package = package_workday(day)
        if package is not None:
            return package
        return day.weekday() < SATURDAY and day not in statutory_days_off(day.year)

    def is_workday(self, day: date) -> bool:
        """Official calendar with 调休, overridden by the policy."""
        if day in self.rules.extra_holidays:
            return False
        if day in self.rules.extra_workdays:
            return True
        return self.official(day)

    def year_facts(self, year: int) -> tuple[list[date], list[date]]:
        """(weekdays that are not working days, weekend days that are), both sorted."""
        days_off, extra_workdays = [], []
        for day in _days(date(year, 1, 1), date(year, 12, 31)):
            weekday, working = day.weekday() < SATURDAY, self.is_workday(day)
            if weekday and not working:
                days_off.append(day)
            elif not weekday and working:
                extra_workdays.append(day)
        return days_off, extra_workdays

    def holiday_runs(self, start: date, end: date) -> list[tuple[date, date]]:
        """Holidays touching [start, end]: each weekday off there, widened to its whole run
        of days off (the weekend days joined to it), as (first, last) pairs."""
        runs: list[tuple[date, date]] = []
        for day in _days(start, end):
            if day.weekday() >= SATURDAY or self.is_workday(day):
                continue
            if runs and runs[-1][0] <= day <= runs[-1][1]:
                continue
            first, last = day, day
            for _ in range(MAX_RUN):
                if self.is_workday(first - timedelta(days=1)):
                    break
                first -= timedelta(days=1)
            for _ in range(MAX_RUN):
                if self.is_workday(last + timedelta(days=1)):
                    break
                last += timedelta(days=1)
            runs.append((first, last))
        return runs

    def weekend_workdays(self, start: date, end: date) -> list[date]:
        """Saturdays and Sundays in [start, end] that are working days (调休)."""
        return [d for d in _days(start, end) if d.weekday() >= SATURDAY and self.is_workday(d)]

    def workdays(self, start: date, end: date) -> list[date]:
        """Working days from start to end, inclusive."""
        return [day for day in _days(start, end) if self.is_workday(day)]

    def unknown_years(self, start: date, end: date) -> set[int]:
        """Years in [start, end] for which the statutory fallback is used."""
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
