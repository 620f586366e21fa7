"""Read and write the tables bureaus exchange: CSV (UTF-8 or GBK) and XLSX.

Spreadsheets from Chinese offices come as UTF-8 with or without a BOM, or
as GBK/GB18030 from older Excel; the encoding is detected by trying to
decode, never guessed silently. Rows are yielded with their line number in
the file (the header is line 1), so that a rejected row can be named.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = p.write_bytes("名称,经度\\n烈士墓,114.6\\n".encode("gbk"))
>>> [(line, row) for line, row in read_table(p).rows]
[(2, {'名称': '烈士墓', '经度': '114.6'})]
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

ENCODINGS = ("utf-8-sig", "gb18030")


class TableError(ValueError):
    """A file that cannot be read as a table, with the reason."""


@dataclass
class Table:
    header: list[str]
    count: int
    """Number of data rows (known before iterating, for progress bars)."""
    rows: Iterator[tuple[int, dict[str, str]]]
    encoding: str | None = None


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise TableError("the file is neither UTF-8 nor GBK/GB18030 text")


def _clean_header(values: Sequence[Any]) -> list[str]:
    return [str(v).strip().replace("\n", "") if v is not None else "" for v in values]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Codes typed as numbers come back as 421122100.0.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value).strip()


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
            yield number, {h: (record[i].strip() if i < len(record) else "") for i, h in enumerate(header) if h}

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
    header = _clean_header(records[0])

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for number, record in enumerate(records[1:], start=2):
            if not any(v not in (None, "") for v in record):
                continue
            yield number, {h: _cell(record[i]) if i < len(record) else "" for i, h in enumerate(header) if h}

    count = sum(1 for r in records[1:] if any(v not in (None, "") for v in r))
    return Table(header=header, count=count, rows=rows())


def read_table(path: Path) -> Table:
    """Open a CSV or XLSX file by its content's type (the suffix decides only between the two)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path)
    raise TableError(f"unsupported file type {suffix or '(none)'}: use .csv or .xlsx")


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """UTF-8 with a BOM, which Excel needs to show Chinese correctly."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)


def write_xlsx(path: Path, sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]) -> None:
    """A workbook with one sheet per (title, header, rows); bold header, frozen first row."""
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(["" if v is None else v for v in row])
        sheet.freeze_panes = "A2"
        for i, name in enumerate(header, start=1):
            width = max([len(str(name)) * 2] + [len(str(r[i - 1])) for r in rows[:200] if i - 1 < len(r)])
            sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
    book.save(path)
