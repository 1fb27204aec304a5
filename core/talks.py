"""反馈谈话 (DESIGN §6): who talks with whom after a quarter's results. Pure.

A talk is mandatory for a person graded 一般 / 较差 in the published quarter and
optional for everyone else. Any leader with authority over the person may record it
(core.people.can_lead); the one answerable for a mandatory talk, and so reminded of it,
is the head of the person's department; for a head (or a department without one), the
supervisors of the department; failing those, the chiefs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

from core.grades import Grade
from core.people import Person, Role


def responsible_leaders(people: Sequence[Person], person: Person) -> tuple[int, ...]:
    """Ids of the leaders answerable for `person`'s talk (see the module docstring)."""
    active = [p for p in people if p.active and p.id != person.id]
    heads = [p.id for p in active if p.has(Role.HEAD) and p.department_id == person.department_id]
    if heads:
        return tuple(heads)
    supervisors = [
        p.id for p in active if p.has(Role.SUPERVISOR) and person.department_id in p.supervises
    ]
    if supervisors:
        return tuple(supervisors)
    return tuple(p.id for p in active if p.has(Role.CHIEF))


@dataclass(frozen=True, slots=True)
class Outstanding:
    """A leader's mandatory talks not yet recorded: person ids, in the given order."""

    leader_id: int
    person_ids: tuple[int, ...]


def outstanding_talks(
    people: Sequence[Person], grades: Mapping[int, Grade], done: Set[int]
) -> list[Outstanding]:
    """Per responsible leader, the active people graded 一般 / 较差 without a talk.

    `people` in roster order; `grades` the published grades (people without one were not
    scored and need no talk); `done` the people whose talk is recorded.
    """
    by_leader: dict[int, list[int]] = {}
    for person in people:
        grade = grades.get(person.id)
        if not person.active or grade is None or not grade.needs_talk or person.id in done:
            continue
        for leader in responsible_leaders(people, person):
            by_leader.setdefault(leader, []).append(person.id)
    order = {p.id: i for i, p in enumerate(people)}
    return [
        Outstanding(leader, tuple(ids))
        for leader, ids in sorted(by_leader.items(), key=lambda kv: order.get(kv[0], 0))
    ]
