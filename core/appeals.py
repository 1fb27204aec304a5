"""复核 (request for review) and 申辩 (objection) rules (《公务员法》 Art. 95–96; DESIGN §6).
Pure: dates and grades in, dates and verdicts out."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from core.calendar import WorkCalendar
from core.grades import AnnualGrade, Grade
from core.policy import Policy

QUARTER_WORDS: dict[str, Grade] = {g.label: g for g in Grade}
ANNUAL_WORDS: dict[str, AnnualGrade] = {g.label: g for g in AnnualGrade}


class AppealKind(StrEnum):
    """What is contested: a quarterly grade (during 公示) or an annual grade."""

    QUARTER = "quarter"
    ANNUAL = "annual"


class AppealStatus(StrEnum):
    """Open until decided: 维持 (upheld) or 变更 (changed)."""

    OPEN = "open"
    UPHELD = "upheld"
    CHANGED = "changed"


def nth_workday_after(calendar: WorkCalendar, day: date, n: int) -> date:
    """The n-th working day strictly after `day` (n = 0: `day` itself)."""
    seen = 0
    while seen < n:
        day += timedelta(days=1)
        if calendar.is_workday(day):
            seen += 1
    return day


def decision_due(policy: Policy, calendar: WorkCalendar, kind: AppealKind, filed: date) -> date:
    """The last day the unit may decide: working days for a quarter, days for a year."""
    rules = policy.appeals
    if kind is AppealKind.QUARTER:
        return nth_workday_after(calendar, filed, rules.quarterly_decision_workdays)
    return filed + timedelta(days=rules.annual_decision_days)


def annual_appeal_until(policy: Policy, received: date) -> date:
    """The last day a 复核 of an annual grade received on `received` may be asked for."""
    return received + timedelta(days=policy.appeals.annual_days)


def petition_until(policy: Policy, decided: date) -> date:
    """The last day of 申诉 to the next level after a 复核 decision of `decided`."""
    return decided + timedelta(days=policy.appeals.petition_days)


def objection_until(policy: Policy, calendar: WorkCalendar, notified: date) -> date:
    """The last day of 申辩 against a 错情 or veto notified on `notified`."""
    return nth_workday_after(calendar, notified, policy.appeals.objection_days)


def not_worse(
    old_score: Decimal, old_level: int, new_score: Decimal | None, new_level: int | None
) -> bool:
    """A 复核 may never make the result worse: no lower score, no lower grade (level 0 =
    best)."""
    if new_score is not None and new_score < old_score:
        return False
    return not (new_level is not None and new_level > old_level)


def may_decide_objection(*, viewer_id: int | None, admin: bool, issuer_id: int | None) -> bool:
    """A 申辩 is decided by the record's issuer or an admin (/objection)."""
    return admin or (issuer_id is not None and issuer_id == viewer_id)


def may_see_objection(
    *, viewer_id: int | None, admin: bool, person_id: int, issuer_id: int | None
) -> bool:
    """An open 申辩 is known to the person who filed it and to those who decide it (they
    are the ones told of it)."""
    return person_id == viewer_id or may_decide_objection(
        viewer_id=viewer_id, admin=admin, issuer_id=issuer_id
    )


def may_see_appeal(*, viewer_id: int | None, admin: bool, person_id: int) -> bool:
    """An open 复核 is known to the person who asked and to the 考核办, who alone list and
    decide them (/appeals, /decide)."""
    return admin or person_id == viewer_id
