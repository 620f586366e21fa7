"""A defect found on patrol, followed through the pages to the project that fixed it, the money and the photos."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx2 as httpx
import pytest

from memorials import clock
from tests.browser.conftest import open_page, sign_in
from tests.factories import PASSWORD, gps_jpeg, inspection_files, inspection_json
from tests.repairs.helpers import GRAVE, photo_taken

pytestmark = pytest.mark.browser


def _english(text: str) -> list[str]:
    return re.findall(r"\b[a-z]{4,}\b", text)


def test_a_project_walks_from_proposal_to_completion_through_the_pages(live_server, browser, tmp_path):
    admin = live_server.add_user("admin", name="repair_admin")
    inspector = live_server.add_user("inspector", name="repair_inspector")
    fid = live_server.demo_facility_id(GRAVE)
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        token = client.post("/api/v1/auth/token", data={"username": inspector, "password": PASSWORD}).json()
        h = {"Authorization": f"Bearer {token['access_token']}"}
        site = client.get(f"/api/v1/facilities/{fid}", headers=h).json()
        body = inspection_json(fid, checklist={"headstone": {"result": "problem", "note": "墓碑断裂"}}, grade="poor")
        filed = client.post("/api/v1/inspections", headers=h, data={"inspection": json.dumps(body)},
                            files=inspection_files([gps_jpeg(site["longitude"], site["latitude"])]))
        assert filed.status_code == 201, filed.text
        defect_id = filed.json()["defects_opened"][0]["id"]

    record = open_page(browser)
    page = record.page
    sign_in(record, live_server, admin)
    page.goto(f"{live_server.url}/defects")
    page.check(f"input[name=defect_id][value='{defect_id}']")
    page.click("text=以选中的问题新建修缮项目")
    page.wait_for_url(re.compile(r"/repairs/new\?defect_id="))
    page.fill("input[name=title]", "周德明烈士墓墓碑修复")
    page.select_option("select[name=kind]", "maintenance")
    page.fill("input[name=planned_end]", (clock.today() + timedelta(days=60)).isoformat())
    page.press("input[name=title]", "Enter")  # the keyboard submits
    page.wait_for_url(re.compile(r"/repairs/[0-9]+$"))
    project_url = page.url

    page.fill("#step-approved input[name=authority]", "红安县退役军人事务局")
    page.fill("#step-approved input[name=document_no]", "红退役发〔2026〕12号")
    page.fill("#step-approved input[name=date]", clock.today().isoformat())
    page.click("#step-approved button[type=submit]")
    page.wait_for_selector("text=已批准")

    page.click("text=登记预算")
    page.fill("#budget-form input[name=amount]", "12.345")
    page.click("#budget-form button[type=submit]")
    page.wait_for_selector("#budget-form [data-error-for=amount]:has-text('两位小数')")
    page.fill("#budget-form input[name=amount]", "1000.50")
    page.fill("#budget-form input[name=document_no]", "红财社〔2026〕3号")
    page.click("#budget-form button[type=submit]")
    page.wait_for_selector("text=红财社〔2026〕3号")

    page.click("#step-in_progress button[type=submit]")
    page.wait_for_selector("text=施工中")
    page.click("text=登记支出")
    page.fill("#spend-form input[name=date]", clock.today().isoformat())
    page.fill("#spend-form input[name=amount]", "2000.00")
    page.fill("#spend-form input[name=payee]", "红安县古建修缮有限公司")
    page.fill("#spend-form input[name=invoice_no]", "No.0042")
    page.fill("#spend-form input[name=purpose]", "墓碑石材")
    page.click("#spend-form button[type=submit]")
    page.wait_for_selector("#spend-form [data-error-for=amount]:has-text('超出批复总额')")
    page.fill("#spend-form input[name=amount]", "999.90")
    page.click("#spend-form button[type=submit]")
    page.wait_for_selector("text=No.0042")

    page.fill("#step-completed input[name=date]", clock.today().isoformat())
    page.fill("#step-completed input[name=by]", "县局验收组")
    page.fill("#step-completed input[name=result]", "合格")
    page.fill("#step-completed input[name=document_no]", "验收〔2026〕5号")
    page.click("#step-completed button[type=submit]")
    page.wait_for_selector("#step-completed .form-error:has-text('竣工后照片')")

    photo = tmp_path / "after.jpg"
    photo.write_bytes(gps_jpeg(site["longitude"] + 0.0002, site["latitude"], taken=photo_taken(2)))
    page.click("text=上传照片或文件")
    page.select_option("#evidence-form select[name=phase]", "after")
    page.set_input_files("#evidence-form input[name=files]", str(photo))
    page.click("#evidence-form button[type=submit]")
    page.wait_for_selector("text=位置已核验")

    page.fill("#step-completed input[name=date]", clock.today().isoformat())
    page.fill("#step-completed input[name=by]", "县局验收组")
    page.fill("#step-completed input[name=result]", "合格")
    page.fill("#step-completed input[name=document_no]", "验收〔2026〕5号")
    page.click("#step-completed button[type=submit]")
    page.wait_for_selector("h1 .tag:has-text('已竣工验收')")
    text = page.inner_text("main")
    assert "999.90" in text and "1000.50" in text and "0.60" in text
    assert _english(text) == [], _english(text)
    page.screenshot(path=str(tmp_path / "repair.png"), full_page=True)

    page.goto(f"{live_server.url}/defects/{defect_id}")
    page.click("text=查看修缮项目、经费与照片")
    page.wait_for_url(project_url)
    page.goto(f"{live_server.url}/repairs/summary")
    summary = page.inner_text("#total")
    assert summary == "999.90"
    assert _english(page.inner_text("main")) == []
    # The refusals shown above are 4xx answers the browser logs; nothing else may have gone wrong.
    assert [e for e in record.errors if not e.startswith("Failed to load resource")] == []
    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in record.requests)


def test_a_project_for_several_facilities_is_proposed_from_the_form(live_server, browser):
    from tests.repairs.helpers import MONUMENT

    planner = live_server.add_user("planner", name="repair_planner")
    grave, monument = live_server.demo_facility_id(GRAVE), live_server.demo_facility_id(MONUMENT)
    record = open_page(browser)
    page = record.page
    sign_in(record, live_server, planner)
    page.goto(f"{live_server.url}/repairs/new?facility_id={grave}")
    page.select_option("select[name='facility_ids[]']", [str(grave), str(monument)])
    page.fill("input[name=title]", "两处纪念设施日常维护")
    page.fill("input[name=planned_end]", (clock.today() - timedelta(days=400)).isoformat())
    page.click("main button[type=submit]")
    page.wait_for_selector(".form-error:not([hidden])")
    assert '计划竣工日期早于计划开工日期' in page.inner_text('.form-error'), page.inner_text('form')
    page.fill("input[name=planned_end]", (clock.today() + timedelta(days=30)).isoformat())
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/repairs/[0-9]+$"))
    text = page.inner_text("main")
    assert "周德明烈士墓" in text and "华家河镇烈士纪念亭" in text and "由系统管理员批准立项" in text
    assert _english(text) == []
