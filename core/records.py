"""点赞 and 错情: parsing what a leader typed, and deciding what it records (DESIGN §4).

The shell resolves who is meant and gathers today's counts; `decide` applies the rules
(authority, reason, severity bounds, anti-abuse limits) and returns the record to store,
or raises a `Refusal` that says why. Nothing here touches the database or the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from core.people import Person, can_lead
from core.policy import PointsOutOfBounds, Policy, Severity
from core.reports import visible_text

UNDO_WINDOW = timedelta(hours=24)
MAX_REASON = 500


class RecordKind(StrEnum):
    """What a record is."""

    LIKE = "like"
    ERROR = "error"
    NOTICE = "notice"
    MISSED = "missed"
    BONUS = "bonus"
    VETO = "veto"


KIND_LABELS = {
    RecordKind.LIKE: "点赞",
    RecordKind.ERROR: "错情",
    RecordKind.NOTICE: "通报",
    RecordKind.MISSED: "缺报",
    RecordKind.BONUS: "加分",
    RecordKind.VETO: "一票否决",
}

_VERBS = {
    "点赞": RecordKind.LIKE,
    "/like": RecordKind.LIKE,
    "错情": RecordKind.ERROR,
    "/error": RecordKind.ERROR,
}
_COMMAND = re.compile(r"^(/like|/error)(@\w+)?(?=\s|$)", re.IGNORECASE)
_SERIOUS = {"重", "严重", "serious"}
_POINTS = re.compile(r"^[-−]\d+(\.\d+)?$")


@dataclass(frozen=True, slots=True)
class Action:
    """A like or error as typed: who (if named), how heavy, why."""

    kind: RecordKind
    reason: str
    target: str | None = None  # '@username' or '@姓名' when not a reply
    severity: Severity = Severity.NORMAL
    points: float | None = None  # an explicit error weight, e.g. 错情 -2 理由


def parse_action(text: str) -> Action | None:
    """Read `点赞 [@谁] 理由`, `错情 [重|-2] [@谁] 理由`, `/like …`, `/error …`; None if it is
    not a like or error at all (the reason may be empty: `decide` refuses that)."""
    stripped = text.strip()
    command = _COMMAND.match(stripped)
    if command:
        verb, rest = command[1].lower(), stripped[command.end() :]
    else:
        verb = next((v for v in ("点赞", "错情") if stripped.startswith(v)), "")
        rest = stripped[len(verb) :]
        if not verb:
            return None
    kind = _VERBS[verb]
    words = rest.lstrip("：:，, \t\n").split()
    target = severity_word = None
    points: float | None = None
    severity = Severity.NORMAL
    # the optional parts come first, in any order: @谁, 重, -2
    while words:
        word = words[0]
        if word.startswith("@") and len(word) > 1 and target is None:
            target = word
        elif kind is RecordKind.ERROR and word in _SERIOUS and severity_word is None:
            severity_word, severity = word, Severity.SERIOUS
        elif kind is RecordKind.ERROR and _POINTS.match(word) and points is None:
            points = -abs(float(word.replace("−", "-")))
        else:
            break
        words.pop(0)
    return Action(kind, " ".join(words)[:MAX_REASON], target, severity, points)


def reads_as_report(text: str, *, leads: bool) -> bool:
    """Whether a private text starting with 点赞 / 错情 is a report, not a command (issue 16).

    Nobody @named: a person who leads nobody has no like or error to give, so their text
    is a report (「错情整改：已完成3项问题整改」); a leader's is a report only when the
    verb runs on into a word (「错情整改完成」), while 「错情：…」 stays a command and gets
    the hint to name someone. With an @name it is a command for everyone (a member is
    then told they cannot give one).
    """
    stripped = text.strip()
    verb = next((v for v in ("点赞", "错情") if stripped.startswith(v)), None)
    if verb is None:
        return False
    rest = stripped[len(verb) :]
    if "@" in rest:
        return False
    return not leads or (bool(rest) and rest[0].isalpha())


class Refusal(Exception):
    """Why a like or error is not recorded; nothing is stored."""


class NoReason(Refusal):
    """A reason is required: who was praised and why is the point."""


class UnsavableReason(Refusal):
    """A reason with a NUL character in it (no database should hold one)."""


class SelfAction(Refusal):
    """Nobody likes or errors themselves."""


class NoAuthority(Refusal):
    """The leader is not head, supervisor or chief of the person."""


class DailyCapReached(Refusal):
    """The leader used up today's likes and errors."""

    def __init__(self, cap: int) -> None:
        super().__init__(cap)
        self.cap = cap


class AlreadyLikedToday(Refusal):
    """One like per leader per person per day."""


class PointsNotAllowed(Refusal):
    """An explicit error weight outside the policy's bounds."""

    def __init__(self, low: float, high: float) -> None:
        super().__init__(low, high)
        self.low, self.high = low, high


@dataclass(frozen=True, slots=True)
class Decision:
    """What to record."""

    kind: RecordKind
    person_id: int
    issuer_id: int
    points: float
    severity: Severity | None
    reason: str
    day: date


def decide(
    policy: Policy,
    leader: Person,
    target: Person,
    action: Action,
    *,
    today: date,
    issued_today: int,
    liked_target_today: bool,
) -> Decision:
    """Apply DESIGN §4 to one like or error; raise a Refusal, or return what to store."""
    if leader.id == target.id:
        raise SelfAction
    if not can_lead(leader, target):
        raise NoAuthority
    if not visible_text(action.reason):
        raise NoReason
    if "\x00" in action.reason:
        raise UnsavableReason
    if issued_today >= policy.limits.actions_per_leader_per_day:
        raise DailyCapReached(policy.limits.actions_per_leader_per_day)
    adjustments = policy.adjustments
    if action.kind is RecordKind.LIKE:
        if liked_target_today and policy.limits.one_like_per_target_per_day:
            raise AlreadyLikedToday
        points, severity = adjustments.like_points, None
    else:
        try:
            points = adjustments.error_points_for(action.severity, action.points)
        except PointsOutOfBounds as exc:
            raise PointsNotAllowed(
                adjustments.error_points_min, adjustments.error_points_max
            ) from exc
        severity = action.severity
    return Decision(
        kind=action.kind,
        person_id=target.id,
        issuer_id=leader.id,
        points=points,
        severity=severity,
        reason=action.reason.strip(),
        day=today,
    )


def can_undo(*, created_at: datetime, now: datetime) -> bool:
    """The issuer may undo within 24 hours."""
    return now - created_at <= UNDO_WINDOW


def signed(points: float) -> str:
    """+1, -1, +0.5 (an ASCII minus, as in /policy and the workbook)."""
    text = f"{abs(points):g}"
    return f"+{text}" if points >= 0 else f"-{text}"
