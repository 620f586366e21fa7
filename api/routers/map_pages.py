"""The maps: the planner's map page and the GeoJSON its layers fetch by viewport, and small point maps.

``/map/frame`` is a light shell (no facility in it); its layers ask
``/map/data`` (facilities, overdue, open defects, heat), ``/map/zones``,
``/map/boundaries`` and ``/map/compliance`` for what is in view. Every
answer is compressed (the app's GZip middleware) and carries an ETag made
of the registry's data version, the user's jurisdiction and the query:
the browser asks again with it and gets 304 until the data changes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api import mapdata
from api.auth import RegistryReader, Requires
from api.deps import DivisionPrefix, IdPath, ReadSession, query_problem
from api.routers.evidence import photo_url
from api.routers.facilities import FacilityFilter
from api.templating import render
from gis.geodesy import BBox, parse_bbox
from inspections import compliance as compliance_service
from inspections import mapview
from inspections.checklist import GRADE_LABELS
from maps.facilities import KIND_COLOURS, buried_text, point_map, render_html
from maps.planner import planner_map
from memorials import analysis
from memorials import facilities as facility_service
from memorials import outlines as outline_service
from memorials.actors import Actor
from memorials.clock import today
from memorials.permissions import Permission
from memorials.vocab import KIND_LABELS, LEVEL_LABELS, STATUS_LABELS

router = APIRouter(include_in_schema=False)
ComplianceReader = Annotated[Actor, Requires(Permission.inspections_read)]
Zoom = Annotated[int, Query(ge=0, le=22, description="the map's zoom level (Web Mercator)")]
ViewBox = Annotated[str, Query(max_length=200, description="minLon,minLat,maxLon,maxLat (WGS84): the viewport")]
ZONES_FROM_ZOOM = 11
MAX_ZONES = 500
COMPLIANCE_MONTHS = 6


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, actor: RegistryReader) -> Response:
    params = {k: v for k, v in request.query_params.items() if v}
    return render(request, "map.html", {"frame_url": "/map/frame" + (f"?{urlencode(params)}" if params else ""),
                                        "params": params})


@router.get("/map/frame", response_class=HTMLResponse)
def map_frame(request: Request, session: ReadSession, actor: RegistryReader, query: FacilityFilter) -> Response:
    """The planner's map (shown inside /map, or alone): a shell whose layers fetch by viewport."""
    settings = request.app.state.settings
    box = mapview.extent(session=session, actor=actor, query=query)
    filters = {k: v for k, v in request.query_params.items() if v and k in FILTER_NAMES}
    config = {
        "urls": {"data": "/map/data", "zones": "/map/zones", "boundaries": "/map/boundaries",
                 "compliance": "/map/compliance", "popup": "/map/popup/{id}", "facility": "/facilities/{id}"},
        "filters": filters,
        "division": query.division or actor.scope,
        "kinds": KIND_LABELS, "levels": LEVEL_LABELS, "statuses": STATUS_LABELS, "grades": GRADE_LABELS,
        "pointsFromZoom": mapview.POINTS_FROM_ZOOM, "zonesFromZoom": ZONES_FROM_ZOOM,
    }
    fmap = planner_map(base_maps=mapdata.configured_base_maps(settings), config=config,
                       script_url="/static/app/planmap.js",
                       bounds=(box.min_lon, box.min_lat, box.max_lon, box.max_lat) if box else None)
    # Links in popups open in the page around the frame.
    fmap.get_root().header.add_child(_base_target())
    return HTMLResponse(render_html(fmap, script_nonce=request.state.csp_nonce))


FILTER_NAMES = ("division", "kind", "protection_level", "status", "q")


def _viewport(bbox: str) -> BBox:
    try:
        return parse_bbox(bbox)
    except ValueError as exc:
        raise query_problem("bbox", str(exc).removeprefix("bbox: ")) from None


@router.get("/map/data")
def map_data(
    request: Request, session: ReadSession, actor: RegistryReader, query: FacilityFilter, zoom: Zoom,
    layer: Annotated[Literal["facilities", "overdue", "defects", "heat"], Query()] = "facilities",
) -> Response:
    """Facilities in the viewport (``bbox``) as GeoJSON: grid cells with counts below the points zoom,
    single facilities from it, with kind, grade of the last inspection, overdue and open defects."""
    if query.bbox is None:
        raise query_problem("bbox", "required: the viewport as minLon,minLat,maxLon,maxLat")
    if query.near is not None:
        raise query_problem("near", "not used by the map: send bbox")
    bbox = query.bbox

    def build() -> dict:
        view = mapview.map_view(session=session, actor=actor, query=replace(query, bbox=None), bbox=bbox, zoom=zoom,
                                layer=mapview.MapLayer(layer))
        return mapdata.view_geojson(view, bbox=bbox, zoom=zoom, layer=layer)

    return mapdata.cached_geojson(request, actor=actor, version=mapview.map_version(session=session), build=build)


@router.get("/map/zones")
def map_zones(request: Request, session: ReadSession, actor: RegistryReader, bbox: ViewBox, zoom: Zoom) -> Response:
    """Protection zones (保护范围) reaching into the viewport, close in (from zoom 11); empty further out."""
    box = _viewport(bbox)

    def build() -> dict:
        if zoom < ZONES_FROM_ZOOM:
            return mapdata.zones_geojson([])
        rows, _ = analysis.zones_page(session=session, actor=actor, bbox=box, limit=MAX_ZONES, offset=0)
        return mapdata.zones_geojson(rows)

    return mapdata.cached_geojson(request, actor=actor, version=mapview.map_version(session=session), build=build)


@router.get("/map/boundaries")
def map_boundaries(request: Request, session: ReadSession, actor: RegistryReader, bbox: ViewBox,
                   zoom: Zoom) -> Response:
    """Division outlines in the viewport: provinces far out, then cities, counties and loaded townships."""
    box = _viewport(bbox)

    def build() -> dict:
        return mapdata.outlines_geojson(outline_service.outlines(session=session, actor=actor, bbox=box, zoom=zoom))

    version = outline_service.outlines_version(session=session)
    return mapdata.cached_geojson(request, actor=actor, version=version, build=build)


@router.get("/map/compliance")
def map_compliance(request: Request, session: ReadSession, actor: ComplianceReader,
                   division: DivisionPrefix = None) -> Response:
    """Patrol compliance of the last six months by the divisions one level below ``division``
    (default: the user's jurisdiction), with their outlines: a choropleth."""
    code = division if division is not None else actor.scope
    current = today()
    last = current.year * 12 + current.month - 1
    first, to = compliance_service.period_of(last - COMPLIANCE_MONTHS + 1), compliance_service.period_of(last)
    zoom_of = {2: 6, 4: 8, 6: 10, 9: 13}

    def build() -> dict:
        report = compliance_service.compliance(
            session=session, actor=actor, division=code, level="patrol", period_from=first, period_to=to,
            max_months=request.app.state.settings.max_report_months, today=current)
        return mapdata.compliance_geojson(report, lambda child: outline_service.outline_of(
            session=session, code=child, zoom=zoom_of.get(len(child), 10)))

    version = f"{mapview.map_version(session=session)}|{outline_service.outlines_version(session=session)}"
    return mapdata.cached_geojson(request, actor=actor, version=version, build=build)


@router.get("/map/popup/{facility_id}")
def popup_data(facility_id: IdPath, session: ReadSession, actor: RegistryReader) -> dict[str, object]:
    """Who lies in a facility, its patrol line and the last patrol's thumbnail, for a map popup."""
    facility = facility_service.get_facility(session=session, facility_id=facility_id, actor=actor)
    names = facility_service.martyr_names_by_facility(session=session, facility_ids=[facility.id])
    visits = compliance_service.last_visits(session=session, actor=actor, facility_ids=[facility.id])
    patrol = mapdata.patrol_line(visits.get(facility.id), facility.patrol_interval_days, facility.status,
                                 today=today())
    sha = mapdata.last_patrol_photo(session=session, actor=actor, facility_id=facility.id)
    return {"buried": buried_text(names.get(facility.id, [])), "patrol": patrol["patrol_text"],
            "overdue": patrol["overdue"], "thumb": photo_url(sha, "thumb") if sha else None}


@router.get("/map/point/{facility_id}", response_class=HTMLResponse)
def point_frame(request: Request, facility_id: IdPath, session: ReadSession, actor: RegistryReader) -> Response:
    facility = facility_service.get_facility(session=session, facility_id=facility_id, actor=actor)
    fmap = point_map(facility.longitude, facility.latitude, tiles=mapdata.configured_tiles(request.app.state.settings),
                     colour=KIND_COLOURS.get(facility.kind, "#b71c1c"), height="100%")
    return HTMLResponse(render_html(fmap, script_nonce=request.state.csp_nonce))


def _base_target():  # type: ignore[no-untyped-def]
    from branca.element import Element

    return Element('<base target="_parent">')
