"""Quarter-end windows (core.quarter_end), the declaration window with its deadline
(core.declarations) and who rates whom (core.ratings). Table-driven; no fixtures."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.calendar import WorkCalendar
from core.declarations import check_text, last_window, next_window, open_window
from core.grades import Grade
from core.people import Person, Role
from core.policy import Policy, QuarterEnd, RaterKind, Raters, parse_policy
from core.quarter import Quarter
from core.quarter_end import window, windows_around
from core.ratings import (
    Assignment,
    BadScore,
    assignments,
    grade_score,
    parse_score,
    rating_window,
)

POLICY = Policy()
CALENDAR = WorkCalendar(POLICY.calendar)
D = date


@pytest.mark.parametrize(
    ("quarter", "declare", "ratings", "results", "talks"),
    [
        # 2026Q3: 国庆 10-01…10-07, 调休 Saturday 10-10 is the 3rd working day after
        (Quarter(2026, 3), (D(2026, 9, 23), D(2026, 10, 10)),
         (D(2026, 10, 12), D(2026, 10, 14)), D(2026, 10, 15), D(2026, 10, 29)),
        # 2026Q1: 清明 04-04…04-06
        (Quarter(2026, 1), (D(2026, 3, 25), D(2026, 4, 3)),
         (D(2026, 4, 7), D(2026, 4, 9)), D(2026, 4, 10), D(2026, 4, 24)),
        (Quarter(2026, 2), (D(2026, 6, 24), D(2026, 7, 3)),
         (D(2026, 7, 6), D(2026, 7, 8)), D(2026, 7, 9), D(2026, 7, 23)),
        # 2025Q4: 元旦 2026-01-01…01-03, 调休 Sunday 01-04 is a working day
        (Quarter(2025, 4), (D(2025, 12, 25), D(2026, 1, 6)),
         (D(2026, 1, 7), D(2026, 1, 9)), D(2026, 1, 12), D(2026, 1, 26)),
    ],
)  # fmt: skip
def test_windows(
    quarter: Quarter,
    declare: tuple[date, date],
    ratings: tuple[date, date],
    results: date,
    talks: date,
) -> None:
    got = window(POLICY, CALENDAR, quarter)
    assert (got.declare_open, got.declare_close) == declare
    assert (got.ratings_open, got.ratings_close) == ratings
    assert (got.results, got.talks_due) == (results, talks)


def test_policy_lengths_move_the_dates() -> None:
    policy = replace(POLICY, quarter_end=QuarterEnd(1, 1, 1, 1))
    got = window(policy, CALENDAR, Quarter(2026, 3))
    assert (got.declare_open, got.declare_close) == (D(2026, 9, 30), D(2026, 10, 8))
    assert (got.ratings_open, got.ratings_close, got.results) == (
        D(2026, 10, 9), D(2026, 10, 9), D(2026, 10, 10),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("day", "at", "quarter"),
    [
        (D(2026, 9, 22), None, None),
        (D(2026, 9, 23), time(8), Quarter(2026, 3)),
        (D(2026, 10, 3), None, Quarter(2026, 3)),  # a holiday inside the window
        (D(2026, 10, 10), time(19, 59), Quarter(2026, 3)),
        (D(2026, 10, 10), time(20, 0), None),  # the close day's deadline
        (D(2026, 10, 11), None, None),
        (D(2025, 12, 31), None, Quarter(2025, 4)),
        (D(2026, 1, 6), time(9), Quarter(2025, 4)),
    ],
)
def test_declaration_is_open(day: date, at: time | None, quarter: Quarter | None) -> None:
    found = open_window(POLICY, CALENDAR, day, at)
    assert (found.quarter if found else None) == quarter


@pytest.mark.parametrize(
    ("day", "last", "following"),
    [
        (D(2026, 9, 22), Quarter(2026, 2), Quarter(2026, 3)),
        (D(2026, 10, 12), Quarter(2026, 3), Quarter(2026, 4)),
        (D(2026, 12, 31), Quarter(2026, 3), Quarter(2027, 1)),
        (D(2026, 2, 1), Quarter(2025, 4), Quarter(2026, 1)),
    ],
)
def test_last_and_next_declarations(day: date, last: Quarter, following: Quarter) -> None:
    assert last_window(POLICY, CALENDAR, day).quarter == last
    assert next_window(POLICY, CALENDAR, day).quarter == following


@pytest.mark.parametrize(
    ("day", "at", "quarter"),
    [
        (D(2026, 10, 10), None, None),
        (D(2026, 10, 12), time(9), Quarter(2026, 3)),
        (D(2026, 10, 14), time(19, 59), Quarter(2026, 3)),
        (D(2026, 10, 14), time(20), None),
        (D(2026, 10, 15), None, None),
    ],
)
def test_rating_is_open(day: date, at: time | None, quarter: Quarter | None) -> None:
    found = rating_window(POLICY, CALENDAR, day, at)
    assert (found.quarter if found else None) == quarter


@given(st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 12, 31)))
def test_windows_are_ordered_and_at_most_one_declaration_is_open(day: date) -> None:
    before, current = windows_around(POLICY, CALENDAR, day)
    for w in (before, current):
        assert w.declare_open <= w.quarter.end < w.declare_close < w.ratings_open
        assert w.ratings_open <= w.ratings_close < w.results < w.talks_due
        assert CALENDAR.is_workday(w.declare_open) and CALENDAR.is_workday(w.declare_close)
    assert not (before.declaring(day) and current.declaring(day))


@pytest.mark.parametrize(
    ("text", "ok"),
    [("  完成年报  ", "完成年报"), ("", None), ("   ", None), ("字" * 500, "字" * 500),
     ("字" * 501, None)],
)  # fmt: skip
def test_item_text(text: str, ok: str | None) -> None:
    if ok is None:
        with pytest.raises(ValueError):
            check_text(text)
    else:
        assert check_text(text) == ok


@pytest.mark.parametrize(
    ("text", "score"),
    [("88", 88.0), (" 92.5 ", 92.5), ("0", 0.0), ("100", 100.0), ("90分", 90.0),
     ("101", None), ("-1", None), ("nan", None), ("好", None), ("", None)],
)  # fmt: skip
def test_typed_score(text: str, score: float | None) -> None:
    if score is None:
        with pytest.raises(BadScore):
            parse_score(text)
    else:
        assert parse_score(text) == score


def test_grade_scores_come_from_the_policy() -> None:
    assert [grade_score(POLICY, g) for g in Grade] == [95, 85, 75, 60]
    custom = parse_policy("[rating_scale]\ngood = 100\nfairly_good = 90\n")
    assert grade_score(custom, Grade.GOOD) == 100 and grade_score(custom, Grade.POOR) == 60
    with pytest.raises(ValueError, match="rating_scale"):
        parse_policy("[rating_scale]\ngood = 50\n")  # below 较好


def _p(pid: int, dept: int, *roles: Role, supervises: tuple[int, ...] = ()) -> Person:
    return Person(pid, f"p{pid}", dept, "c", frozenset(roles), frozenset(supervises))


M, H, S, C = Role.MEMBER, Role.HEAD, Role.SUPERVISOR, Role.CHIEF
# department 1: leaders (chief 1, supervisors 2, 3 over departments 2 and 3, 4 over 3)
# department 2: head 10, members 11, 12, 13; department 3: head 20, member 21
PEOPLE = [
    _p(1, 1, C, M), _p(2, 1, S, M, supervises=(2,)), _p(3, 1, S, M, supervises=(3,)),
    _p(4, 1, S, M, supervises=(3,)),
    _p(10, 2, H, M), _p(11, 2, M), _p(12, 2, M), _p(13, 2, M),
    _p(20, 3, H, M), _p(21, 3, M),
]  # fmt: skip


def _of(kind: RaterKind, policy: Policy = POLICY) -> set[tuple[int, int]]:
    return {(a.rater_id, a.ratee_id) for a in assignments(policy, PEOPLE) if a.kind is kind}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (RaterKind.SELF, {(p.id, p.id) for p in PEOPLE}),
        (RaterKind.HEAD, {(10, 11), (10, 12), (10, 13), (20, 21)}),
        (RaterKind.SUPERVISOR, {(2, 10), (2, 11), (2, 12), (2, 13),
                                (3, 20), (3, 21), (4, 20), (4, 21)}),
        (RaterKind.CHIEF, {(1, 2), (1, 3), (1, 4), (1, 10), (1, 20)}),
        # department 3 has one non-head: too few for anonymous peers
        (RaterKind.PEERS, {(a, b) for a in (2, 3, 4, 11, 12, 13) for b in (2, 3, 4, 11, 12, 13)
                           if a != b and (a < 10) == (b < 10)}),
        (RaterKind.SUBORDINATES, {(11, 10), (12, 10), (13, 10), (21, 20)}),
    ],
)  # fmt: skip
def test_who_rates_whom(kind: RaterKind, expected: set[tuple[int, int]]) -> None:
    assert _of(kind) == expected


def test_kinds_without_weight_are_not_asked_and_inactive_people_are_left_out() -> None:
    policy = replace(POLICY, raters=Raters(0, 0.5, 0.5, 0, 0, 0))
    kinds = {a.kind for a in assignments(policy, PEOPLE)}
    assert kinds == {RaterKind.HEAD, RaterKind.SUPERVISOR}
    people = [replace(p, active=p.id != 11) for p in PEOPLE]
    found = assignments(POLICY, people)
    assert all(11 not in (a.rater_id, a.ratee_id) for a in found)


def test_assignments_are_unique_and_sorted_by_rater() -> None:
    found = assignments(POLICY, PEOPLE)
    assert len(set(found)) == len(found)
    assert found[0] == Assignment(1, 1, RaterKind.SELF)
    order = [p.id for p in PEOPLE]
    assert [order.index(a.rater_id) for a in found] == sorted(
        order.index(a.rater_id) for a in found
    )
