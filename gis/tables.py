"""Read and write the tables bureaus exchange: CSV (UTF-8 or GBK) and XLSX.

Spreadsheets from Chinese offices come as UTF-8 with or without a BOM, or
as GBK/GB18030 from older Excel; the encoding is detected by trying to
decode, never guessed silently. Rows are yielded with their line number in
the file (the header is line 1), so that a rejected row can be named.

Every cell written goes through :func:`safe_cell`, so that text from users
(a facility's name, a defect's responsible person) never reaches Excel or
LibreOffice as a live formula; the readers undo its quote, so an export
reads back in unchanged.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = p.write_bytes("名称,经度\\n烈士墓,114.6\\n".encode("gbk"))
>>> [(line, row) for line, row in read_table(p).rows]
[(2, {'名称': '烈士墓', '经度': '114.6'})]
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

ENCODINGS = ("utf-8-sig", "gb18030")

# A spreadsheet reads text starting with one of these (after any spaces, control
# characters or quotes) as a formula: ASCII and full-width = + - @, and a leading
# tab or CR.
_FORMULA_START = re.compile(r"[\t\r]|[\s'\u3000\x00-\x1f\x7f]*[=+\-@\uff1d\uff0b\uff0d\uff20]")
_NUMBERS = (int, float, Decimal, date, time, timedelta)  # bool is an int; datetime is a date


class TableError(ValueError):
    """A file that cannot be read as a table, with the reason."""


@dataclass
class Table:
    header: list[str]
    count: int
    """Number of data rows (known before iterating, for progress bars)."""
    rows: Iterator[tuple[int, dict[str, str]]]
    encoding: str | None = None


def safe_cell(value: Any) -> Any:
    """A value as it may be written to a CSV or XLSX cell without becoming a formula.

    Text that a spreadsheet would evaluate (it starts with ``=``, ``+``,
    ``-``, ``@``, their full-width forms, a tab or a carriage return, also
    after leading spaces, control characters or quotes) gets a single quote in front, as OWASP
    advises for CSV injection; numbers and dates stay as they are, so -3
    is still the number -3. ``None`` becomes an empty cell, any other object
    its text. Every writer in the product goes through this function.

    >>> safe_cell("=1+1"), safe_cell(" +1"), safe_cell("＝1"), safe_cell("烈士墓")
    ("'=1+1", "' +1", "'＝1", '烈士墓')
    >>> safe_cell(-3), safe_cell(None)
    (-3, '')
    """
    if value is None:
        return ""
    if isinstance(value, _NUMBERS):
        return value
    text = value if isinstance(value, str) else str(value)
    return "'" + text if _FORMULA_START.match(text) else text


def _unquote(text: str) -> str:
    """Undo :func:`safe_cell` on text read back from a file."""
    return text[1:] if text.startswith("'") and _FORMULA_START.match(text, 1) else text


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise TableError("the file is neither UTF-8 nor GBK/GB18030 text")


def _clean_header(values: Sequence[Any]) -> list[str]:
    return [_unquote(str(v).strip()).strip().replace("\n", "") if v is not None else "" for v in values]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Codes typed as numbers come back as 421122100.0.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return _unquote(str(value).strip()).strip()


def _read_csv(path: Path) -> Table:
    text, encoding = _decode(path.read_bytes())
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    records = list(csv.reader(io.StringIO(text), dialect))
    if not records:
        raise TableError("the file is empty")
    header = _clean_header(records[0])

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for number, record in enumerate(records[1:], start=2):
            if not any(field.strip() for field in record):
                continue
            yield number, {h: (_cell(record[i]) if i < len(record) else "") for i, h in enumerate(header) if h}

    count = sum(1 for r in records[1:] if any(f.strip() for f in r))
    return Table(header=header, count=count, rows=rows(), encoding=encoding)


def _read_xlsx(path: Path) -> Table:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        raise TableError(f"not a readable XLSX workbook ({exc.__class__.__name__})") from None
    sheet = book.worksheets[0]
    records = [r for r in sheet.iter_rows(values_only=True)]
    book.close()
    if not records:
        raise TableError("the first sheet is empty")
    first = _register_table(records)
    header = _clean_header(records[first - 1])

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for number, record in enumerate(records[first:], start=first + 1):
            if not any(v not in (None, "") for v in record):
                continue
            yield number, {h: _cell(record[i]) if i < len(record) else "" for i, h in enumerate(header) if h}

    count = sum(1 for r in records[first:] if any(v not in (None, "") for v in r))
    return Table(header=header, count=count, rows=rows())


def _register_table(records: list[tuple[Any, ...]]) -> int:
    """The row number of the column header: 1, or 3 in a register (:func:`write_register`), whose table
    ends at its first blank row (the signature lines below are cut off here)."""
    if (len(records) >= 3 and str(records[1][0] or "").startswith("填报单位：") and records[2]
            and records[2][0] == "序号"):
        end = next((n for n in range(3, len(records)) if all(v in (None, "") for v in records[n])), len(records))
        del records[end:]
        for n in range(2, len(records)):
            records[n] = records[n][1:]   # the 序号 column is the register's, not the data's
        return 3
    return 1


def read_table(path: Path) -> Table:
    """Open a CSV or XLSX file by its content's type (the suffix decides only between the two)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path)
    raise TableError(f"unsupported file type {suffix or '(none)'}: use .csv or .xlsx")


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """UTF-8 with a BOM, which Excel needs to show Chinese correctly; every cell through :func:`safe_cell`."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([safe_cell(v) for v in header])
        writer.writerows([safe_cell(v) for v in row] for row in rows)


def _append(sheet: Worksheet, values: Sequence[Any]) -> None:
    """One row of :func:`safe_cell` values; text is stored as text, never as a formula or an error code.

    Control characters that XLSX cannot hold are dropped first (openpyxl would refuse the whole file).
    """
    cells = []
    for value in values:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell = Cell(sheet, value=safe_cell(value))
        if isinstance(cell.value, str):
            cell.data_type = "s"
        cells.append(cell)
    sheet.append(cells)


def write_xlsx(path: Path, sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]) -> None:
    """A workbook with one sheet per (title, header, rows); bold header, frozen first row."""
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        _append(sheet, header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            _append(sheet, row)
        sheet.freeze_panes = "A2"
        for i, name in enumerate(header, start=1):
            width = max([len(str(name)) * 2] + [len(str(r[i - 1])) for r in rows[:200] if i - 1 < len(r)])
            sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
    book.save(path)


# ---- registers (台账): the printable form every XLSX export of the product takes ----------------------------


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
    rows: Sequence[Sequence[Any]]
    numbered: bool = True
    """A 序号 column first, counting the data rows (totals rows keep it blank)."""
    totals: Sequence[Sequence[Any]] = ()


TITLE_ROWS = 3
"""Title, unit/period line, column header: repeated on every printed page."""


def _text_width(value: Any) -> int:
    text = value.text if isinstance(value, Link) else str(value if value is not None else "")
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _register_row(sheet: Worksheet, values: Sequence[Any]) -> None:
    """Like :func:`_append`; a :class:`Link` shows its (safe) text and opens its URL."""
    _append(sheet, [v.text if isinstance(v, Link) else v for v in values])
    for cell, value in zip(sheet[sheet.max_row], values, strict=False):
        if isinstance(value, Link) and value.url:
            cell.hyperlink = value.url
            cell.font = Font(color="1D4ED8", underline="single")


def write_register(path: Path, heading: Heading, sheets: Sequence[Sheet]) -> None:
    """A register workbook a bureau can print, sign and file.

    Every sheet: a title row (unit and subject), a line with the reporting
    unit, the period and the sheet's subject, the column header, the rows
    numbered (序号), then the preparer / reviewer / date lines. Printed on
    A4 landscape, fitted to the page width, with the three heading rows
    repeated on every page and "第 N 页 共 M 页" in the footer. Every cell
    goes through :func:`safe_cell`; links show their text and open their URL.
    """
    from openpyxl.styles import Alignment, Border, Side
    from openpyxl.worksheet.properties import PageSetupProperties

    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        sheet = book.create_sheet(title=spec.title[:31])
        header = (["序号"] if spec.numbered else []) + list(spec.header)
        width = len(header)
        _append(sheet, [f"{heading.unit}{heading.subject}"])
        _append(sheet, [f"填报单位：{heading.unit}    期间：{heading.period}    表名：{spec.title}"])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(width, 1))
        sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=max(width, 1))
        sheet["A1"].font = Font(bold=True, size=16)
        sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
        sheet.row_dimensions[1].height = 30
        _append(sheet, header)
        for cell in sheet[TITLE_ROWS]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = box
        body = [([n] if spec.numbered else []) + list(row) for n, row in enumerate(spec.rows, start=1)]
        body += [([""] if spec.numbered else []) + list(row) for row in spec.totals]
        for row in body:
            _register_row(sheet, row)
            for cell in sheet[sheet.max_row]:
                cell.border = box
                cell.alignment = Alignment(vertical="top", wrap_text=True)
        sheet.append([])
        signatures = [""] * max(width, 3)
        signatures[0] = f"填表人：{heading.preparer or '__________'}"
        signatures[max(1, width // 2 - 1)] = f"审核人：{heading.reviewer or '__________'}"
        signatures[max(2, width - 2)] = f"填报日期：{heading.date or '____年__月__日'}"
        _append(sheet, signatures)
        sheet.freeze_panes = f"A{TITLE_ROWS + 1}"
        for i, name in enumerate(header, start=1):
            widest = max([_text_width(name)] + [_text_width(r[i - 1]) for r in body[:300] if i - 1 < len(r)])
            sheet.column_dimensions[get_column_letter(i)].width = min(max(widest + 2, 6), 40)
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        sheet.print_title_rows = f"1:{TITLE_ROWS}"
        sheet.print_options.horizontalCentered = True
        sheet.page_margins.left = sheet.page_margins.right = 0.4
        sheet.oddFooter.center.text = "第 &P 页 共 &N 页"
    book.save(path)


def write_register_csv(path: Path, heading: Heading, sheet: Sheet) -> None:
    """The first table of a register as CSV: the data only (a CSV has no print form), 序号 included."""
    header = (["序号"] if sheet.numbered else []) + list(sheet.header)
    rows = [([n] if sheet.numbered else []) + [v.text if isinstance(v, Link) else v for v in row]
            for n, row in enumerate(sheet.rows, start=1)]
    write_csv(path, header, rows)
