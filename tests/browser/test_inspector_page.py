"""The inspector's page on a phone: nearest first, checklist, photos, offline, no duplicates."""

import json
import os

import httpx2 as httpx
import pytest

from memorials import clock
from tests.browser.conftest import open_page, sign_in
from tests.factories import PASSWORD, full_checklist, gps_jpeg

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "permissions": ["geolocation"], "locale": "zh-CN"}
SHOTS = os.environ.get("MEMORIALS_SCREENSHOTS")  # a folder: keep screenshots to look at


def _site(server, headers, facility_id):
    return httpx.get(f"{server.url}/api/v1/facilities/{facility_id}", headers=headers).json()


def _token(server, username):
    resp = httpx.post(f"{server.url}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def answer_all(page, problems=()):
    """Answer every checklist item (nothing is preselected): ``ok``, or ``problem`` for the keys given."""
    for row in page.locator(".check").all():
        key = row.get_attribute("data-item")
        row.locator(f"input[value={'problem' if key in problems else 'ok'}]").check()


def _photos(tmp_path, lon, lat, n=2):
    paths = []
    for i in range(n):
        path = tmp_path / f"IMG_{clock.now():%Y%m%d}_10{i:02d}.jpg"
        path.write_bytes(gps_jpeg(lon + i * 0.0001, lat))
        paths.append(str(path))
    return paths


def test_patrol_filed_offline_is_sent_once_when_the_network_returns(live_server, browser, tmp_path):
    username = live_server.add_user("inspector")
    api = _token(live_server, username)
    site = _site(live_server, api, live_server.demo_facility_id("421122-0010"))
    record = open_page(browser, geolocation={"longitude": site["longitude"], "latitude": site["latitude"]},
                       **PHONE)
    sign_in(record, live_server, username)
    page = record.page
    page.goto(f"{live_server.url}/inspect")
    first = page.locator("#nearby button.pick").first
    first.wait_for(timeout=15000)
    assert first.inner_text().startswith(site["name"])          # nearest first
    assert "米" in first.inner_text()
    _shot(page, "inspect-1-nearby")
    first.click()
    page.locator("#step-check").wait_for()
    answer_all(page, problems=("vegetation",))
    page.fill('input[name="n-vegetation"]', "墓前杂草丛生，需清理")
    page.select_option('select[name="grade"]', "fair")
    page.set_input_files('input[name="album"]', _photos(tmp_path, site["longitude"], site["latitude"]))
    _shot(page, "inspect-2-form")

    page.context.set_offline(True)
    page.click("#step-check button[type=submit]")
    page.locator("#step-done").wait_for()
    assert "保存在手机上" in page.inner_text("#step-done")
    page.wait_for_function("() => document.querySelector('#outbox').dataset.waiting === '1'")
    assert httpx.get(f"{live_server.url}/api/v1/inspections", headers=api).json()["total"] == 0
    _shot(page, "inspect-3-offline")

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("() => document.querySelector('#done-title').textContent === '已提交'", timeout=20000)
    assert "位置已核验 2 张" in page.inner_text("#done-text")
    _shot(page, "inspect-4-sent")
    stored = httpx.get(f"{live_server.url}/api/v1/inspections", headers=api).json()
    assert stored["total"] == 1
    [inspection] = stored["items"]
    assert inspection["facility_id"] == site["id"] and inspection["photo_count"] == 2 and inspection["verified_count"] == 2
    assert inspection["checklist"]["vegetation"] == {"result": "problem", "note": "墓前杂草丛生，需清理"}
    assert inspection["position_distance_m"] < 5
    assert inspection["defects_opened"][0]["category"] == "vegetation"
    assert page.evaluate("document.querySelector('#outbox').dataset.waiting") == "0"
    assert record.errors == [] or all("ERR_INTERNET_DISCONNECTED" in e or "Failed to fetch" in e
                                      for e in record.errors)


def test_a_lost_answer_is_retried_without_a_duplicate(live_server, browser, tmp_path):
    username = live_server.add_user("inspector")
    api = _token(live_server, username)
    site = _site(live_server, api, live_server.demo_facility_id("421122-0011"))
    record = open_page(browser, geolocation={"longitude": site["longitude"], "latitude": site["latitude"]},
                       **PHONE)
    sign_in(record, live_server, username)
    page = record.page
    dropped = []

    def lose_the_first_answer(route):
        response = route.fetch()        # the server receives and stores it …
        if not dropped:
            dropped.append(response.status)
            route.abort("connectionreset")  # … but the phone never hears back
        else:
            route.fulfill(response=response)

    page.route("**/api/v1/inspections", lose_the_first_answer)
    page.goto(f"{live_server.url}/inspect")
    page.locator("#nearby button.pick").first.wait_for(timeout=15000)
    page.locator("#nearby button.pick").first.click()
    answer_all(page)
    page.set_input_files('input[name="photos"]', _photos(tmp_path, site["longitude"], site["latitude"], 1))
    with page.expect_event("requestfailed", lambda r: r.url.endswith("/api/v1/inspections"), timeout=15000):
        page.click("#step-check button[type=submit]")
    # The answer was lost: the patrol stays in the outbox.
    page.wait_for_function("() => document.querySelector('#outbox').dataset.waiting === '1'"
                           " && document.querySelector('#done-title').textContent === '已保存在手机上'", timeout=15000)
    assert dropped == [201]
    assert page.inner_text("#done-title") == "已保存在手机上"
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("() => document.querySelector('#done-title').textContent === '已提交'", timeout=20000)
    stored = httpx.get(f"{live_server.url}/api/v1/inspections", headers=api).json()
    assert stored["total"] == 1


def test_pages_show_the_patrols(live_server, browser, tmp_path):
    inspector = _token(live_server, live_server.add_user("inspector"))
    statue = live_server.demo_facility_id("421122-0010")
    body = {"facility_id": statue, "performed_at": clock.now().isoformat(), "grade": "fair",
            "checklist": full_checklist({"vegetation": {"result": "problem", "note": "杂草"}})}
    site = _site(live_server, inspector, statue)
    month = clock.now().strftime("%Y-%m")
    resp = httpx.post(f"{live_server.url}/api/v1/inspections", headers=inspector,
                      data={"inspection": json.dumps(body)},
                      files=[("photos", ("a.jpg", gps_jpeg(site["longitude"], site["latitude"]), "image/jpeg"))])
    assert resp.status_code == 201, resp.text
    record = open_page(browser, viewport={"width": 1280, "height": 900})
    sign_in(record, live_server, live_server.add_user("planner"))
    page = record.page
    page.goto(f"{live_server.url}/inspections?from={month}&to={month}")
    assert "巡查完成率" in page.inner_text("body") and site["name"] in page.inner_text("body")
    _shot(page, "inspections")
    page.click(f"a[href='/inspections/{resp.json()['id']}']")
    page.wait_for_function("() => { const img = document.querySelector('.photos img');"
                           " return img && img.complete && img.naturalWidth > 0; }")
    assert "位置已核验" in page.inner_text(".photos")
    _shot(page, "inspection")
    page.goto(f"{live_server.url}/defects")
    assert "植被侵害" in page.inner_text("table")
    with page.expect_download() as download:
        page.goto(f"{live_server.url}/inspections?from={month}&to={month}")
        page.click("text=巡查台账（Excel）")
    assert download.value.suggested_filename.endswith(".xlsx")
    assert record.errors == []
