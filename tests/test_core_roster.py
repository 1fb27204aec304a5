"""Roster validation and re-import matching (pure core)."""

from __future__ import annotations

import pytest

from core.people import Role
from core.roster import KnownPerson, RosterEntry, RosterError, match_roster, parse_roster

HEADER_CN = ["姓名", "部门", "类别", "角色", "分管部门", "telegram", "工号"]
HEADER_EN = ["name", "department", "category", "roles", "supervises", "username", "employee_id"]


def problems_of(table: list[list[object]]) -> list[str]:
    with pytest.raises(RosterError) as caught:
        parse_roster(table)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("header", [HEADER_CN, HEADER_EN, [h.upper() for h in HEADER_EN]])
def test_headers_in_chinese_or_english(header: list[str]) -> None:
    entries = parse_roster(
        [header, ["张三", "办公室", "中层干部", "head;member", "", "@Zhang_San", "7"]]
    )
    assert entries == [
        RosterEntry(
            row=2,
            name="张三",
            department="办公室",
            category="中层干部",
            roles=frozenset({Role.HEAD, Role.MEMBER}),
            username="zhang_san",
            employee_id="7",
        )
    ]


def test_only_name_and_department_are_required() -> None:
    (entry,) = parse_roster([["姓名", "部门"], ["李四", "法规科"]])
    assert entry.category == "一般工作人员"
    assert entry.roles == frozenset({Role.MEMBER})


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ([], "文件是空的"),
        ([[], ["", ""]], "文件是空的"),
        ([["姓名", "部门"]], "没有人员"),
        ([["名字", "部门"], ["张三", "办公室"]], "第 1 行：未识别的列：名字"),
        ([["部门", "角色"], ["办公室", "member"]], "缺少必填列「姓名/name」"),
        ([["姓名", "姓名", "部门"], ["a", "b", "c"]], "列「姓名」重复"),
        ([["姓名", "部门"], ["", "办公室"]], "第 2 行：姓名为空"),
        ([["姓名", "部门"], ["张三", ""]], "第 2 行：部门为空"),
        ([["姓名", "部门", "角色"], ["张三", "办公室", "boss"]], "第 2 行：未知角色「boss」"),
        (
            [["姓名", "部门", "工号"], ["张三", "办公室", "1"], ["李四", "人事科", "1"]],
            "第 2 行：工号「1」重复（第 2、3 行）",
        ),
        (
            [["姓名", "部门"], ["张三", "办公室"], ["张三", "办公室"]],
            "第 3 行：没有工号的「张三（办公室）」重复",
        ),
        (
            [["姓名", "部门", "角色", "分管部门"], ["王五", "局领导", "supervisor", "稽查局"]],
            "第 2 行：分管部门「稽查局」不在名单的部门里",
        ),
        (
            [["姓名", "部门", "角色", "分管部门"], ["王五", "局领导", "member", "局领导"]],
            "角色里没有 supervisor",
        ),
        ([["姓名", "部门", "角色"], ["王五", "局领导", "supervisor"]], "分管领导需要填写分管部门"),
        ([["姓名", "部门", "telegram"], ["王五", "局领导", "a b"]], "格式不对"),
        ([["姓名", "部门"], ["王五", "全单位"]], "部门不能叫「全单位」"),
    ],
)
def test_bad_rosters_name_the_problem(table: list[list[object]], expected: str) -> None:
    assert any(expected in problem for problem in problems_of(table))


def test_every_problem_is_listed_with_its_row() -> None:
    table = [
        ["姓名", "部门", "角色", "工号"],
        ["", "办公室", "member", "1"],
        ["李四", "办公室", "guru", "2"],
        ["王五", "人事科", "member", "3"],
        ["赵六", "", "member", "4"],
    ]
    problems = problems_of(table)
    assert problems == [
        "第 2 行：姓名为空",
        "第 3 行：未知角色「guru」（可用：member、head、supervisor、chief、admin）",
        "第 5 行：部门为空",
    ]


def test_chinese_role_words_and_separators() -> None:
    (entry,) = parse_roster(
        [["姓名", "部门", "角色"], ["张三", "办公室", "部门负责人、考核办；工作人员"]]
    )
    assert entry.roles == frozenset({Role.HEAD, Role.ADMIN, Role.MEMBER})


def test_excel_numbers_and_blank_rows() -> None:
    table = [["姓名", "部门", "工号"], [None, None, None], ["张三", "办公室", 1001.0]]
    (entry,) = parse_roster(table)
    assert (entry.employee_id, entry.row) == ("1001", 3)


def entry(name: str, department: str, employee_id: str | None = None, row: int = 2) -> RosterEntry:
    return RosterEntry(
        row, name, department, "一般工作人员", frozenset({Role.MEMBER}), (), None, employee_id
    )


def test_reimport_matches_by_employee_id_even_after_a_move() -> None:
    known = [KnownPerson(1, "张三", "办公室", "E1")]
    plan = match_roster(known, [entry("张三", "人事科", "E1")])
    assert [(e.department, pid) for e, pid in plan.updates] == [("人事科", 1)]
    assert plan.additions == () and plan.deactivations == ()


def test_reimport_matches_by_name_and_department_without_id() -> None:
    known = [KnownPerson(1, "张三", "办公室", None), KnownPerson(2, "李四", "办公室", None)]
    plan = match_roster(known, [entry("张三", "办公室", "E9")])
    assert [pid for _, pid in plan.updates] == [1]
    assert plan.deactivations == (2,)


def test_two_namesakes_with_different_ids_are_two_people() -> None:
    known = [KnownPerson(1, "张伟", "办公室", "E1")]
    plan = match_roster(known, [entry("张伟", "办公室", "E1"), entry("张伟", "办公室", "E2", 3)])
    assert [pid for _, pid in plan.updates] == [1]
    assert [e.employee_id for e in plan.additions] == ["E2"]


def test_new_department_without_id_is_a_new_person() -> None:
    known = [KnownPerson(1, "张三", "办公室", None)]
    plan = match_roster(known, [entry("张三", "人事科")])
    assert len(plan.additions) == 1 and plan.deactivations == (1,)
