"""The streamed register writer: rows from a generator, text kept text, long tables continued on more sheets."""

from __future__ import annotations

from collections.abc import Iterator

from openpyxl import load_workbook

from gis import registers
from gis.registers import Heading, Link, Sheet, write_register


def _rows(n: int) -> Iterator[list]:
    for i in range(n):
        yield [f"=1+{i}", "#N/A", i, Link(f"照片{i}", f"http://example.org/{i}")]


def test_a_generator_of_rows_streams_into_continued_sheets(tmp_path, monkeypatch):
    monkeypatch.setattr(registers, "MAX_ROWS", 25)       # an Excel sheet's limit, made small
    monkeypatch.setattr(registers, "STYLED_ROWS", 5)
    monkeypatch.setattr(registers, "MAX_LINKS", 3)
    path = tmp_path / "big.xlsx"
    write_register(path, Heading("红安县退役军人事务局", "测试台账", "2026年"),
                   [Sheet("记录", ["公式", "错误码", "数", "照片"], _rows(30), totals=[["合计", "", 30, ""]])])
    book = load_workbook(path)
    assert book.sheetnames == ["记录", "记录（续2）"]
    first, second = book.worksheets
    assert first["A1"].value == "红安县退役军人事务局测试台账" and second["A3"].value == "序号"
    assert first.print_options.gridLines and first.page_setup.orientation == "landscape"
    data = [row for sheet in book.worksheets for row in sheet.iter_rows(min_row=4, values_only=True)
            if isinstance(row[0], int)]
    assert [row[0] for row in data] == list(range(1, 31))            # numbered on across the sheets
    assert data[0][1:4] == ("'=1+0", "#N/A", 0) and data[29][1] == "'=1+29"
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type in ("s", "n", "inlineStr"), (sheet.title, cell.coordinate, cell.data_type)
    links = [c.hyperlink.target for row in first.iter_rows() for c in row if c.hyperlink]
    assert links == ["http://example.org/0", "http://example.org/1", "http://example.org/2"]   # Excel keeps 65,530
    assert first["B4"].border.left.style == "thin" and first["B12"].border.left.style is None   # plain past 5
    last = [v for v in list(second.values)[-1] if v]
    assert "填表人：__________" in last and list(second.values)[-3][1] == "合计"
