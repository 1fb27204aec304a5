"""Reading roster sheets (CSV in UTF-8 or GBK, XLSX) into plain tables of cells."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from core.roster import RosterError, RosterProblem

CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # gb18030 is a superset of GBK, as Chinese Excel saves


def read_table(path: Path) -> list[list[object]]:
    """The cells of a roster file, header row first; RosterError if it cannot be read."""
    if not path.is_file():
        raise RosterError([RosterProblem(None, f"找不到文件：{path}")])
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _read_xlsx(path)
    if suffix in {".csv", ".txt"}:
        return _read_csv(path.read_bytes())
    raise RosterError([RosterProblem(None, f"不支持的文件类型「{suffix}」：请用 .csv 或 .xlsx")])


def _read_csv(raw: bytes) -> list[list[object]]:
    for encoding in CSV_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        first = text.split("\n", 1)[0]
        delimiter = "\t" if "\t" in first and "," not in first else ","
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        try:
            return [list(row) for row in reader]
        except csv.Error as exc:  # e.g. a cell beyond csv's field size limit (128 KiB)
            problem = f"无法读取这一行（单元格过长或引号不配对）：{exc}"
            raise RosterError([RosterProblem(reader.line_num or None, problem)]) from exc
    raise RosterError([RosterProblem(None, "无法识别文件编码：请另存为 UTF-8 或 GBK 的 CSV")])


def _read_xlsx(path: Path) -> list[list[object]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise RosterError([RosterProblem(None, f"无法读取 Excel 文件：{exc}")]) from exc
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
