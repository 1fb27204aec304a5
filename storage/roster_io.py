"""Reading roster sheets (CSV in UTF-8 or GBK, XLSX, old .xls) into plain tables of cells.

Sheets are read within bounds (rows, columns, unpacked size), so a small file that
declares a huge range (A1:XFD50000) or unpacks to gigabytes is refused with a clear
message instead of exhausting memory. Merged cells are understood: every cell of a merged
range holds the range's value (a 部门 merged down over its people names each of them).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import iterparse

from openpyxl.utils.cell import range_boundaries

from core.roster import RosterError, RosterProblem

CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK, as Chinese Excel saves
MAX_ROWS = 10_000  # people in one roster file, with room for titles and footers
MAX_COLUMNS = 64
MAX_FILE_BYTES = 50_000_000
MAX_UNPACKED_BYTES = 60_000_000  # a 10 000-person sheet unpacks to a few MB
_MERGE = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}mergeCell"

Table = list[list[object]]


def _refuse(message: str) -> RosterError:
    return RosterError([RosterProblem(None, message)])


def read_table(path: Path) -> Table:
    """The cells of a roster file, as the sheet shows them; RosterError if it cannot be read."""
    if not path.is_file():
        raise _refuse(f"找不到文件：{path}")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise _refuse("文件太大（超过 50 MB），不像人员名单")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(path)
    if suffix == ".xls":
        return _read_xls(path)
    if suffix in {".csv", ".txt"}:
        return _bounded(_read_csv(path.read_bytes()))
    raise _refuse(f"不支持的文件类型「{suffix}」：请用 .xlsx、.xls 或 .csv")


def _bounded(rows: Table) -> Table:
    if len(rows) > MAX_ROWS:
        raise _refuse(f"名单超过 {MAX_ROWS} 行：请只保留人员名单所在的工作表和行")
    return rows


def _read_csv(raw: bytes) -> Table:
    for encoding in CSV_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        first = text.split("\n", 1)[0]
        delimiter = "\t" if "\t" in first and "," not in first else ","
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        try:
            return [row[:MAX_COLUMNS] for row in islice(reader, MAX_ROWS + 1)]
        except csv.Error as exc:  # e.g. a cell beyond csv's field size limit (128 KiB)
            problem = f"无法读取这一行（单元格过长或引号不配对）：{exc}"
            raise RosterError([RosterProblem(reader.line_num or None, problem)]) from exc
    raise _refuse("无法识别文件编码：请另存为 UTF-8 或 GBK 的 CSV")


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise _refuse("Excel 文件解压后过大，不像人员名单：请另存一份只含名单的 .xlsx")
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise _refuse(f"无法读取 Excel 文件：{exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        # Never trust the declared dimension: read at most MAX_ROWS + 1 rows, MAX_COLUMNS wide.
        rows = [
            list(row)
            for row in islice(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), MAX_ROWS + 1)
        ]
        if len(rows) > MAX_ROWS and any(value is not None for value in rows[MAX_ROWS]):
            raise _refuse(f"名单超过 {MAX_ROWS} 行：请只保留人员名单所在的行")
        rows = _trim(rows[:MAX_ROWS])
        _fill_merged(rows, _merged_ranges(workbook, sheet))
        return rows
    finally:
        workbook.close()


def _trim(rows: Table) -> Table:
    while rows and all(value is None for value in rows[-1]):
        rows.pop()
    width = max((i + 1 for row in rows for i, v in enumerate(row) if v is not None), default=0)
    return [row[:width] for row in rows]


def _merged_ranges(workbook: Any, sheet: Any) -> Iterator[tuple[int, int, int, int]]:
    """(min_col, min_row, max_col, max_row) of each merged range, read from the sheet's XML
    as a stream (openpyxl's read-only mode does not report them)."""
    path = getattr(sheet, "_worksheet_path", None)
    archive = getattr(workbook, "_archive", None)
    if path is None or archive is None:
        return
    with archive.open(path) as source:
        for _, element in iterparse(source):
            if element.tag == _MERGE and (bounds := _bounds(element.get("ref") or "")):
                yield bounds
            element.clear()


def _bounds(ref: str) -> tuple[int, int, int, int] | None:
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
    except (ValueError, TypeError):
        return None
    if None in (min_col, min_row, max_col, max_row):
        return None
    return int(min_col), int(min_row), int(max_col), int(max_row)  # type: ignore[arg-type]


def _fill_merged(rows: Table, ranges: Iterator[tuple[int, int, int, int]]) -> None:
    for min_col, min_row, max_col, max_row in ranges:
        if min_row > len(rows):
            continue
        top = rows[min_row - 1]
        value = top[min_col - 1] if min_col - 1 < len(top) else None
        if value is None:
            continue
        for r in range(min_row, min(max_row, len(rows)) + 1):
            row = rows[r - 1]
            for c in range(min_col, min(max_col, MAX_COLUMNS) + 1):
                if c - 1 >= len(row):
                    row.extend([None] * (c - len(row)))
                if row[c - 1] is None:
                    row[c - 1] = value


def _read_xls(path: Path) -> Table:
    try:
        import xlrd
    except ImportError as exc:  # pragma: no cover - xlrd is a dependency
        raise _refuse("不能读取 .xls：请在 Excel 里另存为 .xlsx 再导入") from exc
    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except Exception as exc:  # xlrd raises many kinds for a damaged file
        raise _refuse(f"无法读取 .xls 文件（请另存为 .xlsx 再试）：{exc}") from exc
    try:
        sheet = book.sheet_by_index(0)
        if sheet.nrows > MAX_ROWS:
            raise _refuse(f"名单超过 {MAX_ROWS} 行：请只保留人员名单所在的行")
        width = min(sheet.ncols, MAX_COLUMNS)
        rows: Table = [
            [_xls_value(sheet.cell(r, c)) for c in range(min(width, sheet.row_len(r)))]
            for r in range(sheet.nrows)
        ]
        ranges = (
            (col_lo + 1, row_lo + 1, col_hi, row_hi)
            for row_lo, row_hi, col_lo, col_hi in sheet.merged_cells
        )
        _fill_merged(rows, ranges)
        return _trim(rows)
    finally:
        book.release_resources()


def _xls_value(cell: Any) -> object:
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    return cell.value
