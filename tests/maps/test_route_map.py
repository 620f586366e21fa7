"""The printable route map: numbered in visiting order, local assets only, user text inert."""

import json
import re

from gis.coords import wgs84_to_gcj02
from maps.route import RouteStop, render_html, route_map
from maps.tiles import TILES

URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
START = RouteStop(0, "红安县退役军人事务局", 114.618, 31.287, "08:00 出发")
STOPS = [
    RouteStop(3, "七里坪烈士墓", 114.80, 31.45, "10:05–10:35"),
    RouteStop(1, "檀树岗烈士墓", 114.70, 31.30, "08:20–08:40"),
    RouteStop(2, "高桥烈士墓", 114.75, 31.40, "09:10–09:40"),
]


def _points(page: str) -> list[dict]:
    """The JSON array the page builds its badges from."""
    found = re.search(r"\}\)\(map_\w+, (\[.*?\])\); \}, 0\);", page, re.S)
    assert found, "route data not found in the page"
    return json.loads(found.group(1))


def _line(page: str) -> list[list[float]]:
    found = re.search(r"L\.polyline\(\s*(\[\[.*?\]\])", page, re.S)
    assert found, "no polyline"
    return json.loads(found.group(1))


def test_badges_and_line_follow_the_numbers():
    page = render_html(route_map([*STOPS, START], tiles=TILES["none"], title="清明祭扫路线"))
    points = _points(page)
    assert [p["label"] for p in points] == ["起", "1", "2", "3"]
    assert [p["name"] for p in points] == ["红安县退役军人事务局", "檀树岗烈士墓", "高桥烈士墓", "七里坪烈士墓"]
    assert points[0]["start"] and not any(p["start"] for p in points[1:])
    assert _line(page) == [[31.287, 114.618], [31.3, 114.7], [31.4, 114.75], [31.45, 114.8]]
    panel = re.search(r"<div id='route-panel'>(.*?)</div>", page, re.S).group(1)
    assert re.findall(r"<td class='n'>(.*?)</td>", panel) == ["起", "1", "2", "3"]
    assert "<h1>清明祭扫路线</h1>" in panel and "09:10–09:40" in panel


def test_a_round_trip_closes_the_line():
    line = _line(render_html(route_map([START, *STOPS], tiles=TILES["none"], round_trip=True)))
    assert len(line) == 5 and line[-1] == line[0] == [31.287, 114.618]
    assert len(_line(render_html(route_map(STOPS, tiles=TILES["none"], round_trip=True)))) == 3


def test_every_asset_is_local_and_the_page_prints_on_one_sheet():
    page = render_html(route_map([START, *STOPS], tiles=TILES["osm"]))
    urls = URL.findall(page)
    assert urls and all(u.startswith("/static/vendor/") for u in urls), urls
    assert "@page { size: A4 landscape" in page and "@media print" in page


def test_names_typed_by_users_cannot_inject_markup():
    evil = "</script><img src=x onerror=alert(1)>`${alert(2)}`"
    page = render_html(route_map([START, RouteStop(1, evil, 114.7, 31.3, evil)], tiles=TILES["none"], title=evil))
    assert "<img src=x" not in page and "</script><img" not in page
    assert [p["name"] for p in _points(page)][1] == evil
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def test_gaode_tiles_get_shifted_points():
    page = render_html(route_map([START], tiles=TILES["gaode"]))
    glon, glat = wgs84_to_gcj02(START.longitude, START.latitude)
    assert _points(page)[0]["lat"] == round(glat, 6) and _points(page)[0]["lon"] == round(glon, 6)
