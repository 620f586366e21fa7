"""The demo's year of repair history: every kind, both kinds of money, an adjustment, a cancellation, photos;
its figures agree to the fen in JSON, on the page and in the XLSX ledger."""

from __future__ import annotations

import re
from decimal import Decimal

from openpyxl import load_workbook

from memorials import clock
from memorials.db import session_factory, transaction
from memorials.demo import load_domain_demos
from tests.repairs.test_summary import exact


def test_the_demo_history_adds_up_everywhere(demo_api, tmp_path):
    settings = demo_api.app.state.settings
    with transaction(session_factory(demo_api.app_engine, write=True)) as s:
        assert any("8 projects" in line for line in load_domain_demos(s, settings))
    with transaction(session_factory(demo_api.app_engine, write=True)) as s:
        assert any("already there" in line for line in load_domain_demos(s, settings))
    viewer = demo_api.user("viewer")
    projects = demo_api.get("/api/v1/repairs", headers=viewer, params={"limit": 100}).json()["items"]
    assert {p["kind"] for p in projects} == {"maintenance", "renovation", "relocation", "upgrade"}
    assert {p["status"] for p in projects} == {"proposed", "approved", "in_progress", "completed", "cancelled"}
    assert any(Decimal(p["spent"]) > Decimal(p["budget_total"]) - Decimal("12500.00") for p in projects
               if p["kind"] == "renovation")  # ran over the first budget; an adjustment covers it
    completed = [p for p in projects if p["status"] == "completed"]
    for p in completed:
        photos = demo_api.get(f"/api/v1/repairs/{p['id']}/evidence", headers=viewer).json()
        assert {e["phase"] for e in photos} == {"before", "after"}
        assert all(e["verification"] == "verified" for e in photos)
    relocation = next(p for p in projects if p["kind"] == "relocation")
    assert all(f["status"] == "under_repair" for f in relocation["facilities"])

    year = clock.today().year
    s = demo_api.get("/api/v1/repairs/summary", headers=viewer, params={"division": "421122", "year": year}).json()
    assert Decimal(s["total"]) == sum(Decimal(v) for v in s["by_kind"].values())
    page = demo_api.get("/repairs/summary", headers=viewer, params={"year": year}).text
    assert re.search(r'id="total">([0-9.]+)<', page).group(1) == s["total"]
    assert re.search(r'id="budget-total">([0-9.]+)<', page).group(1) == s["budget_total"]
    resp = demo_api.get("/api/v1/reports/repairs.xlsx", headers=viewer, params={"division": "421122", "year": year})
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(resp.content)
    rows = {(r[1], r[2]): exact(r[3]) for r in load_workbook(path)["汇总"].iter_rows(min_row=4, values_only=True)}
    assert rows[("按类型支出", "合计")] == Decimal(s["total"])
    assert rows[("按资金来源批复", "合计")] == Decimal(s["budget_total"])
    assert rows[("按资金来源批复", "其中：上级补助资金")] == Decimal(s["higher_level"])
