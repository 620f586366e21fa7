"""Tile sources a bureau can choose (setting ``MEMORIALS_TILES``).

``osm`` (default) and ``tianditu`` are drawn in Web Mercator over WGS84 /
CGCS2000, so points need no shift; ``gaode`` tiles are drawn in GCJ-02 and
points are shifted for display; ``custom`` is an intranet tile server
(``MEMORIALS_TILES_URL``, a ``{z}/{x}/{y}`` template, with
``MEMORIALS_TILES_ATTRIBUTION`` and ``MEMORIALS_TILES_CRS``); ``none`` is a
blank map for intranets with no tile server. Tianditu comes as two base
maps, vector and imagery, each with its label layer. The planner's map
offers the configured one first, then those named in ``MEMORIALS_BASE_MAPS``,
then none.
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
        label="开放街图",
        url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        attribution='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> 贡献者',
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
    """Tianditu needs a key (``MEMORIALS_TIANDITU_KEY``); a custom server needs its URL."""


def _tianditu(layer: str, key: str) -> str:
    return _TIANDITU.format(s="{s}", layer=layer, z="{z}", y="{y}", x="{x}", key=key)


def tile_source(name: str, *, tianditu_key: str = "", custom_url: str = "", custom_attribution: str = "",
                custom_crs: str = "wgs84") -> TileSource:
    """The configured tile source; raises for an unknown name or a missing key or URL."""
    if name == "custom":
        if not custom_url or not all(part in custom_url for part in ("{z}", "{x}", "{y}")):
            raise TileKeyMissing("MEMORIALS_TILES=custom needs MEMORIALS_TILES_URL, a template with {z}, {x} and {y}")
        if custom_crs not in ("wgs84", "gcj02"):
            raise ValueError("MEMORIALS_TILES_CRS must be wgs84 or gcj02")
        return TileSource(key="custom", label="本单位底图", url=custom_url,
                          attribution=custom_attribution or "本单位地图服务", crs=custom_crs)
    if name not in TILES:
        raise ValueError(f"unknown tile source {name!r}; one of {', '.join([*TILES, 'custom'])}")
    source = TILES[name]
    if name == "tianditu":
        if not tianditu_key:
            raise TileKeyMissing("MEMORIALS_TILES=tianditu needs MEMORIALS_TIANDITU_KEY (a Tianditu tk)")
        return replace(source, label="天地图矢量", url=_tianditu("vec", tianditu_key),
                       overlays=(_tianditu("cva", tianditu_key),))
    return source


def base_maps(name: str, *, others: tuple[str, ...] = (), **options: str) -> list[TileSource]:
    """The base maps a planner may switch between: the configured one first, then ``others``, then none.

    Tianditu brings its imagery (with labels) beside its vector map.
    """
    out: list[TileSource] = []
    for key in (name, *others):
        source = tile_source(key, **options)
        if any(s.key == source.key for s in out):
            continue
        out.append(source)
        if key == "tianditu":
            tk = options.get("tianditu_key", "")
            out.append(replace(source, key="tianditu_img", label="天地图影像", url=_tianditu("img", tk),
                               overlays=(_tianditu("cia", tk),)))
    if not any(s.key == "none" for s in out):
        out.append(TILES["none"])
    return out
