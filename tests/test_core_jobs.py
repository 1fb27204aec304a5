"""What the scheduled jobs find due: pure, table-driven (DESIGN §5).

Calendar facts used below (official 2026 calendar): 10-01…10-07 国庆 holidays (10-05 is
a Monday), 10-10 a Saturday 调休 workday, 9-30 the last workday before the holiday.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import jobs
from core.calendar import LeavePeriod, WorkCalendar
from core.jobs import Job, RecordFact
from core.people import Person, Role
from core.policy import Policy, Schedule

CAL = WorkCalendar()
POLICY = Policy()
ZONE = ZoneInfo("Asia/Shanghai")
D = date


def person(pid: int, dept: int, *roles: Role, active: bool = True) -> Person:
    return Person(
        pid, f"P{pid}", dept, "一般工作人员", frozenset(roles or {Role.MEMBER}), active=active
    )


HEAD_A = person(1, 10, Role.HEAD, Role.MEMBER)
A2 = person(2, 10)
A3 = person(3, 10)
HEAD_B = person(4, 20, Role.HEAD, Role.MEMBER)
B5 = person(5, 20)
CHIEF = person(6, 30, Role.CHIEF)  # not a filer
GONE = person(7, 10, active=False)
PEOPLE = [HEAD_A, A2, A3, HEAD_B, B5, CHIEF, GONE]


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE)


def filed(*pairs: tuple[int, date]) -> set[tuple[int, date]]:
    return set(pairs)


def everyone_filed(*days: date, but: tuple[int, ...] = ()) -> set[tuple[int, date]]:
    """All filers filed on `days`, except the ids in `but`."""
    return {(p.id, d) for d in days for p in PEOPLE if p.id not in but}


def leave(pid: int, start: date, end: date | None = None) -> dict[int, list[LeavePeriod]]:
    return {pid: [LeavePeriod(pid, start, end or start)]}


# ---- which days a job acts on -----------------------------------------------------------


@pytest.mark.parametrize(
    ("job", "day", "due"),
    [
        (Job.REMIND, D(2026, 11, 20), True),  # an ordinary Friday
        (Job.REMIND, D(2026, 11, 21), False),  # Saturday
        (Job.REMIND, D(2026, 10, 5), False),  # Monday, 国庆 holiday
        (Job.REMIND, D(2026, 10, 10), True),  # Saturday, 调休 workday
        (Job.MISSING, D(2026, 10, 8), True),  # first workday after the holiday
        (Job.ESCALATE, D(2026, 10, 3), False),
        (Job.WEEKLY_REMIND, D(2026, 11, 20), True),  # Friday: the week's last workday
        (Job.WEEKLY_REMIND, D(2026, 11, 19), False),
        (Job.WEEKLY_REMIND, D(2026, 10, 9), False),  # Friday, but Saturday 10-10 works
        (Job.WEEKLY_REMIND, D(2026, 10, 10), True),
        (Job.DIGEST, D(2026, 10, 10), True),
        (Job.DIGEST, D(2026, 10, 9), False),
        (Job.MONTH_END, D(2026, 11, 27), True),  # last two workdays: 11-27 (Fri), 11-30 (Mon)
        (Job.MONTH_END, D(2026, 11, 30), True),
        (Job.MONTH_END, D(2026, 11, 26), False),
        (Job.MONTH_END, D(2026, 11, 28), False),  # Saturday in between
    ],
)
def test_due_days(job: Job, day: date, due: bool) -> None:
    assert jobs.is_due_day(job, POLICY, CAL, day) is due


def test_trigger_times_come_from_the_policy() -> None:
    schedule = Schedule(remind_at=time(16, 30), missing_at=time(8, 45), digest_at=time(21, 0))
    assert jobs.trigger_time(Job.REMIND, schedule) == time(16, 30)
    assert jobs.trigger_time(Job.WEEKLY_REMIND, schedule) == time(16, 30)
    assert jobs.trigger_time(Job.MISSING, schedule) == time(8, 45)
    assert jobs.trigger_time(Job.ESCALATE, schedule) == time(8, 45)
    assert jobs.trigger_time(Job.MONTH_END, schedule) == time(8, 45)
    assert jobs.trigger_time(Job.DIGEST, schedule) == time(21, 0)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Friday evening: the morning jobs and the 17:00 ones, not yet the 20:30 digest.
        (
            datetime(2026, 11, 20, 18, 0, tzinfo=ZONE),
            [
                (Job.MISSING, D(2026, 11, 20)),
                (Job.ESCALATE, D(2026, 11, 20)),
                (Job.TASK_OVERDUE, D(2026, 11, 20)),
                (Job.APPEAL_REMIND, D(2026, 11, 20)),  # 复核 decisions due (issue 19)
                (Job.REMIND, D(2026, 11, 20)),
                (Job.WEEKLY_REMIND, D(2026, 11, 20)),
                (Job.TALK_REMIND, D(2026, 11, 20)),  # Q3's talks were due 10-29
                (Job.TASK_DUE, D(2026, 11, 20)),
            ],
        ),
        # Saturday morning, 12 h grace: only Friday's digest and leaderboard are within reach.
        (
            datetime(2026, 11, 21, 8, 0, tzinfo=ZONE),
            [(Job.DIGEST, D(2026, 11, 20)), (Job.LEADERBOARD, D(2026, 11, 20))],
        ),
        # Monday 10-05 (holiday): nothing.
        (datetime(2026, 10, 5, 18, 0, tzinfo=ZONE), []),
        # Saturday 10-10 (调休) at 21:00: the week's reminders and digest are due on Saturday,
        # and it is the last day of Q3's 实绩申报 (reminded at 17:00, closed at the deadline).
        (
            datetime(2026, 10, 10, 21, 0, tzinfo=ZONE),
            [
                (Job.MISSING, D(2026, 10, 10)),
                (Job.ESCALATE, D(2026, 10, 10)),
                (Job.TASK_OVERDUE, D(2026, 10, 10)),
                (Job.APPEAL_REMIND, D(2026, 10, 10)),  # 复核 decisions due (issue 19)
                (Job.REMIND, D(2026, 10, 10)),
                (Job.WEEKLY_REMIND, D(2026, 10, 10)),
                (Job.DECLARE_REMIND, D(2026, 10, 10)),
                (Job.TASK_DUE, D(2026, 10, 10)),
                (Job.DECLARE_CLOSE, D(2026, 10, 10)),
                (Job.DIGEST, D(2026, 10, 10)),
                (Job.LEADERBOARD, D(2026, 10, 10)),  # 21:00 itself is within reach
            ],
        ),
    ],
)
def test_missed_runs_within_the_grace_period(
    now: datetime, expected: list[tuple[Job, date]]
) -> None:
    assert jobs.missed_runs(POLICY, CAL, now=now) == expected


def test_missed_runs_respect_a_shorter_grace() -> None:
    now = datetime(2026, 11, 20, 18, 0, tzinfo=ZONE)
    late = jobs.missed_runs(POLICY, CAL, now=now, grace=timedelta(hours=2))
    assert late == [
        (Job.REMIND, D(2026, 11, 20)),
        (Job.WEEKLY_REMIND, D(2026, 11, 20)),
        (Job.TALK_REMIND, D(2026, 11, 20)),
        (Job.TASK_DUE, D(2026, 11, 20)),
    ]


@pytest.mark.parametrize(
    ("job", "now", "expected"),
    [
        (Job.REMIND, local(2026, 10, 9, 18, 0), local(2026, 10, 10, 17, 0)),
        (Job.REMIND, local(2026, 10, 2, 9, 0), local(2026, 10, 8, 17, 0)),
        (Job.WEEKLY_REMIND, local(2026, 10, 5, 9, 0), local(2026, 10, 10, 17, 0)),
        (Job.DIGEST, local(2026, 11, 20, 20, 29), local(2026, 11, 20, 20, 30)),
        (Job.MONTH_END, local(2026, 11, 27, 9, 1), local(2026, 11, 30, 9, 0)),
    ],
)
def test_next_run_skips_days_without_work(job: Job, now: datetime, expected: datetime) -> None:
    assert jobs.next_run(job, POLICY, CAL, now=now) == expected


# ---- remind -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "done", "away", "expected"),
    [
        (D(2026, 11, 20), filed((2, D(2026, 11, 20))), {}, [1, 3, 4, 5]),
        (D(2026, 11, 20), everyone_filed(D(2026, 11, 20)), {}, []),
        (D(2026, 11, 20), filed(), leave(3, D(2026, 11, 19), D(2026, 11, 20)), [1, 2, 4, 5]),
        (D(2026, 11, 20), filed((2, D(2026, 11, 19))), {}, [1, 2, 3, 4, 5]),  # yesterday's
        (D(2026, 11, 21), filed(), {}, []),  # Saturday
        (D(2026, 10, 5), filed(), {}, []),  # holiday
        (D(2026, 10, 10), filed((5, D(2026, 10, 10))), leave(1, D(2026, 10, 10)), [2, 3, 4]),
    ],
)
def test_due_reminders(
    today: date,
    done: set[tuple[int, date]],
    away: dict[int, list[LeavePeriod]],
    expected: list[int],
) -> None:
    due = jobs.due_reminders(POLICY, CAL, PEOPLE, filed=done, leave=away, today=today)
    assert [r.person_id for r in due] == expected
    assert all(r.day == today for r in due)


@pytest.mark.parametrize(
    ("today", "weekly", "away", "expected"),
    [
        (D(2026, 11, 20), {2, 4}, {}, [1, 3, 5]),
        (D(2026, 11, 19), set(), {}, []),  # not the week's last workday
        (D(2026, 10, 10), set(), leave(5, D(2026, 10, 10)), [1, 2, 3, 4]),
        (D(2026, 10, 9), set(), {}, []),
    ],
)
def test_weekly_reminders(
    today: date, weekly: set[int], away: dict[int, list[LeavePeriod]], expected: list[int]
) -> None:
    due = jobs.weekly_reminders(POLICY, CAL, PEOPLE, weekly_filed=weekly, leave=away, today=today)
    assert [r.person_id for r in due] == expected


# ---- missing lists ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "done", "away", "expected"),
    [
        # Friday: Thursday's missing filers, per head.
        (
            D(2026, 11, 20),
            everyone_filed(D(2026, 11, 19), but=(3, 5)),
            {},
            [(1, 10, D(2026, 11, 19), (3,)), (4, 20, D(2026, 11, 19), (5,))],
        ),
        # A department where everyone filed gets no list.
        (
            D(2026, 11, 20),
            everyone_filed(D(2026, 11, 19), but=(3,)),
            {},
            [(1, 10, D(2026, 11, 19), (3,))],
        ),
        # Monday: Friday is the previous working day; leave excuses.
        (
            D(2026, 11, 23),
            everyone_filed(D(2026, 11, 20), but=(2, 3)),
            leave(2, D(2026, 11, 20)),
            [(1, 10, D(2026, 11, 20), (3,))],
        ),
        # First day after 国庆: 9-30 is the previous working day.
        (
            D(2026, 10, 8),
            everyone_filed(D(2026, 9, 30), but=(1,)),
            {},
            [(1, 10, D(2026, 9, 30), (1,))],
        ),
        # The day after the 调休 Saturday.
        (
            D(2026, 10, 12),
            everyone_filed(D(2026, 10, 10), but=(5,)),
            {},
            [(4, 20, D(2026, 10, 10), (5,))],
        ),
        (D(2026, 11, 21), filed(), {}, []),  # Saturday: no job
    ],
)
def test_missing_lists(
    today: date,
    done: set[tuple[int, date]],
    away: dict[int, list[LeavePeriod]],
    expected: list[tuple[int, int, date, tuple[int, ...]]],
) -> None:
    lists = jobs.missing_lists(
        POLICY, CAL, PEOPLE, filed=done, leave=away, today=today, since=D(2026, 9, 1)
    )
    assert [(m.head_id, m.department_id, m.day, m.missing) for m in lists] == expected


def test_nothing_is_missing_before_anyone_filed() -> None:
    kwargs = {"filed": filed(), "leave": {}, "today": D(2026, 11, 20)}
    assert jobs.missing_lists(POLICY, CAL, PEOPLE, since=None, **kwargs) == []  # type: ignore[arg-type]
    assert jobs.missing_lists(POLICY, CAL, PEOPLE, since=D(2026, 11, 20), **kwargs) == []  # type: ignore[arg-type]


# ---- escalation -----------------------------------------------------------------------------

A = [A2]  # one member is enough to show a streak


@pytest.mark.parametrize(
    ("today", "done", "away", "expected"),
    [
        # Two ordinary misses in a row.
        (D(2026, 11, 20), filed((2, D(2026, 11, 17))), {}, [(D(2026, 11, 18), D(2026, 11, 19))]),
        # One miss only.
        (D(2026, 11, 20), filed((2, D(2026, 11, 18))), {}, []),
        # The weekend does not break a streak: Friday + Monday.
        (D(2026, 11, 24), filed((2, D(2026, 11, 19))), {}, [(D(2026, 11, 20), D(2026, 11, 23))]),
        # Nor does the 国庆 holiday: 9-30 + 10-08.
        (D(2026, 10, 9), filed((2, D(2026, 9, 29))), {}, [(D(2026, 9, 30), D(2026, 10, 8))]),
        # The 调休 Saturday counts as a working day: Friday 10-09 + Saturday 10-10.
        (D(2026, 10, 12), filed((2, D(2026, 10, 8))), {}, [(D(2026, 10, 9), D(2026, 10, 10))]),
        # Leave neither breaks nor extends: miss 11-18, leave 11-19, miss 11-20.
        (
            D(2026, 11, 23),
            filed((2, D(2026, 11, 17))),
            leave(2, D(2026, 11, 19)),
            [(D(2026, 11, 18), D(2026, 11, 20))],
        ),
        # A filed day breaks the streak.
        (D(2026, 11, 23), filed((2, D(2026, 11, 17)), (2, D(2026, 11, 19))), {}, []),
        # A long streak is reported once, by the day it reached the threshold.
        (D(2026, 11, 24), filed((2, D(2026, 11, 17))), {}, [(D(2026, 11, 18), D(2026, 11, 19))]),
    ],
)
def test_escalations(
    today: date,
    done: set[tuple[int, date]],
    away: dict[int, list[LeavePeriod]],
    expected: list[tuple[date, ...]],
) -> None:
    found = jobs.escalations(
        POLICY, CAL, A, filed=done, leave=away, today=today, since=D(2026, 9, 1)
    )
    assert [e.days for e in found] == expected
    assert all(e.origin == f"escalate:{e.trigger_day}" for e in found)


def test_a_streak_keeps_its_origin_day_after_day() -> None:
    done = filed((2, D(2026, 11, 16)))
    origins = {
        e.origin
        for today in (D(2026, 11, 19), D(2026, 11, 20), D(2026, 11, 23), D(2026, 11, 24))
        for e in jobs.escalations(
            POLICY, CAL, A, filed=done, leave={}, today=today, since=D(2026, 9, 1)
        )
    }
    assert origins == {"escalate:2026-11-18"}


def test_old_streaks_and_days_before_the_first_filing_are_left_alone() -> None:
    # Missed since 10-12: the threshold was reached weeks ago (noticed then, or never).
    old = jobs.escalations(
        POLICY,
        CAL,
        A,
        filed=filed((2, D(2026, 10, 9))),
        leave={},
        today=D(2026, 11, 20),
        since=D(2026, 9, 1),
    )
    assert old == []
    # Nobody filed before 11-19: 11-17 and 11-18 cannot be missed.
    fresh = jobs.escalations(
        POLICY, CAL, A, filed=filed(), leave={}, today=D(2026, 11, 20), since=D(2026, 11, 19)
    )
    assert fresh == []


def test_threshold_comes_from_the_policy() -> None:
    three = replace(POLICY, schedule=Schedule(consecutive_misses=3))
    done = filed((2, D(2026, 11, 16)))
    kwargs = {"filed": done, "leave": {}, "since": D(2026, 9, 1)}
    assert jobs.escalations(three, CAL, A, today=D(2026, 11, 19), **kwargs) == []  # type: ignore[arg-type]
    found = jobs.escalations(three, CAL, A, today=D(2026, 11, 20), **kwargs)  # type: ignore[arg-type]
    assert [e.trigger_day for e in found] == [D(2026, 11, 19)]


# ---- month end ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "done", "away", "expected"),
    [
        (
            D(2026, 11, 27),
            everyone_filed(*CAL.workdays(D(2026, 11, 2), D(2026, 11, 26)), but=(3,))
            | filed(*((3, d) for d in CAL.workdays(D(2026, 11, 2), D(2026, 11, 23)))),
            {},
            [(3, (D(2026, 11, 24), D(2026, 11, 25), D(2026, 11, 26)))],
        ),
        # Leave covers the gaps.
        (
            D(2026, 11, 27),
            everyone_filed(*CAL.workdays(D(2026, 11, 2), D(2026, 11, 26)), but=(3,))
            | filed(*((3, d) for d in CAL.workdays(D(2026, 11, 2), D(2026, 11, 23)))),
            leave(3, D(2026, 11, 24), D(2026, 11, 26)),
            [],
        ),
        (D(2026, 11, 26), filed(), {}, []),  # not yet the month's end
    ],
)
def test_month_end(
    today: date,
    done: set[tuple[int, date]],
    away: dict[int, list[LeavePeriod]],
    expected: list[tuple[int, tuple[date, ...]]],
) -> None:
    due = jobs.month_end_due(
        POLICY, CAL, PEOPLE, filed=done, leave=away, today=today, since=D(2026, 9, 1)
    )
    assert [(m.person_id, m.days) for m in due] == expected


# ---- the digest -----------------------------------------------------------------------------


def test_department_digest() -> None:
    friday = D(2026, 11, 20)
    week = CAL.workdays(D(2026, 11, 16), friday)
    done = everyone_filed(*week, but=(3,)) | {(3, week[0])}
    digest = jobs.department_digest(
        CAL,
        department_id=10,
        department="办公室",
        people=PEOPLE,
        today=friday,
        filed=done,
        leave=leave(2, D(2026, 11, 20)),
        weekly={1: "本周工作（11月16日—11月22日）\n周一：走访企业\n周二：整理档案", 3: "开会"},
        records=[
            RecordFact(2, "like", 1, "材料写得好"),
            RecordFact(3, "error", -1, "迟报"),
            RecordFact(5, "like", 1, "别的部门"),
        ],
    )
    assert [(r.person_id, r.filed, r.required, r.weekly) for r in digest.rows] == [
        (1, 5, 5, True),
        (2, 4, 4, False),  # Friday on leave
        (3, 1, 5, True),
    ]
    assert (digest.filed, digest.required, digest.weekly_count) == (10, 14, 2)
    assert digest.highlights == (("P1", "周一：走访企业；周二：整理档案"), ("P3", "开会"))
    assert digest.likes == (("P2", "材料写得好"),)
    assert digest.errors == (("P3", "迟报"),)


def test_highlight_is_short() -> None:
    assert jobs.highlight("甲" * 100) == "甲" * 39 + "…"
    assert jobs.highlight("本周工作（x）\n") == ""
