"""Coordinate systems met in Chinese field work, and conversions to WGS84.

The registry stores every point in WGS84 (EPSG:4326). Points arrive in four
systems:

``wgs84``
    GPS chips and photo EXIF.
``cgcs2000``
    China Geodetic Coordinate System 2000 (EPSG:4490), used by planners'
    files and Tianditu. It differs from WGS84 by centimetres, far below what
    a grave's position means, so geographic CGCS2000 is taken as is.
``gcj02``
    The obfuscated system required of Chinese map apps (Gaode/Amap, Tencent,
    phones' location services). Inside China it is shifted 100-700 m from
    WGS84; outside China it equals WGS84.
``bd09``
    Baidu's system, a further distortion of GCJ-02.

The forward WGS84 -> GCJ-02 formula is public; its inverse has no closed
form and is solved here by fixed-point iteration to well under a millimetre.

Examples
--------
>>> lon, lat = wgs84_to_gcj02(116.397428, 39.90923)   # Beijing, WGS84 in
>>> round(lon, 4), round(lat, 4)                     # GCJ-02 out
(116.4037, 39.9106)
>>> tuple(round(v, 6) for v in to_wgs84(lon, lat, "gcj02"))   # and back
(116.397428, 39.90923)
"""

from __future__ import annotations

import math
from typing import Literal, get_args

Crs = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]
CRS_NAMES: tuple[str, ...] = get_args(Crs)

# Krasovsky 1940 ellipsoid, as the GCJ-02 formula uses it.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0

# China's extent, South China Sea islands included (degrees, WGS84).
CHINA_MIN_LON, CHINA_MAX_LON = 73.4, 135.1
CHINA_MIN_LAT, CHINA_MAX_LAT = 3.8, 53.6


class CoordinateError(ValueError):
    """A coordinate pair that cannot be a place in China.

    ``field`` names the offending input field, ``reason`` says why in a way a
    user can act on.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _outside_gcj_area(lon: float, lat: float) -> bool:
    # The rough rectangle inside which the GCJ-02 shift is applied.
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _shift_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Shift a WGS84 point to GCJ-02, e.g. to draw it on Gaode tiles."""
    if _outside_gcj_area(lon, lat):
        return lon, lat
    dlat = _shift_lat(lon - 105.0, lat - 35.0)
    dlon = _shift_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float, *, tolerance_deg: float = 1e-10) -> tuple[float, float]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration.

    One subtraction of the forward shift leaves up to ~4 m of error; a few
    iterations bring it below a millimetre.
    """
    if _outside_gcj_area(lon, lat):
        return lon, lat
    wlon, wlat = lon, lat
    for _ in range(30):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        wlon, wlat = wlon - dlon, wlat - dlat
        if abs(dlon) < tolerance_deg and abs(dlat) < tolerance_deg:
            break
    return wlon, wlat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lon: float, lat: float, *, tolerance_deg: float = 1e-10) -> tuple[float, float]:
    """Invert :func:`gcj02_to_bd09`; the usual closed form is refined by iteration."""
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    glon, glat = z * math.cos(theta), z * math.sin(theta)
    for _ in range(10):
        blon, blat = gcj02_to_bd09(glon, glat)
        dlon, dlat = blon - lon, blat - lat
        glon, glat = glon - dlon, glat - dlat
        if abs(dlon) < tolerance_deg and abs(dlat) < tolerance_deg:
            break
    return glon, glat


def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Convert a geographic point in ``crs`` to WGS84.

    Raises ``CoordinateError`` for a system it does not know: guessing a CRS
    moves graves by hundreds of metres without anyone noticing.
    """
    if crs in ("wgs84", "cgcs2000"):
        return lon, lat
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if crs == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    raise CoordinateError("crs", f"unknown coordinate system {crs!r}; use one of {', '.join(CRS_NAMES)}")


def from_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """Convert a WGS84 point to ``crs`` (for display on that system's tiles)."""
    if crs in ("wgs84", "cgcs2000"):
        return lon, lat
    if crs == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if crs == "bd09":
        return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    raise CoordinateError("crs", f"unknown coordinate system {crs!r}; use one of {', '.join(CRS_NAMES)}")


def in_china(lon: float, lat: float) -> bool:
    return CHINA_MIN_LON <= lon <= CHINA_MAX_LON and CHINA_MIN_LAT <= lat <= CHINA_MAX_LAT


def check_point(lon: object, lat: object, *, lon_field: str = "longitude", lat_field: str = "latitude") -> tuple[float, float]:
    """Validate a longitude/latitude pair meant to lie in China.

    Returns the pair as floats, or raises ``CoordinateError`` naming the field
    and the reason. A pair that only fits when swapped is reported as such,
    because that is the most common slip in spreadsheets.

    >>> check_point(114.6, 31.3)
    (114.6, 31.3)
    >>> try:
    ...     check_point(31.3, 114.6)
    ... except CoordinateError as exc:
    ...     print(exc.field, "-", exc.reason)
    longitude - (31.3, 114.6) looks swapped: longitude and latitude seem to be in each other's place
    """
    values = []
    for name, value in ((lon_field, lon), (lat_field, lat)):
        if isinstance(value, bool) or value is None:
            raise CoordinateError(name, "must be a number")
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise CoordinateError(name, f"must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise CoordinateError(name, "must be a finite number")
        values.append(number)
    x, y = values
    if in_china(x, y):
        return x, y
    if in_china(y, x):
        raise CoordinateError(
            lon_field,
            f"({x:g}, {y:g}) looks swapped: longitude and latitude seem to be in each other's place",
        )
    if not CHINA_MIN_LON <= x <= CHINA_MAX_LON:
        raise CoordinateError(lon_field, f"{x:g} is outside China (longitude {CHINA_MIN_LON} to {CHINA_MAX_LON})")
    raise CoordinateError(lat_field, f"{y:g} is outside China (latitude {CHINA_MIN_LAT} to {CHINA_MAX_LAT})")
