"""The patrol ledger as a bureau files it: titled, numbered, signed, printed on A4 landscape (XLSX and PDF)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from inspections.models import Defect
from memorials import clock
from memorials.db import session_factory, transaction
from memorials.users import create_user
from tests.factories import DEMO_DISTRICT, PASSWORD, gps_jpeg, inspection_files, inspection_json, register_table

SHEETS = ["巡查记录", "六个一", "乡镇汇总", "按月汇总", "整改清单", "照片附录"]
A4_LANDSCAPE = (841.89, 595.28)  # points


def _people(api) -> tuple[dict[str, str], dict[str, str]]:  # type: ignore[no-untyped-def]
    with transaction(session_factory(api.app_engine, write=True)) as s:
        create_user(session=s, username="ledger_inspector", password=PASSWORD, role="inspector",
                    jurisdiction=DEMO_DISTRICT, display_name="陈巡查")
        create_user(session=s, username="ledger_planner", password=PASSWORD, role="planner",
                    jurisdiction=DEMO_DISTRICT, display_name="王建国")
    return api.login("ledger_inspector"), api.login("ledger_planner")


def _file(api, headers, facility_id: int, checklist: dict, photos: int) -> dict:  # type: ignore[no-untyped-def]
    facility = api.get(f"/api/v1/facilities/{facility_id}", headers=headers).json()
    now = clock.now()
    body = inspection_json(facility_id, performed_at=now.isoformat(), period=now.strftime("%Y-%m"),
                           checklist=checklist)
    files = inspection_files([gps_jpeg(facility["longitude"], facility["latitude"], size=(400 + n, 300))
                             for n in range(photos)])
    resp = api.post("/api/v1/inspections", headers=headers, data={"inspection": json.dumps(body)}, files=files)
    assert resp.status_code == 201, resp.text
    return resp.json()


def _ledger(api, headers, fmt: str) -> bytes:  # type: ignore[no-untyped-def]
    month = clock.now().strftime("%Y-%m")
    resp = api.get(f"/api/v1/reports/patrols.{fmt}", params={"division": DEMO_DISTRICT, "from": month, "to": month},
                   headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.content


@pytest.mark.both_backends  # grouped SQL of the ledger and the latest visits
def test_ledger_prints_on_a4_landscape_with_title_numbers_and_signature_lines(demo_api):
    inspector, planner = _people(demo_api)
    facility_id = demo_api.demo_facility_id("421122-0010")
    six = {"marker": {"result": "ok"}, "account": {"result": "problem", "note": "事迹简介牌缺失"},
           "headstone": {"result": "ok"}}
    first = _file(demo_api, inspector, facility_id, six, photos=2)
    fix = _file(demo_api, inspector, facility_id, {"structure": {"result": "ok"}}, photos=1)
    with transaction(session_factory(demo_api.app_engine, write=True)) as s:  # the fix confirmed by the 2nd patrol
        defect = s.scalar(select(Defect).where(Defect.opened_by_id == first["id"]))
        defect.status, defect.resolved_by_id = "resolved", fix["id"]
        defect.resolved_at = datetime.now(timezone.utc)
        defect.resolution_note = "已补立事迹简介牌"

    book = load_workbook(io.BytesIO(_ledger(demo_api, planner, "xlsx")))
    assert book.sheetnames == SHEETS
    for sheet in book.worksheets:
        assert sheet["A1"].value == "红安县退役军人事务局烈士纪念设施巡查台账", sheet.title
        assert sheet["A2"].value.startswith("填报单位：红安县退役军人事务局") and "期间：" in sheet["A2"].value
        assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
        assert sheet.page_setup.fitToHeight == 0
        assert sheet.print_title_rows == "$1:$3"
        signatures = " ".join(str(v) for v in list(sheet.values)[-1] if v)
        assert "填表人：王建国" in signatures and "审核人：" in signatures and "填报日期：" in signatures
        table = register_table(sheet)
        assert table[0][0] == "序号"
        assert [row[0] for row in table[1:] if row[0] not in ("", None)] == list(range(1, len(table)))[:len(
            [row for row in table[1:] if row[0] not in ("", None)])]
    records = register_table(book["巡查记录"])
    assert len(records) == 3
    assert {row[7] for row in records[1:]} == {"陈巡查"}          # real names, not login names
    sheet = book["巡查记录"]
    link = sheet.cell(4, records[0].index("照片") + 1)  # rows: title, unit, header, first record
    assert link.value == "2 张，见照片附录" and link.hyperlink.target.endswith(f"/inspections/{first['id']}")
    six_ones = {row[1]: row for row in register_table(book["六个一"])[1:]}
    row = six_ones["421122-0010"]
    header = register_table(book["六个一"])[0]
    # Every patrol answers every item: the latest of the month found the account sign put back up.
    assert row[header.index("醒目标识")] == "有" and row[header.index("烈士事迹简介")] == "有"
    assert row[header.index("祭扫通道")] == "有" and row[header.index("依据巡查日期")]
    defects = register_table(book["整改清单"])
    fixed = next(r for r in defects[1:] if r[5] == "事迹简介牌缺失")
    assert fixed[8] == "已整改" and fixed[10] == clock.today().isoformat()
    after = book["整改清单"].cell(3 + defects.index(fixed), 12)
    assert after.value == "整改后照片" and after.hyperlink.target.endswith(f"{fix['photos'][0]['sha256']}/original")
    appendix = register_table(book["照片附录"])
    assert len(appendix) == 1 + 3
    townships = register_table(book["乡镇汇总"])
    assert townships[-1][1] == "合计" and townships[-1][6] >= 2

    pdf = PdfReader(io.BytesIO(_ledger(demo_api, planner, "pdf")))
    assert len(pdf.pages) >= len(SHEETS)
    for page in pdf.pages:
        size = (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2))
        assert size == A4_LANDSCAPE and page.get("/Rotate", 0) == 0
    text = "\n".join(page.extract_text() for page in pdf.pages)
    flat = text.replace("\n", "").replace(" ", "")
    assert "红安县退役军人事务局烈士纪念设施巡查台账" in text and "填报单位：红安县退役军人事务局" in text
    for title in SHEETS:
        assert f"表名：{title}" in text
    assert text.count("填表人：王建国") == len(SHEETS) and "审核人：" in text and "陈巡查" in flat
    assert "事迹简介牌缺失" in flat

    csv_text = _ledger(demo_api, planner, "csv").decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("序号,巡查日期")


@pytest.mark.both_backends  # the latest inspection per facility: a grouped subquery joined back
def test_last_visits_and_the_map_popup_line(demo_api):
    from api.mapdata import patrol_line
    from inspections.compliance import last_visits
    from memorials.actors import SYSTEM

    inspector, _ = _people(demo_api)
    facility_id = demo_api.demo_facility_id("421122-0010")
    _file(demo_api, inspector, facility_id, {"structure": {"result": "ok"}}, photos=1)
    with transaction(session_factory(demo_api.app_engine)) as s:
        visits = last_visits(session=s, actor=SYSTEM)
    assert visits[facility_id].day == clock.today()
    assert patrol_line(visits[facility_id], 30, "in_use", today=clock.today()) == {
        "patrol_text": f"最近巡查：{clock.today().isoformat()}，状况一般；未逾期", "overdue": False}
    late = patrol_line(visits[facility_id], 30, "in_use", today=clock.today() + timedelta(days=400))
    assert late["overdue"] and "已逾期" in late["patrol_text"]
    assert patrol_line(None, 90, "in_use", today=clock.today()) == {
        "patrol_text": "从未巡查（应每 90 天巡查一次）", "overdue": True}
    popup = demo_api.get(f"/map/popup/{facility_id}", headers=inspector)  # what the map's popup shows
    assert popup.status_code == 200 and popup.json()["patrol"].startswith(f"最近巡查：{clock.today().isoformat()}")
    assert popup.json()["thumb"]
