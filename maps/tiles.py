"""Tile sources a bureau can choose (setting ``MEMORIALS_TILES``).

``osm`` (default) and ``tianditu`` are drawn in Web Mercator over WGS84 /
CGCS2000, so points need no shift; ``gaode`` tiles are drawn in GCJ-02 and
points are shifted for display; ``none`` is a blank map for intranets with
no tile server.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class TileSource:
    key: str
    label: str
    url: str | None
    attribution: str
    crs: str = "wgs84"
    subdomains: str = "abc"
    max_zoom: int = 18
    overlays: tuple[str, ...] = field(default_factory=tuple)


_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)

TILES: dict[str, TileSource] = {
    "osm": TileSource(
        key="osm",
        label="OpenStreetMap",
        url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        attribution='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        subdomains="abc",
        max_zoom=19,
    ),
    "tianditu": TileSource(
        key="tianditu",
        label="天地图",
        url=None,
        attribution="&copy; 天地图 国家地理信息公共服务平台",
        subdomains="01234567",
    ),
    "gaode": TileSource(
        key="gaode",
        label="高德地图",
        url="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        attribution="&copy; 高德地图 AutoNavi",
        crs="gcj02",
        subdomains="1234",
    ),
    "none": TileSource(key="none", label="无底图", url=None, attribution=""),
}


class TileKeyMissing(ValueError):
    """Tianditu needs a key (``MEMORIALS_TIANDITU_KEY``)."""


def tile_source(name: str, *, tianditu_key: str = "") -> TileSource:
    """The configured tile source; raises for an unknown name or a missing key."""
    if name not in TILES:
        raise ValueError(f"unknown tile source {name!r}; one of {', '.join(TILES)}")
    source = TILES[name]
    if name == "tianditu":
        if not tianditu_key:
            raise TileKeyMissing("MEMORIALS_TILES=tianditu needs MEMORIALS_TIANDITU_KEY (a Tianditu tk)")
        return replace(
            source,
            url=_TIANDITU.format(s="{s}", layer="vec", z="{z}", y="{y}", x="{x}", key=tianditu_key),
            overlays=(_TIANDITU.format(s="{s}", layer="cva", z="{z}", y="{y}", x="{x}", key=tianditu_key),),
        )
    return source
