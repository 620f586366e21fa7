"""Distances and search boxes on the WGS84 ellipsoid.

Distances are geodesic (pyproj's ``Geod``, WGS84 ellipsoid), in metres.
The search box is the prefilter for "within N metres" queries: a degree
rectangle that surely contains the circle, to be checked against a spatial
index before the exact distance test.

>>> round(distance_m(114.6, 31.3, 114.6, 31.301))   # 0.001 degree of latitude, WGS84
111
>>> box = degree_box(114.6, 31.3, 1000)
>>> box.min_lon < 114.6 < box.max_lon and box.min_lat < 31.3 < box.max_lat
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from pyproj import Geod

EARTH_RADIUS_M = 6371008.8
"""Mean Earth radius, used by the spherical (haversine) distance in SQL."""

# Metres per degree of latitude is at least this anywhere on the ellipsoid.
_MIN_M_PER_DEG_LAT = 110_574.0


@lru_cache(maxsize=1)
def _geod() -> Geod:
    return Geod(ellps="WGS84")


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Geodesic distance in metres between two WGS84 points."""
    _, _, dist = _geod().inv(lon1, lat1, lon2, lat2)
    return float(dist)


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance on the mean sphere; matches the SQL version."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class BBox:
    """A WGS84 rectangle in degrees."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lon: float, lat: float) -> bool:
        return self.min_lon <= lon <= self.max_lon and self.min_lat <= lat <= self.max_lat

    @property
    def center(self) -> tuple[float, float]:
        return (self.min_lon + self.max_lon) / 2, (self.min_lat + self.max_lat) / 2


def degree_box(lon: float, lat: float, radius_m: float) -> BBox:
    """A rectangle that contains every point within ``radius_m`` of (lon, lat).

    Longitude degrees shrink with cos(latitude); the box is padded by 1% so
    the spherical and ellipsoidal distances both stay inside it.
    """
    pad = radius_m * 1.01
    dlat = pad / _MIN_M_PER_DEG_LAT
    far_lat = min(89.9, abs(lat) + dlat)
    dlon = pad / (_MIN_M_PER_DEG_LAT * max(math.cos(math.radians(far_lat)), 1e-6))
    return BBox(lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def parse_bbox(text: str, *, field: str = "bbox") -> BBox:
    """Parse ``minLon,minLat,maxLon,maxLat``; raise ``ValueError`` naming what is wrong."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        raise ValueError(f"{field}: expected minLon,minLat,maxLon,maxLat (four numbers), got {len(parts)} values")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"{field}: all four values must be numbers") from None
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise ValueError(f"{field}: values must be finite numbers")
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise ValueError(f"{field}: longitudes must lie in [-180, 180] and latitudes in [-90, 90]")
    if min_lon > max_lon or min_lat > max_lat:
        raise ValueError(f"{field}: minimum must not exceed maximum (minLon,minLat,maxLon,maxLat)")
    return BBox(min_lon, min_lat, max_lon, max_lat)
