"""Parsing 点赞 / 错情 and deciding what they record (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from core.people import Person, Role
from core.policy import Limits, Policy, Severity
from core.records import (
    AlreadyLikedToday,
    DailyCapReached,
    NoAuthority,
    NoReason,
    PointsNotAllowed,
    RecordKind,
    SelfAction,
    can_undo,
    decide,
    parse_action,
    signed,
)

OFFICE = 1
head = Person(1, "陈静", OFFICE, "中层干部", frozenset({Role.HEAD, Role.MEMBER}))
member = Person(2, "杨帆", OFFICE, "一般工作人员", frozenset({Role.MEMBER}))
colleague = Person(3, "赵丽", OFFICE, "一般工作人员", frozenset({Role.MEMBER}))
TODAY = date(2026, 11, 20)
DEFAULT = Policy()


@pytest.mark.parametrize(
    ("text", "kind", "reason", "target", "severity", "points"),
    [
        ("点赞 材料写得好", RecordKind.LIKE, "材料写得好", None, Severity.NORMAL, None),
        ("点赞：材料写得好", RecordKind.LIKE, "材料写得好", None, Severity.NORMAL, None),
        ("点赞材料写得好", RecordKind.LIKE, "材料写得好", None, Severity.NORMAL, None),
        ("/like 辛苦了", RecordKind.LIKE, "辛苦了", None, Severity.NORMAL, None),
        ("/LIKE@kaohe_bot 辛苦了", RecordKind.LIKE, "辛苦了", None, Severity.NORMAL, None),
        (
            "/like @zhang_san 周末加班",
            RecordKind.LIKE,
            "周末加班",
            "@zhang_san",
            Severity.NORMAL,
            None,
        ),
        ("点赞 @张伟 牵头整治", RecordKind.LIKE, "牵头整治", "@张伟", Severity.NORMAL, None),
        ("错情 数据有误", RecordKind.ERROR, "数据有误", None, Severity.NORMAL, None),
        ("错情 重 数据有误", RecordKind.ERROR, "数据有误", None, Severity.SERIOUS, None),
        ("/error -2 漏报", RecordKind.ERROR, "漏报", None, Severity.NORMAL, -2.0),
        (
            "错情 @张三 重 漏报 两次",
            RecordKind.ERROR,
            "漏报 两次",
            "@张三",
            Severity.SERIOUS,
            None,
        ),
        ("点赞", RecordKind.LIKE, "", None, Severity.NORMAL, None),
        (
            "点赞 重 要",
            RecordKind.LIKE,
            "重 要",
            None,
            Severity.NORMAL,
            None,
        ),  # 重 only for errors
    ],
)
def test_parse(text, kind, reason, target, severity, points) -> None:  # type: ignore[no-untyped-def]
    action = parse_action(text)
    assert action is not None
    assert (action.kind, action.reason, action.target, action.severity, action.points) == (
        kind,
        reason,
        target,
        severity,
        points,
    )


@pytest.mark.parametrize("text", ["今天天气好", "/likes 1", "/errors x", "赞", ""])
def test_not_an_action(text: str) -> None:
    assert parse_action(text) is None


def run(action_text: str, *, leader=head, target=member, policy=DEFAULT, issued=0, liked=False):  # type: ignore[no-untyped-def]
    action = parse_action(action_text)
    assert action is not None
    return decide(
        policy, leader, target, action, today=TODAY, issued_today=issued, liked_target_today=liked
    )


def test_points_come_from_the_policy() -> None:
    assert run("点赞 好").points == 1
    assert run("错情 错").points == -1
    assert run("错情 重 错").points == -3
    assert run("错情 -2 错").points == -2
    generous = Policy(adjustments=replace(Policy().adjustments, like_points=2.0))
    assert run("点赞 好", policy=generous).points == 2


@pytest.mark.parametrize(
    ("text", "kwargs", "refusal"),
    [
        ("点赞 好", {"leader": colleague}, NoAuthority),
        ("点赞 好", {"target": head}, SelfAction),
        ("点赞", {}, NoReason),
        ("点赞 好", {"issued": 30}, DailyCapReached),
        ("错情 错", {"issued": 30}, DailyCapReached),
        ("点赞 好", {"liked": True}, AlreadyLikedToday),
        ("错情 -50 错", {}, PointsNotAllowed),
        ("错情 -0.1 错", {}, PointsNotAllowed),
    ],
)
def test_refusals(text: str, kwargs: dict[str, object], refusal: type[Exception]) -> None:
    with pytest.raises(refusal):
        run(text, **kwargs)  # type: ignore[arg-type]


def test_errors_are_not_limited_per_target_and_the_rule_can_be_off() -> None:
    assert run("错情 又错", liked=True).points == -1
    lenient = Policy(limits=replace(Limits(), one_like_per_target_per_day=False))
    assert run("点赞 好", liked=True, policy=lenient).points == 1


def test_undo_window_and_signs() -> None:
    made = datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert can_undo(created_at=made, now=made + timedelta(hours=24))
    assert not can_undo(created_at=made, now=made + timedelta(hours=24, seconds=1))
    assert (signed(1), signed(-3), signed(0.5), signed(0)) == ("+1", "-3", "+0.5", "+0")
