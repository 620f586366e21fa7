"""Coordinate reference systems of survey files: CGCS2000 and its Gauss-Krüger zones.

Surveying offices deliver CGCS2000 (EPSG:4490) geographic coordinates or
plane coordinates in one of its Gauss-Krüger zones (transverse Mercator,
scale 1, false easting 500 km):

==============  ==================  ======================================
EPSG            zones               false easting
==============  ==================  ======================================
4491–4501       6° zones 13–23      zone number in front (e.g. 20 500 000)
4502–4512       6°, CM 75E–135E     500 000 (no zone number)
4513–4533       3° zones 25–45      zone number in front (e.g. 38 500 000)
4534–4554       3°, CM 75E–135E     500 000 (no zone number)
==============  ==================  ======================================

A file's CRS comes from its ``.prj`` (or the format's own header) or is
declared by whoever imports it; projected coordinates with neither are
refused, because guessing a zone moves a grave by up to hundreds of
kilometres. pyproj does the arithmetic (``always_xy=True``: x is easting or
longitude).

>>> gauss_kruger_epsg(zone_width=3, central_meridian=114)
4547
>>> gauss_kruger_epsg(zone_width=3, zone=38)
4526
>>> resolve_crs("EPSG:4526").name
'CGCS2000 / 3-degree Gauss-Kruger zone 38'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pyproj is imported inside the functions: keep start-up light
    from pyproj import CRS

WGS84_EPSG = 4326
CGCS2000_EPSG = 4490

# Short names accepted where a CRS is declared, beside "EPSG:n" and WKT.
ALIASES: dict[str, int] = {"wgs84": WGS84_EPSG, "cgcs2000": CGCS2000_EPSG}
SHIFTED = ("gcj02", "bd09")
"""Chinese map-app systems: geographic, handled by :mod:`gis.coords`, not by EPSG."""


class CrsError(ValueError):
    """A coordinate system that is missing, unknown or does not fit the coordinates."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def gauss_kruger_epsg(*, zone_width: int, zone: int | None = None, central_meridian: int | None = None) -> int:
    """The EPSG code of a CGCS2000 Gauss-Krüger zone.

    Give ``zone`` for the systems whose false easting starts with the zone
    number, ``central_meridian`` for those without it.
    """
    if (zone is None) == (central_meridian is None):
        raise CrsError("crs", "give either the zone number or the central meridian")
    if zone_width == 6:
        if zone is not None:
            if not 13 <= zone <= 23:
                raise CrsError("crs", f"6-degree zone {zone} is outside China (13 to 23)")
            return 4491 + zone - 13
        assert central_meridian is not None
        if central_meridian not in range(75, 136, 6):
            raise CrsError("crs", f"{central_meridian}E is not a 6-degree central meridian (75E, 81E, … 135E)")
        return 4502 + (central_meridian - 75) // 6
    if zone_width == 3:
        if zone is not None:
            if not 25 <= zone <= 45:
                raise CrsError("crs", f"3-degree zone {zone} is outside China (25 to 45)")
            return 4513 + zone - 25
        assert central_meridian is not None
        if central_meridian not in range(75, 136, 3):
            raise CrsError("crs", f"{central_meridian}E is not a 3-degree central meridian (75E, 78E, … 135E)")
        return 4534 + (central_meridian - 75) // 3
    raise CrsError("crs", f"zone width must be 3 or 6 degrees, got {zone_width}")


def zone_of(epsg: int) -> tuple[int, int, int | None] | None:
    """(zone width, central meridian, zone number or None) of a CGCS2000 zone code, else None."""
    if 4491 <= epsg <= 4501:
        zone = epsg - 4491 + 13
        return 6, zone * 6 - 3, zone
    if 4502 <= epsg <= 4512:
        return 6, 75 + (epsg - 4502) * 6, None
    if 4513 <= epsg <= 4533:
        zone = epsg - 4513 + 25
        return 3, zone * 3, zone
    if 4534 <= epsg <= 4554:
        return 3, 75 + (epsg - 4534) * 3, None
    return None


@lru_cache(maxsize=256)
def _from_user(text: str) -> CRS:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        return CRS.from_user_input(text)
    except CRSError:
        raise CrsError("crs", f"unknown coordinate system {text[:80]!r}; give an EPSG code such as EPSG:4526, "
                              "or wgs84 / cgcs2000") from None


def resolve_crs(declared: str | int | None = None, *, prj: str | None = None) -> CRS:
    """The CRS of a file: the one declared at import wins, else its ``.prj`` text.

    Raises :class:`CrsError` when neither is given or the text is not a CRS.
    """
    if declared is not None and str(declared).strip():
        text = str(declared).strip()
        key = text.lower().replace("-", "").replace("_", "")
        if key in ALIASES:
            return _from_user(f"EPSG:{ALIASES[key]}")
        if key in SHIFTED:
            raise CrsError("crs", f"{text} is a map-app system: convert the points with gis.coords first")
        if text.isdigit():
            text = f"EPSG:{text}"
        return _from_user(text)
    if prj is not None and prj.strip():
        return _from_user(prj.strip())
    raise CrsError("crs", "the file names no coordinate system (no .prj) and none was declared")


def epsg_of(crs: CRS) -> int | None:
    """The EPSG code of a CRS, matching an unnamed WKT (a .prj from desktop GIS) too."""
    code = crs.to_epsg(min_confidence=70)
    return int(code) if code is not None else None


def describe(crs: CRS) -> str:
    code = epsg_of(crs)
    return f"EPSG:{code} {crs.name}" if code else crs.name


def require_crs(crs: CRS | None, xs: Sequence[float], ys: Sequence[float]) -> CRS:
    """Check that coordinates fit their CRS; refuse projected coordinates without one.

    Without a CRS, coordinates that look like degrees are taken as CGCS2000
    (equal to WGS84 at map scale, as GeoJSON and KML require); anything else
    is refused with a message that says why. A zone CRS whose false easting
    carries the zone number must see that number in front of the eastings.
    """
    finite = [(x, y) for x, y in zip(xs, ys) if math.isfinite(x) and math.isfinite(y)]
    if crs is None:
        if all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in finite):
            return resolve_crs(CGCS2000_EPSG)
        x, y = next((x, y) for x, y in finite if not (-180 <= x <= 180 and -90 <= y <= 90))
        raise CrsError(
            "crs",
            f"the coordinates are projected (e.g. x={x:.2f}, y={y:.2f}) but the file has no .prj and no coordinate "
            "system was declared; declare it, e.g. EPSG:4526 for CGCS2000 3-degree zone 38 or EPSG:4547 for "
            "CGCS2000 3-degree CM 114E",
        )
    code = epsg_of(crs)
    zone = zone_of(code) if code else None
    if zone is not None and finite:
        width, meridian, number = zone
        leading = {int(x // 1_000_000) for x, _ in finite}
        if number is not None and leading != {number}:
            found = ", ".join(str(v) for v in sorted(leading)[:3])
            raise CrsError("crs", f"{describe(crs)} expects eastings that start with the zone number {number} "
                                  f"(e.g. {number}500000), the file has eastings starting with {found}")
        if number is None and leading - {0}:
            raise CrsError("crs", f"{describe(crs)} expects eastings near 500000 without a zone number; "
                                  "the file's eastings carry one: declare the zone-numbered system instead")
    return crs


@lru_cache(maxsize=64)
def _transformer(source_wkt: str):  # type: ignore[no-untyped-def]
    from pyproj import CRS, Transformer

    return Transformer.from_crs(CRS.from_wkt(source_wkt), CRS.from_epsg(WGS84_EPSG), always_xy=True)


def to_wgs84(xs: Sequence[float], ys: Sequence[float], crs: CRS) -> tuple[list[float], list[float]]:
    """Transform coordinates (x = easting or longitude) from ``crs`` to WGS84 longitude/latitude."""
    lons, lats = _transformer(crs.to_wkt()).transform(list(xs), list(ys))
    return [float(v) for v in lons], [float(v) for v in lats]


def from_wgs84(lons: Sequence[float], lats: Sequence[float], crs: CRS) -> tuple[list[float], list[float]]:
    """Transform WGS84 longitude/latitude into ``crs`` (x = easting or longitude)."""
    xs, ys = _transformer(crs.to_wkt()).transform(list(lons), list(lats), direction="INVERSE")
    return [float(v) for v in xs], [float(v) for v in ys]
