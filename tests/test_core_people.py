"""Authority (DESIGN §1): who may act on whom."""

from __future__ import annotations

import pytest

from core.binding import deep_link, normalize_invite_code
from core.people import Person, Role, can_lead, decode_roles, encode_roles, roles_label

OFFICE, HR = 1, 2
member = Person(1, "甲", OFFICE, "一般工作人员", frozenset({Role.MEMBER}))
colleague = Person(2, "乙", OFFICE, "一般工作人员", frozenset({Role.MEMBER}))
head = Person(3, "丙", OFFICE, "中层干部", frozenset({Role.HEAD, Role.MEMBER}))
other_head = Person(4, "丁", HR, "中层干部", frozenset({Role.HEAD}))
supervisor = Person(5, "戊", 9, "班子成员", frozenset({Role.SUPERVISOR}), frozenset({OFFICE}))
chief = Person(6, "己", 9, "班子成员", frozenset({Role.CHIEF}))
admin = Person(7, "庚", HR, "一般工作人员", frozenset({Role.ADMIN, Role.MEMBER}))
gone_head = Person(8, "辛", OFFICE, "中层干部", frozenset({Role.HEAD}), active=False)


@pytest.mark.parametrize(
    ("leader", "person", "allowed"),
    [
        (head, member, True),
        (other_head, member, False),
        (supervisor, member, True),
        (supervisor, other_head, False),
        (chief, member, True),
        (chief, other_head, True),
        (chief, chief, False),
        (head, head, False),
        (colleague, member, False),
        (admin, member, False),
        (gone_head, member, False),
    ],
)
def test_authority(leader: Person, person: Person, allowed: bool) -> None:
    assert can_lead(leader, person) is allowed


def test_roles_round_trip_in_leader_first_order() -> None:
    roles = {Role.MEMBER, Role.ADMIN, Role.HEAD}
    assert encode_roles(roles) == "head,admin,member"
    assert decode_roles("head,admin,member") == roles
    assert roles_label(roles) == "部门负责人、考核办、工作人员"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("K7M2QX9P", "K7M2QX9P"),
        (" k7m2-qx9p ", "K7M2QX9P"),
        ("K7M2QX9", None),
        ("K7M2QX90", None),
        ("你好", None),
    ],
)
def test_invite_codes_are_forgiving_but_exact(typed: str, code: str | None) -> None:
    assert normalize_invite_code(typed) == code


def test_deep_link() -> None:
    assert deep_link("@kaohe_bot", "K7M2QX9P") == "https://t.me/kaohe_bot?start=K7M2QX9P"
    assert deep_link(None, "K7M2QX9P") is None
