"""Filing status, command arguments, drafts and figures (pure)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from core.calendar import LeavePeriod, WorkCalendar
from core.policy import Policy, Schedule
from core.reports import (
    BackfillTooOld,
    BadDate,
    BadPeriod,
    FilingStatus,
    FutureDate,
    MissingReason,
    TooLong,
    classify_daily,
    classify_weekly,
    figures,
    parse_daily,
    parse_day,
    parse_leave,
    weekly_draft,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
policy = Policy()
cal = WorkCalendar()
FRI = date(2026, 11, 20)


def at(*parts: int) -> datetime:
    """A local wall-clock time in the unit's zone."""
    return datetime(*parts, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("day", "filed_at", "expected"),
    [
        (FRI, at(2026, 11, 20, 19, 59, 59), FilingStatus.ON_TIME),
        (FRI, at(2026, 11, 20, 20, 0, 0), FilingStatus.LATE),
        (FRI, at(2026, 11, 20, 23, 59), FilingStatus.LATE),
        (date(2026, 11, 19), at(2026, 11, 20, 9, 0), FilingStatus.BACKFILL),
        (date(2026, 11, 21), at(2026, 11, 21, 10, 0), FilingStatus.VOLUNTARY),  # Saturday
        (date(2026, 10, 5), at(2026, 10, 5, 10, 0), FilingStatus.VOLUNTARY),  # 国庆
        (date(2026, 10, 10), at(2026, 10, 10, 10, 0), FilingStatus.ON_TIME),  # 调休 Saturday
    ],
)
def test_daily_status(day: date, filed_at: datetime, expected: FilingStatus) -> None:
    assert classify_daily(policy, cal, day=day, filed_at=filed_at) is expected


def test_daily_on_leave_is_voluntary() -> None:
    leave = [LeavePeriod(1, FRI, FRI)]
    status = classify_daily(policy, cal, day=FRI, filed_at=at(2026, 11, 20, 9), leave=leave)
    assert status is FilingStatus.VOLUNTARY


def test_deadline_comes_from_the_policy() -> None:
    early = Policy(schedule=Schedule(deadline=time(18, 0)))
    when = at(2026, 11, 20, 18, 30)
    assert classify_daily(early, cal, day=FRI, filed_at=when) is FilingStatus.LATE


@pytest.mark.parametrize(
    ("filed_at", "due", "status"),
    [
        (at(2026, 11, 18, 10), date(2026, 11, 20), FilingStatus.ON_TIME),
        (at(2026, 11, 20, 20, 1), date(2026, 11, 20), FilingStatus.LATE),
        (at(2026, 11, 21, 9), date(2026, 11, 20), FilingStatus.LATE),
        (at(2026, 10, 9, 9), date(2026, 10, 10), FilingStatus.ON_TIME),  # due on 调休 Sat
        (at(2026, 10, 3, 9), date(2026, 9, 30), FilingStatus.LATE),  # 国庆 began Thu
        (at(2026, 2, 18, 9), date(2026, 2, 22), FilingStatus.VOLUNTARY),  # 春节 week
    ],
)
def test_weekly_due_day_and_status(filed_at: datetime, due: date, status: FilingStatus) -> None:
    assert classify_weekly(policy, cal, filed_at=filed_at) == (due, status)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11-20", date(2026, 11, 20)),
        ("11/19", date(2026, 11, 19)),
        ("11月18日", date(2026, 11, 18)),
        ("2026-11-17", date(2026, 11, 17)),
        ("昨天", date(2026, 11, 19)),
        ("12-30", date(2026, 12, 30)),  # the nearest 12-30
        ("1-2", date(2027, 1, 2)),
    ],
)
def test_parse_day(text: str, expected: date) -> None:
    assert parse_day(text, today=FRI) == expected


def test_parse_day_near_new_year() -> None:
    assert parse_day("12-30", today=date(2027, 1, 2)) == date(2026, 12, 30)
    with pytest.raises(BadDate):
        parse_day("2-29", today=date(2026, 11, 20))  # no 2-29 within a year either way


@pytest.mark.parametrize("text", ["13-01", "2-30", "明天见"])
def test_parse_day_refuses_nonsense(text: str) -> None:
    with pytest.raises(BadDate):
        parse_day(text, today=FRI)


def test_daily_arguments() -> None:
    assert parse_daily("整理档案 11-20 的材料", today=FRI, backfill_days=3).day == FRI
    backfill = parse_daily("11-18 补写：走访企业", today=FRI, backfill_days=3)
    assert (backfill.day, backfill.text) == (date(2026, 11, 18), "补写：走访企业")
    with pytest.raises(BackfillTooOld) as old:
        parse_daily("11-16 太早了", today=FRI, backfill_days=3)
    assert old.value.limit == 3
    with pytest.raises(FutureDate):
        parse_daily("2026-11-23 明天的事", today=FRI, backfill_days=3)
    with pytest.raises(TooLong):
        parse_daily("字" * 4097, today=FRI, backfill_days=3)


def test_leave_arguments() -> None:
    one = parse_leave(["11-24", "培训"], today=FRI)
    assert (one.start, one.end, one.reason) == (date(2026, 11, 24), date(2026, 11, 24), "培训")
    span = parse_leave(["12-30", "1-3", "出差", "北京"], today=FRI)
    assert (span.start, span.end, span.reason) == (
        date(2026, 12, 30),
        date(2027, 1, 3),
        "出差 北京",
    )
    with pytest.raises(MissingReason):
        parse_leave(["11-24", "11-26"], today=FRI)
    with pytest.raises(BadPeriod):
        parse_leave(["11-26", "11-24", "x"], today=FRI)


def test_weekly_draft_groups_items_by_day() -> None:
    items = [(date(2026, 11, 16), "走访企业"), (date(2026, 11, 16), "整理台账"), (FRI, "写周报")]
    draft = weekly_draft(items, start=date(2026, 11, 16), end=date(2026, 11, 20))
    assert draft.splitlines() == [
        "本周工作（11月16日—11月20日）",
        "周一：走访企业；整理台账",
        "周五：写周报",
    ]


def test_figures_count_required_days_leave_and_reviews() -> None:
    mon, tue, wed = date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)
    filed = {
        (1, mon): FilingStatus.ON_TIME,
        (1, tue): FilingStatus.LATE,
        (2, mon): FilingStatus.ON_TIME,
    }
    result = figures(
        cal,
        people=[1, 2],
        start=mon,
        end=wed,
        leave={2: [LeavePeriod(2, tue, wed)]},
        filed=filed,
        reviewed={(1, mon)},
    )
    assert (result.required, result.filed, result.on_time) == (4, 3, 2)
    assert result.filing_rate == 0.75
    assert (result.reports, result.reviewed) == (3, 1)
