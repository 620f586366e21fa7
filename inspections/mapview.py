"""What the planner's map shows of the registry, by viewport: grid cells at low zoom, points at high zoom.

The map never loads the whole registry. It asks for one bounding box at
one zoom, and the database answers from its spatial index:

- below ``POINTS_FROM_ZOOM`` the facilities in the box are grouped on a
  grid of ``CELL_PX`` screen pixels (``GROUP BY`` the cell, in SQL), each
  cell answering its count, the mean position of its members, and how many
  of them are overdue, have open defects or were last graded poor or
  critical; a cell of one is that facility, and says which;
- from ``POINTS_FROM_ZOOM`` on, every facility in the box, at most
  ``MAX_FEATURES``.

The grid is anchored at (-180, -90), so a cell is the same cell whatever
box it is asked through, and its answer can be cached. Each facility
carries the grade of its latest inspection (any level), whether its patrol
is overdue (standing facilities never inspected, or last inspected more
than their patrol interval before today, in the bureau's calendar), and its
open defects. Layers narrow the rows: ``overdue``, ``defects``, and
``heat`` (scattered graves still in place, on a finer grid, for a heat map).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, aliased

from gis.geodesy import BBox
from inspections.models import Defect, Inspection
from memorials import clock
from memorials.actors import Actor
from memorials.db import older_than_days
from memorials.facilities import FacilityQuery, filter_facilities
from memorials.models import Facility
from memorials.spatial import spatial_index
from memorials.vocab import STANDING_STATUSES, FacilityKind

POINTS_FROM_ZOOM = 15
CELL_PX = 80
HEAT_CELL_PX = 24
MAX_FEATURES = 5_000
POOR_GRADES = ("poor", "critical")


class MapLayer(StrEnum):
    facilities = "facilities"
    overdue = "overdue"
    defects = "defects"
    heat = "heat"


@dataclass(frozen=True)
class Cell:
    """A group of facilities in one grid cell; ``only`` is the facility when it is alone."""

    longitude: float
    latitude: float
    count: int
    overdue: int
    with_defects: int
    poor: int
    only: Point | None = None


@dataclass(frozen=True)
class Point:
    id: int
    name: str
    kind: str
    protection_level: str
    status: str
    longitude: float
    latitude: float
    grade: str | None
    overdue: bool
    open_defects: int


@dataclass(frozen=True)
class MapView:
    cells: list[Cell]
    points: list[Point]
    truncated: bool
    """More than ``MAX_FEATURES`` answered: the rest were left out (zoom in)."""


def cell_degrees(zoom: int, px: int = CELL_PX) -> float:
    """Degrees of longitude that ``px`` screen pixels span at ``zoom`` (256-pixel Web Mercator tiles)."""
    return 360.0 / (2 ** zoom) * px / 256


def overdue_cutoff(today=None) -> datetime:  # type: ignore[no-untyped-def]
    """The start of the bureau's today: a patrol is overdue once its interval has passed before it."""
    day = today or clock.today()
    return datetime.combine(day, time.min, tzinfo=clock.zone())


def _rows(session: Session, actor: Actor, query: FacilityQuery, layer: MapLayer, bbox: BBox) -> tuple:  # type: ignore[type-arg]
    """The columns every answer is made of, and the statement narrowed to the box and layer."""
    in_box = spatial_index(session).in_bbox(bbox)
    # Per facility, through the (facility_id, period) index: only the facilities in the box are looked up.
    latest = (select(Inspection.id).where(Inspection.facility_id == Facility.id)
              .order_by(Inspection.performed_at.desc(), Inspection.id.desc()).limit(1).correlate(Facility)
              .scalar_subquery())
    last = aliased(Inspection)
    defects = (select(Defect.facility_id, func.count(Defect.id).label("n")).where(Defect.status == "open")
               .group_by(Defect.facility_id).subquery())
    # "Last visit's day + interval < today" in the bureau's calendar, as the popups say it.
    late = older_than_days(session, last.performed_at, overdue_cutoff(), Facility.patrol_interval_days)
    overdue = case((Facility.status.in_(STANDING_STATUSES) & (last.performed_at.is_(None) | late), 1), else_=0)
    open_defects = func.coalesce(defects.c.n, 0)
    columns = {"overdue": overdue, "open_defects": open_defects, "grade": last.grade}

    def narrowed(stmt: Select) -> Select:  # type: ignore[type-arg]
        stmt = stmt.select_from(Facility).outerjoin(last, last.id == latest).outerjoin(
            defects, defects.c.facility_id == Facility.id)
        stmt = filter_facilities(stmt, query=query, session=session, actor=actor)
        stmt = stmt.where(in_box)
        if layer == MapLayer.overdue:
            stmt = stmt.where(overdue == 1)
        elif layer == MapLayer.defects:
            stmt = stmt.where(open_defects > 0)
        elif layer == MapLayer.heat:
            stmt = stmt.where(Facility.kind == FacilityKind.scattered_grave.value,
                              Facility.status.in_(STANDING_STATUSES))
        return stmt

    return columns, narrowed


def map_view(*, session: Session, actor: Actor, query: FacilityQuery, bbox: BBox, zoom: int,
             layer: MapLayer = MapLayer.facilities) -> MapView:
    """The facilities in ``bbox`` (WGS84) at ``zoom``, grouped or one by one (see the module's docstring)."""
    columns, narrowed = _rows(session, actor, query, layer, bbox)
    point_columns = (Facility.id, Facility.name, Facility.kind, Facility.protection_level, Facility.status,
                     Facility.longitude, Facility.latitude, columns["grade"], columns["overdue"],
                     columns["open_defects"])
    if zoom >= POINTS_FROM_ZOOM and layer != MapLayer.heat:
        rows = session.execute(narrowed(select(*point_columns)).order_by(Facility.id).limit(MAX_FEATURES + 1)).all()
        return MapView(cells=[], points=[_point(r) for r in rows[:MAX_FEATURES]], truncated=len(rows) > MAX_FEATURES)
    size = cell_degrees(zoom, HEAT_CELL_PX if layer == MapLayer.heat else CELL_PX)
    index = spatial_index(session)
    cx = index.grid_cell(Facility.longitude, -180.0, size).label("cx")
    cy = index.grid_cell(Facility.latitude, -90.0, size).label("cy")
    count = func.count(Facility.id)
    poor = func.sum(case((columns["grade"].in_(POOR_GRADES), 1), else_=0))
    stmt = narrowed(select(
        count, func.avg(Facility.longitude), func.avg(Facility.latitude), func.sum(columns["overdue"]),
        func.sum(case((columns["open_defects"] > 0, 1), else_=0)), poor,
        # A cell of one is that facility: these aggregates are its own values.
        func.min(Facility.id), func.min(Facility.name), func.min(Facility.kind), func.min(Facility.protection_level),
        func.min(Facility.status), func.min(columns["grade"]), func.max(columns["open_defects"]),
    )).group_by(cx, cy).order_by(count.desc(), func.min(Facility.id)).limit(MAX_FEATURES + 1)
    cells = []
    for n, lon, lat, late, defective, bad, fid, name, kind, level, status, grade, opened in session.execute(stmt):
        only = (Point(fid, name, kind, level, status, float(lon), float(lat), grade, bool(late), int(opened or 0))
                if n == 1 else None)
        cells.append(Cell(float(lon), float(lat), int(n), int(late or 0), int(defective or 0), int(bad or 0), only))
    return MapView(cells=cells[:MAX_FEATURES], points=[], truncated=len(cells) > MAX_FEATURES)


def _point(r) -> Point:  # type: ignore[no-untyped-def]
    return Point(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), int(r[9] or 0))


def map_version(*, session: Session) -> str:
    """A token that changes whenever anything a map shows changes (facilities, inspections, defects, today)."""
    facilities = session.execute(select(func.count(Facility.id), func.max(Facility.updated_at))).one()
    inspections = session.execute(select(func.count(Inspection.id), func.max(Inspection.id))).one()
    defects = session.execute(select(
        func.count(Defect.id), func.max(Defect.id),
        func.sum(case((Defect.status == "open", 1), else_=0)), func.max(Defect.resolved_at))).one()
    parts = [*facilities, *inspections, *defects, clock.today()]
    return "|".join("" if p is None else str(p) for p in parts)


def extent(*, session: Session, actor: Actor, query: FacilityQuery) -> BBox | None:
    """The box around every facility the map would show (one aggregate), or None when there are none."""
    stmt = filter_facilities(select(func.min(Facility.longitude), func.min(Facility.latitude),
                                    func.max(Facility.longitude), func.max(Facility.latitude)),
                             query=query, session=session, actor=actor)
    row = session.execute(stmt).one()
    if row[0] is None:
        return None
    return BBox(float(row[0]), float(row[1]), float(row[2]), float(row[3]))
