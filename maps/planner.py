"""The planner's map: a light Folium shell whose layers fetch what is in view.

The page holds no facility. It holds the map, its base maps and a
configuration; ``planmap.js`` (served by the app) adds the layers, which
ask the server for the current viewport and zoom as GeoJSON, grouped on a
grid far out and one by one close in: 100,000 facilities cost the page
what one county costs. Layers, switchable in a Chinese layer control:

- 纪念设施（按类型）and 纪念设施（按最近巡查等级）: the same facilities,
  coloured by kind or by the grade of their latest inspection;
- 逾期未巡查, 未整改隐患: the facilities overdue for a patrol, or with open defects;
- 保护范围: protection zones, close in;
- 行政区划边界: province to township outlines (shown even with no base map);
- 巡查完成率: a choropleth of patrol compliance by the divisions below the
  jurisdiction (townships of a county);
- 零散烈士墓热力图: a heat map of scattered graves.

Base maps in GCJ-02 (Gaode, or a custom server declared so) get every
point and shape shifted in the browser, with the same formula as
:func:`gis.coords.wgs84_to_gcj02`.

>>> from maps.tiles import TILES
>>> m = planner_map(base_maps=[TILES["osm"], TILES["none"]], config={"data": "/map/data"},
...                 script_url="/static/app/planmap.js")
>>> page = render_html(m)
>>> "planmap.js" in page and "markercluster" not in page
True
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
from branca.element import Element

from maps.facilities import CHINA_CENTER, KIND_COLOURS, render_html, script_json
from maps.tiles import TileSource

GRADE_COLOURS: dict[str, str] = {
    "good": "#2e7d32",
    "fair": "#f9a825",
    "poor": "#ef6c00",
    "critical": "#b71c1c",
    "none": "#9e9e9e",
}

_STYLE = """<style>
.planner-cell{display:flex;align-items:center;justify-content:center;border-radius:50%;color:#fff;
  font:600 12px/1 sans-serif;border:2px solid rgba(255,255,255,.85);box-shadow:0 0 0 1px rgba(0,0,0,.25)}
.planner-legend{background:#fff;padding:6px 9px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);
  font:12px/1.6 sans-serif;max-width:220px}
.planner-legend i{display:inline-block;width:11px;height:11px;border-radius:6px;margin-right:5px;vertical-align:-1px}
.planner-legend .sq{border-radius:2px}
.facility-popup .overdue{color:#b91c1c;font-weight:600}
.facility-popup img{display:block;max-width:200px;margin-top:4px;border-radius:3px}
#basemap-note{position:absolute;left:50%;bottom:28px;transform:translateX(-50%);z-index:1000;background:#fff7ed;
  border:1px solid #fdba74;color:#7c2d12;padding:6px 10px;border-radius:4px;font:13px/1.5 sans-serif;max-width:90%;
  display:none}
.leaflet-control-layers-list{font:13px/1.5 sans-serif}
</style>"""


def _base_config(source: TileSource) -> dict:
    return {"key": source.key, "label": source.label, "url": source.url, "overlays": list(source.overlays),
            "attribution": source.attribution, "subdomains": source.subdomains, "maxZoom": source.max_zoom,
            "crs": source.crs}


def planner_map(*, base_maps: Sequence[TileSource], config: dict, script_url: str,
                bounds: tuple[float, float, float, float] | None = None) -> folium.Map:
    """The shell: an empty Leaflet map, the base maps and ``config`` for ``planmap.js`` at ``script_url``.

    ``bounds`` is (min_lon, min_lat, max_lon, max_lat) in WGS84, what the map
    opens on; ``config`` says where the data comes from and in which words
    (see ``api.routers.map_pages``).
    """
    max_zoom = max((b.max_zoom for b in base_maps), default=18)
    fmap = folium.Map(location=list(CHINA_CENTER), zoom_start=5, tiles=None, prefer_canvas=True,
                      control_scale=False, height="100%", max_zoom=max_zoom)
    full = {
        **config,
        "map": fmap.get_name(),
        "baseMaps": [_base_config(b) for b in base_maps],
        "bounds": list(bounds) if bounds else None,
        "kindColours": KIND_COLOURS,
        "gradeColours": GRADE_COLOURS,
    }
    root = fmap.get_root()
    root.header.add_child(Element(_STYLE), name="planner_style")
    root.header.add_child(Element(f"<script>window.memorialsPlannerConfig = {script_json(full)};</script>\n"
                                  f'<script src="{script_url}"></script>'), name="planner_script")
    return fmap


__all__ = ["GRADE_COLOURS", "planner_map", "render_html"]
