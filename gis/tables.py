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
from collections.abc import Iterable, Iterator, Sequence
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


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
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
