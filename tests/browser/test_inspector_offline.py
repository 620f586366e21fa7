"""The inspector's phone with no signal (issue 10): the page opens offline, a patrol with three camera
photos and a confirmed defect fix is filed there, and is sent once after the page was closed and reopened."""

import json
import re

import httpx2 as httpx
import pytest

from memorials import clock
from memorials.db import session_factory, transaction
from memorials.users import create_user
from tests.browser.conftest import open_page, sign_in
from tests.browser.test_inspector_page import PHONE, _shot, _site, _token
from tests.factories import PASSWORD, gps_jpeg, inspection_files, inspection_json

pytestmark = pytest.mark.browser

LATIN = re.compile(r"[A-Za-z]")


def _inspector(server, name, display_name):
    with transaction(session_factory(server.app.state.engine, write=True)) as s:
        create_user(session=s, username=name, display_name=display_name, password=PASSWORD, role="inspector",
                    jurisdiction="421122")
    return name


def _no_english(page):
    text = page.inner_text("body")
    assert not LATIN.search(text), LATIN.findall(text)[:20]


def test_a_patrol_filed_with_no_signal_after_a_reload_is_sent_once_after_reopening(live_server, browser, tmp_path):
    username = _inspector(live_server, "li_field", "李巡查")
    api = _token(live_server, username)
    site = _site(live_server, api, live_server.demo_facility_id("421122-0012"))
    here = {"longitude": site["longitude"], "latitude": site["latitude"]}
    # Last week's problem, still open: the offline patrol confirms it fixed.
    earlier = inspection_json(site["id"], position=here, checklist={"drainage": {"result": "problem",
                                                                                 "note": "墓前积水"}})
    made = httpx.post(f"{live_server.url}/api/v1/inspections", headers=api, data={"inspection": json.dumps(earlier)},
                      files=inspection_files([gps_jpeg(site["longitude"], site["latitude"])]))
    assert made.status_code == 201, made.text
    [defect] = made.json()["defects_opened"]

    record = open_page(browser, geolocation=here, **PHONE)
    sign_in(record, live_server, username)
    page = record.page
    _no_english(page)
    page.goto(f"{live_server.url}/inspect")
    page.wait_for_function("() => document.body.dataset.offlineReady === '1'", timeout=20000)
    page.locator("#nearby button.pick").first.wait_for()
    _no_english(page)

    page.context.set_offline(True)
    reloaded = page.reload()                            # the page itself comes from the phone
    assert reloaded is not None and reloaded.from_service_worker
    assert page.evaluate("fetch('/health').then(() => 'online', () => 'offline')") == "offline"
    first = page.locator("#nearby button.pick").first
    first.wait_for(timeout=15000)
    assert first.inner_text().startswith(site["name"]) and "本月已巡查" in first.inner_text()
    assert "待整改 1 项" in first.inner_text()
    _shot(page, "offline-1-nearby")
    first.click()
    page.locator("#step-check").wait_for()

    # Nothing is preselected: an untouched checklist is not filed.
    page.click("#step-check button[type=submit]")
    assert "未选择" in page.inner_text("#form-error")
    assert page.locator(".check.missing").count() == 13
    assert page.evaluate("document.querySelector('#outbox').dataset.waiting || '0'") == "0"

    for row in page.locator(".check").all():
        row.locator("input[value=ok]").check()
    page.locator(".check[data-item=care] input[value=problem]").check()      # “六个一”：管护责任 缺失
    assert "缺失" in page.inner_text(".check[data-item=care]")
    assert page.input_value('select[name="grade"]') == "fair"              # proposed from the problem
    assert page.locator('select[name="grade"] option[value="good"]').is_disabled()
    page.check(f'input[name="resolves"][value="{defect["id"]}"]')
    for i in range(4):                                   # one shot after another from the camera
        path = tmp_path / f"IMG_{clock.now():%Y%m%d}_11{i:02d}.jpg"
        path.write_bytes(gps_jpeg(site["longitude"] + i * 0.00005, site["latitude"]))
        page.set_input_files('input[name="photos"]', str(path))
        page.wait_for_function(f"() => document.querySelector('#photo-list').dataset.count === '{i + 1}'")
    page.locator("#photo-list li").nth(3).locator("button.remove").click()  # the fourth was a bad shot
    page.wait_for_function("() => document.querySelector('#photo-list').dataset.count === '3'")
    page.locator("#photo-list li").nth(2).locator("select").select_option("care")
    _shot(page, "offline-2-form")
    _no_english(page)
    page.click("#step-check button[type=submit]")
    page.locator("#step-done").wait_for()
    assert "保存在手机上" in page.inner_text("#step-done")
    page.wait_for_function("() => document.querySelector('#outbox').dataset.waiting === '1'")
    assert "等待网络" in page.inner_text("#outbox")
    _shot(page, "offline-3-saved")
    _no_english(page)
    listed = httpx.get(f"{live_server.url}/api/v1/inspections", headers=api).json()
    assert listed["total"] == 1

    page.close()                                          # the inspector puts the phone away …
    page.context.set_offline(False)                       # … and walks back into signal
    again = page.context.new_page()
    again.goto(f"{live_server.url}/inspect")
    again.wait_for_function("() => document.querySelector('#outbox').dataset.waiting === '0'"
                            " && document.querySelector('#outbox li.out-sent') !== null", timeout=30000)
    assert "已提交" in again.inner_text("#outbox") and "照片 3 张" in again.inner_text("#outbox")
    _shot(again, "offline-4-sent")
    _no_english(again)
    stored = httpx.get(f"{live_server.url}/api/v1/inspections", headers=api).json()
    assert stored["total"] == 2
    new = stored["items"][0]
    assert new["photo_count"] == 3 and new["verified_count"] == 3 and new["verified"] is True
    assert new["defects_resolved"] == [defect["id"]] and new["inspector"] == "李巡查"
    assert new["checklist"]["care"]["result"] == "problem" and len(new["checklist"]["care"]["photos"]) == 1
    assert all(v["result"] in ("ok", "problem") for v in new["checklist"].values()) and len(new["checklist"]) == 13
    # Sent once, whoever sent it (the service worker's Background Sync or the reopened page).
    again.reload()
    again.wait_for_function("() => document.querySelector('#outbox').dataset.waiting === '0'")
    assert httpx.get(f"{live_server.url}/api/v1/inspections", headers=api).json()["total"] == 2


def test_without_the_phones_position_a_reason_is_asked_and_a_draft_survives_a_reload(live_server, browser, tmp_path):
    username = _inspector(live_server, "zhao_field", "赵巡查")
    api = _token(live_server, username)
    site = _site(live_server, api, live_server.demo_facility_id("421122-0011"))
    record = open_page(browser, **{**PHONE, "permissions": []})          # location not allowed
    sign_in(record, live_server, username)
    page = record.page
    page.goto(f"{live_server.url}/inspect")
    page.wait_for_function("() => document.querySelector('#locating').textContent.includes('无法获取手机位置')",
                           timeout=30000)
    _no_english(page)
    page.fill("#search input[name=q]", site["name"][:4])
    page.click("#search button")
    page.locator("#nearby button.pick", has_text=site["name"]).first.click()
    from tests.browser.test_inspector_page import answer_all
    answer_all(page, problems=("inscription",))
    page.fill('input[name="n-inscription"]', "碑文风化，字迹难以辨认")
    path = tmp_path / "IMG_no_gps.jpg"
    path.write_bytes(gps_jpeg(None, None))              # the camera wrote no position either
    page.set_input_files('input[name="photos"]', str(path))
    page.wait_for_function("() => document.querySelector('#photo-list').dataset.count === '1'")
    assert page.locator("#unverified").is_visible()
    page.click("#step-check button[type=submit]")
    assert "原因" in page.inner_text("#form-error")
    _no_english(page)

    page.reload()                                       # the draft, photo included, is kept on the phone
    page.fill("#search input[name=q]", site["name"][:4])
    page.click("#search button")
    page.locator("#nearby button.pick", has_text=site["name"]).first.click()
    page.locator("#draft-note").wait_for()
    assert page.input_value('input[name="n-inscription"]') == "碑文风化，字迹难以辨认"
    assert page.get_attribute("#photo-list", "data-count") == "1"
    page.select_option('select[name="unverified_reason"]', "手机定位未开启")
    page.click("#step-check button[type=submit]")
    page.wait_for_function("() => document.querySelector('#done-title').textContent === '已提交'", timeout=20000)
    _no_english(page)
    [filed] = httpx.get(f"{live_server.url}/api/v1/inspections", headers=api).json()["items"]
    assert filed["verified"] is False and filed["unverified_reason"] == "手机定位未开启"
    assert filed["checklist"]["inscription"]["note"] == "碑文风化，字迹难以辨认" and filed["photo_count"] == 1
    assert "未核验" in page.inner_text("#outbox")
