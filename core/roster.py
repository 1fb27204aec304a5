"""Roster validation and re-import matching (DESIGN §1 Roster), as pure functions.

A roster is a table as HR offices make it: maybe a title row or two (「某某局2026年在职
人员名单」), then the header row (Chinese or English; found among the first rows), one
row per person, maybe footer rows (制表人 / 审核人 / 合计 / 备注) and blank rows, which are
skipped. Columns kaohe does not use (序号 / 性别 / 联系电话 …) are ignored and listed once.
Names and department names are normalised (`core.text.normalise_name`) before anything
compares them. Validation is all or nothing: every problem is collected with its row
number — exactly the row number the spreadsheet shows — and nothing is accepted unless
there are none.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from core.people import Role, parse_role
from core.text import normalise_name, visible

K = TypeVar("K", bound=Hashable)

DEFAULT_CATEGORY = "一般工作人员"
UNIT_WIDE = "全单位"

# canonical column -> accepted header spellings (compared case-insensitively, spaces removed)
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "department": ("部门", "department", "股室", "科室"),
    "category": ("类别", "category", "身份"),
    "roles": ("角色", "roles", "role"),
    "supervises": ("分管部门", "supervises", "分管"),
    "username": ("telegram", "username", "telegram用户名", "用户名", "tg"),
    "employee_id": ("工号", "employee_id", "employeeid", "编号"),
    "position": ("职务", "position", "职位", "title"),
}
REQUIRED_COLUMNS = ("name", "department")
COLUMN_LABELS = {key: f"{spellings[0]}/{spellings[1]}" for key, spellings in COLUMNS.items()}

_LIST_SPLIT = re.compile(r"[;；,，、\s]+")
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
MAX_NAME = 64
MAX_DEPARTMENT = 100  # the database's column sizes
MAX_CATEGORY = 32
MAX_EMPLOYEE_ID = 32
MAX_POSITION = 64
HEADER_SEARCH_ROWS = 10  # the header row is looked for among the first rows
# A row whose first filled cell starts with one of these is a footer, not a person.
FOOTER_WORDS = ("制表", "审核", "填表", "合计", "总计", "小计", "备注", "说明", "注：", "注:")
NAMED_COLUMNS = ("name", "department", "supervises")  # normalised as names
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # NUL and the like: PostgreSQL refuses NUL


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One valid roster row."""

    row: int
    name: str
    department: str
    category: str
    roles: frozenset[Role]
    supervises: tuple[str, ...] = ()
    username: str | None = None
    employee_id: str | None = None
    position: str | None = None


@dataclass(frozen=True, slots=True)
class RosterSheet:
    """A read roster: its entries, where its header was, what was left aside."""

    entries: tuple[RosterEntry, ...]
    header_row: int
    ignored_columns: tuple[str, ...] = ()
    skipped_rows: tuple[int, ...] = ()  # footer rows (blank rows are not listed)


@dataclass(frozen=True, slots=True)
class RosterProblem:
    """One thing wrong with a roster file; `row` is None for the file as a whole."""

    row: int | None
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行：{self.message}" if self.row else self.message


class RosterError(Exception):
    """The roster was rejected; `problems` lists everything wrong with it."""

    def __init__(self, problems: Sequence[RosterProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 工号 1001 as 1001.0
    return visible(str(value)).replace("\u3000", " ").strip()


def _header_key(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


_ALIASES = {
    _header_key(spelling): key for key, spellings in COLUMNS.items() for spelling in spellings
}


def _known_columns(header: Sequence[object]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        key = _ALIASES.get(_header_key(_cell(raw)))
        if key is not None:
            columns.setdefault(key, index)
    return columns


def _map_headers(number: int, header: Sequence[object]) -> tuple[dict[str, int], list[str]]:
    """The known columns (name → index) and the headers ignored."""
    problems: list[RosterProblem] = []
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, raw in enumerate(header):
        text = _cell(raw)
        if not text:
            continue
        key = _ALIASES.get(_header_key(text))
        if key is None:
            ignored.append(text)
        elif key in columns:
            problems.append(RosterProblem(number, f"列「{text}」重复"))
        else:
            columns[key] = index
    for key in REQUIRED_COLUMNS:
        if key not in columns:
            problems.append(RosterProblem(number, f"缺少必填列「{COLUMN_LABELS[key]}」"))
    if problems:
        if ignored:
            problems.append(RosterProblem(number, f"未识别的列：{'、'.join(ignored)}"))
        accepted = "、".join(COLUMN_LABELS.values())
        problems.append(RosterProblem(number, f"可用的列：{accepted}"))
        raise RosterError(problems)
    return columns, ignored


def _find_header(rows: Sequence[tuple[int, Sequence[object]]]) -> int:
    """Index (in `rows`) of the header: the first of the first rows naming both required
    columns; else the first non-blank row (whose problems are then reported)."""
    for index, (_, row) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if all(key in _known_columns(row) for key in REQUIRED_COLUMNS):
            return index
    return 0


def _is_footer(row: Sequence[object]) -> bool:
    first = next((text for value in row if (text := _cell(value))), "")
    return first.replace(" ", "").startswith(FOOTER_WORDS)


def parse_roster(table: Sequence[Sequence[object]]) -> list[RosterEntry]:
    """Validate a roster table; raise RosterError listing every problem."""
    return list(read_roster(table).entries)


def read_roster(table: Sequence[Sequence[object]]) -> RosterSheet:
    """Find the header, skip titles and footers, validate every row (RosterError if any
    row is wrong). Row numbers are the spreadsheet's: the table's first row is row 1."""
    rows = [(number, row) for number, row in enumerate(table, start=1) if any(map(_cell, row))]
    if not rows:
        raise RosterError([RosterProblem(None, "文件是空的：应有一行列名（姓名、部门……）")])
    header_at = _find_header(rows)
    header_number, header = rows[header_at]
    columns, ignored = _map_headers(header_number, header)
    data: list[tuple[int, Sequence[object]]] = []
    footers: list[int] = []
    name_header = _value(header, columns, "name")
    for number, row in rows[header_at + 1 :]:
        if _is_footer(row):
            footers.append(number)
        elif _value(row, columns, "name") == name_header:
            continue  # the header again (a two-row merged header, or repeated on each page)
        elif _value(row, columns, "name") or _value(row, columns, "department"):
            data.append((number, row))
        # else: a row with neither name nor department (a 序号 alone, a date): skipped
    if not data:
        raise RosterError([RosterProblem(None, "文件里没有人员：列名下面至少要有一行")])

    problems: list[RosterProblem] = []
    entries = [
        entry for number, row in data if (entry := _parse_row(number, row, columns, problems))
    ]
    problems.extend(_cross_check(entries))
    if problems:
        raise RosterError(sorted(problems, key=lambda p: p.row or 0))
    return RosterSheet(tuple(entries), header_number, tuple(ignored), tuple(footers))


def _value(row: Sequence[object], columns: dict[str, int], key: str) -> str:
    index = columns.get(key)
    text = _cell(row[index]) if index is not None and index < len(row) else ""
    return normalise_name(text) if key in NAMED_COLUMNS else text


def _parse_row(
    number: int, row: Sequence[object], columns: dict[str, int], problems: list[RosterProblem]
) -> RosterEntry | None:
    def get(key: str) -> str:
        return _value(row, columns, key)

    def get_raw(key: str) -> str:  # a list: split before its names lose their spaces
        index = columns.get(key)
        return _cell(row[index]) if index is not None and index < len(row) else ""

    found: list[str] = []
    name, department = get("name"), get("department")
    if not name:
        found.append("姓名为空")
    elif len(name) > MAX_NAME:
        found.append(f"姓名过长（最多 {MAX_NAME} 字）")
    if not department:
        found.append("部门为空")
    elif department == UNIT_WIDE:
        found.append(f"部门不能叫「{UNIT_WIDE}」（留给单位群使用）")
    elif len(department) > MAX_DEPARTMENT:
        found.append(f"部门名称过长（最多 {MAX_DEPARTMENT} 字）")
    if len(get("category")) > MAX_CATEGORY:
        found.append(f"类别过长（最多 {MAX_CATEGORY} 字）")
    if len(get("employee_id")) > MAX_EMPLOYEE_ID:
        found.append(f"工号过长（最多 {MAX_EMPLOYEE_ID} 字）")
    if len(get("position")) > MAX_POSITION:
        found.append(f"职务过长（最多 {MAX_POSITION} 字）")
    checked = ("name", "department", "category", "employee_id", "position")
    if any(_CONTROL.search(get(key)) for key in checked):
        found.append("含有换行或不可见的控制字符")

    roles: set[Role] = set()
    for word in _split(get("roles")):
        role = parse_role(word)
        if role is None:
            found.append(f"未知角色「{word}」（可用：member、head、supervisor、chief、admin）")
        else:
            roles.add(role)
    if not roles:
        roles.add(Role.MEMBER)

    supervises = tuple(dict.fromkeys(normalise_name(w) for w in _split(get_raw("supervises"))))
    if supervises and Role.SUPERVISOR not in roles:
        found.append("填写了分管部门，但角色里没有 supervisor（分管领导）")
    if Role.SUPERVISOR in roles and not supervises:
        found.append("分管领导需要填写分管部门")

    username = get("username").lstrip("@") or None
    if username and not _USERNAME.match(username):
        found.append(f"Telegram 用户名「{username}」格式不对（5–32 位字母、数字、下划线）")

    problems.extend(RosterProblem(number, message) for message in found)
    if found:
        return None
    return RosterEntry(
        row=number,
        name=name,
        department=department,
        category=get("category") or DEFAULT_CATEGORY,
        roles=frozenset(roles),
        supervises=supervises,
        username=username.lower() if username else None,
        employee_id=get("employee_id") or None,
        position=re.sub(r"\s+", " ", unicodedata.normalize("NFKC", get("position"))) or None,
    )


def _split(text: str) -> list[str]:
    return [word for word in _LIST_SPLIT.split(text) if word]


def _cross_check(entries: Sequence[RosterEntry]) -> list[RosterProblem]:
    problems: list[RosterProblem] = []
    departments = {entry.department for entry in entries}
    for entry in entries:
        for name in entry.supervises:
            if name not in departments:
                problems.append(RosterProblem(entry.row, f"分管部门「{name}」不在名单的部门里"))

    def duplicates(
        key_of: Callable[[RosterEntry], K | None], describe: Callable[[K], str]
    ) -> None:
        seen: dict[K, list[int]] = defaultdict(list)
        for entry in entries:
            key = key_of(entry)
            if key is not None:
                seen[key].append(entry.row)
        for key, numbers in seen.items():
            if len(numbers) > 1:
                rows = "、".join(str(n) for n in numbers)
                for number in numbers:
                    problems.append(RosterProblem(number, f"{describe(key)}重复（第 {rows} 行）"))

    duplicates(lambda e: e.employee_id, lambda k: f"工号「{k}」")
    duplicates(lambda e: e.username, lambda k: f"Telegram 用户名「{k}」")
    duplicates(
        lambda e: (e.name, e.department) if e.employee_id is None else None,
        lambda k: f"没有工号的「{k[0]}（{k[1]}）」",
    )
    return problems


@dataclass(frozen=True, slots=True)
class KnownPerson:
    """An existing roster person, as re-import matching needs it."""

    id: int
    name: str
    department: str
    employee_id: str | None


@dataclass(frozen=True, slots=True)
class RosterPlan:
    """How a re-import applies: which entries update whom, which are new, who leaves."""

    updates: tuple[tuple[RosterEntry, int], ...]
    additions: tuple[RosterEntry, ...]
    deactivations: tuple[int, ...]


def match_roster(known: Sequence[KnownPerson], entries: Sequence[RosterEntry]) -> RosterPlan:
    """Match entries to known people: by employee id, else by name + department."""
    by_id = {p.employee_id: p.id for p in known if p.employee_id}
    by_name: dict[tuple[str, str], list[KnownPerson]] = defaultdict(list)
    for person in known:
        by_name[(person.name, person.department)].append(person)

    taken: set[int] = set()
    updates: list[tuple[RosterEntry, int]] = []
    additions: list[RosterEntry] = []
    # Employee ids first, so a name match can never steal a person an id points at.
    pending: list[RosterEntry] = []
    for entry in entries:
        person_id = by_id.get(entry.employee_id) if entry.employee_id else None
        if person_id is not None:
            taken.add(person_id)
            updates.append((entry, person_id))
        else:
            pending.append(entry)
    for entry in pending:
        candidates = [
            p.id
            for p in by_name.get((entry.name, entry.department), [])
            if p.id not in taken
            # two different 工号 under one name are two different people
            and not (p.employee_id and entry.employee_id and p.employee_id != entry.employee_id)
        ]
        if candidates:
            taken.add(candidates[0])
            updates.append((entry, candidates[0]))
        else:
            additions.append(entry)
    leaving = tuple(sorted(p.id for p in known if p.id not in taken))
    return RosterPlan(tuple(updates), tuple(additions), leaving)
