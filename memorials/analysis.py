"""Spatial analysis over the registry: the database's spatial index pre-selects, ``gis.analysis`` decides.

- facilities within a zone (a polygon, or a buffer of a line or polygon),
  with their distances, nearest first;
- for every scattered grave, the nearest cemetery or central burial area;
- clusters of scattered graves within a chosen distance of each other
  (consolidation candidates).

Jurisdiction applies as everywhere; relocated and removed facilities are
no longer where their point is and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.geodesy import BBox
from memorials.actors import Actor
from memorials.divisions import within as under
from memorials.models import Facility
from memorials.scoping import in_scope
from memorials.spatial import spatial_index
from memorials.vocab import FacilityKind, FacilityStatus

GONE = (FacilityStatus.relocated.value, FacilityStatus.removed.value)
CEMETERY_KINDS = (FacilityKind.cemetery.value, FacilityKind.central_burial_area.value)
NEAREST_SEARCH_M = 50_000.0
MAX_POINTS = 200_000


@dataclass
class WithinItem:
    facility_id: int
    code: str
    name: str
    kind: str
    longitude: float
    latitude: float
    distance_m: float


def _points(session: Session, actor: Actor, *clauses) -> list[tuple[int, float, float]]:  # type: ignore[no-untyped-def]
    stmt = (select(Facility.id, Facility.longitude, Facility.latitude)
            .where(in_scope(Facility.division_code, actor), Facility.status.not_in(GONE), *clauses)
            .order_by(Facility.id).limit(MAX_POINTS))
    return [(r[0], r[1], r[2]) for r in session.execute(stmt)]


def facilities_within(*, session: Session, actor: Actor, geometry: object, buffer_m: float,
                      kinds: list[str] | None = None) -> list[WithinItem]:
    """Facilities inside ``geometry`` grown by ``buffer_m`` metres, nearest first (0 inside)."""
    from gis import analysis

    box = analysis.search_box(geometry, buffer_m)  # type: ignore[arg-type]
    clauses = [spatial_index(session).in_bbox(box)]
    if kinds:
        clauses.append(Facility.kind.in_(kinds))
    hits = analysis.within(_points(session, actor, *clauses), geometry, buffer_m=buffer_m)  # type: ignore[arg-type]
    if not hits:
        return []
    rows = {f.id: f for f in session.scalars(select(Facility).where(Facility.id.in_([h[0] for h in hits])))}
    return [WithinItem(i, rows[i].code, rows[i].name, rows[i].kind, rows[i].longitude, rows[i].latitude,
                       round(d, 2)) for i, d in hits]


def nearest_cemeteries(*, session: Session, actor: Actor, division: str | None) -> list[tuple[int, int, float]]:
    """(grave id, cemetery id, metres) for every scattered grave in the division."""
    from gis import analysis
    from gis.geodesy import degree_box

    clauses = [Facility.kind == FacilityKind.scattered_grave.value]
    if division:
        clauses.append(under(Facility.division_code, division))
    graves = _points(session, actor, *clauses)
    if not graves:
        return []
    corners = [degree_box(lon, lat, NEAREST_SEARCH_M) for lon, lat in
               ((min(g[1] for g in graves), min(g[2] for g in graves)),
                (max(g[1] for g in graves), max(g[2] for g in graves)))]
    box = BBox(corners[0].min_lon, corners[0].min_lat, corners[1].max_lon, corners[1].max_lat)
    cemeteries = _points(session, actor, Facility.kind.in_(CEMETERY_KINDS), spatial_index(session).in_bbox(box))
    if not cemeteries:  # none within 50 km of any grave: look further, across the jurisdiction
        cemeteries = _points(session, actor, Facility.kind.in_(CEMETERY_KINDS))
    return [(g, c, round(d, 2)) for g, c, d in analysis.nearest(graves, cemeteries)]


def grave_clusters(*, session: Session, actor: Actor, division: str | None,
                   distance_m: float) -> list[tuple[list[int], tuple[float, float]]]:
    """Groups of scattered graves each within ``distance_m`` of another: consolidation candidates."""
    from gis import analysis

    clauses = [Facility.kind == FacilityKind.scattered_grave.value]
    if division:
        clauses.append(under(Facility.division_code, division))
    found = analysis.clusters(_points(session, actor, *clauses), distance_m=distance_m)
    return [(c.ids, c.centroid) for c in found]


def zones_page(*, session: Session, actor: Actor, bbox: BBox | None, limit: int,
               offset: int) -> tuple[list[Facility], int]:
    """Facilities with a protection zone, the zone's box overlapping ``bbox`` (by the zone index), by code."""
    from sqlalchemy import column, func, literal_column, table

    from memorials.db import backend_name

    clauses = [Facility.protection_zone.is_not(None), in_scope(Facility.division_code, actor)]
    if bbox is not None:
        if backend_name(session) == "postgresql":
            envelope = func.ST_MakeEnvelope(bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat, 4326)
            clauses.append(literal_column("facilities.protection_zone_geom").op("&&")(envelope))
        else:
            rtree = table("facility_zone_rtree", column("id"), column("min_x"), column("max_x"), column("min_y"),
                          column("max_y"))
            clauses.append(Facility.id.in_(select(rtree.c.id).where(
                rtree.c.max_x >= bbox.min_lon, rtree.c.min_x <= bbox.max_lon,
                rtree.c.max_y >= bbox.min_lat, rtree.c.min_y <= bbox.max_lat)))
    total = session.scalar(select(func.count(Facility.id)).where(*clauses)) or 0
    rows = list(session.scalars(select(Facility).where(*clauses).order_by(Facility.code, Facility.id)
                                .limit(limit).offset(offset)))
    return rows, total


@dataclass
class Stray:
    facility_id: int
    code: str
    name: str
    division_code: str
    county_code: str
    outside_m: float


def division_check(*, session: Session, actor: Actor, division: str | None) -> tuple[list[Stray], int, list[str]]:
    """Facilities whose point lies outside the county they are recorded in: flagged, never moved.

    Returns the strays, how many facilities were checked, and the counties
    that have no boundary to check against. Raises
    ``gis.boundaries.BoundariesUnavailable`` when no boundaries are installed.
    """
    from gis import boundaries

    boundaries.source_version() or boundaries.division_polygon("000000")  # raises with the install hint
    stmt = (select(Facility.id, Facility.longitude, Facility.latitude, Facility.division_code)
            .where(in_scope(Facility.division_code, actor), Facility.status.not_in(GONE))
            .order_by(Facility.id).limit(MAX_POINTS))
    if division:
        stmt = stmt.where(under(Facility.division_code, division))
    by_county: dict[str, list[tuple[int, float, float]]] = {}
    checked = 0
    for fid, lon, lat, code in session.execute(stmt):
        by_county.setdefault(code[:6], []).append((fid, lon, lat))
        checked += 1
    found: list[tuple[int, str, float]] = []
    missing: list[str] = []
    for county, points in sorted(by_county.items()):
        try:
            found += [(fid, county, metres) for fid, metres in boundaries.outside(county, points)]
        except boundaries.BoundariesUnavailable:
            missing.append(county)
    rows = {f.id: f for f in session.scalars(select(Facility).where(Facility.id.in_([f[0] for f in found])))}
    strays = [Stray(fid, rows[fid].code, rows[fid].name, rows[fid].division_code, county, metres)
              for fid, county, metres in found]
    return sorted(strays, key=lambda s: -s.outside_m), checked, missing


@dataclass
class AreaMatch:
    facility_id: int
    code: str
    name: str
    division_code: str
    area_code: str
    area_name: str
    matches: bool
    """The recorded division lies in (or is) the area the point falls in."""


def join_townships(*, session: Session, actor: Actor, division: str | None, areas: list, code_column: str | None = None,
                   name_column: str | None = None) -> list[AreaMatch]:
    """Facilities joined to the boundaries a bureau provides (e.g. townships): where each point really lies.

    A facility whose recorded division code does not start with the code of
    the area it lies in is marked ``matches=False`` (flagged, never moved);
    facilities outside every area are listed with an empty area.
    """
    from gis.analysis import join_to_areas

    clauses = [under(Facility.division_code, division)] if division else []
    points = _points(session, actor, *clauses)
    found = join_to_areas(points, areas, code_column=code_column, name_column=name_column)
    rows = {f.id: f for f in session.scalars(select(Facility).where(Facility.id.in_([p[0] for p in points])))}
    out = []
    for fid, _, _ in points:
        f = rows[fid]
        code, name = found.get(fid, ("", ""))
        out.append(AreaMatch(fid, f.code, f.name, f.division_code, code, name,
                             bool(code) and f.division_code.startswith(code.strip())))
    return sorted(out, key=lambda m: (m.matches, m.code))
