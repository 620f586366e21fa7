"""The map and the pages in a real browser: drawn, in Chinese, and entirely local."""

from urllib.parse import urlparse

import pytest

from tests.browser.conftest import open_page, sign_in
from tests.factories import DEMO_FACILITIES

pytestmark = pytest.mark.browser

COUNT_MARKERS = """() => {
    const frame = document.querySelector('#mapframe').contentWindow;
    const groups = Object.values(frame).filter(v => v instanceof frame.L.MarkerClusterGroup);
    return groups.length ? groups[0].getLayers().length : -1;
}"""


def _local_only(urls, server):
    hosts = {urlparse(u).hostname for u in urls if u.startswith("http")}
    return hosts == {"127.0.0.1"}, hosts


def test_map_draws_every_facility_from_local_files(live_server, browser):
    record = open_page(browser, viewport={"width": 1280, "height": 800})
    sign_in(record, live_server, live_server.add_user("viewer"))
    page = record.page
    page.goto(f"{live_server.url}/map")
    page.frame_locator("#mapframe").locator(".marker-cluster").first.wait_for(timeout=15000)
    assert page.evaluate(COUNT_MARKERS) == DEMO_FACILITIES
    clusters = page.frame_locator("#mapframe").locator(".marker-cluster").count()
    assert clusters >= 1
    legend = page.frame_locator("#mapframe").locator("#map-legend").inner_text()
    assert "零散烈士墓" in legend and "烈士陵园" in legend
    ok, hosts = _local_only(record.requests, live_server)
    assert ok, hosts
    assert any(u.endswith("/static/vendor/leaflet/leaflet.js") for u in record.requests)
    assert record.errors == []


OPEN_FIRST_POPUP = """() => {
    const groups = Object.values(window).filter(v => v instanceof L.MarkerClusterGroup);
    const layer = groups[0].getLayers()[0];
    if (layer._map) { layer.openPopup(); } else { groups[0].zoomToShowLayer(layer, () => layer.openPopup()); }
}"""


@pytest.mark.parametrize("embedded", [True, False], ids=["names-embedded", "names-fetched"])
def test_map_popup_names_the_martyrs_and_links_the_page(live_server, browser, monkeypatch, embedded):
    if not embedded:
        monkeypatch.setattr("api.mapdata.EMBED_NAMES_UP_TO", 0)
    record = open_page(browser, viewport={"width": 1280, "height": 800})
    sign_in(record, live_server, live_server.add_user("viewer"))
    page = record.page
    page.goto(f"{live_server.url}/map/frame?kind=central_burial_area")
    page.wait_for_function("() => window.L && Object.values(window).some("
                           "v => v instanceof L.MarkerClusterGroup && v.getLayers().length > 0)")
    page.evaluate(OPEN_FIRST_POPUP)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10000)
    page.wait_for_function("() => document.querySelector('.leaflet-popup-content .buried')"
                           ".textContent.startsWith('安葬烈士')", timeout=10000)
    text = popup.inner_text()
    assert "集中安葬区" in text and "县级" in text and "等22位" in text
    assert popup.locator("a").get_attribute("href") == "/facilities/2"
    fetched = any("/map/popup/2" in u for u in record.requests)
    assert fetched is not embedded
    assert record.errors == []


def test_division_filter_limits_the_map(live_server, browser):
    record = open_page(browser, viewport={"width": 1280, "height": 800})
    sign_in(record, live_server, live_server.add_user("viewer"))
    page = record.page
    page.goto(f"{live_server.url}/map?division=421122101")
    page.frame_locator("#mapframe").locator(".leaflet-container").wait_for(timeout=15000)
    page.wait_for_function("() => { const f = document.querySelector('#mapframe').contentWindow;"
                           " return f.L && Object.values(f).some(v => v instanceof f.L.MarkerClusterGroup); }")
    count = page.evaluate(COUNT_MARKERS)
    assert 0 < count < DEMO_FACILITIES


def test_pages_in_chinese_on_a_phone(live_server, browser):
    record = open_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(record, live_server, live_server.add_user("inspector"))
    page = record.page
    assert "烈士纪念设施概况" in page.inner_text("h1")
    page.goto(f"{live_server.url}/facilities?kind=scattered_grave")
    assert "共 32 处" in page.inner_text("h1")
    page.goto(f"{live_server.url}/facilities/{live_server.demo_facility_id('421122-0001')}")
    assert "安葬烈士" in page.inner_text("body")
    page.goto(f"{live_server.url}/martyrs?q=張德勝")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and "张德胜" in rows.first.inner_text()
    ok, hosts = _local_only(record.requests, live_server)
    assert ok, hosts
    assert record.errors == []


def test_api_docs_render_offline(live_server, browser):
    record = open_page(browser, viewport={"width": 1280, "height": 800})
    page = record.page
    page.goto(f"{live_server.url}/docs")
    page.locator(".swagger-ui .info .title").wait_for(timeout=15000)
    assert "Memorial registry" in page.inner_text(".swagger-ui .info .title")
    assert "/api/v1/inspections" in page.inner_text(".swagger-ui")
    ok, hosts = _local_only(record.requests, live_server)
    assert ok, hosts
