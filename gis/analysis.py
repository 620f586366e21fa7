"""Geometry answers for planners: what lies inside a zone, nearest cemeteries, clusters of graves.

Pure functions over WGS84 points and Shapely geometries; the caller pre-selects
candidates with the database's spatial index (a bounding box from
:func:`search_box`) and hands them in. Metric work is done in a transverse
Mercator centred on the data (scale error under 0.1% within 150 km of its
meridian), and distances are reported in metres, 0 for a point inside.
Nearest neighbours and clusters use Shapely's STRtree, a spatial index,
never a loop over every pair.

>>> from shapely.geometry import Point, Polygon
>>> zone = Polygon([(114.70, 31.40), (114.71, 31.40), (114.71, 31.41), (114.70, 31.41)])
>>> [(i, round(d)) for i, d in within([(1, 114.705, 31.405), (2, 114.72, 31.405)], zone, buffer_m=0)]
[(1, 0)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from gis.geodesy import BBox

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

Candidate = tuple[int, float, float]
"""(id, longitude, latitude) in WGS84."""
MAX_BUFFER_M = 100_000.0


class AnalysisError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@lru_cache(maxsize=64)
def _transformers(lon_0: float, lat_0: float) -> tuple[Any, Any]:
    from pyproj import Transformer

    local = f"+proj=tmerc +lat_0={lat_0} +lon_0={lon_0} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
    return (Transformer.from_crs("EPSG:4326", local, always_xy=True),
            Transformer.from_crs(local, "EPSG:4326", always_xy=True))


def _local(geometry: BaseGeometry) -> tuple[Any, Any]:
    c = geometry.centroid
    return _transformers(round(c.x, 2), round(c.y, 2))


def _project(geometry: BaseGeometry, transformer: Any) -> BaseGeometry:
    import shapely

    return shapely.transform(geometry, lambda x, y: transformer.transform(x, y), interleaved=False)


def parse_geometry(data: object, *, field: str = "geometry") -> BaseGeometry:
    """A GeoJSON geometry (dict) as a valid Shapely geometry in WGS84, or :class:`AnalysisError`."""
    import shapely
    from shapely.geometry import shape

    if not isinstance(data, dict) or "type" not in data:
        raise AnalysisError(field, "must be a GeoJSON geometry object with a type")
    try:
        geometry = shape(data)
    except Exception as exc:  # noqa: BLE001 - Shapely raises many kinds for hostile GeoJSON; all are bad input
        raise AnalysisError(field, f"not a valid GeoJSON geometry ({str(exc)[:120]})") from None
    try:
        empty, valid = geometry.is_empty, geometry.is_valid
    except Exception:  # noqa: BLE001 - e.g. NaN coordinates
        raise AnalysisError(field, "not a valid GeoJSON geometry") from None
    if empty:
        raise AnalysisError(field, "is empty")
    if not valid:
        raise AnalysisError(field, f"invalid geometry: {shapely.is_valid_reason(geometry)}")
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise AnalysisError(field, "coordinates must be longitude/latitude in degrees (give crs for others)")
    if maxx - minx > 5 or maxy - miny > 5:
        raise AnalysisError(field, "spans more than 5 degrees: analyse a site, a road or a county at a time")
    return geometry


def zone(geometry: BaseGeometry, buffer_m: float) -> BaseGeometry:
    """The geometry grown by ``buffer_m`` metres, in WGS84."""
    if not 0 <= buffer_m <= MAX_BUFFER_M:
        raise AnalysisError("buffer_m", f"must be between 0 and {MAX_BUFFER_M:g} metres")
    return _grow(geometry, buffer_m)


def _grow(geometry: BaseGeometry, buffer_m: float) -> BaseGeometry:
    if buffer_m == 0:
        return geometry
    forward, back = _local(geometry)
    return _project(_project(geometry, forward).buffer(buffer_m, quad_segs=16), back)


def search_box(geometry: BaseGeometry, buffer_m: float) -> BBox:
    """A WGS84 rectangle holding every point within ``buffer_m`` of the geometry (for the index)."""
    if not 0 <= buffer_m <= MAX_BUFFER_M:
        raise AnalysisError("buffer_m", f"must be between 0 and {MAX_BUFFER_M:g} metres")
    minx, miny, maxx, maxy = _grow(geometry, buffer_m * 1.01 + 1).bounds
    return BBox(minx, miny, maxx, maxy)


def within(candidates: Sequence[Candidate], geometry: BaseGeometry, *, buffer_m: float) -> list[tuple[int, float]]:
    """(id, distance in metres) of the candidates within ``buffer_m`` of the geometry, nearest first."""
    import shapely

    if not candidates:
        return []
    forward, _ = _local(geometry)
    local = _project(geometry, forward)
    xs, ys = forward.transform([c[1] for c in candidates], [c[2] for c in candidates])
    points = shapely.points(xs, ys)
    distances = shapely.distance(local, points)
    hits = [(c[0], float(d)) for c, d in zip(candidates, distances) if d <= buffer_m]
    return sorted(hits, key=lambda h: (h[1], h[0]))


def nearest(sources: Sequence[Candidate], targets: Sequence[Candidate]) -> list[tuple[int, int, float]]:
    """For every source, (source id, nearest target id, distance in metres), through an STRtree of the targets."""
    import shapely

    from gis.geodesy import distance_m

    if not sources or not targets:
        return []
    lons = [c[1] for c in (*sources, *targets)]
    lats = [c[2] for c in (*sources, *targets)]
    forward, _ = _transformers(round((min(lons) + max(lons)) / 2, 2), round((min(lats) + max(lats)) / 2, 2))
    sx, sy = forward.transform([c[1] for c in sources], [c[2] for c in sources])
    tx, ty = forward.transform([c[1] for c in targets], [c[2] for c in targets])
    tree = shapely.STRtree(shapely.points(tx, ty))
    source_index, target_index = tree.query_nearest(shapely.points(sx, sy), all_matches=False)
    out = []
    for si, ti in zip(source_index, target_index):
        s, t = sources[int(si)], targets[int(ti)]
        out.append((s[0], t[0], distance_m(s[1], s[2], t[1], t[2])))
    return sorted(out, key=lambda r: (r[0]))


@dataclass
class Cluster:
    ids: list[int]
    centroid: tuple[float, float]
    """WGS84 longitude, latitude."""


def clusters(points: Sequence[Candidate], *, distance_m: float, min_size: int = 2) -> list[Cluster]:
    """Groups of points linked by chains of neighbours within ``distance_m`` (single linkage).

    The same groups as DBSCAN with ``min_samples=2`` and ``eps=distance_m``:
    the STRtree answers every point's neighbours in one bulk query, and a
    union-find joins them. Largest groups first.
    """
    import shapely

    if not 0 < distance_m <= 50_000:
        raise AnalysisError("distance_m", "must be more than 0 and at most 50000 metres")
    if len(points) < min_size:
        return []
    lons = [c[1] for c in points]
    lats = [c[2] for c in points]
    forward, back = _transformers(round((min(lons) + max(lons)) / 2, 2), round((min(lats) + max(lats)) / 2, 2))
    xs, ys = forward.transform(lons, lats)
    geoms = shapely.points(xs, ys)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=distance_m)
    parent = list(range(len(points)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(left.tolist(), right.tolist()):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(len(points)):
        groups.setdefault(root(i), []).append(i)
    out = []
    for members in groups.values():
        if len(members) < min_size:
            continue
        cx = sum(xs[i] for i in members) / len(members)
        cy = sum(ys[i] for i in members) / len(members)
        lon, lat = back.transform(cx, cy)
        out.append(Cluster(sorted(points[i][0] for i in members), (round(float(lon), 7), round(float(lat), 7))))
    return sorted(out, key=lambda c: (-len(c.ids), c.ids[0]))


CODE_COLUMNS = ("区划代码", "行政区划代码", "乡镇代码", "code", "xzqdm", "adcode")
NAME_COLUMNS = ("名称", "乡镇", "乡镇名称", "name", "xzqmc")


def _pick(columns: Sequence[str], names: Sequence[str], chosen: str | None, what: str) -> str:
    if chosen:
        if chosen not in columns:
            raise AnalysisError(what, f"no column {chosen!r} in the boundary file (it has: {', '.join(columns)[:300]})")
        return chosen
    lowered = {c.lower(): c for c in columns}
    found = next((lowered[n] for n in names if n in lowered), None)
    if found is None:
        raise AnalysisError(what, f"name the boundary file's {what.replace('_', ' ')} (it has: "
                                  f"{', '.join(columns)[:300]})")
    return found


def join_to_areas(points: Sequence[Candidate], areas: Sequence[tuple[dict[str, str], BaseGeometry]], *,
                  code_column: str | None = None, name_column: str | None = None) -> dict[int, tuple[str, str]]:
    """Which area (code, name) each point lies in: a GeoPandas spatial join (STRtree inside).

    ``areas`` are (attributes, WGS84 polygon), e.g. a bureau's township
    boundaries; points outside every area are left out of the answer.
    """
    import geopandas
    import shapely

    if not areas or not points:
        return {}
    columns = list(areas[0][0])
    code_col = _pick(columns, CODE_COLUMNS, code_column, "code_column")
    name_col = _pick(columns, NAME_COLUMNS, name_column, "name_column") if (name_column or any(
        c.lower() in NAME_COLUMNS for c in columns)) else code_col
    polygons = geopandas.GeoDataFrame(
        {"area_code": [a[0].get(code_col, "") for a in areas], "area_name": [a[0].get(name_col, "") for a in areas]},
        geometry=[a[1] for a in areas], crs="EPSG:4326")
    facilities = geopandas.GeoDataFrame(
        {"fid": [p[0] for p in points]},
        geometry=shapely.points([p[1] for p in points], [p[2] for p in points]), crs="EPSG:4326")
    joined = geopandas.sjoin(facilities, polygons, how="inner", predicate="within")
    out: dict[int, tuple[str, str]] = {}
    for fid, code, name in zip(joined["fid"], joined["area_code"], joined["area_name"]):
        out.setdefault(int(fid), (str(code), str(name)))
    return out
