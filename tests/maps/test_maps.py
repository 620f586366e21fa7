"""Maps are drawn with local assets only, escape what users typed, and shift for GCJ-02 tiles."""

import json
import re

import folium
import pytest

from gis.coords import wgs84_to_gcj02
from maps.assets import LOCAL_ASSETS, UnknownAsset, asset_directories, localize
from maps.facilities import FacilityMarker, buried_text, facility_map, render_html
from maps.tiles import TILES, TileKeyMissing, tile_source

URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def _marker(**kw):
    base = dict(id=7, name="檀树岗烈士墓", kind="scattered_grave", kind_label="零散烈士墓", level_label="未定级",
                longitude=114.70, latitude=31.45, martyrs=("张德胜", "李四"))
    base.update(kw)
    return FacilityMarker(**base)


@pytest.mark.parametrize("tiles", ["none", "osm", "gaode"])
def test_every_asset_is_local(tiles):
    page = render_html(facility_map([_marker()], tiles=TILES[tiles], facility_url="/facilities/{id}"))
    urls = URL.findall(page)
    assert urls and all(u.startswith("/static/vendor/") for u in urls), urls
    for name in ("leaflet.js", "leaflet.css", "leaflet.markercluster.js", "MarkerCluster.css"):
        assert any(u.endswith(name) for u in urls)
    external = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    allowed = {TILES[tiles].url} if TILES[tiles].url else set()
    allowed |= {"https://www.openstreetmap.org/copyright"}
    assert {u for u in external if not any(u.startswith(a.split("{")[0]) for a in allowed)} == set(), external


def test_class_lists_are_not_mutated():
    before = list(folium.Map.default_js)
    render_html(facility_map([_marker()], tiles=TILES["none"], facility_url="/facilities/{id}"))
    assert folium.Map.default_js == before
    assert any("cdn" in url for _, url in folium.Map.default_js)


def test_unknown_asset_is_refused():
    fmap = folium.Map(tiles=None)
    fmap.default_js = [("some_plugin", "https://cdn.example.com/plugin.js")]
    with pytest.raises(UnknownAsset, match="some_plugin"):
        localize(fmap)


def test_assets_exist_on_disk():
    for asset in LOCAL_ASSETS.values():
        assert asset.path().is_file(), asset
    assert {name for name, _ in asset_directories()} == {"leaflet", "jquery", "leaflet_markercluster"}


def test_inline_page_needs_no_server():
    page = render_html(facility_map([_marker()], tiles=TILES["none"], facility_url="/facilities/{id}"), inline_assets=True)
    assert re.findall(r"<script[^>]+src=|<link[^>]+href=", page) == []
    assert "L.MarkerClusterGroup" in page and len(page) > 150_000


def test_names_typed_by_users_cannot_inject_markup():
    evil = "<script>alert(1)</script>"
    fmap = facility_map([_marker(name=evil, kind_label=evil, martyrs=(evil,))], tiles=TILES["none"],
                        facility_url="/facilities/{id}")
    page = render_html(fmap)
    assert evil not in page and "alert(1)</script>" not in page


def test_buried_text_lists_and_counts():
    assert buried_text(()) == "无在葬烈士记录"
    assert buried_text(("张德胜", "李四")) == "安葬烈士：张德胜、李四（2位）"
    assert buried_text(tuple(f"烈士{i}" for i in range(20))).endswith(" 等20位")


def test_large_maps_fetch_names_when_a_popup_opens():
    small = render_html(facility_map([_marker()], tiles=TILES["none"], facility_url="/f/{id}", popup_url="/p/{id}"))
    large = render_html(facility_map([_marker(martyrs=None)], tiles=TILES["none"], facility_url="/f/{id}",
                                     popup_url="/p/{id}"))
    # A row ends with: buried text (null: fetched when the popup opens), the patrol line, overdue.
    assert ', null, "", 0]' not in small
    assert ', null, "", 0]' in large and '"popupUrl": "/p/{id}"' in large


def test_gaode_tiles_get_shifted_points():
    page = render_html(facility_map([_marker()], tiles=TILES["gaode"], facility_url="/facilities/{id}"))
    glon, glat = wgs84_to_gcj02(114.70, 31.45)
    assert f"{round(glat, 6)}, {round(glon, 6)}" in page
    wgs_page = render_html(facility_map([_marker()], tiles=TILES["osm"], facility_url="/facilities/{id}"))
    assert "31.45, 114.7" in wgs_page


def test_tianditu_needs_a_key():
    with pytest.raises(TileKeyMissing):
        tile_source("tianditu")
    source = tile_source("tianditu", tianditu_key="abc123")
    assert "tk=abc123" in source.url and source.overlays
    with pytest.raises(ValueError):
        tile_source("google")


def test_popup_row_carries_the_patrol_line_and_the_map_a_metric_scale():
    page = render_html(facility_map([_marker(patrol_text="最近巡查：2026-01-05，状况良好；已逾期 3 天未巡查", overdue=True)],
                                    tiles=TILES["osm"], facility_url="/f/{id}"))
    assert json.dumps("最近巡查：2026-01-05，状况良好；已逾期 3 天未巡查") + ", 1]" in page
    assert "imperial: false" in page and "control.scale()" not in page
    assert "底图（开放街图）无法加载" in page and "OpenStreetMap）无法加载" not in page
