"""The map and the pages in a real browser: drawn, in Chinese, and entirely local."""

from urllib.parse import urlparse

import pytest

from tests.browser.conftest import open_page, sign_in
from tests.factories import DEMO_FACILITIES

pytestmark = pytest.mark.browser

READY = "() => document.documentElement.dataset.mapReady === '1' && document.documentElement.dataset.mapPending === '0'"
DRAWN_TOTAL = """(key) => {
    const p = window.memorialsPlanner, group = p.layers[key];
    let n = 0;
    group.eachLayer(l => { n += l.feature ? 1 : (l.options.icon ? parseInt(l.getTooltip().getContent().textContent) : 0); });
    return n;
}"""


def _local_only(urls, server):
    hosts = {urlparse(u).hostname for u in urls if u.startswith("http")}
    return hosts == {"127.0.0.1"}, hosts


def _frame(page):
    return page.frame_locator("#mapframe")


def _ready(frame):
    frame.wait_for_function(READY, timeout=20000)


def test_map_draws_every_facility_from_local_files(live_server, browser):
    record = open_page(browser, viewport={"width": 1280, "height": 800})
    sign_in(record, live_server, live_server.add_user("viewer"))
    page = record.page
    page.goto(f"{live_server.url}/map")
    page.wait_for_selector("#mapframe")
    frame = page.frame(url=lambda u: "/map/frame" in u)
    _ready(frame)
    assert frame.evaluate(DRAWN_TOTAL, "kinds") == DEMO_FACILITIES
    legend = frame.locator("#map-legend").inner_text()
    assert "零散烈士墓" in legend and "烈士陵园" in legend
    ok, hosts = _local_only(record.requests, live_server)
    assert ok, hosts
    assert any(u.endswith("/static/vendor/leaflet/leaflet.js") for u in record.requests)
    assert any(u.endswith("/static/app/planmap.js") for u in record.requests)
    assert record.errors == []


def _open_popup(page, facility_id: int) -> None:
    page.evaluate("""(id) => {
        const p = window.memorialsPlanner;
        p.layers.kinds.eachLayer(l => { if (l.feature && l.feature.properties.id === id) l.openPopup(); });
    }""", facility_id)


def test_map_popup_names_the_martyrs_and_shows_the_last_patrol(live_server, browser):
    burial_area = live_server.demo_facility_id("421122-0002")
    record = open_page(browser, viewport={"width": 1280, "height": 800})
    sign_in(record, live_server, live_server.add_user("viewer"))
    page = record.page
    page.goto(f"{live_server.url}/map/frame?kind=central_burial_area")
    page.wait_for_function(READY, timeout=20000)
    _open_popup(page, burial_area)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=10000)
    page.wait_for_function("() => document.querySelector('.leaflet-popup-content .buried')"
                           ".textContent.startsWith('安葬烈士')", timeout=10000)
    text = popup.inner_text()
    assert "集中安葬区" in text and "县级" in text and "等22位" in text and "从未巡查" in text
    assert popup.locator("a").get_attribute("href") == f"/facilities/{burial_area}"
    assert any(f"/map/popup/{burial_area}" in u for u in record.requests)
    assert record.errors == []


def test_division_filter_limits_the_map(live_server, browser):
    record = open_page(browser, viewport={"width": 1280, "height": 800})
    sign_in(record, live_server, live_server.add_user("viewer"))
    page = record.page
    page.goto(f"{live_server.url}/map?division=421122101")
    page.wait_for_selector("#mapframe")
    frame = page.frame(url=lambda u: "/map/frame" in u)
    _ready(frame)
    count = frame.evaluate(DRAWN_TOTAL, "kinds")
    assert 0 < count < DEMO_FACILITIES
    assert all("division=421122101" in u for u in record.requests if "/map/data" in u)


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


def test_the_standalone_map_file_runs_in_a_browser(browser, tmp_path):
    """`memorials map` writes one HTML file with every script inlined; its own CSP nonce must not break them."""
    from maps.facilities import facility_map, render_html
    from maps.tiles import TILES
    from tests.maps.test_maps import _marker

    path = tmp_path / "map.html"
    path.write_text(render_html(facility_map([_marker()], tiles=TILES["none"], facility_url="/facilities/{id}"),
                                inline_assets=True), encoding="utf-8")
    record = open_page(browser)
    record.page.goto(path.as_uri())
    record.page.wait_for_selector(".leaflet-control-scale")  # drawn by the map's own inlined script
    assert record.page.evaluate("typeof window.jQuery") == "function"
    assert record.errors == []
