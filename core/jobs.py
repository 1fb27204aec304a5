"""Scheduled jobs (DESIGN §5): what is due, as data. No clock, no I/O.

The shell gathers people, leave and filings from the database, asks these functions
what is due for a given day, and sends. Every decision here is a pure function of its
arguments, so a re-run, a catch-up or a second instance computes the same answer, and
the shell's (job, day, target) idempotency record makes sending it happen once.

Rules shared by all jobs:
- a job does something only on working days (official calendar with 调休 and overrides);
- a person is required to file on a working day they are not on leave ("required day");
- nothing before `since` counts as missed: the first day the unit assesses with kaohe
  (or, failing that, its first filing day), so a fresh installation does not start by
  accusing everyone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from core.calendar import LeavePeriod, WorkCalendar
from core.people import Person, Role
from core.policy import Policy, Schedule
from core.quarter_end import windows_around

PersonDay = tuple[int, date]
Leave = Mapping[int, Sequence[LeavePeriod]]

# How far back a missed-day streak is traced (calendar days).
STREAK_LOOKBACK_DAYS = 60
# A streak is noticed when it reaches the threshold on one of this many most recent
# working days: room for a catch-up after a few days' outage, while streaks that reached
# the threshold long ago (already noticed, or before this feature) are left alone.
ESCALATION_WINDOW_WORKDAYS = 5
HIGHLIGHT_CHARS = 40
WEEKLY_HEADER = "本周工作（"


class Job(StrEnum):
    """The scheduled jobs; the values are the contract (`kaohe jobs run <job>`)."""

    REMIND = "remind"
    MISSING = "missing"
    ESCALATE = "escalate"
    WEEKLY_REMIND = "weekly_remind"
    DIGEST = "digest"
    MONTH_END = "month_end"
    LEADERBOARD = "leaderboard"
    # quarter end (DESIGN §6; dates from core.quarter_end)
    DECLARE_OPEN = "declare_open"
    DECLARE_REMIND = "declare_remind"
    DECLARE_CLOSE = "declare_close"
    RATINGS_OPEN = "ratings_open"
    RATINGS_REMIND = "ratings_remind"
    RATINGS_CLOSE = "ratings_close"
    QUARTER_CLOSE = "quarter_close"
    TALK_REMIND = "talk_remind"
    RESULTS_FINAL = "results_final"  # the end of 公示 (issue 19)
    ANNUAL_CLOSE = "annual_close"  # 年度考核, once Q4 is final (issue 19)
    APPEAL_REMIND = "appeal_remind"  # 复核 decisions due soon (issue 19)
    # tasks (DESIGN §10)
    TASK_DUE = "task_due"
    TASK_OVERDUE = "task_overdue"
    # calendar (DESIGN §2): next year's holiday notice not imported yet
    CALENDAR_CHECK = "calendar_check"


# A message whose request was in flight when its sender died (Telegram may or may not
# have it) is not sent again for these jobs — a reminder twice is worse than a reminder
# missed by a crash — and sent again for every other job (results, notices, escalations:
# a copy twice is better than none). Issue 16; README "Crashes and take-over".
AT_MOST_ONCE: frozenset[Job] = frozenset(
    {
        Job.REMIND,
        Job.WEEKLY_REMIND,
        Job.DECLARE_REMIND,
        Job.RATINGS_REMIND,
        Job.TALK_REMIND,
        Job.TASK_DUE,
    }
)

QUARTER_END_JOBS = frozenset(
    {
        Job.DECLARE_OPEN,
        Job.DECLARE_REMIND,
        Job.DECLARE_CLOSE,
        Job.RATINGS_OPEN,
        Job.RATINGS_REMIND,
        Job.RATINGS_CLOSE,
        Job.QUARTER_CLOSE,
        Job.TALK_REMIND,
        Job.RESULTS_FINAL,
        Job.ANNUAL_CLOSE,
    }
)


# Run order when several jobs share a trigger time (missing lists before notices).
JOB_ORDER: tuple[Job, ...] = (
    Job.MISSING,
    Job.ESCALATE,
    Job.MONTH_END,
    Job.REMIND,
    Job.WEEKLY_REMIND,
    Job.DIGEST,
    Job.LEADERBOARD,
    Job.DECLARE_CLOSE,
    Job.RATINGS_CLOSE,
    Job.QUARTER_CLOSE,
    Job.RESULTS_FINAL,  # after quarter_close (the same day when publicity_days = 0)
    Job.ANNUAL_CLOSE,  # after Q4's results are final
    Job.DECLARE_OPEN,
    Job.RATINGS_OPEN,
    Job.DECLARE_REMIND,
    Job.RATINGS_REMIND,
    Job.TALK_REMIND,
    Job.TASK_OVERDUE,
    Job.TASK_DUE,
    Job.CALENDAR_CHECK,
    Job.APPEAL_REMIND,
)


def trigger_time(job: Job, schedule: Schedule) -> time:
    """The local time of day a job fires (every day; it acts only when due)."""
    if job in {Job.REMIND, Job.WEEKLY_REMIND}:
        return schedule.remind_at
    if job is Job.DIGEST:
        return schedule.digest_at
    if job is Job.LEADERBOARD:
        return schedule.leaderboard_at
    if job in {Job.DECLARE_CLOSE, Job.RATINGS_CLOSE}:
        return schedule.deadline  # a window closes when the day's filing does
    if job in {Job.DECLARE_REMIND, Job.RATINGS_REMIND, Job.TALK_REMIND, Job.TASK_DUE}:
        return schedule.remind_at
    return schedule.missing_at  # the working morning (opens, results, overdue, missing…)


def is_due_day(job: Job, policy: Policy, calendar: WorkCalendar, day: date) -> bool:
    """Whether `job` has anything to do on `day`."""
    if not calendar.is_workday(day):
        return False
    if job in {Job.WEEKLY_REMIND, Job.DIGEST, Job.LEADERBOARD}:
        return calendar.last_workday_of_week(day) == day
    if job is Job.MONTH_END:
        return day in calendar.last_workdays_of_month(day, policy.schedule.month_end_days)
    if job in QUARTER_END_JOBS:
        return _quarter_end_due(job, policy, calendar, day)
    if job is Job.CALENDAR_CHECK:
        return calendar_check_due(calendar, day)
    return True


def calendar_check_due(calendar: WorkCalendar, day: date) -> bool:
    """From 1 December, once a week (the week's first working day in December), while
    next year's 调休 workdays are unknown (no notice imported, no package data)."""
    if day.month != 12 or calendar.known(date(day.year + 1, 6, 1)):
        return False
    monday, _ = calendar.week_of(day)
    first = max(monday, date(day.year, 12, 1))
    return calendar.workdays(first, day)[:1] == [day]


def _quarter_end_due(job: Job, policy: Policy, calendar: WorkCalendar, day: date) -> bool:
    """Quarter-end jobs act on their window's dates: opens and closes on those days,
    reminders on the working day before a close and on the close day itself, talk
    reminders on every working day from the talks' due date until the next declaration
    opens."""
    before, current = windows_around(policy, calendar, day)
    for window in (before, current):
        match job:
            case Job.DECLARE_OPEN if day == window.declare_open:
                return True
            case Job.DECLARE_CLOSE if day == window.declare_close:
                return True
            case Job.RATINGS_OPEN if day == window.ratings_open:
                return True
            case Job.RATINGS_CLOSE if day == window.ratings_close:
                return True
            case Job.QUARTER_CLOSE if day == window.results:
                return True
            case Job.RESULTS_FINAL if day == window.final:
                return True
            case Job.ANNUAL_CLOSE if window.quarter.number == 4 and day == window.final:
                return True
            case Job.DECLARE_REMIND if window.declare_open < day <= window.declare_close and (
                day == window.declare_close
                or calendar.previous_workday(window.declare_close) == day
            ):
                return True
            case Job.RATINGS_REMIND if window.ratings_open <= day <= window.ratings_close and (
                day == window.ratings_close
                or calendar.previous_workday(window.ratings_close) == day
            ):
                return True
            case Job.TALK_REMIND if window is before and (
                window.talks_due <= day < current.declare_open
            ):
                return True
    return False


def fire_at(job: Job, policy: Policy, day: date, zone: tzinfo | None) -> datetime:
    """The aware moment `job` fires on `day` in the unit's zone."""
    return datetime.combine(day, trigger_time(job, policy.schedule), tzinfo=zone)


def missed_runs(
    policy: Policy, calendar: WorkCalendar, *, now: datetime, grace: timedelta | None = None
) -> list[tuple[Job, date]]:
    """(job, day) runs whose trigger time lies in [now − grace, now] and that were due.

    `now` is aware, in the unit's zone. The default grace is the policy's catch_up_hours.
    Oldest first; jobs of one moment in `JOB_ORDER`.
    """
    grace = timedelta(hours=policy.schedule.catch_up_hours) if grace is None else grace
    earliest = now - grace
    runs: list[tuple[datetime, int, Job, date]] = []
    day = earliest.date()
    while day <= now.date():
        for rank, job in enumerate(JOB_ORDER):
            moment = fire_at(job, policy, day, now.tzinfo)
            if earliest <= moment <= now and is_due_day(job, policy, calendar, day):
                runs.append((moment.astimezone(UTC), rank, job, day))
        day += timedelta(days=1)
    return [(job, day) for _, _, job, day in sorted(runs)]


def next_run(
    job: Job, policy: Policy, calendar: WorkCalendar, *, now: datetime
) -> datetime | None:
    """The next moment after `now` at which `job` will have something to do (within a year)."""
    day = now.date()
    for _ in range(400):
        moment = fire_at(job, policy, day, now.tzinfo)
        if moment > now and is_due_day(job, policy, calendar, day):
            return moment
        day += timedelta(days=1)
    return None


# ---- who is due --------------------------------------------------------------------------


def _filers(people: Sequence[Person]) -> list[Person]:
    return [p for p in people if p.active and p.has(Role.MEMBER)]


def _on_leave(leave: Leave, person_id: int, day: date) -> bool:
    return any(period.covers(day) for period in leave.get(person_id, ()))


@dataclass(frozen=True, slots=True)
class Reminder:
    """A private reminder to one person about one day."""

    person_id: int
    day: date


def due_reminders(
    policy: Policy,
    calendar: WorkCalendar,
    people: Sequence[Person],
    *,
    filed: Set[PersonDay],
    leave: Leave,
    today: date,
) -> list[Reminder]:
    """`remind`: members who have not filed today and are not on leave (working days only)."""
    if not is_due_day(Job.REMIND, policy, calendar, today):
        return []
    return [
        Reminder(p.id, today)
        for p in _filers(people)
        if (p.id, today) not in filed and not _on_leave(leave, p.id, today)
    ]


def weekly_reminders(
    policy: Policy,
    calendar: WorkCalendar,
    people: Sequence[Person],
    *,
    weekly_filed: Set[int],
    leave: Leave,
    today: date,
) -> list[Reminder]:
    """`weekly_remind`: on the week's last working day, members without a weekly report."""
    if not is_due_day(Job.WEEKLY_REMIND, policy, calendar, today):
        return []
    return [
        Reminder(p.id, today)
        for p in _filers(people)
        if p.id not in weekly_filed and not _on_leave(leave, p.id, today)
    ]


@dataclass(frozen=True, slots=True)
class MissingList:
    """For one head: who in their department did not file on `day`."""

    head_id: int
    department_id: int
    day: date
    missing: tuple[int, ...]  # person ids, in the order of `people`


def missing_lists(
    policy: Policy,
    calendar: WorkCalendar,
    people: Sequence[Person],
    *,
    filed: Set[PersonDay],
    leave: Leave,
    today: date,
    since: date | None,
) -> list[MissingList]:
    """`missing`: each head gets the previous working day's missing filers (if any)."""
    if not is_due_day(Job.MISSING, policy, calendar, today):
        return []
    day = calendar.previous_workday(today)
    if since is None or day < since:
        return []
    missing_by_department: dict[int, list[int]] = {}
    for person in _filers(people):
        if (person.id, day) not in filed and not _on_leave(leave, person.id, day):
            missing_by_department.setdefault(person.department_id, []).append(person.id)
    return [
        MissingList(head.id, head.department_id, day, tuple(missing_by_department[dept]))
        for head in people
        if head.active
        and head.has(Role.HEAD)
        and (dept := head.department_id) in missing_by_department
    ]


@dataclass(frozen=True, slots=True)
class Escalation:
    """A streak of missed working days that reached the policy's threshold."""

    person_id: int
    department_id: int
    days: tuple[date, ...]  # the streak's first `consecutive_misses` missed days

    @property
    def trigger_day(self) -> date:
        """The day the streak reached the threshold: it names the streak."""
        return self.days[-1]

    @property
    def origin(self) -> str:
        """The Record origin: unique per person, so the streak is noticed once."""
        return f"escalate:{self.trigger_day.isoformat()}"


def escalations(
    policy: Policy,
    calendar: WorkCalendar,
    people: Sequence[Person],
    *,
    filed: Set[PersonDay],
    leave: Leave,
    today: date,
    since: date | None,
) -> list[Escalation]:
    """`escalate`: streaks of `consecutive_misses` missed required days, up to yesterday.

    Leave days and non-working days neither break nor extend a streak. A streak is
    reported with its first `consecutive_misses` days, and only while the day it reached
    the threshold is among the last few working days; its origin names that day, so
    however long it goes on it yields one notice.
    """
    threshold = policy.schedule.consecutive_misses
    if threshold < 1 or since is None or not is_due_day(Job.ESCALATE, policy, calendar, today):
        return []
    end = calendar.previous_workday(today)
    start = max(since, today - timedelta(days=STREAK_LOOKBACK_DAYS))
    if end < start:
        return []
    recent = calendar.workdays(today - timedelta(days=STREAK_LOOKBACK_DAYS), end)
    cutoff = recent[-ESCALATION_WINDOW_WORKDAYS:][0] if recent else end
    found: list[Escalation] = []
    for person in _filers(people):
        streak: list[date] = []
        for day in calendar.required_days(start, end, leave.get(person.id, ())):
            if (person.id, day) in filed:
                streak = []
                continue
            streak.append(day)
            if len(streak) == threshold and day >= cutoff:
                found.append(Escalation(person.id, person.department_id, tuple(streak)))
    return found


@dataclass(frozen=True, slots=True)
class MonthEnd:
    """A month-end reminder: the person's missing days so far this month."""

    person_id: int
    days: tuple[date, ...]


def month_end_due(
    policy: Policy,
    calendar: WorkCalendar,
    people: Sequence[Person],
    *,
    filed: Set[PersonDay],
    leave: Leave,
    today: date,
    since: date | None,
) -> list[MonthEnd]:
    """`month_end`: on the month's last working days, those with missing days before today."""
    if since is None or not is_due_day(Job.MONTH_END, policy, calendar, today):
        return []
    start = max(today.replace(day=1), since)
    end = today - timedelta(days=1)
    due = []
    for person in _filers(people):
        required = calendar.required_days(start, end, leave.get(person.id, ()))
        missing = tuple(d for d in required if (person.id, d) not in filed)
        if missing:
            due.append(MonthEnd(person.id, missing))
    return due


# ---- the weekly digest -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordFact:
    """A like or error notice as the digest sees it."""

    person_id: int
    kind: str  # like | error
    points: float
    reason: str


@dataclass(frozen=True, slots=True)
class DigestRow:
    """One member's week."""

    person_id: int
    name: str
    filed: int
    required: int
    weekly: bool


@dataclass(frozen=True, slots=True)
class Digest:
    """A department's week: who filed, the main items, likes and errors."""

    department_id: int
    department: str
    start: date
    end: date
    rows: tuple[DigestRow, ...]
    highlights: tuple[tuple[str, str], ...]  # (name, main item)
    likes: tuple[tuple[str, str], ...]  # (name, reason)
    errors: tuple[tuple[str, str], ...]

    @property
    def filed(self) -> int:
        """Required days with a report, all members together."""
        return sum(row.filed for row in self.rows)

    @property
    def required(self) -> int:
        """Required days, all members together."""
        return sum(row.required for row in self.rows)

    @property
    def weekly_count(self) -> int:
        """Members who filed the weekly report."""
        return sum(row.weekly for row in self.rows)


def highlight(text: str, limit: int = HIGHLIGHT_CHARS) -> str:
    """The gist of a weekly report: its lines after a draft's header, shortened."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and lines[0].startswith(WEEKLY_HEADER):
        lines = lines[1:]
    gist = "；".join(lines)
    return gist if len(gist) <= limit else gist[: limit - 1] + "…"


def department_digest(
    calendar: WorkCalendar,
    *,
    department_id: int,
    department: str,
    people: Sequence[Person],
    today: date,
    filed: Set[PersonDay],
    leave: Leave,
    weekly: Mapping[int, str],
    records: Sequence[RecordFact],
) -> Digest:
    """The week (Monday to `today`) of one department's members."""
    monday, _ = calendar.week_of(today)
    members = [p for p in _filers(people) if p.department_id == department_id]
    names = {p.id: p.name for p in members}
    rows = []
    for person in members:
        required = calendar.required_days(monday, today, leave.get(person.id, ()))
        done = sum(1 for d in required if (person.id, d) in filed)
        rows.append(DigestRow(person.id, person.name, done, len(required), person.id in weekly))
    highlights = tuple(
        (p.name, highlight(weekly[p.id]))
        for p in members
        if p.id in weekly and highlight(weekly[p.id])
    )
    ours = [r for r in records if r.person_id in names]
    likes = tuple((names[r.person_id], r.reason) for r in ours if r.kind == "like")
    errors = tuple((names[r.person_id], r.reason) for r in ours if r.kind == "error")
    return Digest(department_id, department, monday, today, tuple(rows), highlights, likes, errors)
