"""People, roles and who may act on whom (DESIGN §1)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache


class Role(StrEnum):
    """What a person may do; one person can hold several."""

    MEMBER = "member"
    HEAD = "head"
    SUPERVISOR = "supervisor"
    CHIEF = "chief"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.MEMBER: "工作人员",
    Role.HEAD: "部门负责人",
    Role.SUPERVISOR: "分管领导",
    Role.CHIEF: "主要领导",
    Role.ADMIN: "考核办",
}

# Chinese words staff actually type in a roster sheet, mapped to roles.
ROLE_ALIASES: dict[str, Role] = {
    **{role.value: role for role in Role},
    **{label: role for role, label in ROLE_LABELS.items()},
    "干部": Role.MEMBER,
    "职工": Role.MEMBER,
    "负责人": Role.HEAD,
    "科长": Role.HEAD,
    "股长": Role.HEAD,
    "所长": Role.HEAD,
    "分管": Role.SUPERVISOR,
    "局长": Role.CHIEF,
    "一把手": Role.CHIEF,
    "管理员": Role.ADMIN,
    "人事科": Role.ADMIN,
}

# Leaders first: that is how a person's roles are read out and stored.
ROLE_ORDER: tuple[Role, ...] = (Role.CHIEF, Role.SUPERVISOR, Role.HEAD, Role.ADMIN, Role.MEMBER)


def parse_role(word: str) -> Role | None:
    """The role a roster word names, or None."""
    word = word.strip()
    return ROLE_ALIASES.get(word.lower()) or ROLE_ALIASES.get(word)


def encode_roles(roles: Iterable[Role]) -> str:
    """Canonical storage form: `head,member` in a fixed order."""
    chosen = set(roles)
    return ",".join(role.value for role in ROLE_ORDER if role in chosen)


@cache
def decode_roles(text: str) -> frozenset[Role]:
    """Inverse of `encode_roles`; unknown words are ignored. (Cached: few distinct texts.)"""
    known = {role.value for role in Role}
    return frozenset(Role(word) for word in text.split(",") if word in known)


def roles_label(roles: Iterable[Role]) -> str:
    """Roles as Chinese words, in the fixed order."""
    chosen = set(roles)
    return "、".join(ROLE_LABELS[role] for role in ROLE_ORDER if role in chosen)


@dataclass(frozen=True, slots=True)
class Person:
    """A roster entry as the core sees it."""

    id: int
    name: str
    department_id: int
    category: str
    roles: frozenset[Role]
    supervises: frozenset[int] = field(default_factory=frozenset)
    active: bool = True

    def has(self, role: Role) -> bool:
        """Whether the person holds `role`."""
        return role in self.roles


def can_lead(leader: Person, person: Person) -> bool:
    """Whether `leader` may like, error, review or rate `person` (DESIGN §1 Authority)."""
    if leader.id == person.id or not leader.active or not person.active:
        return False
    if leader.has(Role.CHIEF):
        return True
    if leader.has(Role.HEAD) and leader.department_id == person.department_id:
        return True
    return leader.has(Role.SUPERVISOR) and person.department_id in leader.supervises
