"""Export buttons of the list pages: exactly what the list shows (every page, filters included), safe cells,
in the register form every XLSX of the product takes."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from memorials.db import session_factory, transaction
from memorials.users import create_user
from tests.factories import DEMO_DISTRICT, PASSWORD, facility_body, register_table


def _planner(api) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with transaction(session_factory(api.app_engine, write=True)) as s:
        create_user(session=s, username="export_planner", password=PASSWORD, role="planner",
                    jurisdiction=DEMO_DISTRICT, display_name="王建国")
    return api.login("export_planner")


def test_facility_list_exports_what_the_filtered_list_shows(demo_api):
    planner = _planner(demo_api)
    made = demo_api.post("/api/v1/facilities", headers=planner,
                         json=facility_body(name="=1+1烈士墓", kind="scattered_grave"))
    assert made.status_code == 201, made.text
    filters = {"kind": "scattered_grave", "division": DEMO_DISTRICT}
    listed = demo_api.get("/api/v1/facilities", params={**filters, "limit": 1000}, headers=planner).json()
    assert listed["total"] > 30   # more than one page of the list (30 a page)

    resp = demo_api.get("/facilities/export.xlsx", params=filters, headers=planner)
    assert resp.status_code == 200, resp.text
    book = load_workbook(io.BytesIO(resp.content))
    sheet = book.active
    assert sheet["A1"].value == "红安县退役军人事务局烈士纪念设施名录"
    assert "类型：零散烈士墓" in sheet["A2"].value and "区划：" in sheet["A2"].value
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$3"
    table = register_table(sheet)
    assert table[0] == ("序号", "编号", "名称", "类型", "保护级别", "状态", "所在区划")
    assert sorted(r[1] for r in table[1:]) == sorted(f["code"] for f in listed["items"])
    assert {r[3] for r in table[1:]} == {"零散烈士墓"}
    assert "'=1+1烈士墓" in {r[2] for r in table[1:]}            # through safe_cell
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert "填表人：王建国" in " ".join(str(v) for v in list(sheet.values)[-1] if v)

    resp = demo_api.get("/facilities/export.csv", params=filters, headers=planner)
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0] == ["序号", "编号", "名称", "类型", "保护级别", "状态", "所在区划"]
    assert len(rows) == 1 + listed["total"] and "'=1+1烈士墓" in {r[2] for r in rows}


def test_martyr_list_exports_its_search(demo_api):
    planner = _planner(demo_api)
    everyone = demo_api.get("/api/v1/martyrs", params={"limit": 1000}, headers=planner).json()
    name = everyone["items"][0]["name"]
    found = demo_api.get("/api/v1/martyrs", params={"q": name, "limit": 1000}, headers=planner).json()
    book = load_workbook(io.BytesIO(demo_api.get("/martyrs/export.xlsx", params={"q": name},
                                                 headers=planner).content))
    table = register_table(book.active)
    assert table[0][:3] == ("序号", "姓名", "曾用名")
    assert sorted(r[1] for r in table[1:]) == sorted(m["name"] for m in found["items"])
    assert f"关键词：{name}" in book.active["A2"].value
    all_rows = register_table(load_workbook(io.BytesIO(demo_api.get("/martyrs/export.xlsx",
                                                                    headers=planner).content)).active)
    assert len(all_rows) == 1 + everyone["total"]
