"""The printable route map in Chromium: numbered badges in visiting order, under the app's CSP, on one sheet."""

import io
from urllib.parse import urlparse

import pytest
from pypdf import PdfReader

from api.security import content_security_policy
from maps.assets import asset_directories
from maps.route import RouteStop, render_html, route_map
from maps.tiles import TILES
from tests.browser.conftest import open_page

pytestmark = pytest.mark.browser

ORIGIN = "http://127.0.0.1:9"  # never contacted: the test answers every request itself
NONCE = "route-map-test-nonce"
STOPS = [
    RouteStop(2, "高桥烈士墓", 114.75, 31.40, "09:10–09:40"),
    RouteStop(0, "红安县退役军人事务局", 114.618, 31.287, "08:00 出发"),
    RouteStop(3, "七里坪烈士墓<b>&", 114.80, 31.45, "10:05–10:35"),
    RouteStop(1, "檀树岗烈士墓", 114.70, 31.30, "08:20–08:40"),
]


def _serve(page, html: str) -> None:  # type: ignore[no-untyped-def]
    directories = dict(asset_directories())
    policy = content_security_policy(NONCE, image_sources=[])

    def answer(route) -> None:  # type: ignore[no-untyped-def]
        path = urlparse(route.request.url).path
        if path == "/route":
            route.fulfill(status=200, body=html, content_type="text/html; charset=utf-8",
                          headers={"Content-Security-Policy": policy})
        elif path.startswith("/static/vendor/"):
            mount, _, name = path.removeprefix("/static/vendor/").partition("/")
            route.fulfill(path=str(directories[mount] / name))
        else:
            route.abort()

    page.route("**/*", answer)


def test_route_map_numbers_the_stops_in_order_and_prints_on_one_sheet(browser):
    html = render_html(route_map(STOPS, tiles=TILES["none"], round_trip=True, title="清明祭扫路线"), script_nonce=NONCE)
    record = open_page(browser, viewport={"width": 1280, "height": 900})
    page = record.page
    _serve(page, html)
    page.goto(f"{ORIGIN}/route")
    page.locator(".route-number").nth(3).wait_for(timeout=15000)
    assert page.locator(".route-number").all_inner_texts() == ["起", "1", "2", "3"]
    labels = page.locator(".route-label").all_inner_texts()
    assert labels == ["红安县退役军人事务局　08:00 出发", "檀树岗烈士墓　08:20–08:40", "高桥烈士墓　09:10–09:40",
                      "七里坪烈士墓<b>&　10:05–10:35"]
    # Every badge lies inside the map, none under the timetable beside it.
    box = page.locator(".folium-map").bounding_box()
    for badge in page.locator(".route-number").all():
        b = badge.bounding_box()
        assert box["x"] <= b["x"] and b["x"] + b["width"] <= box["x"] + box["width"]
        assert box["y"] <= b["y"] and b["y"] + b["height"] <= box["y"] + box["height"]
    assert page.locator(".leaflet-control-zoom").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".leaflet-control-zoom").is_visible()
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert record.errors == []
    assert {urlparse(u).netloc for u in record.requests} == {"127.0.0.1:9"}
