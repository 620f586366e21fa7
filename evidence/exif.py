"""Capture time, position and orientation from a photo's EXIF block.

A patrol photo is the inspector's proof of presence, so the two facts that
matter are *when* (capture time) and *where* (GPS). Phones and cameras write
EXIF in many dialects, and some write nonsense: ``0/0`` rationals (NaN), a
``0, 0`` position while the fix is still pending, a GPS date without a time,
``"0000:00:00 00:00:00"``, refs missing. Everything here answers ``None`` for a
value it cannot trust and never raises: a broken tag must make a photo
*unverified*, never make an upload fail.

Coordinates are returned as EXIF gives them: WGS84 longitude and latitude in
decimal degrees (phones record the GNSS fix; no datum shift is applied).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, TypeVar

from PIL import Image
from PIL.ExifTags import GPS, IFD, Base

T = TypeVar("T")

_DATE_TIME = re.compile(
    r"(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,6})\d*)?\s*(.*)"
)
_OFFSET = re.compile(r"(?:Z|(?:GMT|UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?)", re.IGNORECASE)
_GPS_DATE = re.compile(r"(\d{4})[:\-](\d{2})[:\-](\d{2})")
_LOWEST_YEAR = 1900  # older "capture" times are scanner or clock-reset artefacts
_ALTITUDE_RANGE_M = (-1000.0, 10000.0)  # Dead Sea shore to above Everest


@dataclass(frozen=True)
class ExifFacts:
    """What a photo's EXIF says about its capture, each part ``None`` when untrusted.

    Attributes
    ----------
    taken_at : datetime or None
        Timezone-aware capture time.
    gps : tuple of float or None
        ``(longitude, latitude)`` in WGS84 decimal degrees.
    gps_altitude_m : float or None
        Metres above (negative: below) sea level; ``None`` whenever ``gps`` is
        ``None``, since a height without a position proves nothing.
    orientation : int
        EXIF orientation 1–8 describing how to turn the stored pixels for
        display; 1 when absent or invalid.
    """

    taken_at: datetime | None
    gps: tuple[float, float] | None
    gps_altitude_m: float | None
    orientation: int


def read_exif(exif: Image.Exif, *, default_tz: tzinfo) -> ExifFacts:
    """Read capture time, position and orientation from a parsed EXIF block.

    Parameters
    ----------
    exif : PIL.Image.Exif
        As returned by ``Image.getexif()``; may be empty.
    default_tz : tzinfo
        Zone for local times written without an offset (most cameras, many
        Android phones). The bureau's own zone is the honest guess: the
        inspector stood at a grave in that zone.

    Returns
    -------
    ExifFacts
        Never raises for malformed tags; unreadable parts are ``None``.

    Examples
    --------
    >>> from zoneinfo import ZoneInfo
    >>> read_exif(Image.Exif(), default_tz=ZoneInfo("Asia/Shanghai")).gps is None
    True
    """
    exif_ifd = _safe(lambda: exif.get_ifd(IFD.Exif), {})
    gps_ifd = _safe(lambda: exif.get_ifd(IFD.GPSInfo), {})
    position = _safe(lambda: _position(gps_ifd), None)
    altitude = _safe(lambda: _altitude(gps_ifd), None) if position else None
    return ExifFacts(
        taken_at=_safe(lambda: _taken_at(exif, exif_ifd, gps_ifd, default_tz), None),
        gps=position,
        gps_altitude_m=altitude,
        orientation=_safe(lambda: _orientation(exif), 1),
    )


def _safe(read: Callable[[], T], fallback: T) -> T:
    # EXIF is untrusted input written by thousands of firmware versions: any
    # failure while interpreting it means "unknown", never a failed upload.
    try:
        return read()
    except Exception:  # noqa: BLE001 - deliberate, see above
        return fallback


def _orientation(exif: Image.Exif) -> int:
    value = exif.get(Base.Orientation)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _taken_at(
    exif: Image.Exif, exif_ifd: dict[int, Any], gps_ifd: dict[int, Any], default_tz: tzinfo
) -> datetime | None:
    # Shutter time first; then the file's last change (usually the same moment
    # on phones); then the GNSS clock, which is UTC by definition.
    original = _local_time(
        exif_ifd.get(Base.DateTimeOriginal), exif_ifd.get(Base.OffsetTimeOriginal), default_tz
    )
    if original is not None:
        return original
    changed = _local_time(exif.get(Base.DateTime), exif_ifd.get(Base.OffsetTime), default_tz)
    if changed is not None:
        return changed
    return _safe(lambda: _gps_time(gps_ifd), None)


def _local_time(value: Any, offset: Any, default_tz: tzinfo) -> datetime | None:
    match = _DATE_TIME.fullmatch(_text(value))
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    micro = int((match.group(7) or "0").ljust(6, "0"))
    if year < _LOWEST_YEAR:
        return None
    try:
        naive = datetime(year, month, day, hour, minute, second, micro)
    except ValueError:
        return None
    zone = _zone(match.group(8)) or _zone(_text(offset)) or default_tz
    return naive.replace(tzinfo=zone)


def _zone(text: str) -> timezone | None:
    match = _OFFSET.fullmatch(text.strip()) if text.strip() else None
    if match is None:
        return None
    if match.group(1) is None:  # "Z"
        return timezone.utc
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes >= 60:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if match.group(1) == "-" else delta)


def _gps_time(gps_ifd: dict[int, Any]) -> datetime | None:
    date = _GPS_DATE.fullmatch(_text(gps_ifd.get(GPS.GPSDateStamp)))
    stamp = gps_ifd.get(GPS.GPSTimeStamp)
    if date is None or stamp is None:  # a date alone is not a moment
        return None
    hours, minutes, seconds = (_number(part) for part in stamp)
    if not all(math.isfinite(v) and v >= 0 for v in (hours, minutes, seconds)):
        return None
    year, month, day = (int(g) for g in date.groups())
    if year < _LOWEST_YEAR or hours >= 24 or minutes >= 60 or seconds >= 61:
        return None
    start = datetime(year, month, day, tzinfo=timezone.utc)
    return start + timedelta(hours=int(hours), minutes=int(minutes), seconds=seconds)


def _position(gps_ifd: dict[int, Any]) -> tuple[float, float] | None:
    latitude = _coordinate(gps_ifd.get(GPS.GPSLatitude), gps_ifd.get(GPS.GPSLatitudeRef),
                           "NS", 90.0)
    longitude = _coordinate(gps_ifd.get(GPS.GPSLongitude), gps_ifd.get(GPS.GPSLongitudeRef),
                            "EW", 180.0)
    if latitude is None or longitude is None:
        return None
    if latitude == 0.0 and longitude == 0.0:  # receivers write 0,0 before the first fix
        return None
    return (longitude, latitude)


def _coordinate(value: Any, ref: Any, refs: str, limit: float) -> float | None:
    # Without its N/S or E/W reference a value could be on either side of the
    # globe: that is no position at all.
    hemisphere = _text(ref).upper()[:1]
    if not hemisphere or hemisphere not in refs or value is None:
        return None
    parts = [_number(part) for part in (value if isinstance(value, tuple | list) else (value,))]
    if not 1 <= len(parts) <= 3 or not all(math.isfinite(p) and p >= 0 for p in parts):
        return None
    degrees, minutes, seconds = (parts + [0.0, 0.0])[:3]
    if minutes >= 60 or seconds >= 60:
        return None
    decimal = degrees + minutes / 60 + seconds / 3600
    if decimal > limit:
        return None
    return -decimal if hemisphere == refs[1] else decimal


def _altitude(gps_ifd: dict[int, Any]) -> float | None:
    value = gps_ifd.get(GPS.GPSAltitude)
    if value is None:
        return None
    metres = _number(value)
    ref = gps_ifd.get(GPS.GPSAltitudeRef, 0)
    ref = ref[0] if isinstance(ref, bytes) and ref else ref
    if not math.isfinite(metres) or metres < 0 or ref not in (0, 1, 2, 3):
        return None
    # 0 and 2 (EXIF 3.0 ellipsoidal height) are above, 1 and 3 below.
    metres = -metres if ref in (1, 3) else metres
    low, high = _ALTITUDE_RANGE_M
    return metres if low <= metres <= high else None


def _number(value: Any) -> float:
    # IFDRational(0, 0) converts to NaN; older writers give (num, den) pairs.
    if isinstance(value, tuple) and len(value) == 2:
        numerator, denominator = value
        return numerator / denominator if denominator else math.nan
    return float(value)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return ""
    return value.strip("\x00 \t\r\n")
