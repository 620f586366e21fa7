"""Query results shaped for maps: the bridge between the registry and ``maps``."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable

import orjson
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from gis.geodesy import BBox
from inspections import service as inspection_service
from inspections.checklist import GRADE_LABELS
from inspections.compliance import LastVisit, last_visits, overdue_days
from inspections.mapview import MapView, Point
from inspections.schemas import ComplianceOut
from inspections.service import InspectionQuery
from maps.facilities import FacilityMarker
from maps.tiles import TileSource, base_maps, tile_source
from memorials import clock
from memorials.actors import Actor
from memorials.facilities import FacilityQuery, map_rows, martyr_names_by_facility
from memorials.outlines import Outline
from memorials.settings import Settings
from memorials.vocab import KIND_LABELS, LEVEL_LABELS, STANDING_STATUSES, STATUS_LABELS

MAP_LIMIT = 200_000
EMBED_NAMES_UP_TO = 5_000
"""Maps with more facilities fetch who lies there when a popup opens."""


def facility_markers(
    *, session: Session, actor: Actor, query: FacilityQuery, embed_names_up_to: int | None = EMBED_NAMES_UP_TO
) -> list[FacilityMarker]:
    """Markers for every facility matching ``query`` (up to ``MAP_LIMIT``).

    Who lies in each facility is embedded when there are at most
    ``embed_names_up_to`` facilities (None: always, for standalone files).
    """
    rows = map_rows(session=session, query=query, actor=actor, limit=MAP_LIMIT)
    embed = embed_names_up_to is None or len(rows) <= embed_names_up_to
    names = martyr_names_by_facility(session=session, facility_ids=[r.id for r in rows]) if embed else {}
    visits = last_visits(session=session, actor=actor)
    today = clock.today()
    return [
        FacilityMarker(
            id=r.id, name=r.name, kind=r.kind, kind_label=KIND_LABELS[r.kind],
            level_label=LEVEL_LABELS[r.protection_level],
            status_label="" if r.status == "in_use" else STATUS_LABELS[r.status],
            longitude=r.longitude, latitude=r.latitude,
            martyrs=tuple(names.get(r.id, ())) if embed else None,
            **patrol_line(visits.get(r.id), r.patrol_interval_days, r.status, today=today),
        )
        for r in rows
    ]


def patrol_line(visit: LastVisit | None, interval_days: int, status: str, *, today) -> dict:  # type: ignore[no-untyped-def]
    """The popup's line about patrols: the last one's date and grade, and whether the next is overdue."""
    standing = status in STANDING_STATUSES
    if visit is None:
        return {"patrol_text": "从未巡查" + (f"（应每 {interval_days} 天巡查一次）" if standing else ""),
                "overdue": standing}
    late = overdue_days(visit.day, interval_days, today=today) if standing else 0
    text = f"最近巡查：{visit.day.isoformat()}，状况{GRADE_LABELS.get(visit.grade, visit.grade)}"
    text += f"；已逾期 {late} 天未巡查" if late else ("；未逾期" if standing else "")
    return {"patrol_text": text, "overdue": bool(late)}


# The planner's map: GeoJSON by viewport, cached until the data changes ------------------------------------

CACHE_CONTROL = "private, no-cache"
"""The browser keeps each answer and asks again with its ETag: 304 until the registry changes."""
_bodies: OrderedDict[str, bytes] = OrderedDict()
_bodies_lock = threading.Lock()
CACHED_BODIES = 64


def etag(*parts: object) -> str:
    digest = hashlib.sha256(orjson.dumps([str(p) for p in parts])).hexdigest()[:32]
    return f'"m{digest}"'


def _matches(request: Request, tag: str) -> bool:
    sent = request.headers.get("if-none-match", "")
    return any(t.strip().removeprefix("W/") == tag for t in sent.split(",")) or sent.strip() == "*"


def cached_geojson(request: Request, *, actor: Actor, version: str, build: Callable[[], dict]) -> Response:
    """``build()``'s GeoJSON, or 304 when the browser has it already; one ETag per data version,
    jurisdiction and query, and the same answer reused from memory for the next user who asks."""
    query = sorted(request.query_params.multi_items())
    tag = etag(request.url.path, query, actor.scope, version)
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
    if _matches(request, tag):
        return Response(status_code=304, headers=headers)
    with _bodies_lock:
        body = _bodies.get(tag)
        if body is not None:
            _bodies.move_to_end(tag)
    if body is None:
        body = orjson.dumps(build())
        with _bodies_lock:
            _bodies[tag] = body
            while len(_bodies) > CACHED_BODIES:
                _bodies.popitem(last=False)
    return Response(body, media_type="application/geo+json", headers=headers)


def _feature(lon: float, lat: float, properties: dict) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": properties}


def _point_properties(p: Point) -> dict:
    return {"id": p.id, "name": p.name, "kind": p.kind, "level": p.protection_level, "status": p.status,
            "grade": p.grade, "overdue": p.overdue, "defects": p.open_defects}


def view_geojson(view: MapView, *, bbox: BBox, zoom: int, layer: str) -> dict:
    """Cells (``count`` > 1, with how many are overdue, defective, poorly graded) and single facilities."""
    features = []
    for c in view.cells:
        if c.only is not None:
            features.append(_feature(c.longitude, c.latitude, {**_point_properties(c.only), "count": 1}))
        else:
            features.append(_feature(c.longitude, c.latitude, {"count": c.count, "overdue": c.overdue,
                                                               "defects": c.with_defects, "poor": c.poor}))
    features += [_feature(p.longitude, p.latitude, {**_point_properties(p), "count": 1}) for p in view.points]
    return {"type": "FeatureCollection", "features": features, "layer": layer, "zoom": zoom,
            "bbox": [bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat], "truncated": view.truncated,
            "total": sum(c.count for c in view.cells) + len(view.points)}


def outlines_geojson(items: list[Outline]) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": o.geometry,
         "properties": {"code": o.code, "name": o.name, "level": o.level, "source": o.source}} for o in items]}


def zones_geojson(facilities: list) -> dict:  # type: ignore[type-arg]
    features = []
    for f in facilities:
        try:
            geometry = json.loads(f.protection_zone)
        except (TypeError, ValueError):
            continue
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {"id": f.id, "name": f.name, "kind": f.kind}})
    return {"type": "FeatureCollection", "features": features}


def compliance_geojson(report: ComplianceOut, outline_of: Callable[[str], dict | None]) -> dict:
    """One feature per division below the one asked about, with its patrol compliance (``rate`` 0..1 or null)."""
    features = []
    for d in report.divisions:
        geometry = outline_of(d.code)
        if geometry is None:
            continue
        features.append({"type": "Feature", "geometry": geometry, "properties": {
            "code": d.code, "name": d.name, "facilities": d.facilities, "due": d.due, "done": d.done,
            "rate": d.rate}})
    return {"type": "FeatureCollection", "features": features, "division": report.division,
            "from": report.from_, "to": report.to, "rate": report.rate}


def last_patrol_photo(*, session: Session, actor: Actor, facility_id: int) -> str | None:
    """SHA-256 of the first photo of the facility's latest inspection that has photos, if any."""
    rows, _ = inspection_service.list_inspections(session=session, actor=actor,
                                                   query=InspectionQuery(facility_id=facility_id), limit=5)
    for inspection in rows:
        if inspection.photos:
            return inspection.photos[0].sha256
    return None


def tile_options(settings: Settings) -> dict[str, str]:
    return {"tianditu_key": settings.tianditu_key, "custom_url": settings.tiles_url,
            "custom_attribution": settings.tiles_attribution, "custom_crs": settings.tiles_crs}


def configured_tiles(settings: Settings, name: str | None = None) -> TileSource:
    """The configured base map (``MEMORIALS_TILES``), or the one named."""
    return tile_source(name or settings.tiles, **tile_options(settings))


def configured_base_maps(settings: Settings) -> list[TileSource]:
    """Every base map the planner's map offers: the configured one, ``MEMORIALS_BASE_MAPS``, none."""
    return base_maps(settings.tiles, others=tuple(settings.base_maps), **tile_options(settings))
