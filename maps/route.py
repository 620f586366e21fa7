"""A printable map of a day's route: numbered stops joined in visiting order.

Takes plain data (a number, a name, a WGS84 position and a time text per
stop; number 0 is the start and shows as 起), so the caller decides what a
stop is. Each stop is a round numbered badge (a Leaflet ``divIcon``) with a
permanent label of its name and time, a line joins them in number order
(back to the start on a round trip), and a panel beside the map lists the
timetable. The badges and labels are built in the browser with ``textContent`` from one
JSON array, so names typed by users cannot inject markup (folium's own
``Tooltip`` puts text inside a JavaScript template literal, unescaped).

The page is one A4 landscape sheet on screen as on paper (so the route is
fitted once, to the sheet); printing hides the zoom buttons and notes and
keeps the badges' colours.

Straight segments join the stops: they show the order, not the road.

>>> from maps.tiles import TILES
>>> m = route_map([RouteStop(0, "县退役军人事务局", 114.60, 31.30, "08:00 出发"),
...                RouteStop(1, "檀树岗烈士墓", 114.70, 31.40, "08:25–08:55")], tiles=TILES["none"])
>>> page = render_html(m)
>>> '"label": "起"' in page and '"label": "1"' in page and "cdn" not in page
True
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import folium
from branca.element import Element

from gis.coords import from_wgs84
from maps.facilities import _watch_base_map, render_html, script_json
from maps.tiles import TileSource

ROUTE_COLOUR = "#b71c1c"
START_COLOUR = "#1d4ed8"
SHEET_MM = (277, 190)
"""The page: A4 landscape less 8 mm margins, a little spare so that no second sheet starts."""
MAP_WIDTH_PERCENT = 72
"""The map's share of the sheet; the timetable takes the rest, beside it, so it hides no stop."""


@dataclass(frozen=True)
class RouteStop:
    """One point of the route (WGS84). ``number`` 1, 2, … in visiting order; 0 is the start."""

    number: int
    name: str
    longitude: float
    latitude: float
    time_text: str = ""

    @property
    def label(self) -> str:
        return "起" if self.number == 0 else str(self.number)


_STYLE = f"""
<style>
.route-icon {{ background: none; border: none; }}
.route-number {{ width: 24px; height: 24px; border-radius: 50%; background: {ROUTE_COLOUR}; color: #fff;
  border: 2px solid #fff; box-shadow: 0 0 3px rgba(0,0,0,.7); font: bold 14px/24px sans-serif; text-align: center; }}
.route-number.route-start {{ background: {START_COLOUR}; }}
.leaflet-tooltip.route-label {{ font: 13px/1.4 sans-serif; padding: 1px 5px; }}
#route-panel {{ position: absolute; top: 0; right: 0; bottom: 0; width: {100 - MAP_WIDTH_PERCENT}%; overflow: auto;
  box-sizing: border-box; padding: 10px 12px; background: #fff; border-left: 1px solid #ccc;
  font: 13px/1.5 sans-serif; }}
#route-panel h1 {{ font-size: 15px; margin: 0 0 4px; }}
#route-panel table {{ border-collapse: collapse; }}
#route-panel td {{ padding: 1px 6px 1px 0; vertical-align: top; }}
#route-panel td.n {{ font-weight: bold; color: {ROUTE_COLOUR}; text-align: right; }}
/* One A4 landscape sheet, on screen as on paper: what is seen is what prints. */
@page {{ size: A4 landscape; margin: 8mm; }}
html > body {{ position: relative; width: {SHEET_MM[0]}mm; height: {SHEET_MM[1]}mm; margin: 0 auto; }}
@media screen {{ html {{ background: #e5e7eb; }} html > body {{ margin: 8mm auto; background: #fff;
  box-shadow: 0 1px 6px rgba(0,0,0,.3); }} }}
@media print {{
  .leaflet-control-zoom, #basemap-note {{ display: none !important; }}
  .route-number, .leaflet-interactive, #route-panel {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
}}
</style>
"""

_DRAW = """
window.setTimeout(function () { (function (map, points) {
    points.forEach(function (p) {
        var badge = document.createElement('div');
        badge.className = 'route-number' + (p.start ? ' route-start' : '');
        badge.textContent = p.label;
        var icon = L.divIcon({className: 'route-icon', html: badge, iconSize: [28, 28], iconAnchor: [14, 14]});
        var marker = L.marker([p.lat, p.lon], {icon: icon, keyboard: false, zIndexOffset: p.start ? 0 : 1000});
        var label = document.createElement('span');
        label.textContent = p.name + (p.time ? '　' + p.time : '');
        marker.bindTooltip(label, {permanent: true, direction: 'right', offset: [12, 0], className: 'route-label'});
        marker.addTo(map);
    });
    if (!points.length) return;
    var bounds = L.latLngBounds(points.map(function (p) { return [p.lat, p.lon]; }));
    map.invalidateSize({animate: false});
    if (bounds.getNorthEast().distanceTo(bounds.getSouthWest()) < 20) {
        map.setView(bounds.getCenter(), 15, {animate: false});
    } else {  // the labels stand to the right of their badges: room for them there
        map.fitBounds(bounds, {paddingTopLeft: [30, 30], paddingBottomRight: [180, 30], animate: false});
    }
})(%s, %s); }, 0);
"""


def _panel(points: Sequence[RouteStop], title: str) -> str:
    rows = "".join(
        f"<tr><td class='n'>{html.escape(p.label)}</td><td>{html.escape(p.name)}</td>"
        f"<td>{html.escape(p.time_text)}</td></tr>"
        for p in points
    )
    heading = f"<h1>{html.escape(title)}</h1>" if title else ""
    return f"<div id='route-panel'>{heading}<table>{rows}</table></div>"


def route_map(stops: Sequence[RouteStop], *, tiles: TileSource, round_trip: bool = False,
              title: str = "") -> folium.Map:
    """The stops as numbered badges joined in number order, with a timetable panel.

    Parameters
    ----------
    stops
        The start (number 0, optional) and the stops, WGS84; drawn in number order.
    tiles
        The base map; points are shifted to GCJ-02 for tiles drawn in it.
    round_trip
        Whether the line returns to the start.
    title
        The panel's heading, e.g. the event's name and date.
    """
    points = sorted(stops, key=lambda p: p.number)
    first = from_wgs84(points[0].longitude, points[0].latitude, tiles.crs) if points else (105.0, 35.0)
    fmap = folium.Map(location=[first[1], first[0]], zoom_start=12 if points else 5, tiles=None, control_scale=False,
                      height="100%", width=f"{MAP_WIDTH_PERCENT}%")
    fmap.options["maxZoom"] = tiles.max_zoom
    fmap.options["zoomSnap"] = 0.25  # fit the route to the sheet, not to the next whole zoom level
    base = None
    if tiles.url:
        base = folium.TileLayer(tiles=tiles.url, attr=tiles.attribution, name=tiles.label, subdomains=tiles.subdomains,
                                max_zoom=tiles.max_zoom).add_to(fmap)
        for overlay in tiles.overlays:
            folium.TileLayer(tiles=overlay, attr=tiles.attribution, name=f"{tiles.label}注记",
                             subdomains=tiles.subdomains, max_zoom=tiles.max_zoom, overlay=True).add_to(fmap)
    _watch_base_map(fmap, tiles, base)
    shown = []
    for p in points:
        lon, lat = from_wgs84(p.longitude, p.latitude, tiles.crs)
        shown.append({"label": p.label, "name": p.name, "time": p.time_text, "start": p.number == 0,
                      "lat": round(lat, 6), "lon": round(lon, 6)})
    line = [[s["lat"], s["lon"]] for s in shown]
    if round_trip and shown and shown[0]["start"] and len(shown) > 1:
        line.append(line[0])
    if len(line) > 1:
        folium.PolyLine(line, color=ROUTE_COLOUR, weight=4, opacity=0.8).add_to(fmap)
    fmap.get_root().header.add_child(Element(_STYLE), name="memorials_route_style")
    fmap.get_root().script.add_child(Element(_DRAW % (fmap.get_name(), script_json(shown))))
    fmap.get_root().html.add_child(Element(_panel(points, title)))
    if title:
        fmap.get_root().header.add_child(Element(f"<title>{html.escape(title)}</title>"), name="memorials_title")
    return fmap


__all__ = ["RouteStop", "render_html", "route_map"]
