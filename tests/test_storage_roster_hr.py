"""Roster files as HR offices make them (issue 17 part 2; issue 16 items 6 and 9): title
rows, extra columns, merged cells, footers, padded and invisible characters in names,
Excel's row numbers, a dry run that lists every change, old .xls, and size bombs."""

from __future__ import annotations

import asyncio
import io
import re
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import col, select

from bot.cli import main
from core.roster import RosterError
from core.text import is_blank, normalise_name, visible
from storage import db
from storage.roster_io import MAX_ROWS, read_table
from storage.tables import Department, Person

DATA = Path(__file__).parent / "data"
TITLE = "某某县市场监督管理局2026年在职人员名单"
HEADER = ["序号", "姓名", "性别", "部门", "职务", "角色", "联系电话"]


def hr_roster(path: Path, people: list[list[object]], *, footer: bool = True) -> Path:
    """A 在职人员名单.xlsx as an HR office makes it: a merged title, extra columns, the
    department merged down over its people, and a footer."""
    book = Workbook()
    sheet = book.active
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet.append(HEADER)
    first = 3
    for number, person in enumerate(people, start=1):
        sheet.append([number, *person])
    # merge each run of equal departments down, as HR does (the value stays in the top cell)
    row = first
    while row < first + len(people):
        end = row
        while (
            end + 1 < first + len(people) and people[end + 1 - first][2] == people[row - first][2]
        ):
            end += 1
        if end > row:
            sheet.merge_cells(start_row=row, start_column=4, end_row=end, end_column=4)
        row = end + 1
    if footer:
        sheet.append([])
        sheet.append([f"合计：{len(people)}人"])
        sheet.append(["制表人：赵六", None, None, "审核人：钱七"])
        sheet.append(["备注：不含借调人员"])
    book.save(path)
    return path


PEOPLE = [
    ["王建国", "男", "局领导", "局长", "chief,member", "13800000001"],
    ["张　伟", "男", "办 公 室", "主任", "head,member", "13800000002"],
    ["李　红", "女", "办 公 室", "科员", "", "13800000003"],
    ["\u200b赵丽", "女", "办 公 室", "科员", "", ""],
    ["周敏", "女", "人事科\u2060", "科员", "admin,member", ""],
    ["陈　静", "女", "人事科 ", "科长", "head,member", ""],
    ["杨帆\u3164", "男", "法规科", "科员", "", ""],
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    return db_url


async def _stored(url: str) -> list[tuple[str, str, str | None, bool]]:
    engine = db.make_engine(url)
    async with db.make_sessionmaker(engine)() as s:
        rows = await s.exec(
            select(Person.name, Department.name, Person.position, Person.active)
            .join(Department, col(Department.id) == Person.department_id)
            .order_by(col(Person.roster_order))
        )
        result = [tuple(r) for r in rows.all()]
    await engine.dispose()
    return result  # type: ignore[return-value]


def stored(url: str) -> list[tuple[str, str, str | None, bool]]:
    return asyncio.run(_stored(url))


# ---- names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("李　红", "李红"),
        ("办 公 室", "办公室"),
        ("办公室 ", "办公室"),
        ("\u200b办公室", "办公室"),
        ("\u202e办公室\u202c", "办公室"),
        ("杨帆\u3164", "杨帆"),
        ("\u115f\u1160李\ufeff红\u00ad", "李红"),
        ("ＡＢＣ科", "ABC科"),
        ("Anna  Li", "Anna Li"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
    ],
)
def test_names_are_normalised(raw: str, name: str) -> None:
    assert normalise_name(raw) == name


def test_invisible_text_is_blank() -> None:
    assert is_blank("\u200b\u2060\ufeff\u3164\u202e\u00ad ")
    assert visible("日\u200b报") == "日报" and not is_blank("日报")


# ---- HR-style xlsx -------------------------------------------------------------------


def test_an_hr_style_roster_imports_cleanly_with_normalised_names(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = hr_roster(tmp_path / "在职人员名单.xlsx", PEOPLE)
    assert main(["import", str(path), "--unit", "某某县市场监督管理局"]) == 0
    out = capsys.readouterr().out
    assert "列名在第 2 行" in out
    assert out.count("已忽略的列：序号、性别、联系电话") == 1
    assert "已跳过表尾（制表人、合计、备注等）：第 11、12、13 行" in out
    assert "新增 7 人" in out and "新部门 4 个" in out
    assert stored(env) == [
        ("王建国", "局领导", "局长", True),
        ("张伟", "办公室", "主任", True),
        ("李红", "办公室", "科员", True),
        ("赵丽", "办公室", "科员", True),
        ("周敏", "人事科", "科员", True),
        ("陈静", "人事科", "科长", True),
        ("杨帆", "法规科", "科员", True),
    ]


def test_lookups_find_the_padded_name(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(hr_roster(tmp_path / "名单.xlsx", PEOPLE))]) == 0
    capsys.readouterr()
    assert main(["unbind", "李红"]) == 0
    assert "已解除 李红 的绑定" in capsys.readouterr().out
    assert main(["unbind", "李　红"]) == 0  # typed padded, as the sheet had it
    assert main(["score", "--explain", "李红"]) == 0
    assert "李红" in capsys.readouterr().out


def test_dry_run_lists_departments_roles_and_every_change(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(hr_roster(tmp_path / "a.xlsx", PEOPLE))]) == 0
    capsys.readouterr()
    changed = [row[:] for row in PEOPLE if not row[0].startswith("杨帆")]  # 杨帆 leaves
    changed[2] = ["李　红", "女", "办 公 室", "副科长", "", ""]  # 李红 is promoted
    changed.append(["孙悦", "女", "法规科", "科员", "", ""])  # a newcomer
    path = hr_roster(tmp_path / "b.xlsx", changed)
    assert main(["import", str(path), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "检查通过：7 人，4 个部门。演练，未写入。" in lines
    assert "  局领导：1 人" in lines and "  办公室：3 人" in lines and "  法规科：1 人" in lines
    assert "  部门负责人（2）：张伟、陈静" in lines
    assert "  主要领导（1）：王建国" in lines and "  考核办（1）：周敏" in lines
    assert "  孙悦（法规科）" in lines
    assert "  李红（办公室）：职务 科员 → 副科长" in lines
    assert "  杨帆（法规科）" in lines[lines.index("停用（1）：") + 1 :]
    assert "导入将会：新增 1 人，更新 1 人，未变 5 人，停用 1 人，恢复 0 人，新部门 0 个。" in (
        lines
    )
    assert stored(env)[2] == ("李红", "办公室", "科员", True)  # nothing written


def test_row_numbers_are_those_excel_shows(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append([])  # a blank first row
    sheet.append(["姓名", "部门"])
    sheet.append(["张三", "办公室"])
    sheet.append(["李四", None])
    book.save(tmp_path / "r.xlsx")
    assert main(["import", str(tmp_path / "r.xlsx")]) == 1
    assert "第 4 行：部门为空" in capsys.readouterr().err


def test_a_name_made_only_of_invisible_characters_is_refused(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = [*PEOPLE, ["\u200b\u3164", "男", "法规科", "科员", "", ""]]
    assert main(["import", str(hr_roster(tmp_path / "x.xlsx", people))]) == 1
    assert "第 10 行：姓名为空" in capsys.readouterr().err
    assert stored(env) == []


def test_old_xls_files_are_read(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    # tests/data/roster_hr.xls: merged title, 序号/性别, 部门 merged down, a footer
    assert main(["import", str(DATA / "roster_hr.xls")]) == 0
    assert "已忽略的列：序号、性别" in capsys.readouterr().out
    assert [(n, d, p) for n, d, p, _ in stored(env)] == [
        ("张伟", "办公室", "主任"),
        ("李红", "办公室", "科员"),
        ("王小明", "法规科", "科长"),
        ("周敏", "法规科", "科员"),
    ]


def test_a_file_that_is_no_xls_says_so(tmp_path: Path) -> None:
    (tmp_path / "坏.xls").write_bytes(b"not an excel file")
    with pytest.raises(RosterError) as caught:
        read_table(tmp_path / "坏.xls")
    assert "另存为 .xlsx" in str(caught.value)


# ---- size bombs -----------------------------------------------------------------------


def _bomb(path: Path, *, far_cell: bool) -> Path:
    """A small roster whose sheet declares A1:XFD50000 (and maybe fills XFD50000)."""
    hr_roster(path, PEOPLE, footer=False)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    xml, found = re.subn(r'<dimension ref="[^"]+"\s*/>', '<dimension ref="A1:XFD50000"/>', xml)
    assert found == 1
    if far_cell:
        far = '<row r="50000"><c r="XFD50000" t="inlineStr"><is><t>x</t></is></c></row>'
        xml = xml.replace("</sheetData>", far + "</sheetData>")
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def _measured(path: Path) -> tuple[object, float, int]:
    tracemalloc.start()
    began = time.perf_counter()
    try:
        result: object = read_table(path)
    except RosterError as exc:
        result = exc
    elapsed = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, elapsed, peak


def test_a_declared_huge_range_is_not_trusted(tmp_path: Path) -> None:
    table, elapsed, peak = _measured(_bomb(tmp_path / "bomb.xlsx", far_cell=False))
    assert isinstance(table, list) and len(table) == 2 + len(PEOPLE)
    assert max(len(row) for row in table) == len(HEADER)
    assert elapsed < 10 and peak < 50_000_000


def test_a_cell_at_xfd50000_is_left_outside_the_bounds(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _bomb(tmp_path / "bomb.xlsx", far_cell=True)
    table, elapsed, peak = _measured(path)
    assert isinstance(table, list) and len(table) == 2 + len(PEOPLE)
    assert elapsed < 20 and peak < 100_000_000
    assert main(["import", str(path), "--dry-run"]) == 0
    assert "检查通过：7 人，4 个部门。演练，未写入。" in capsys.readouterr().out


def test_more_rows_than_a_roster_has_are_refused(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["姓名", "部门"])
    for n in range(MAX_ROWS + 5):
        sheet.append([f"人员{n}", "办公室"])
    book.save(tmp_path / "big.xlsx")
    assert main(["import", str(tmp_path / "big.xlsx"), "--dry-run"]) == 1
    assert f"名单超过 {MAX_ROWS} 行" in capsys.readouterr().err


def test_a_sheet_that_unpacks_to_gigabytes_is_refused(tmp_path: Path) -> None:
    path = hr_roster(tmp_path / "zip.xlsx", PEOPLE, footer=False)
    book = io.BytesIO(path.read_bytes())
    with zipfile.ZipFile(book, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/padding.bin", b"\0" * 80_000_000)  # deflates to ~80 KB
    path.write_bytes(book.getvalue())
    assert path.stat().st_size < 1_000_000
    with pytest.raises(RosterError) as caught:
        read_table(path)
    assert "解压后过大" in str(caught.value)


def test_openpyxl_still_reads_the_bomb_we_built(tmp_path: Path) -> None:
    # the bomb is a valid workbook: the refusal above is ours, not a broken file
    path = _bomb(tmp_path / "bomb.xlsx", far_cell=False)
    sheet = load_workbook(path, read_only=True).worksheets[0]
    assert (sheet.max_row, sheet.max_column) == (50000, 16384)


def test_the_export_shows_the_position(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(hr_roster(tmp_path / "名单.xlsx", PEOPLE))]) == 0
    out = tmp_path / "结果.xlsx"
    assert main(["export", "--quarter", "2026Q4", "-o", str(out)]) == 0
    sheet = load_workbook(out, read_only=True)["个人结果"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(row for row in rows if "职务" in row)
    by_name = {row[header.index("姓名")]: row for row in rows[rows.index(header) + 1 :]}
    assert by_name["李红"][header.index("职务")] == "科员"
    assert by_name["王建国"][header.index("职务")] == "局长"
