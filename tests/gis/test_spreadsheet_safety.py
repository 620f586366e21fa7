"""No spreadsheet the product writes turns user text into a formula (CSV/formula injection).

Text from users (a facility's name, custodian, address, description; an
inspector's notes and a defect's responsible person) is written to the
facility export (CSV and XLSX) and the patrol ledger. Each file is read back
as Excel would see it: no cell may be a formula or start like one, numbers
must stay numbers, and an export must still read back in unchanged.
"""

import csv
import json
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.cli import app as cli
from gis.tables import read_table, safe_cell, write_csv, write_xlsx
from tests.factories import facility_body, inspection_files, inspection_json, register_table, site_photo

CST = timezone(timedelta(hours=8))
PAYLOADS = [
    '=HYPERLINK("http://x","y")', "=1+1", "+1+1", "-1+1", "@SUM(1+1)", "\t=1+1", "\r=1+1", "  =1+1",
    "\u3000=1+1", "\x01=1+1", "＝1+1", "＋1", "－1", "＠SUM(A1)", "=cmd|' /C calc'!A0", "'=1+1", "-", "@",
]
DANGEROUS = re.compile(r"[\t\r]|[\s\u3000\x00-\x1f]*[=+\-@＝＋－＠]")
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")   # a CSV field Excel reads as a plain number


@pytest.fixture
def backend():
    """The writers do not depend on the database: SQLite is enough."""
    return "sqlite"


def _assert_inert(value, where):
    assert not (isinstance(value, str) and DANGEROUS.match(value)), f"{where}: {value!r} would be evaluated"


def _assert_no_formulas(book):
    cells = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                _assert_inert(cell.value, f"{sheet.title}!{cell.coordinate}")
                cells += 1
    assert cells


def _assert_csv_inert(path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if not NUMBER.fullmatch(value):
                _assert_inert(value, f"line {number} column {column}")
    return rows


# ---- the helper ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_safe_cell_quotes_text_that_starts_like_a_formula(payload):
    safe = safe_cell(payload)
    assert safe == "'" + payload
    _assert_inert(safe, "safe_cell")


@pytest.mark.parametrize("text", ["烈士墓", "421122-0010", "a=b", "1+1", "3-1", "user@example.com", "", "'", "'quoted",
                                  "—", "（一）", "#N/A"])
def test_safe_cell_leaves_ordinary_text_alone(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("number", [-3, 0, 7, -3.5, 114.621512, Decimal("-12.50"), True,
                                    date(2026, 4, 5), datetime(2026, 4, 5, 9, 30)])
def test_safe_cell_keeps_numbers_and_dates(number):
    assert safe_cell(number) is number


def test_safe_cell_writes_none_and_other_objects_as_text():
    class Odd:
        def __str__(self):
            return "=1+1"

    assert safe_cell(None) == ""
    assert safe_cell(Odd()) == "'=1+1"


def test_written_tables_are_inert_keep_numbers_and_read_back_unchanged(tmp_path):
    rows = [[p, -3, 2.5, Decimal("-1.25"), date(2026, 4, 5)] for p in PAYLOADS]
    header = ["名称", "数量", "经度", "金额", "日期"]
    xlsx, comma = tmp_path / "t.xlsx", tmp_path / "t.csv"
    write_xlsx(xlsx, [("表", header, rows)])
    write_csv(comma, header, rows)

    book = load_workbook(xlsx)
    _assert_no_formulas(book)
    sheet = book.active
    for r in range(2, sheet.max_row + 1):
        assert sheet.cell(r, 1).data_type == "s"
        assert sheet.cell(r, 2).value == -3 and sheet.cell(r, 2).data_type == "n"
        assert sheet.cell(r, 3).value == 2.5 and sheet.cell(r, 4).value == -1.25
        assert sheet.cell(r, 5).is_date
    written = _assert_csv_inert(comma)
    assert all(row[1] == "-3" for row in written[1:])   # the number, not text '-3

    for path, expected in ((comma, PAYLOADS), (xlsx, [p.replace("\x01", "") for p in PAYLOADS])):
        back = [row for _, row in read_table(path).rows]
        assert [row["名称"] for row in back] == [p.strip() for p in expected]   # XLSX cannot hold \x01
        assert {row["数量"] for row in back} == {"-3"}


# ---- the product's files --------------------------------------------------------------------------------------


def test_facility_export_csv_and_xlsx_hold_no_formulas(api, db_url, tmp_path):
    planner = api.user("planner")
    body = facility_body(name='=HYPERLINK("http://x","y")', custodian="=1+1", custodian_person="@SUM(1+1)",
                         address="-2+3", description="\t＋cmd|' /C calc'!A0", patrol_interval_days=30)
    made = api.post("/api/v1/facilities", json=body, headers=planner)
    assert made.status_code == 201, made.text
    assert made.json()["name"] == '=HYPERLINK("http://x","y")'   # stored as given: the file is what is fixed
    env = {"MEMORIALS_DATABASE_URL": db_url, "MEMORIALS_DATA_DIR": str(tmp_path / "data"), "MEMORIALS_TILES": "none"}
    runner = CliRunner()
    for name in ("f.csv", "f.xlsx"):
        result = runner.invoke(cli, ["export", str(tmp_path / name)], env=env, catch_exceptions=False)
        assert result.exit_code == 0 and "1 facilities" in result.output, result.output

    rows = _assert_csv_inert(tmp_path / "f.csv")
    record = dict(zip(rows[0], rows[1]))
    assert record["name"] == "'" + body["name"] and record["custodian"] == "'=1+1"
    assert float(record["longitude"]) == pytest.approx(body["longitude"])

    book = load_workbook(tmp_path / "f.xlsx")
    _assert_no_formulas(book)
    sheet = book.active   # a register: the column header is row 3, the first facility row 4
    header = [c.value for c in sheet[3]]
    cells = {h: c for h, c in zip(header, sheet[4])}
    assert cells["名称"].value == "'" + body["name"] and cells["名称"].data_type == "s"
    assert cells["经度"].data_type == "n" and cells["经度"].value == pytest.approx(body["longitude"])
    assert cells["巡查周期（天）"].value == 30 and cells["巡查周期（天）"].data_type == "n"

    # the exports still read back in as the same facility
    for name in ("f.xlsx", "f.csv"):
        result = runner.invoke(cli, ["import", str(tmp_path / name)], env=env, catch_exceptions=False)
        assert "0 added, 1 already there" in result.output, result.output


def test_patrol_ledger_holds_no_formulas(api, tmp_path):
    planner, inspector = api.user("planner"), api.user("inspector")
    made = api.post("/api/v1/facilities", headers=planner,
                    json=facility_body(name="=1+1烈士墓", custodian_person="-1+1", patrol_interval_days=30))
    assert made.status_code == 201, made.text
    now = datetime.now(CST)
    period = now.strftime("%Y-%m")
    body = inspection_json(made.json()["id"], performed_at=now.isoformat(), period=period, notes="\t=1+1", checklist={
        "structure": {"result": "problem", "note": "@SUM(1+1)", "responsible_person": '=HYPERLINK("http://x","y")'},
        "vegetation": {"result": "problem", "note": "＝1+1"},   # responsible: the facility's custodian person
        "inscription": {"result": "ok"},
    })
    sent = api.post("/api/v1/inspections", headers=inspector, data={"inspection": json.dumps(body)},
                    files=inspection_files([site_photo()]))
    assert sent.status_code == 201, sent.text

    resp = api.get("/api/v1/reports/patrols.xlsx", params={"division": "421122", "from": period, "to": period},
                   headers=planner)
    assert resp.status_code == 200, resp.text
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(resp.content)
    book = load_workbook(path)
    _assert_no_formulas(book)

    records = register_table(book["巡查记录"])
    assert records[1][4] == "'=1+1烈士墓" and records[1][15] == "'\t=1+1"
    assert records[1][11] == 1 and isinstance(records[1][10], int)          # counts stay numbers
    summary = register_table(book["按月汇总"])
    assert summary[1][2] == "'=1+1烈士墓" and summary[1][5] == 1   # the month's patrols
    defects = {row[5]: row for row in register_table(book["整改清单"])[1:]}
    assert defects["'@SUM(1+1)"][7] == "'" + '=HYPERLINK("http://x","y")'
    assert defects["'＝1+1"][7] == "'-1+1"
