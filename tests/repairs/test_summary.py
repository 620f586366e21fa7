"""The year's figures: by kind and by source, exact, the same in JSON, the XLSX ledger and the CLI's file."""

from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import load_workbook

from memorials import clock
from tests.repairs.helpers import GRAVE, MONUMENT, after_photo, approve, facility, project_body


def exact(value: object) -> Decimal:
    """A cell's number as the decimal the XML holds (openpyxl reads numbers as floats; their repr is that text)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)  # type: ignore[arg-type]


def _money_project(api, fac, kind, lines, spend):  # type: ignore[no-untyped-def]
    planner = api.user("planner")
    pid = api.post("/api/v1/repairs", headers=planner, json=project_body([fac["id"]], kind=kind)).json()["id"]
    approve(api, pid)
    for source, amount in lines:
        assert api.post(f"/api/v1/repairs/{pid}/budget-lines", headers=planner,
                        json={"source": source, "amount": amount, "year": clock.today().year}).status_code == 201
    for amount in spend:
        resp = api.post(f"/api/v1/repairs/{pid}/expenditures", headers=planner,
                        json={"date": clock.today().isoformat(), "amount": amount, "payee": "=cmd|' /C calc'!A0",
                              "invoice_no": "1", "purpose": "材料"})
        assert resp.status_code == 201, resp.text
    return pid


@pytest.mark.both_backends
def test_the_summary_adds_up_to_the_fen_in_json_and_xlsx(demo_api, tmp_path):
    grave, monument = facility(demo_api, GRAVE), facility(demo_api, MONUMENT)
    first = _money_project(demo_api, grave, "maintenance", [("local", "330000.10"), ("central", "0.20")],
                           ["0.10", "0.20", "329999.70"])
    _money_project(demo_api, monument, "upgrade", [("provincial", "700000.00"), ("donation", "0.05")], ["12.34"])
    planner = demo_api.user("planner")
    steps = f"/api/v1/repairs/{first}/transitions"
    assert demo_api.post(steps, headers=planner, json={"to": "in_progress"}).status_code == 200
    assert after_photo(demo_api, planner, first, grave).status_code == 201
    done = demo_api.post(steps, headers=planner, json={"to": "completed", "date": clock.today().isoformat(),
                                                        "by": "验收组", "result": "合格", "document_no": "验收1号"})
    assert done.status_code == 200, done.text

    year = clock.today().year
    s = demo_api.get("/api/v1/repairs/summary", headers=demo_api.user("viewer"),
                     params={"division": "421122", "year": year}).json()
    assert s["by_kind"] == {"maintenance": "330000.00", "renovation": "0.00", "relocation": "0.00",
                            "upgrade": "12.34"}
    assert s["total"] == "330012.34"
    assert s["by_source"] == {"local": "330000.10", "central": "0.20", "provincial": "700000.00", "city": "0.00",
                              "donation": "0.05"}
    assert (s["budget_total"], s["higher_level"]) == ("1030000.35", "700000.20")
    assert (s["projects_completed"], s["facilities_repaired"], s["projects_overdue"]) == (1, 1, 0)
    assert {f["code"]: f["spent"] for f in s["per_facility"]} == {GRAVE: "330000.00", MONUMENT: "12.34"}

    resp = demo_api.get("/api/v1/reports/repairs.xlsx", headers=planner, params={"division": "421122", "year": year})
    assert resp.status_code == 200
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(resp.content)
    book = load_workbook(path)
    overview = book["汇总"]
    assert "维修经费台账" in overview["A1"].value and overview["A2"].value == "金额单位：元"
    rows = {(r[1], r[2]): exact(r[3]) for r in overview.iter_rows(min_row=4, values_only=True)}
    assert rows[("按类型支出", "合计")] == Decimal("330012.34")
    assert rows[("按类型支出", "修缮维护")] == Decimal("330000.00")
    assert rows[("按资金来源批复", "合计")] == Decimal("1030000.35")
    assert rows[("按资金来源批复", "其中：上级补助资金")] == Decimal("700000.20")
    spending = book["支出明细"]
    payees = [r[5] for r in spending.iter_rows(min_row=4, values_only=True)]
    assert "'=cmd|' /C calc'!A0" in payees  # never a formula
    last = list(spending.iter_rows(min_row=4, values_only=True))[-1]
    assert last[0] == "合计" and exact(last[-1]) == Decimal("330012.34")
    assert spending.print_title_rows == "$1:$3" and spending.page_setup.orientation == "landscape"
    assert spending.cell(row=4, column=9).number_format == "#,##0.00"


def test_summary_refuses_a_bad_year_and_division(demo_api):
    viewer = demo_api.user("viewer")
    assert demo_api.get("/api/v1/repairs/summary", headers=viewer, params={"year": 1900}).status_code == 422
    resp = demo_api.get("/api/v1/repairs/summary", headers=viewer, params={"division": "abc"})
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"] == ["query", "division"]


def test_the_cli_writes_the_same_ledger(demo_api, demo_db_url, tmp_path):
    from typer.testing import CliRunner

    from api.cli import app

    grave = facility(demo_api, GRAVE)
    _money_project(demo_api, grave, "renovation", [("city", "50000.00")], ["49999.99"])
    year = clock.today().year
    out = tmp_path / "台账.xlsx"
    env = {"MEMORIALS_DATABASE_URL": demo_db_url, "MEMORIALS_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(app, ["report", "repairs", "--division", "421122", "--year", str(year),
                                      "--output", str(out)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "49999.99" in result.output
    rows = {(r[1], r[2]): exact(r[3]) for r in load_workbook(out)["汇总"].iter_rows(min_row=4, values_only=True)}
    assert rows[("按类型支出", "就地整修")] == Decimal("49999.99")
    bad = CliRunner().invoke(app, ["report", "repairs", "--division", "421122", "--year", "1800", "--output",
                                   str(out)], env=env)
    assert bad.exit_code == 2 and "year" in bad.output
