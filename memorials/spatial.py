"""The spatial index behind facility queries, one interface over two backends.

SQLite answers boxes from the ``facility_rtree`` R*Tree (kept by triggers)
and metres with a haversine on the prefiltered rows; PostGIS answers from
GiST indexes on generated ``geom``/``geography`` columns. Metres are
measured on the mean sphere on both (within 0.5% of the ellipsoid), so the
two backends give the same answers. Callers build
their query with these clauses and never branch on the backend.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    cast,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session

from gis.geodesy import EARTH_RADIUS_M, BBox, degree_box
from memorials.db import backend_name
from memorials.models import Facility

NEAREST_START_M = 2_000.0
EARTH_HALF_CIRCUMFERENCE_M = 20_100_000.0
_rtree = table("facility_rtree", column("id"), column("min_x"), column("max_x"), column("min_y"), column("max_y"))


class SpatialIndex(Protocol):
    def in_bbox(self, bbox: BBox) -> ColumnElement[bool]: ...

    def within_m(self, lon: float, lat: float, radius_m: float) -> ColumnElement[bool]: ...

    def distance_m(self, lon: float, lat: float) -> ColumnElement[float]:
        """Distance in metres from (lon, lat) to each facility."""
        ...

    def nearest_order(self, lon: float, lat: float) -> ColumnElement[float]:
        """An ORDER BY expression, nearest first, that the index can serve."""
        ...

    def nearest_radius(self, session: Session, candidates: Select, lon: float, lat: float,
                       wanted: int) -> float | None:
        """A radius in metres holding at least the ``wanted`` candidates nearest to (lon, lat), or None for all.

        ``candidates`` selects the facilities that may be answered (filters
        applied). ``within_m`` with that radius then narrows the exact
        ``ORDER BY distance, id`` to a handful of rows, which the index finds.
        """
        ...

    def grid_cell(self, value: ColumnElement[float], origin: float, size: float) -> ColumnElement[int]:
        """The whole number of ``size`` steps from ``origin`` to ``value`` (floor): a grid cell to GROUP BY."""
        ...


class SqliteRtreeIndex:
    def in_bbox(self, bbox: BBox) -> ColumnElement[bool]:
        candidates = select(_rtree.c.id).where(
            _rtree.c.max_x >= bbox.min_lon,
            _rtree.c.min_x <= bbox.max_lon,
            _rtree.c.max_y >= bbox.min_lat,
            _rtree.c.min_y <= bbox.max_lat,
        )
        # R*Tree keeps 32-bit floats rounded outward: confirm on the real columns.
        return (
            Facility.id.in_(candidates)
            & Facility.longitude.between(bbox.min_lon, bbox.max_lon)
            & Facility.latitude.between(bbox.min_lat, bbox.max_lat)
        )

    def distance_m(self, lon: float, lat: float) -> ColumnElement[float]:
        dlat = func.radians(Facility.latitude - lat)
        dlon = func.radians(Facility.longitude - lon)
        h = func.sin(dlat / 2) * func.sin(dlat / 2) + func.cos(func.radians(literal(lat))) * func.cos(
            func.radians(Facility.latitude)
        ) * func.sin(dlon / 2) * func.sin(dlon / 2)
        return (2 * EARTH_RADIUS_M * func.asin(func.min(1.0, func.sqrt(h)))).cast(Float)

    def within_m(self, lon: float, lat: float, radius_m: float) -> ColumnElement[bool]:
        return self.in_bbox(degree_box(lon, lat, radius_m)) & (self.distance_m(lon, lat) <= radius_m)

    def nearest_order(self, lon: float, lat: float) -> ColumnElement[float]:
        return self.distance_m(lon, lat)

    def nearest_radius(self, session: Session, candidates: Select, lon: float, lat: float,
                       wanted: int) -> float | None:
        # No KNN in an R*Tree: widen a box-prefiltered radius until it holds enough.
        radius = NEAREST_START_M
        while radius < EARTH_HALF_CIRCUMFERENCE_M:
            counted = select(func.count()).select_from(
                candidates.where(self.within_m(lon, lat, radius)).limit(wanted).subquery())
            if (session.scalar(counted) or 0) >= wanted:
                return radius
            radius *= 4
        return None

    def grid_cell(self, value: ColumnElement[float], origin: float, size: float) -> ColumnElement[int]:
        # Values never lie below the origin (-180, -90), so truncation is the floor.
        return cast((value - origin) / size, Integer)


class PostgisIndex:
    _geom = literal_column("facilities.geom")
    _geog = literal_column("facilities.geog")

    @staticmethod
    def _point(lon: float, lat: float) -> ColumnElement[object]:
        return func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)

    def in_bbox(self, bbox: BBox) -> ColumnElement[bool]:
        envelope = func.ST_MakeEnvelope(bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat, 4326)
        return self._geom.op("&&")(envelope) & func.ST_Intersects(self._geom, envelope)

    # Distances are spherical (as the KNN operator measures them, and as the
    # SQLite haversine does), so both backends agree and order consistently.
    def distance_m(self, lon: float, lat: float) -> ColumnElement[float]:
        return func.ST_Distance(self._geog, func.geography(self._point(lon, lat)), False).cast(Float)

    def within_m(self, lon: float, lat: float, radius_m: float) -> ColumnElement[bool]:
        return func.ST_DWithin(self._geog, func.geography(self._point(lon, lat)), radius_m, False)

    def nearest_order(self, lon: float, lat: float) -> ColumnElement[float]:
        return self._geog.op("<->")(func.geography(self._point(lon, lat)))

    def nearest_radius(self, session: Session, candidates: Select, lon: float, lat: float,
                       wanted: int) -> float | None:
        # KNN through the GiST index (ORDER BY <-> alone: a second sort key would make it sort the table);
        # the wanted-th distance, plus a centimetre for rounding, holds every row tied with it.
        order = self.nearest_order(lon, lat)
        found = session.scalars(candidates.with_only_columns(order).order_by(order).offset(wanted - 1).limit(1))
        last = found.first()
        return None if last is None else float(last) + 0.01

    def grid_cell(self, value: ColumnElement[float], origin: float, size: float) -> ColumnElement[int]:
        # PostgreSQL rounds when casting to integer: floor first.
        return cast(func.floor((value - origin) / size), Integer)


def spatial_index(session: Session) -> SpatialIndex:
    return PostgisIndex() if backend_name(session) == "postgresql" else SqliteRtreeIndex()
