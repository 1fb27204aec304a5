"""Daily and weekly reports: filing status, command arguments, drafts and figures."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from core.calendar import LeavePeriod, WorkCalendar
from core.policy import Policy

MAX_TEXT = 4096
MAX_LEAVE_DAYS = 92
WEEKDAYS = "一二三四五六日"


class FilingStatus(StrEnum):
    """How a report counts (DESIGN §3)."""

    ON_TIME = "on_time"
    LATE = "late"
    BACKFILL = "backfill"
    VOLUNTARY = "voluntary"


STATUS_LABELS = {
    FilingStatus.ON_TIME: "按时",
    FilingStatus.LATE: "迟报",
    FilingStatus.BACKFILL: "补报",
    FilingStatus.VOLUNTARY: "自愿",
}


class ReportKind(StrEnum):
    """日报 or 周报."""

    DAILY = "daily"
    WEEKLY = "weekly"


class InputError(ValueError):
    """A command the user typed cannot be accepted; nothing is stored."""


class EmptyText(InputError):
    """No report text."""


class InvisibleText(EmptyText):
    """Only characters nobody can see (zero-width, direction marks, fillers)."""


class NulCharacter(InputError):
    """A NUL character, which no database column should hold (PostgreSQL refuses it)."""


class TooLong(InputError):
    """Longer than Telegram's 4096 characters."""


class BadDate(InputError):
    """A date that could not be read."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class FutureDate(InputError):
    """A report for a day that has not come yet."""


class BackfillTooOld(InputError):
    """Older than the policy's backfill window."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class MissingReason(InputError):
    """Leave without 事由."""


class BadPeriod(InputError):
    """Leave that ends before it starts, or is too long."""


def classify_daily(
    policy: Policy,
    calendar: WorkCalendar,
    *,
    day: date,
    filed_at: datetime,
    leave: Iterable[LeavePeriod] = (),
) -> FilingStatus:
    """Status of a daily report for `day` first filed at local time `filed_at`."""
    if not calendar.is_workday(day) or any(p.covers(day) for p in leave):
        return FilingStatus.VOLUNTARY
    if day < filed_at.date():
        return FilingStatus.BACKFILL
    if filed_at.time() >= policy.schedule.deadline:
        return FilingStatus.LATE
    return FilingStatus.ON_TIME


def classify_weekly(
    policy: Policy, calendar: WorkCalendar, *, filed_at: datetime
) -> tuple[date, FilingStatus]:
    """The weekly report's due day and status, filed at local time `filed_at`."""
    due = calendar.last_workday_of_week(filed_at.date())
    if due is None:
        return calendar.week_of(filed_at.date())[1], FilingStatus.VOLUNTARY
    today = filed_at.date()
    late = today > due or (today == due and filed_at.time() >= policy.schedule.deadline)
    return due, FilingStatus.LATE if late else FilingStatus.ON_TIME


# A date typed in full (2026-11-20, 2026/11/20, 2026年11月20日) or as month and day.
FULL_DAY = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
SHORT_DAY = re.compile(r"^(\d{1,2})[-/.月](\d{1,2})日?$")
_RELATIVE = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}


def parse_day(text: str, *, today: date) -> date:
    """A date as staff type it: 11-20, 11/20, 11月20日, 2026-11-20, 昨天. MM-DD means the
    nearest such day to today (12-30 typed on 01-02 is last year's)."""
    word = text.strip()
    if word in _RELATIVE:
        return today - timedelta(days=_RELATIVE[word])
    try:
        if match := FULL_DAY.match(word):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := SHORT_DAY.match(word):
            month, day = int(match[1]), int(match[2])
            candidates = []
            for year in (today.year - 1, today.year, today.year + 1):
                try:
                    candidates.append(date(year, month, day))
                except ValueError:  # 2-29 in a common year
                    continue
            if not candidates:
                raise BadDate(word)
            return min(candidates, key=lambda c: (abs((c - today).days), c))
    except ValueError as exc:
        raise BadDate(word) from exc
    raise BadDate(word)


def looks_like_day(word: str) -> bool:
    """Whether a word is meant as a date (so `/daily 11-20 …` is a backfill)."""
    return bool(FULL_DAY.match(word) or SHORT_DAY.match(word) or word in _RELATIVE)


@dataclass(frozen=True, slots=True)
class DailyCommand:
    """`/daily [日期] 内容`, validated."""

    day: date
    text: str


# Letters that show as blank: the Hangul fillers (category Lo, not Cf).
FILLERS = frozenset("\u3164\u115f\u1160\uffa0")


def visible_text(text: str) -> str:
    """`text` without the characters that show nothing — format characters (Unicode Cf:
    zero-width spaces and joiners, U+2060, U+FEFF, direction marks such as U+202E, the
    soft hyphen) and the Hangul fillers — and stripped. Only for checking: what is
    stored keeps them (an emoji's joiner is Cf too)."""
    return "".join(c for c in text if c not in FILLERS and unicodedata.category(c) != "Cf").strip()


def check_text(text: str) -> str:
    """A report text, stripped; EmptyText, InvisibleText or TooLong otherwise."""
    text = text.strip()
    if not text:
        raise EmptyText
    if not visible_text(text):
        raise InvisibleText
    if "\x00" in text:
        raise NulCharacter
    if len(text) > MAX_TEXT:
        raise TooLong
    return text


def parse_daily(args: str, *, today: date, backfill_days: int) -> DailyCommand:
    """Arguments of /daily: an optional date (within the backfill window), then the text."""
    first, _, rest = args.strip().partition(" ")
    if first and looks_like_day(first):
        day = parse_day(first, today=today)
        if day > today:
            raise FutureDate
        if (today - day).days > backfill_days:
            raise BackfillTooOld(backfill_days)
        return DailyCommand(day, check_text(rest))
    return DailyCommand(today, check_text(args))


@dataclass(frozen=True, slots=True)
class LeaveRequest:
    """`/leave 开始 [结束] 事由`, validated."""

    start: date
    end: date
    reason: str


def parse_leave(words: Sequence[str], *, today: date) -> LeaveRequest:
    """Leave dates (one day or a range) and the reason; dates may lie ahead."""
    if not words or not looks_like_day(words[0]):
        raise BadDate(words[0] if words else "")
    start = parse_day(words[0], today=today)
    rest = list(words[1:])
    end = start
    if rest and looks_like_day(rest[0]):
        end = parse_day(rest.pop(0), today=today)
    reason = " ".join(rest).strip()
    if not reason:
        raise MissingReason
    if end < start or (end - start).days >= MAX_LEAVE_DAYS:
        raise BadPeriod
    return LeaveRequest(start, end, reason[:200])


LEAVE_KINDS = ("请假", "出差", "培训")
# words that name the kind when the reason starts with them (病假 is a 请假 and says so)
_LEAVE_WORDS = frozenset(
    {*LEAVE_KINDS, "病假", "事假", "年假", "年休假", "休假", "婚假", "产假", "丧假", "探亲假",
     "学习", "会议", "公差"}
)  # fmt: skip
_LEAVE_SEPARATORS = re.compile(r"[\s:：,，、;；]+")


def leave_kind(reason: str) -> tuple[str, str]:
    """(kind, detail) read from a leave's reason: its first word when that names a kind
    (「出差 省局培训」 → 出差, 省局培训), else 出差 or 培训 when the reason mentions one
    (「省局培训」 → 培训, 省局培训), else 请假 with the whole reason."""
    text = reason.strip()
    first, *rest = _LEAVE_SEPARATORS.split(text, maxsplit=1) + [""]
    if first in _LEAVE_WORDS:
        return first, rest[0].strip()
    for kind in ("出差", "培训"):
        if kind in text:
            return kind, text
    return "请假", text


def work_week(calendar: WorkCalendar, day: date) -> tuple[date, date]:
    """The first and last working day of `day`'s week — how a week is shown (issue 22);
    Monday and Sunday for a week without one."""
    monday, sunday = calendar.week_of(day)
    days = calendar.workdays(monday, sunday)
    return (days[0], days[-1]) if days else (monday, sunday)


def weekly_draft(items: Sequence[tuple[date, str]], *, start: date, end: date) -> str:
    """A 周报 draft from the week's daily items, grouped by day; the week shown as
    [start, end] (its working days, `work_week`)."""
    lines = [f"本周工作（{short_date(start)}—{short_date(end)}）"]
    by_day: dict[date, list[str]] = {}
    for day, text in items:
        by_day.setdefault(day, []).append(text)
    for day in sorted(by_day):
        texts = "；".join(t.replace("\n", " ") for t in by_day[day])
        lines.append(f"周{WEEKDAYS[day.weekday()]}：{texts}")
    if len(lines) == 1:
        lines.append("（本周还没有日报）")
    return "\n".join(lines)[:MAX_TEXT]


def short_date(day: date) -> str:
    """11月20日."""
    return f"{day.month}月{day.day}日"


@dataclass(frozen=True, slots=True)
class Figures:
    """Filing and review figures for a group of people over a period."""

    required: int
    filed: int
    on_time: int
    reports: int
    reviewed: int

    @property
    def filing_rate(self) -> float | None:
        """Share of required days with a report (None when nothing was required)."""
        return self.filed / self.required if self.required else None

    @property
    def review_rate(self) -> float | None:
        """Share of reports a leader reviewed."""
        return self.reviewed / self.reports if self.reports else None


def figures(
    calendar: WorkCalendar,
    *,
    people: Iterable[int],
    start: date,
    end: date,
    leave: Mapping[int, Sequence[LeavePeriod]],
    filed: Mapping[tuple[int, date], FilingStatus],
    reviewed: Set[tuple[int, date]],
) -> Figures:
    """Figures over [start, end] (`end` is the last day that already counts).

    `filed` maps (person, day) to the status of their daily report; `reviewed` holds the
    (person, day) reports that a leader reviewed. Voluntary reports count as reports but
    not towards required days.
    """
    required = filed_days = on_time = 0
    members = set(people)
    for person in members:
        for day in calendar.required_days(start, end, leave.get(person, ())):
            required += 1
            status = filed.get((person, day))
            if status is not None:
                filed_days += 1
                on_time += status is FilingStatus.ON_TIME
    in_period = [key for key in filed if key[0] in members and start <= key[1] <= end]
    reviewed_count = sum(1 for key in in_period if key in reviewed)
    return Figures(required, filed_days, on_time, len(in_period), reviewed_count)


def percent(rate: float | None) -> str:
    """'87%' or '—'."""
    return "—" if rate is None else f"{round(rate * 100)}%"
