"""The quarter-end calendar (DESIGN §6): when 实绩申报 and ratings open and close, when
results are published and when feedback talks are due. Pure: policy + calendar in,
dates out.

For quarter Q (working days, by the official calendar with 调休 and overrides):

    declare_open    the `declare_opens_before_end`-th last working day of Q
    declare_close   the `declare_closes_after_end`-th working day after Q (at the deadline)
    ratings_open    the working day after declare_close
    ratings_close   the `ratings_workdays`-th working day from ratings_open (at the deadline)
    results         the working day after ratings_close (quarter_close publishes: 公示)
    talks_due       `talks_within_workdays` working days after results
    publicity_end   the last day of 公示: the `publicity_days`-th working day from results
                    (results itself if publicity_days ≤ 1)
    final           results_final makes the results final: the working day after
                    publicity_end (results itself if publicity_days = 0)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from core.calendar import WorkCalendar
from core.policy import Policy
from core.quarter import Quarter

# Far enough to find the n-th working day around the longest holiday (春节, 国庆).
_SEARCH_DAYS = 120


@dataclass(frozen=True, slots=True)
class QuarterEndWindow:
    """The quarter-end dates of one quarter."""

    quarter: Quarter
    declare_open: date
    declare_close: date
    ratings_open: date
    ratings_close: date
    results: date
    talks_due: date
    publicity_end: date
    final: date

    def in_publicity(self, day: date) -> bool:
        """Whether `day` falls in the 公示 of the quarter's results."""
        return self.results <= day < self.final

    def declaring(self, day: date) -> bool:
        """Whether 实绩申报 is open on `day` (the close day included)."""
        return self.declare_open <= day <= self.declare_close

    def rating(self, day: date) -> bool:
        """Whether ratings are open on `day` (the close day included)."""
        return self.ratings_open <= day <= self.ratings_close


def window(policy: Policy, calendar: WorkCalendar, quarter: Quarter) -> QuarterEndWindow:
    """The quarter-end dates of `quarter` under `policy`."""
    rules = policy.quarter_end
    declare_open = _nth_workday_back(calendar, quarter.end, rules.declare_opens_before_end)
    declare_close = _nth_workday_after(calendar, quarter.end, rules.declare_closes_after_end)
    ratings_open = _nth_workday_after(calendar, declare_close, 1)
    ratings_close = _nth_workday_after(calendar, declare_close, rules.ratings_workdays)
    results = _nth_workday_after(calendar, ratings_close, 1)
    talks_due = _nth_workday_after(calendar, results, rules.talks_within_workdays)
    days = rules.publicity_days
    publicity_end = _nth_workday_after(calendar, results, days - 1) if days > 1 else results
    final = _nth_workday_after(calendar, publicity_end, 1) if days else results
    return QuarterEndWindow(
        quarter, declare_open, declare_close, ratings_open, ratings_close, results, talks_due,
        publicity_end, final,
    )  # fmt: skip


def windows_around(
    policy: Policy, calendar: WorkCalendar, day: date
) -> tuple[QuarterEndWindow, QuarterEndWindow]:
    """The windows of the quarter before `day`'s and of `day`'s own quarter: a day can
    belong to the closing of the previous quarter or to the opening of its own."""
    quarter = Quarter.of(day)
    return window(policy, calendar, quarter.previous()), window(policy, calendar, quarter)


def _nth_workday_back(calendar: WorkCalendar, last: date, n: int) -> date:
    """The n-th working day counting back from `last` (inclusive)."""
    day, seen = last, 0
    for _ in range(_SEARCH_DAYS):
        if calendar.is_workday(day):
            seen += 1
            if seen == n:
                return day
        day -= timedelta(days=1)
    return day


def _nth_workday_after(calendar: WorkCalendar, after: date, n: int) -> date:
    """The n-th working day strictly after `after`."""
    day, seen = after, 0
    for _ in range(_SEARCH_DAYS):
        day += timedelta(days=1)
        if calendar.is_workday(day):
            seen += 1
            if seen == n:
                return day
    return day
