"""`kaohe import`: CSV (UTF-8, BOM, GBK) and XLSX rosters, all or nothing, re-import."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlmodel import col, select

from bot.cli import main
from storage import db
from storage.tables import AuditEntry, Department, Person, Supervision

HEADER = ["姓名", "部门", "类别", "角色", "分管部门", "telegram", "工号"]
ROWS = [
    ["王建国", "局领导", "班子成员", "chief;member", "", "wang_jg", "1"],
    ["李红梅", "局领导", "班子成员", "supervisor;member", "办公室;人事科", "", "2"],
    ["陈静", "办公室", "中层干部", "head;member", "", "chen_jing", "3"],
    ["赵丽", "办公室", "一般工作人员", "member", "", "", "4"],
    ["周敏", "人事科", "一般工作人员", "admin;member", "", "", "5"],
]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


async def _people(url: str) -> list[tuple[str, str, str, bool, str | None]]:
    engine = db.make_engine(url)
    async with db.make_sessionmaker(engine)() as s:
        rows = await s.exec(
            select(Person.name, Department.name, Person.roles, Person.active, Person.tg_user_id)
            .join(Department, col(Department.id) == Person.department_id)
            .order_by(col(Person.id))
        )
        result = [tuple(r) for r in rows.all()]
    await engine.dispose()
    return result  # type: ignore[return-value]


def people_in(url: str) -> list[tuple[str, str, str, bool, str | None]]:
    return asyncio.run(_people(url))


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    return db_url


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_any_chinese_excel_encoding_imports(
    env: str, tmp_path: Path, encoding: str
) -> None:
    path = write_csv(tmp_path / "名单.csv", [HEADER, *ROWS], encoding)
    assert main(["import", str(path), "--unit", "某局"]) == 0
    assert [(n, d) for n, d, *_ in people_in(env)] == [(r[0], r[1]) for r in ROWS]


def test_xlsx_imports_with_english_headers(env: str, tmp_path: Path) -> None:
    header = ["name", "department", "category", "roles", "supervises", "username", "employee_id"]
    path = write_xlsx(tmp_path / "roster.xlsx", [header, *[[*r[:6], int(r[6])] for r in ROWS]])
    assert main(["import", str(path)]) == 0
    people = people_in(env)
    assert len(people) == 5
    assert ("陈静", "办公室", "head,member", True, None) in people


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["名字", "科室"], ["张三", "办公室"]], "未识别的列：名字"),
        ([HEADER, ["张三", "办公室", "", "boss", "", "", "9"]], "未知角色「boss」"),
        (
            [
                HEADER,
                ["张三", "办公室", "", "", "", "", "9"],
                ["李四", "办公室", "", "", "", "", "9"],
            ],
            "工号「9」重复",
        ),
        (
            [HEADER, ["", "办公室", "", "", "", "", "9"]],
            "第 7 行：姓名为空",
        ),  # after the 5 good rows
        ([], "文件是空的"),
    ],
)
def test_bad_roster_imports_nothing_and_lists_problems(
    env: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rows: list[list[str]],
    message: str,
) -> None:
    good_then_bad = [HEADER, *ROWS, *rows[1:]] if rows and rows[0] == HEADER else rows
    path = write_csv(tmp_path / "bad.csv", good_then_bad)
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "未导入任何数据" in err and message in err
    assert people_in(env) == []


def test_unsupported_and_missing_files(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    assert main(["import", str(tmp_path / "x.pdf")]) == 1
    assert main(["import", str(tmp_path / "nope.csv")]) == 1
    err = capsys.readouterr().err
    assert "不支持的文件类型" in err and "找不到文件" in err


def test_dry_run_checks_without_writing(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "名单.csv", [HEADER, *ROWS])
    assert main(["import", str(path), "--dry-run"]) == 0
    assert "检查通过：5 人" in capsys.readouterr().out
    assert people_in(env) == []


async def _bind_first(url: str) -> None:
    engine = db.make_engine(url)
    async with db.make_sessionmaker(engine)() as s:
        person = (await s.exec(select(Person).where(Person.name == "赵丽"))).one()
        person.tg_user_id = 777
        s.add(person)
        await s.commit()
    await engine.dispose()


def test_reimport_updates_in_place_and_keeps_history(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(write_csv(tmp_path / "a.csv", [HEADER, *ROWS]))]) == 0
    asyncio.run(_bind_first(env))
    changed = [row[:] for row in ROWS if row[0] != "周敏"]  # 周敏 left the unit
    changed[3][1] = "人事科"  # 赵丽 moved (matched by 工号)
    changed.append(["孙浩", "人事科", "一般工作人员", "member", "", "", "6"])
    capsys.readouterr()
    assert main(["import", str(write_csv(tmp_path / "b.csv", [HEADER, *changed]))]) == 0
    out = capsys.readouterr().out
    assert "新增 1 人" in out and "停用 1 人" in out

    people = people_in(env)
    assert len(people) == 6  # nobody deleted
    assert ("赵丽", "人事科", "member", True, 777) in people  # same row, binding kept
    assert ("周敏", "人事科", "admin,member", False, None) in people

    # 周敏 comes back: the same person is reactivated, not duplicated
    assert main(["import", str(write_csv(tmp_path / "c.csv", [HEADER, *ROWS, changed[-1]]))]) == 0
    assert "恢复 1 人" in capsys.readouterr().out
    assert [p[0] for p in people_in(env)].count("周敏") == 1


async def _audit_and_supervision(url: str) -> tuple[list[dict[str, object]], int]:
    engine = db.make_engine(url)
    async with db.make_sessionmaker(engine)() as s:
        rows = await s.exec(select(AuditEntry).where(AuditEntry.action == "roster_import"))
        audits = [a.detail for a in rows.all()]
        supervised = len((await s.exec(select(Supervision))).all())
    await engine.dispose()
    return audits, supervised


def test_import_is_audited_and_supervision_is_stored(env: str, tmp_path: Path) -> None:
    assert main(["import", str(write_csv(tmp_path / "a.csv", [HEADER, *ROWS]))]) == 0
    assert main(["import", str(write_csv(tmp_path / "a.csv", [HEADER, *ROWS]))]) == 0
    audits, supervised = asyncio.run(_audit_and_supervision(env))
    assert [a["added"] for a in audits] == [5, 0]
    assert audits[1]["unchanged"] == 5
    assert supervised == 2  # 李红梅 oversees 办公室 and 人事科, not doubled by re-import


def test_invites_lists_codes_and_links(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["import", str(write_csv(tmp_path / "a.csv", [HEADER, *ROWS]))]) == 0
    monkeypatch.setenv("BOT_USERNAME", "kaohe_test_bot")
    capsys.readouterr()
    assert main(["invites", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == [r[0] for r in ROWS]
    assert all(r["link"] == f"https://t.me/kaohe_test_bot?start={r['code']}" for r in rows)
    assert len({r["code"] for r in rows}) == 5


def test_unbind_issues_a_new_code(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(write_csv(tmp_path / "a.csv", [HEADER, *ROWS]))]) == 0
    asyncio.run(_bind_first(env))
    assert main(["unbind", "4"]) == 0  # by 工号
    assert "已解除 赵丽 的绑定" in capsys.readouterr().out
    assert ("赵丽", "办公室", "member", True, None) in people_in(env)
    assert main(["unbind", "无此人"]) == 1
