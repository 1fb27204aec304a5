"""多主体评价 (DESIGN §6): who rates whom at quarter end, and what a rating answer means.
Pure: people and policy in, assignments out.

Rater kinds (only those with weight > 0 in `policy.raters` are asked):

    self          every active person rates themself (自评)
    head          a department head rates the other people of their department
    supervisor    a 分管领导 rates the people of the departments they supervise
    chief         a 主要领导 rates the department heads and the supervisors — the people
                  who answer to them directly; members are rated by their head and
                  supervisor, and asking the chief for everyone (dozens of requests) is
                  what the design wants to avoid. A member's ratings therefore have no
                  chief part, and the scoring core scales the other kinds up, as for any
                  missing kind.
    peers         同级互评: people of one department who are neither its head nor a chief
                  rate each other; only in departments with at least MIN_PEERS such
                  people, so that every ratee has two or more peer raters and the mean
                  they see never is one colleague's score. Anonymous to the ratee.
    subordinates  下级评议: the members of a department (not its head) rate their head.

A person never rates themself except as `self`; one (rater, ratee, kind) is asked once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from core.calendar import WorkCalendar
from core.facts import RatingMean
from core.grades import Grade
from core.people import Person, Role
from core.policy import Policy, RaterKind
from core.quarter import Quarter
from core.quarter_end import QuarterEndWindow, window, windows_around

MIN_PEERS = 3
MIN_SCORE, MAX_SCORE = 0.0, 100.0


@dataclass(frozen=True, slots=True, order=True)
class Assignment:
    """One rating to ask for: `rater` rates `ratee` as `kind`."""

    rater_id: int
    ratee_id: int
    kind: RaterKind


def assignments(policy: Policy, people: Sequence[Person]) -> list[Assignment]:
    """Every rating the policy asks for among the active `people`, sorted by rater, then
    in roster order of the ratees (the order of `people`), kinds in enum order."""
    active = [p for p in people if p.active]
    order = {p.id: n for n, p in enumerate(active)}
    kinds = [k for k in RaterKind if policy.raters.weight(k) > 0]
    found: set[Assignment] = set()
    by_department: dict[int, list[Person]] = {}
    for person in active:
        by_department.setdefault(person.department_id, []).append(person)

    for rater in active:
        for kind in kinds:
            for ratee in _ratees(kind, rater, active, by_department):
                if ratee.id != rater.id or kind is RaterKind.SELF:
                    found.add(Assignment(rater.id, ratee.id, kind))
    kind_order = {k: n for n, k in enumerate(RaterKind)}
    return sorted(found, key=lambda a: (order[a.rater_id], kind_order[a.kind], order[a.ratee_id]))


def _ratees(
    kind: RaterKind,
    rater: Person,
    active: Sequence[Person],
    by_department: dict[int, list[Person]],
) -> Sequence[Person]:
    """Whom `rater` rates as `kind` (possibly themself: the caller drops that)."""
    department = by_department.get(rater.department_id, [])
    match kind:
        case RaterKind.SELF:
            return [rater]
        case RaterKind.HEAD if rater.has(Role.HEAD):
            return department
        case RaterKind.SUPERVISOR if rater.has(Role.SUPERVISOR):
            return [p for p in active if p.department_id in rater.supervises]
        case RaterKind.CHIEF if rater.has(Role.CHIEF):
            return [p for p in active if p.has(Role.HEAD) or p.has(Role.SUPERVISOR)]
        case RaterKind.PEERS:
            peers = [p for p in department if not p.has(Role.HEAD) and not p.has(Role.CHIEF)]
            return peers if rater in peers and len(peers) >= MIN_PEERS else []
        case RaterKind.SUBORDINATES if not rater.has(Role.HEAD) and not rater.has(Role.CHIEF):
            return [p for p in department if p.has(Role.HEAD)]
    return []


ANONYMOUS_KINDS = frozenset({RaterKind.PEERS, RaterKind.SUBORDINATES})
# An anonymous kind counts only when at least this many raters answered: with one, its
# mean in the ratee's breakdown would be that rater's own score.
MIN_ANONYMOUS_ANSWERS = 2


def countable(means: Iterable[RatingMean]) -> tuple[RatingMean, ...]:
    """The rating means that may be scored (and shown to the ratee): an anonymous kind
    (同级互评, 下级评议) answered by fewer than `MIN_ANONYMOUS_ANSWERS` raters is left
    out, and the scoring core renormalises the other kinds as for any missing kind."""
    return tuple(
        m for m in means if m.kind not in ANONYMOUS_KINDS or m.count >= MIN_ANONYMOUS_ANSWERS
    )


def ratings_closed(policy: Policy, calendar: WorkCalendar, quarter: Quarter, at: datetime) -> bool:
    """Whether the ratings of `quarter` have closed at local time `at` (the deadline of
    the window's close day)."""
    close = window(policy, calendar, quarter).ratings_close
    day = at.date()
    return day > close or (day == close and at.time() >= policy.schedule.deadline)


def live(means: Iterable[RatingMean], *, closed: bool) -> tuple[RatingMean, ...]:
    """The rating means that may be shown and scored now. While ratings are open no
    anonymous kind counts at all (issue 16): a mean and count shown live would give away
    each new rater's score by differencing (3×80 − 2×72.5 = 95)."""
    if closed:
        return tuple(means)
    return tuple(m for m in means if m.kind not in ANONYMOUS_KINDS)


def rating_window(
    policy: Policy, calendar: WorkCalendar, day: date, at: time | None = None
) -> QuarterEndWindow | None:
    """The quarter-end window whose ratings are open on `day` at local time `at` (they
    close at the deadline of the close day; without a time, at its end)."""
    before, current = windows_around(policy, calendar, day)
    for candidate in (before, current):
        if not candidate.rating(day):
            continue
        if day == candidate.ratings_close and at is not None and at >= policy.schedule.deadline:
            continue
        return candidate
    return None


class BadScore(ValueError):
    """A typed rating that is not a number from 0 to 100."""


def parse_score(text: str) -> float:
    """A typed rating: a number 0–100 (e.g. '88', '92.5', '９０'); BadScore otherwise."""
    cleaned = text.strip().rstrip("分").strip()
    try:
        value = float(cleaned)
    except ValueError as exc:
        raise BadScore(text) from exc
    if not math.isfinite(value) or not MIN_SCORE <= value <= MAX_SCORE:
        raise BadScore(text)
    return value


def grade_score(policy: Policy, grade: Grade) -> float:
    """The score a rating button for `grade` stands for."""
    return policy.rating_scale.score(grade)
