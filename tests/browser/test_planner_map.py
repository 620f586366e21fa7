"""The planner's layers in a real browser: they exist and toggle, fetch only the viewport, shift for Gaode."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from api.main import create_app
from gis.coords import wgs84_to_gcj02
from tests.browser.conftest import open_page, sign_in
from tests.conftest import make_settings, serving
from tests.factories import DEMO_FACILITIES, PASSWORD, gps_jpeg, inspection_files, inspection_json

pytestmark = pytest.mark.browser

READY = "() => document.documentElement.dataset.mapReady === '1' && document.documentElement.dataset.mapPending === '0'"
LAYERS = ["纪念设施（按类型）", "纪念设施（按最近巡查等级）", "逾期未巡查", "未整改隐患", "保护范围", "行政区划边界",
          "巡查完成率（分区着色）", "零散烈士墓热力图"]
HAS = "(key) => window.memorialsPlanner.map.hasLayer(window.memorialsPlanner.layers[key])"
FEATURES = """(key) => { const out = []; window.memorialsPlanner.layers[key].eachLayer(function walk(l) {
    if (l.eachLayer) { l.eachLayer(walk); } else if (l.feature) { out.push(l.feature.properties); } }); return out; }"""


def _open(browser, server, path="/map/frame", role="planner"):  # type: ignore[no-untyped-def]
    record = open_page(browser, viewport={"width": 1280, "height": 800})
    sign_in(record, server, server.add_user(role))
    record.page.goto(f"{server.url}{path}")
    record.page.wait_for_function(READY, timeout=20000)
    return record


def _toggle(page, label: str) -> None:
    page.locator("#layer-control label", has_text=label).locator("input").click()


def test_every_layer_is_listed_and_toggles(live_server, browser):
    record = _open(browser, live_server)
    page = record.page
    listed = page.locator("#layer-control .leaflet-control-layers-overlays label").all_inner_texts()
    assert [t.strip() for t in listed] == LAYERS
    assert page.evaluate(HAS, "kinds") and page.evaluate(HAS, "boundaries") and not page.evaluate(HAS, "overdue")
    _toggle(page, "逾期未巡查")
    page.wait_for_function("() => window.memorialsPlanner.requests.some(u => u.includes('layer=overdue'))")
    page.wait_for_function(READY)
    assert page.evaluate(HAS, "overdue")
    _toggle(page, "逾期未巡查")
    assert not page.evaluate(HAS, "overdue")
    for label, key, request in [("零散烈士墓热力图", "heat", "layer=heat"),
                                ("纪念设施（按最近巡查等级）", "grades", "layer=facilities"),
                                ("未整改隐患", "defects", "layer=defects")]:
        _toggle(page, label)
        page.wait_for_function(READY)
        assert page.evaluate(HAS, key) and any(request in u for u in record.requests)
    assert page.locator("canvas.planner-heat").count() == 1
    assert "最近巡查等级" in page.locator("#map-legend").inner_text()
    assert record.errors == []


def test_moving_the_map_fetches_only_what_is_in_view(live_server, browser):
    record = _open(browser, live_server)
    page = record.page
    page.evaluate("() => window.memorialsPlanner.map.setView([31.29, 114.62], 15, {animate: false})")
    page.wait_for_function("() => window.memorialsPlanner.requests.some(u => u.includes('zoom=15'))")
    page.wait_for_function(READY)
    url = [u for u in page.evaluate("() => window.memorialsPlanner.requests") if "/map/data" in u][-1]
    bbox = [float(v) for v in parse_qs(urlparse(url).query)["bbox"][0].split(",")]
    bounds = page.evaluate("() => window.memorialsPlanner.map.getBounds().toBBoxString()").split(",")
    west, south, east, north = (float(v) for v in bounds)
    assert bbox[0] <= west and bbox[1] <= south and bbox[2] >= east and bbox[3] >= north  # covers the view
    assert bbox[2] - bbox[0] < 0.1  # and not much more
    answer = page.evaluate("(u) => fetch(u).then(r => r.json())", url)
    points = [f["geometry"]["coordinates"] for f in answer["features"]]
    assert 0 < len(points) < DEMO_FACILITIES
    assert all(bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3] for lon, lat in points)
    assert len(page.evaluate(FEATURES, "kinds")) == len(points)
    _toggle(page, "保护范围")
    page.wait_for_function(READY)
    assert page.evaluate(FEATURES, "zones")  # the cemetery's zone is in view at this zoom


def test_compliance_choropleth_shows_the_demo_countys_townships(live_server, browser):
    record = _open(browser, live_server)
    page = record.page
    _toggle(page, "巡查完成率（分区着色）")
    page.wait_for_function("() => window.memorialsPlanner.requests.some(u => u.includes('/map/compliance'))")
    page.wait_for_function(READY)
    towns = page.evaluate(FEATURES, "compliance")
    names = {t["name"] for t in towns}
    assert len(towns) == 13 and {"城关镇", "七里坪镇", "华家河镇"} <= names
    assert all(t["code"].startswith("421122") and len(t["code"]) == 9 for t in towns)
    assert "巡查完成率" in page.locator("#map-legend").inner_text()
    fills = page.evaluate("""() => { const out = []; window.memorialsPlanner.layers.compliance.eachLayer(function walk(l) {
        if (l.eachLayer) { l.eachLayer(walk); } else { out.push([l.feature.properties.rate, l.options.fillColor,
                                                                 !!l._map]); } }); return out; }""")
    # No patrols in the demo district: every township with patrols due is at 0% (red), drawn on the map.
    assert all(on and colour == ("#d73027" if rate == 0 else "#bdbdbd") for rate, colour, on in fills)
    assert record.errors == []


def test_a_point_on_gaode_tiles_is_shifted_and_the_boundaries_stay_when_tiles_fail(demo_db_url, tmp_path, browser):
    settings = make_settings(demo_db_url, tmp_path).model_copy(update={"tiles": "gaode", "base_maps": ["none"]})
    with serving(create_app(settings)) as server:
        seat = server.demo_facility_id("421122-0001")
        record = _open(browser, server)
        page = record.page
        assert page.evaluate("() => document.documentElement.dataset.mapCrs") == "gcj02"
        page.evaluate("() => window.memorialsPlanner.map.setView([31.30, 114.63], 16, {animate: false})")
        page.wait_for_function("() => window.memorialsPlanner.requests.some(u => u.includes('zoom=16'))")
        page.wait_for_function(READY)
        drawn = page.evaluate("""(id) => { let at = null; window.memorialsPlanner.layers.kinds.eachLayer(l => {
            if (l.feature && l.feature.properties.id === id) at = [l.getLatLng().lng, l.getLatLng().lat,
                                                                    l.feature.geometry.coordinates]; }); return at; }""",
                              seat)
        lon, lat, (wlon, wlat) = drawn
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        assert abs(lon - glon) < 1e-9 and abs(lat - glat) < 1e-9  # the same formula as gis.coords
        assert abs(lon - wlon) > 0.003  # hundreds of metres: Gaode's tiles are drawn in GCJ-02
        # Without internet Gaode's tiles fail: the page says so in Chinese, the boundaries stay.
        note = page.locator("#basemap-note")
        page.wait_for_function("() => document.documentElement.dataset.baseMap === 'failed'", timeout=15000)
        assert "底图（高德地图）无法加载" in note.inner_text()
        assert page.evaluate(HAS, "boundaries") and page.evaluate(FEATURES, "boundaries")
        # Switching to no base map draws the same point where WGS84 puts it.
        page.locator("#layer-control label", has_text="无底图").locator("input").click()
        page.wait_for_function("() => document.documentElement.dataset.mapCrs === 'wgs84'")
        page.wait_for_function(READY)
        plain = page.evaluate("""(id) => { let at = null; window.memorialsPlanner.layers.kinds.eachLayer(l => {
            if (l.feature && l.feature.properties.id === id) at = [l.getLatLng().lng, l.getLatLng().lat]; });
            return at; }""", seat)
        assert plain == pytest.approx([wlon, wlat], abs=1e-9)
        assert "未显示底图" in note.inner_text()


def test_popup_shows_the_last_patrols_thumbnail(live_server, browser):
    grave = live_server.demo_facility_id("421122-0020")
    inspector = live_server.add_user("inspector")
    record = _open(browser, live_server, role="viewer")
    api = record.page.context.request
    token = api.post(f"{live_server.url}/api/v1/auth/token",
                     form={"username": inspector, "password": PASSWORD}).json()["access_token"]
    (_, (name, photo, mime)), = inspection_files([gps_jpeg(114.62, 31.29)])
    filed = api.post(f"{live_server.url}/api/v1/inspections", headers={"Authorization": f"Bearer {token}"},
                     multipart={"inspection": json.dumps(inspection_json(grave)),
                                "photos": {"name": name, "mimeType": mime, "buffer": photo}})
    assert filed.status == 201, filed.text()
    page = record.page
    page.evaluate("() => window.memorialsPlanner.map.setView([31.29, 114.62], 16, {animate: false})")
    page.wait_for_function("() => window.memorialsPlanner.requests.some(u => u.includes('zoom=16'))")
    page.wait_for_function(READY)
    coords = page.evaluate("""(id) => fetch('/api/v1/facilities/' + id).then(r => r.json())""", grave)
    page.evaluate("([lat, lon]) => window.memorialsPlanner.map.setView([lat, lon], 17, {animate: false})",
                  [coords["latitude"], coords["longitude"]])
    page.wait_for_function(READY)
    page.evaluate("""(id) => window.memorialsPlanner.layers.kinds.eachLayer(l => {
        if (l.feature && l.feature.properties.id === id) l.openPopup(); })""", grave)
    thumb = page.locator(".leaflet-popup-content img.patrol-thumb")
    thumb.wait_for(timeout=10000)
    page.wait_for_function("() => { const i = document.querySelector('img.patrol-thumb'); "
                           "return i && i.complete && i.naturalWidth > 0; }")
    assert "/api/v1/photos/" in thumb.get_attribute("src") and thumb.get_attribute("src").endswith("/thumb")
    assert "最近巡查" in page.locator(".leaflet-popup-content").inner_text()
    assert record.errors == []
