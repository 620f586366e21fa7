"""A case officer's day: a relocation case walked through the pages, in Chinese, from proposal to closure."""

from __future__ import annotations

import re

import httpx2 as httpx
import pytest

from tests.browser.conftest import open_page, sign_in
from tests.cases.helpers import CENTRAL, LUOFAN, consent_pdf, photo_at, today
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
ENGLISH = re.compile(r"\b[A-Za-z]{4,}\b")


def _api(server, name: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    token = httpx.post(server.url + "/api/v1/auth/token", data={"username": name, "password": PASSWORD},
                       timeout=60).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _facility(server, headers, code: str) -> dict:  # type: ignore[no-untyped-def]
    return httpx.get(f"{server.url}/api/v1/facilities/{server.demo_facility_id(code)}", headers=headers,
                     timeout=60).json()


def _submit(page, form: str) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").click()


def test_a_relocation_case_walked_through_the_pages(live_server, browser, tmp_path):
    admin = live_server.add_user("admin")
    headers = _api(live_server, admin)
    origin, dest = _facility(live_server, headers, LUOFAN), _facility(live_server, headers, CENTRAL)
    burials = httpx.get(f"{live_server.url}/api/v1/facilities/{origin['id']}/burials", headers=headers,
                        timeout=60).json()
    burials = burials["items"] if isinstance(burials, dict) else burials
    martyr = next(b["martyr_id"] for b in burials if b["until"] is None)
    case = httpx.post(f"{live_server.url}/api/v1/cases/relocations", headers=headers, timeout=60, json={
        "kind": "consolidation", "martyr_ids": [martyr], "destination_facility_id": dest["id"],
        "plots": {str(martyr): "东区迁葬50号"}, "title": "罗畈村烈士墓迁入集中安葬区"}).json()
    files = {name: tmp_path / name for name in ("意愿书.pdf", "起迁现场.jpg", "安葬现场.jpg")}
    files["意愿书.pdf"].write_bytes(consent_pdf()[1])
    files["起迁现场.jpg"].write_bytes(photo_at(origin["longitude"], origin["latitude"])[1])
    files["安葬现场.jpg"].write_bytes(photo_at(dest["longitude"], dest["latitude"])[1])

    record = open_page(browser, viewport={"width": 1280, "height": 1000})
    sign_in(record, live_server, admin)
    page = record.page
    page.goto(f"{live_server.url}/cases/relocations")
    page.get_by_text(case["number"]).click()
    page.wait_for_url(f"**/cases/relocations/{case['id']}")
    _submit(page, "form[data-step=consulting_family]")
    assert "尚未记录烈士" in page.locator("form[data-step=approved]").locator("xpath=..").inner_text()

    page.select_option("#consent-form select[name=decision]", "agree")
    page.fill("#consent-form input[name=decided_by]", "周秀兰")
    page.fill("#consent-form input[name=relation]", "侄孙女")
    page.fill("#consent-form input[name=date]", today())
    page.set_input_files("#consent-form input[name=files]", str(files["意愿书.pdf"]))
    _submit(page, "#consent-form")
    assert "同意" in page.locator("#case-martyrs .decision").inner_text()

    page.fill("form[data-step=approved] input[name=authority]", "红安县人民政府")
    page.fill("form[data-step=approved] input[name=document_no]", "红政函〔2026〕8号")
    page.fill("form[data-step=approved] input[name=date]", today())
    _submit(page, "form[data-step=approved]")
    assert "已批准" in page.locator("h1").inner_text()

    page.fill("form[data-step=exhumed] input[name=date]", today())
    page.fill("form[data-step=exhumed] input[name=present]", "县退役军人事务局、亲属代表")
    _submit(page, "form[data-step=exhumed]")
    assert "起迁照片" in page.locator("#case-error").inner_text()      # refused: no photo proved at the grave
    page.select_option("#evidence-form select[name=purpose]", "exhumation")
    page.set_input_files("#evidence-form input[name=files]", str(files["起迁现场.jpg"]))
    _submit(page, "#evidence-form")
    page.fill("form[data-step=exhumed] input[name=date]", today())
    page.fill("form[data-step=exhumed] input[name=present]", "县退役军人事务局、亲属代表")
    _submit(page, "form[data-step=exhumed]")
    assert "已起迁" in page.locator("h1").inner_text()

    page.select_option("#evidence-form select[name=purpose]", "reburial")
    page.set_input_files("#evidence-form input[name=files]", str(files["安葬现场.jpg"]))
    _submit(page, "#evidence-form")
    page.fill("form[data-step=reburied] input[name=date]", today())
    page.fill("form[data-step=reburied] input[name=present]", "县退役军人事务局、亲属代表")
    _submit(page, "form[data-step=reburied]")
    _submit(page, "form[data-step=closed]")
    assert "已办结" in page.locator("h1").inner_text()
    page.screenshot(path=str(tmp_path / "case.png"), full_page=True)  # looked at while building the page
    body = page.locator("main").inner_text() if page.locator("main").count() else page.locator("body").inner_text()
    assert not ENGLISH.findall(body), ENGLISH.findall(body)
    assert "位置已核验" in body and "办结" in body

    after = httpx.get(f"{live_server.url}/api/v1/martyrs/{martyr}/burials", headers=headers, timeout=60).json()
    after = after["items"] if isinstance(after, dict) else after
    assert [(b["facility_id"], b["plot"]) for b in after if b["until"] is None] == [(dest["id"], "东区迁葬50号")]
    page.goto(f"{live_server.url}/martyrs/{martyr}")
    with page.expect_navigation():
        page.get_by_text("相关迁葬案件").click()
    assert case["number"] in page.locator("table").inner_text()
    assert not record.errors, record.errors
    for path in ("/cases/family-searches", "/cases/summary"):
        page.goto(live_server.url + path)
        text = page.locator("body").inner_text()
        assert not ENGLISH.findall(text), (path, ENGLISH.findall(text))
