"""Registers (台账): the printable form every XLSX export of the product takes, written as a stream.

A register workbook is written in openpyxl's write-only mode: each row goes
to the sheet's file as it is appended and is then forgotten, so a national
ledger of a million rows takes no more memory than a county's. Rows may be
any iterable (a generator over a streamed query); only the first
:data:`WIDTH_SAMPLE` rows of each sheet are held back to size its columns.

Every cell goes through :func:`gis.tables.safe_cell`, so that user-typed
text never reaches Excel as a formula; text that Excel would read as an
error code (``#N/A``) stays text.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from gis.tables import safe_cell, write_csv

TITLE_ROWS = 3
"""Title, unit/period line, column header: repeated on every printed page."""
MAX_ROWS = 1_048_576
"""Rows of one Excel sheet; a longer table continues on a sheet named ``…（续2）``."""
MAX_LINKS = 65_530
"""Hyperlinks Excel keeps per sheet; beyond them a cell shows its text only."""
WIDTH_SAMPLE = 300
STYLED_ROWS = 5_000
"""Data rows of a sheet drawn with borders and wrapped text; rows beyond (a national ledger's) are plain cells,
three times faster to write, and print with the sheet's gridlines."""
A4 = 9


@dataclass(frozen=True)
class Link:
    """A cell that shows ``text`` and opens ``url`` (a photo, a record page)."""

    text: str
    url: str


@dataclass(frozen=True)
class Heading:
    """What a bureau's register says above and below its table.

    ``unit`` is the reporting unit (填报单位), ``subject`` what the register
    is (巡查台账), ``period`` the months or the filter it covers; the
    preparer's name is printed, the reviewer and the date are lines to sign
    when blank.
    """

    unit: str
    subject: str
    period: str
    preparer: str = ""
    reviewer: str = ""
    date: str = ""


@dataclass(frozen=True)
class Sheet:
    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    """Any iterable, read once: a list, or a generator over a streamed query."""
    numbered: bool = True
    """A 序号 column first, counting the data rows (totals rows keep it blank)."""
    totals: Iterable[Sequence[Any]] = ()
    """Read after ``rows`` is exhausted, so a generator may add up what the rows showed."""


def _text_width(value: Any) -> int:
    text = value.text if isinstance(value, Link) else str(value if value is not None else "")
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


class _Styles:
    """One styled cell per kind, copied by its style array (looking a style up per cell costs more than the cell)."""

    def __init__(self, sheet: Any) -> None:
        thin = Side(style="thin", color="999999")
        box = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.title = self._make(sheet, font=Font(bold=True, size=16),
                                alignment=Alignment(horizontal="center", vertical="center"))
        self.header = self._make(sheet, font=Font(bold=True), border=box,
                                 alignment=Alignment(horizontal="center", vertical="center", wrap_text=True))
        self.body = self._make(sheet, border=box, alignment=Alignment(vertical="top", wrap_text=True))
        self.link = self._make(sheet, border=box, alignment=Alignment(vertical="top", wrap_text=True),
                               font=Font(color="1D4ED8", underline="single"))

    @staticmethod
    def _make(sheet: Any, **style: Any) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet)
        for name, value in style.items():
            setattr(cell, name, value)
        return cell


def _plain(sheet: Any, value: Any) -> Any:
    """A value as a write-only sheet takes it without a cell object of its own (the fast path)."""
    if isinstance(value, str):
        value = safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value))
        return _cell(sheet, value, None) if value in ERROR_CODES else value
    return safe_cell(value)


def _cell(sheet: Any, value: Any, template: WriteOnlyCell | None) -> WriteOnlyCell:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(sheet, safe_cell(value))
    if isinstance(cell.value, str) and (cell.data_type != "s" or cell.value in ERROR_CODES):
        cell.data_type = "s"   # text stays text, never a formula or an error code
    if template is not None:
        cell._style = template._style.__copy__()
    return cell


class _SheetWriter:
    """One register table over as many sheets as its rows need."""

    def __init__(self, book: Workbook, heading: Heading, spec: Sheet, widths: list[float]) -> None:
        self.book, self.heading, self.spec, self.widths = book, heading, spec, widths
        self.header = (["序号"] if spec.numbered else []) + list(spec.header)
        self.part = 0
        self.sheet: Any = None
        self.rows = 0
        self.links = 0
        self._open()

    def _open(self) -> None:
        if self.sheet is not None:
            self._close_part()
        self.part += 1
        title = self.spec.title[:31] if self.part == 1 else f"{self.spec.title[:26]}（续{self.part}）"
        sheet = self.book.create_sheet(title=title)
        self.styles = _Styles(sheet)
        width = len(self.header)
        for i, w in enumerate(self.widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = w
        sheet.row_dimensions[1].height = 30
        sheet.freeze_panes = f"A{TITLE_ROWS + 1}"
        end = get_column_letter(max(width, 1))
        sheet.merged_cells.add(f"A1:{end}1")
        sheet.merged_cells.add(f"A2:{end}2")
        _print_setup(sheet)   # before the first row: a write-only sheet writes its properties first
        sheet.append([_cell(sheet, f"{self.heading.unit}{self.heading.subject}", self.styles.title)])
        sheet.append([_cell(sheet, f"填报单位：{self.heading.unit}    期间：{self.heading.period}    表名：{title}",
                            None)])
        sheet.append([_cell(sheet, name, self.styles.header) for name in self.header])
        self.sheet, self.rows, self.links = sheet, TITLE_ROWS, 0

    def append(self, values: Sequence[Any]) -> None:
        if self.rows >= MAX_ROWS - 2:   # room for the blank row and the signatures
            self._open()
        sheet, styles = self.sheet, self.styles
        styled = self.rows < TITLE_ROWS + STYLED_ROWS
        cells = []
        for value in values:
            if isinstance(value, Link):
                if value.url and self.links < MAX_LINKS:
                    cell = _cell(sheet, value.text, styles.link)
                    cell.hyperlink = value.url
                    self.links += 1
                else:
                    cell = _cell(sheet, value.text, styles.body) if styled else _plain(sheet, value.text)
            else:
                cell = _cell(sheet, value, styles.body) if styled else _plain(sheet, value)
            cells.append(cell)
        sheet.append(cells)
        self.rows += 1

    def _close_part(self) -> None:
        width = len(self.header)
        signatures: list[Any] = [""] * max(width, 3)
        signatures[0] = f"填表人：{self.heading.preparer or '__________'}"
        signatures[max(1, width // 2 - 1)] = f"审核人：{self.heading.reviewer or '__________'}"
        signatures[max(2, width - 2)] = f"填报日期：{self.heading.date or '____年__月__日'}"
        self.sheet.append([])
        self.sheet.append([_cell(self.sheet, v, None) for v in signatures])

    def close(self) -> None:
        self._close_part()


def _print_setup(sheet: Any) -> None:
    """A4 landscape, fitted to the page width, the heading rows on every page, "第 N 页 共 M 页" below."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = f"1:{TITLE_ROWS}"
    sheet.print_options.horizontalCentered = True
    sheet.print_options.gridLines = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = "第 &P 页 共 &N 页"


def _numbered(spec: Sheet) -> Iterator[list[Any]]:
    for n, row in enumerate(spec.rows, start=1):
        yield ([n] if spec.numbered else []) + list(row)


def write_register(path: Path, heading: Heading, sheets: Sequence[Sheet]) -> None:
    """A register workbook a bureau can print, sign and file, written as a stream.

    Every sheet: a title row (unit and subject), a line with the reporting
    unit, the period and the sheet's subject, the column header, the rows
    numbered (序号), then the preparer / reviewer / date lines. Printed on
    A4 landscape, fitted to the page width, with the three heading rows
    repeated on every page and "第 N 页 共 M 页" in the footer. Links show
    their text and open their URL. The sheets are written one after the
    other, each row as it comes from ``rows``.
    """
    book = Workbook(write_only=True)
    for spec in sheets:
        header = (["序号"] if spec.numbered else []) + list(spec.header)
        body = _numbered(spec)
        sample = list(itertools.islice(body, WIDTH_SAMPLE))
        widths = [min(max(max([_text_width(name)] + [_text_width(r[i]) for r in sample if i < len(r)]) + 2, 6), 40)
                  for i, name in enumerate(header)]
        writer = _SheetWriter(book, heading, spec, widths)
        for row in itertools.chain(sample, body):
            writer.append(row)
        for row in spec.totals:
            writer.append(([""] if spec.numbered else []) + list(row))
        writer.close()
    book.save(path)


def write_register_csv(path: Path, heading: Heading, sheet: Sheet) -> None:
    """The first table of a register as CSV: the data only (a CSV has no print form), 序号 included."""
    header = (["序号"] if sheet.numbered else []) + list(sheet.header)
    rows = ([v.text if isinstance(v, Link) else v for v in row] for row in _numbered(sheet))
    write_csv(path, header, rows)
