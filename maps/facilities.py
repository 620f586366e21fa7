"""Facility maps: one colour per kind, clustered, a popup per facility.

Markers are built in the browser from one compact data array (folium's
``FastMarkerCluster``): a row per facility holds position, kind, level,
status, id and name, and the popup is assembled in the browser with
``textContent`` (the hover tooltip too: Leaflet would insert a string as
HTML), so names typed by users cannot inject markup. Every inline script
of the page can carry the request's CSP nonce (``render_html``). Who lies
there is embedded for small maps; for large ones (a province, the nation)
the popup fetches it when opened, which keeps 100,000 facilities to a few
megabytes.

Coordinates come in WGS84 and are shifted to GCJ-02 only for tiles drawn in
GCJ-02 (Gaode), so that graves sit on the right spot of those tiles.

>>> m = facility_map([FacilityMarker(1, "某烈士墓", "scattered_grave", "零散烈士墓", "未定级",
...                                  114.6, 31.3, ("张德胜",))],
...                  tiles=TILES["none"], facility_url="/facilities/{id}")
>>> page = render_html(m)
>>> "/static/vendor/leaflet/leaflet.js" in page and "cdn" not in page
True
"""

from __future__ import annotations

import html
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

import folium
from branca.element import Element
from folium.plugins import FastMarkerCluster

from gis.coords import from_wgs84
from maps import assets
from maps.tiles import TILES, TileSource

KIND_COLOURS: dict[str, str] = {
    "cemetery": "#b71c1c",
    "central_burial_area": "#ef5350",
    "scattered_grave": "#ef6c00",
    "monument": "#1565c0",
    "memorial_hall": "#6a1b9a",
    "columbarium": "#5d4037",
    "name_wall": "#00838f",
    "statue": "#2e7d32",
    "memorial_square": "#ad1457",
    "other": "#616161",
}
MAX_NAMES_IN_POPUP = 12
CHINA_CENTER = (35.0, 105.0)

# Row layout: [lat, lon, kind index, level index, status, id, name, buried text or null, patrol text, overdue 0/1]
_CALLBACK = """
function (row) {
    var marker = L.circleMarker(new L.LatLng(row[0], row[1]), {
        radius: 8, color: '#ffffff', weight: 1.5, fillColor: memorialsMap.colours[row[2]], fillOpacity: 0.92
    });
    marker.bindPopup(function () { return memorialsMap.popup(row); }, {maxWidth: 320});
    marker.bindTooltip(function () { return memorialsMap.text(row[6]); });
    marker.options.facilityId = row[5];
    return marker;
}
"""

_HELPERS = """
<script>
var memorialsMap = (function () {
    var cfg = %s;
    function line(text, cls) {
        var div = document.createElement('div');
        if (cls) div.className = cls;
        div.textContent = text;
        return div;
    }
    return {
        colours: cfg.colours,
        text: function (value) {
            var span = document.createElement('span');
            span.textContent = value;
            return span;
        },
        popup: function (row) {
            var box = document.createElement('div');
            box.className = 'facility-popup';
            var link = document.createElement('a');
            link.href = cfg.facilityUrl.replace('{id}', row[5]);
            var bold = document.createElement('b');
            bold.textContent = row[6];
            link.appendChild(bold);
            box.appendChild(link);
            box.appendChild(line(cfg.kinds[row[2]] + ' · ' + cfg.levels[row[3]] + (row[4] ? ' · ' + row[4] : '')));
            if (row[8]) box.appendChild(line(row[8], row[9] ? 'patrol overdue' : 'patrol'));
            if (row[7] !== null) {
                box.appendChild(line(row[7], 'buried'));
            } else if (cfg.popupUrl) {
                var buried = line('正在读取安葬烈士…', 'buried');
                box.appendChild(buried);
                fetch(cfg.popupUrl.replace('{id}', row[5]), {credentials: 'same-origin'})
                    .then(function (r) { return r.json(); })
                    .then(function (d) { buried.textContent = d.buried; })
                    .catch(function () { buried.textContent = '暂时无法读取安葬烈士'; });
            }
            return box;
        }
    };
})();
</script>
"""


@dataclass(frozen=True)
class FacilityMarker:
    """What a map needs to know of one facility (WGS84 position).

    ``martyrs`` is None when the names are not embedded (large maps): the
    popup then asks ``popup_url`` for them.
    """

    id: int
    name: str
    kind: str
    kind_label: str
    level_label: str
    longitude: float
    latitude: float
    martyrs: Sequence[str] | None = field(default_factory=tuple)
    status_label: str = ""
    patrol_text: str = ""
    """The last patrol's date and grade and whether one is overdue, as the popup shows it."""
    overdue: bool = False


def buried_text(names: Sequence[str]) -> str:
    """The popup's line about who lies there."""
    if not names:
        return "无在葬烈士记录"
    shown = "、".join(names[:MAX_NAMES_IN_POPUP])
    more = f" 等{len(names)}位" if len(names) > MAX_NAMES_IN_POPUP else f"（{len(names)}位）"
    return f"安葬烈士：{shown}{more}"


_WATCH = """
// Runs once the whole script has defined the map and its layers.
window.setTimeout(function () { (function (map, layer) {
    L.control.scale({metric: true, imperial: false}).addTo(map);
    if (map.attributionControl) map.attributionControl.setPrefix(false);
    var zin = map.getContainer().querySelector('.leaflet-control-zoom-in');
    var zout = map.getContainer().querySelector('.leaflet-control-zoom-out');
    if (zin) { zin.title = '放大'; zin.setAttribute('aria-label', '放大'); }
    if (zout) { zout.title = '缩小'; zout.setAttribute('aria-label', '缩小'); }
    map.on('popupopen', function (e) {
        var close = e.popup.getElement() && e.popup.getElement().querySelector('.leaflet-popup-close-button');
        if (close) { close.setAttribute('aria-label', '关闭'); close.title = '关闭'; }
    });
    var note = document.createElement('div');
    note.id = 'basemap-note';
    note.setAttribute('role', 'status');
    note.style.cssText = 'position:absolute;left:50%%;bottom:28px;transform:translateX(-50%%);z-index:1000;' +
        'background:#fff7ed;border:1px solid #fdba74;color:#7c2d12;padding:6px 10px;border-radius:4px;' +
        'font:13px/1.5 sans-serif;max-width:90%%;display:none';
    map.getContainer().appendChild(note);
    function say(text) {
        note.textContent = text;
        note.style.display = 'block';
    }
    if (!layer) { say(%s); return; }
    var loaded = 0, failed = false;
    function fail() {
        if (loaded || failed) return;
        failed = true;
        // Nothing of the base map is shown: its attribution would only mislead.
        if (map.attributionControl) map.removeControl(map.attributionControl);
        say(%s);
    }
    layer.on('tileload', function () { loaded += 1; note.style.display = 'none'; });
    layer.on('tileerror', fail);
    window.setTimeout(fail, 8000);
})(%s, %s); }, 0);
"""


def _watch_base_map(fmap: folium.Map, tiles: TileSource, layer: folium.TileLayer | None) -> None:
    """A metric scale only, Chinese control titles, and a Chinese note when the base map cannot be shown."""
    missing = "未配置底图：设施按坐标显示在空白背景上（可在系统设置中配置天地图等底图）。"
    name = "" if re.search(r"[A-Za-z]", tiles.label) else f"（{tiles.label}）"
    failed = (f"底图{name}无法加载：本机可能无法访问互联网或底图服务器。"
              "设施仍按坐标显示，位置准确，但背景为空白。")
    script = _WATCH % (script_json(missing), script_json(failed), fmap.get_name(),
                       layer.get_name() if layer is not None else "null")
    fmap.get_root().script.add_child(Element(script))


def _legend(kinds: dict[str, str]) -> str:
    rows = "".join(
        f"<div><span style='display:inline-block;width:12px;height:12px;border-radius:6px;"
        f"background:{KIND_COLOURS.get(kind, '#616161')};margin-right:6px;vertical-align:middle'></span>"
        f"{html.escape(label)}</div>"
        for kind, label in kinds.items()
    )
    return (
        "<div id='map-legend' style='position:absolute;top:12px;right:12px;z-index:1000;background:#fff;"
        "padding:8px 10px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);font:13px/1.6 sans-serif'>"
        f"<b>设施类型</b>{rows}</div>"
    )


def _index(values: list[str], value: str) -> int:
    if value not in values:
        values.append(value)
    return values.index(value)


def facility_map(
    markers: Sequence[FacilityMarker],
    *,
    tiles: TileSource,
    facility_url: str,
    popup_url: str | None = None,
    center: tuple[float, float] | None = None,
    zoom: int | None = None,
    legend: bool = True,
    height: str = "100%",
) -> folium.Map:
    """A clustered map of facilities; ``center`` is (lat, lon) in WGS84.

    ``facility_url`` and ``popup_url`` are templates with ``{id}``; the
    latter answers ``{"buried": text}`` for markers without embedded names.
    """
    fmap = folium.Map(location=list(center or CHINA_CENTER), zoom_start=zoom or 5, tiles=None, prefer_canvas=True,
                      control_scale=False, height=height)
    # Clustering needs the map's own maxZoom, which folium only sets through tiles.
    fmap.options["maxZoom"] = tiles.max_zoom
    base = None
    if tiles.url:
        base = folium.TileLayer(tiles=tiles.url, attr=tiles.attribution, name=tiles.label, subdomains=tiles.subdomains,
                                max_zoom=tiles.max_zoom).add_to(fmap)
        for overlay in tiles.overlays:
            folium.TileLayer(tiles=overlay, attr=tiles.attribution, name=f"{tiles.label}注记",
                             subdomains=tiles.subdomains, max_zoom=tiles.max_zoom, overlay=True).add_to(fmap)
    kinds: list[str] = []
    kind_labels: list[str] = []
    levels: list[str] = []
    rows = []
    for m in markers:
        lon, lat = from_wgs84(m.longitude, m.latitude, tiles.crs)
        k = _index(kinds, m.kind)
        if k == len(kind_labels):
            kind_labels.append(m.kind_label)
        rows.append([round(lat, 6), round(lon, 6), k, _index(levels, m.level_label), m.status_label, m.id, m.name,
                     buried_text(m.martyrs) if m.martyrs is not None else None, m.patrol_text, int(m.overdue)])
    config = {"colours": [KIND_COLOURS.get(k, "#616161") for k in kinds], "kinds": kind_labels, "levels": levels,
              "facilityUrl": facility_url, "popupUrl": popup_url}
    fmap.get_root().header.add_child(Element(_HELPERS % script_json(config)),
                                     name="memorials_map_helpers")
    fmap.get_root().header.add_child(Element("<style>.facility-popup .overdue{color:#b91c1c;font-weight:600}</style>"),
                                     name="memorials_map_style")
    _watch_base_map(fmap, tiles, base)
    FastMarkerCluster(rows, callback=_CALLBACK, name="纪念设施",
                      options={"chunkedLoading": True, "maxClusterRadius": 45, "spiderfyOnMaxZoom": True}).add_to(fmap)
    if legend and markers:
        order = list(KIND_COLOURS)
        present = sorted(zip(kinds, kind_labels, strict=True), key=lambda kl: order.index(kl[0]) if kl[0] in order else 99)
        fmap.get_root().html.add_child(folium.Element(_legend(dict(present))))
    if rows and center is None:
        lats = [r[0] for r in rows]
        lons = [r[1] for r in rows]
        if max(lats) - min(lats) < 1e-4 and max(lons) - min(lons) < 1e-4:
            fmap.location = [lats[0], lons[0]]
            fmap.options["zoom"] = zoom or 15
        else:
            fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(30, 30))
    return fmap


def point_map(longitude: float, latitude: float, *, tiles: TileSource, colour: str = "#b71c1c",
              zoom: int = 14, height: str = "260px") -> folium.Map:
    """A small map locating one point (facility pages)."""
    lon, lat = from_wgs84(longitude, latitude, tiles.crs)
    fmap = folium.Map(location=[lat, lon], zoom_start=zoom, tiles=None, control_scale=False, height=height)
    fmap.options["maxZoom"] = tiles.max_zoom
    base = None
    if tiles.url:
        base = folium.TileLayer(tiles=tiles.url, attr=tiles.attribution, name=tiles.label, subdomains=tiles.subdomains,
                                max_zoom=tiles.max_zoom).add_to(fmap)
    _watch_base_map(fmap, tiles, base)
    folium.CircleMarker([lat, lon], radius=9, color="#ffffff", weight=2, fill=True, fill_color=colour,
                        fill_opacity=0.95).add_to(fmap)
    return fmap


_SCRIPT_ELEMENT = re.compile(r"<script(?=[\s>])(.*?</script\s*>)", re.IGNORECASE | re.DOTALL)
"""One script element, start tag to end tag: the nonce goes on the start tag only, never into the code (jQuery's
own source holds the string "<script>", which a blind replacement turned into a syntax error)."""


def script_json(value: object) -> str:
    r"""JSON safe inside ``<script>``: no ``<``, ``>`` or ``&`` to end it early.

    >>> script_json({"name": "</script><img src=x onerror=alert(1)>"})
    '{"name": "\\u003c/script\\u003e\\u003cimg src=x onerror=alert(1)\\u003e"}'
    """
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace(
        "&", "\\u0026")


def render_html(fmap: folium.Map, *, inline_assets: bool = False, base_url: str = "/static/vendor",
                script_nonce: str | None = None) -> str:
    """The complete HTML page of a map, every asset local or inlined.

    With ``script_nonce`` every script tag carries it, for a page served
    under a Content-Security-Policy that allows only scripts with that
    nonce. A standalone page (``inline_assets``) gets such a policy of its
    own in a ``<meta>`` tag. User text reaches the page only as JSON with
    ``<`` escaped, so no tag but ours can start with ``<script``.
    """
    if inline_assets:
        assets.inline(fmap)
        script_nonce = script_nonce or secrets.token_urlsafe(18)
        policy = f"script-src 'nonce-{script_nonce}'; object-src 'none'; base-uri 'none'"
        fmap.get_root().header.add_child(
            Element(f'<meta http-equiv="Content-Security-Policy" content="{policy}">'), name="csp", index=0)
    else:
        assets.localize(fmap, base_url=base_url)
    page = fmap.get_root().render()
    if script_nonce:
        tag = f'<script nonce="{html.escape(script_nonce)}"'
        page = _SCRIPT_ELEMENT.sub(lambda m: tag + m.group(1), page)
    return page


__all__ = ["FacilityMarker", "KIND_COLOURS", "TILES", "buried_text", "facility_map", "point_map", "render_html"]
