"""Field photos for the load test: a template JPEG with a phone's EXIF (capture time, GPS) written in.

Rewriting only the Exif segment costs nothing next to encoding a 12 MP photo,
so every patrol of the load test sends photos with new bytes (a new SHA-256),
a capture time of their own and a position beside the facility, which the
server's location proof (:mod:`evidence.location`) accepts. No locust here:
the benchmark process imports this module too (locust patches the standard
library with gevent when imported).
"""

from __future__ import annotations

import random
import struct
from datetime import datetime

from PIL import Image
from PIL.ExifTags import GPS, IFD, Base
from PIL.TiffImagePlugin import IFDRational


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(round(seconds * 10_000), 10_000)


def exif_segment(*, lon: float, lat: float, taken: datetime) -> bytes:
    """An APP1 Exif segment: the phone's make, the capture time (+08:00) and a GPS position."""
    exif = Image.Exif()
    exif[Base.Make], exif[Base.Model] = "LoadTest", "Phone"
    exif[Base.DateTime] = taken.strftime("%Y:%m:%d %H:%M:%S")
    sub = exif.get_ifd(IFD.Exif)
    sub[Base.DateTimeOriginal] = taken.strftime("%Y:%m:%d %H:%M:%S")
    sub[Base.OffsetTimeOriginal] = "+08:00"
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[GPS.GPSLatitudeRef], gps[GPS.GPSLongitudeRef] = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")
    gps[GPS.GPSLatitude], gps[GPS.GPSLongitude] = _dms(abs(lat)), _dms(abs(lon))
    payload = exif.tobytes()  # starts with b"Exif\0\0"
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def with_exif(jpeg: bytes, segment: bytes) -> bytes:
    """``jpeg`` with its Exif segment replaced by ``segment`` (inserted after SOI/APP0 if it had none)."""
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    parts, pos, placed = [jpeg[:2]], 2, False
    while pos + 4 <= len(jpeg) and jpeg[pos] == 0xFF and jpeg[pos + 1] != 0xDA:  # up to the scan
        length = struct.unpack(">H", jpeg[pos + 2 : pos + 4])[0]
        part = jpeg[pos : pos + 2 + length]
        if jpeg[pos + 1] == 0xE1 and part[4:10] == b"Exif\x00\x00":
            parts.append(segment)
            placed = True
        else:
            parts.append(part)
            if not placed and jpeg[pos + 1] != 0xE0:  # after APP0 (JFIF), before the rest
                parts.insert(len(parts) - 1, segment)
                placed = True
        pos += 2 + length
    if not placed:
        parts.append(segment)
    parts.append(jpeg[pos:])
    return b"".join(parts)


def photo_at(template: bytes, lon: float, lat: float, taken: datetime, rng: random.Random) -> bytes:
    """``template`` (a JPEG) as if taken at ``taken`` at (``lon``, ``lat``) give or take 40 m: new bytes each time."""
    east, north = rng.uniform(-0.0004, 0.0004), rng.uniform(-0.0003, 0.0003)  # ≈ ±40 m, ±33 m
    return with_exif(template, exif_segment(lon=lon + east, lat=lat + north, taken=taken))
