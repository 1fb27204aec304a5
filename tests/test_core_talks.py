"""Who answers for a feedback talk, and which mandatory talks are outstanding (core.talks)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.grades import Grade
from core.people import Person, Role
from core.talks import Outstanding, outstanding_talks, responsible_leaders


def person(pid: int, dept: int, *roles: Role, supervises: tuple[int, ...] = ()) -> Person:
    return Person(
        id=pid, name=f"p{pid}", department_id=dept, category="c",
        roles=frozenset(roles or (Role.MEMBER,)), supervises=frozenset(supervises),
    )  # fmt: skip


CHIEF = person(1, 0, Role.CHIEF)
SUPERVISOR = person(2, 0, Role.SUPERVISOR, supervises=(10,))
HEAD = person(3, 10, Role.HEAD, Role.MEMBER)
MEMBER = person(4, 10)
LONELY = person(5, 20)  # department 20: no head, no supervisor
PEOPLE = [CHIEF, SUPERVISOR, HEAD, MEMBER, LONELY]


@pytest.mark.parametrize(
    ("who", "leaders"),
    [
        (MEMBER, (3,)),  # the department's head
        (HEAD, (2,)),  # a head: the department's supervisor
        (LONELY, (1,)),  # nobody else: the chief
        (SUPERVISOR, (1,)),
        (CHIEF, ()),  # nobody above the chief
    ],
)
def test_responsible_leaders(who: Person, leaders: tuple[int, ...]) -> None:
    assert responsible_leaders(PEOPLE, who) == leaders


@pytest.mark.parametrize(
    ("grades", "done", "expected"),
    [
        ({4: Grade.GOOD, 3: Grade.FAIRLY_GOOD}, set(), []),
        ({4: Grade.AVERAGE}, set(), [Outstanding(3, (4,))]),
        ({4: Grade.POOR, 3: Grade.AVERAGE}, set(), [Outstanding(2, (3,)), Outstanding(3, (4,))]),
        ({4: Grade.POOR, 3: Grade.AVERAGE}, {3}, [Outstanding(3, (4,))]),
        ({4: Grade.POOR, 5: Grade.POOR}, {4}, [Outstanding(1, (5,))]),
        ({99: Grade.POOR}, set(), []),  # not in the roster any more
    ],
)
def test_outstanding_talks(
    grades: dict[int, Grade], done: set[int], expected: list[Outstanding]
) -> None:
    assert outstanding_talks(PEOPLE, grades, done) == expected


@given(
    grades=st.dictionaries(st.sampled_from([p.id for p in PEOPLE]), st.sampled_from(list(Grade))),
    done=st.sets(st.sampled_from([p.id for p in PEOPLE])),
)
def test_outstanding_is_exactly_the_mandatory_talks_not_held(
    grades: dict[int, Grade], done: set[int]
) -> None:
    found = outstanding_talks(PEOPLE, grades, done)
    listed = {pid for item in found for pid in item.person_ids}
    due = {pid for pid, grade in grades.items() if grade.needs_talk and pid not in done}
    answerable = {p.id for p in PEOPLE if responsible_leaders(PEOPLE, p)}
    assert listed == due & answerable
    assert all(item.leader_id not in item.person_ids for item in found)  # never oneself
