"""How the exported workbook looks on paper: fonts, borders, number formats, A4 print set-up,
and the guard against formula injection.

Printed sizes: every sheet is set up so that nothing prints below 9 pt. A sheet whose columns
fit the page width at 100 % is fitted to the width; a wider one prints at a fixed scale that
keeps 10 pt text at 9 pt or more and repeats its first columns on every page instead.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.worksheet import Worksheet

FONT_NAME = "宋体"
BODY_PT = 10.5
TITLE_PT = 16
BODY = Font(name=FONT_NAME, size=BODY_PT)
BOLD = Font(name=FONT_NAME, size=BODY_PT, bold=True)
TITLE = Font(name=FONT_NAME, size=TITLE_PT, bold=True)
SUBTITLE = Font(name=FONT_NAME, size=12, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BAND_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="000000")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
TOP_LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)

SCORE_FORMAT = "0.00"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"

# A4 in inches; the printable width left by the margins below, in Excel's column pixels.
A4_LONG, A4_SHORT = 11.69, 8.27
SIDE_MARGIN = 0.4
PIXELS_PER_INCH = 96
MIN_PRINT_PT = 9.2  # 9 pt, with room for the print scale's rounding
# LibreOffice without Calibri (the workbook's default font) measures a column's character
# up to 1.3 times wider than Excel does: layouts are planned for the wider one.
WIDTH_SLACK = 1.3
PAGE_FOOTER = "&12第 &P 页 共 &N 页"  # 12 pt: header and footer shrink with the print scale

# Text that Excel or LibreOffice might read as a formula (or a DDE call) when typed in or
# re-edited: written as a quote-prefixed string, shown and kept literally.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard(cell: Cell) -> Cell:
    """Make a text cell literal if it starts like a formula (formula injection)."""
    value = cell.value
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def guard_sheet(sheet: Worksheet) -> None:
    """Guard every text cell of a sheet."""
    for row in sheet.iter_rows():
        for cell in row:
            guard(cell)


def display_width(value: Any) -> int:
    """Roughly how many Latin characters wide a value is (CJK characters count two)."""
    text = "" if value is None else str(value)
    longest = max(text.split("\n"), key=_width, default="")
    return _width(longest)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def text_lines(value: Any, width: float) -> int:
    """How many lines a wrapped text takes in a column `width` characters wide."""
    text = "" if value is None else str(value)
    usable = max(width - 1.5, 1)
    return sum(max(1, math.ceil(_width(line) / usable)) for line in text.split("\n")) or 1


def row_height(lines: int, size: float = BODY_PT, spacing: float = 1.35) -> float:
    """A row height in points for `lines` lines of text."""
    return round(max(lines, 1) * size * spacing + 4, 1)


def column_pixels(width: float) -> float:
    """The widest a column `width` characters wide prints, in pixels (Excel: Calibri 11)."""
    return (width * 7 + 5) * WIDTH_SLACK


def page_pixels(landscape: bool) -> float:
    """The printable width of an A4 page, in column pixels."""
    paper = A4_LONG if landscape else A4_SHORT
    return (paper - 2 * SIDE_MARGIN) * PIXELS_PER_INCH


def set_widths(sheet: Worksheet, widths: Sequence[float]) -> None:
    """Set the column widths, first column A."""
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def print_setup(
    sheet: Worksheet,
    *,
    widths: Sequence[float],
    landscape: bool = True,
    title_rows: str | None = None,
    title_columns: int = 0,
    font_pt: float = BODY_PT,
) -> None:
    """A4, centred, page numbers 「第 X 页 共 Y 页」, header rows repeated, and a scale that
    keeps text at 9 pt or more: fit to the width when it fits, else a fixed scale."""
    setup = sheet.page_setup
    setup.orientation = "landscape" if landscape else "portrait"
    setup.paperSize = Worksheet.PAPERSIZE_A4
    setup.firstPageNumber = 1  # each sheet counts its own pages
    setup.useFirstPageNumber = True
    total = sum(column_pixels(w) for w in widths)
    room = page_pixels(landscape)
    smallest = MIN_PRINT_PT / font_pt
    if total * smallest <= room:
        setup.fitToWidth = 1
        setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    else:
        sheet.sheet_properties.pageSetUpPr.fitToPage = False
        setup.scale = math.ceil(smallest * 100)
        if title_columns:
            sheet.print_title_cols = f"A:{get_column_letter(title_columns)}"
    if title_rows:
        sheet.print_title_rows = title_rows
    sheet.print_options.horizontalCentered = True
    margins = sheet.page_margins
    margins.left = margins.right = SIDE_MARGIN
    margins.top = margins.bottom = 0.6
    margins.header = margins.footer = 0.3
    sheet.oddFooter.center.text = PAGE_FOOTER
    sheet.evenFooter.center.text = PAGE_FOOTER
    sheet.oddHeader.right.text = "&12&A"  # the sheet's name, so a loose page is identified
    sheet.evenHeader.right.text = "&12&A"


def look(
    cell: Cell,
    *,
    font: Font | None = None,
    alignment: Alignment | None = None,
    border: Border | None = None,
    fill: PatternFill | None = None,
) -> Cell:
    """Give a cell these styles (those not None), in this order — what `cell.font = …`
    and the others do, with each style object's place in the workbook looked up once:
    openpyxl hashes the whole style object at every assignment, which was most of the
    time of building a workbook."""
    book = cell.parent.parent
    places: dict[int, tuple[object, int]] = book.__dict__.setdefault("_kaohe_style_places", {})
    if not cell._style:
        cell._style = StyleArray()
    style = cell._style
    for value, collection, key in (
        (font, "_fonts", "fontId"),
        (alignment, "_alignments", "alignmentId"),
        (border, "_borders", "borderId"),
        (fill, "_fills", "fillId"),
    ):
        if value is None:
            continue
        known = places.get(id(value))
        if known is None or known[0] is not value:
            known = (value, getattr(book, collection).add(value))
            places[id(value)] = known  # holds the object: its id is not reused meanwhile
        setattr(style, key, known[1])
    return cell


def style_range(
    sheet: Worksheet,
    cells: Iterable[Iterable[Cell]],
    *,
    font: Font = BODY,
    alignment: Alignment = CENTER,
    border: Border | None = GRID,
    fill: PatternFill | None = None,
) -> None:
    """Apply one look to a block of cells."""
    for row in cells:
        for cell in row:
            look(cell, font=font, alignment=alignment, border=border, fill=fill)


def merged(
    sheet: Worksheet,
    row: int,
    first: int,
    last: int,
    value: Any,
    *,
    font: Font = BODY,
    alignment: Alignment = LEFT,
    border: Border | None = GRID,
    fill: PatternFill | None = None,
) -> Cell:
    """Write `value` into columns first..last of `row`, merged, borders on every part."""
    cell = look(
        guard(sheet.cell(row=row, column=first, value=value)),
        font=font, alignment=alignment, border=border, fill=fill,
    )  # fmt: skip
    if last > first:
        _merge(sheet, row, first, last)
    return cell


def _merge(sheet: Worksheet, row: int, first: int, last: int) -> None:
    """`sheet.merge_cells` without its check against every range merged before (our
    merges never overlap), which made a 42-page 登记表 take seconds. The parts become
    merged cells with the borders openpyxl's `MergedCellRange.format` gives them (top and
    bottom from the first cell, and its right border on the last part), worked out once per
    look of the first cell instead of once per part."""
    span = MergedCellRange(
        sheet, f"{get_column_letter(first)}{row}:{get_column_letter(last)}{row}"
    )
    sheet.merged_cells.ranges.add(span)
    start = sheet.cell(row=row, column=first)
    looks = _part_looks(sheet, start, inner=last - first > 1)
    for column in range(first + 1, last + 1):
        part = MergedCell(sheet, row=row, column=column)
        part._style = StyleArray(looks[-1] if column == last else looks[0])
        sheet._cells[(row, column)] = part


def _part_looks(sheet: Worksheet, start: Cell, *, inner: bool) -> list[StyleArray]:
    """The styles of a merged row's parts — an inner one (if `inner`) and the last one —
    for this first cell's style: `MergedCellRange.format` done on scratch cells, in its
    order (so the workbook's styles are numbered as openpyxl numbers them), once per look."""
    book = sheet.parent
    known: dict[tuple[tuple[int, ...], bool], list[StyleArray]] = book.__dict__.setdefault(
        "_kaohe_part_looks", {}
    )
    key = (tuple(start._style), inner)
    if key not in known:
        parts = [MergedCell(sheet, row=start.row, column=start.column + 1) for _ in range(2)]
        parts = parts if inner else parts[1:]
        for name in ("top", "left", "right", "bottom"):
            side = getattr(start.border, name)
            if side and side.style is None:
                continue
            border = Border(**{name: side})
            edge = parts if name in ("top", "bottom") else parts[-1:] if name == "right" else []
            for part in edge:
                part.border += border
        if start.protection is not None:
            protection = copy.copy(start.protection)
            for part in parts:
                part.protection = protection
        known[key] = [StyleArray(part._style) for part in parts]
    return known[key]
