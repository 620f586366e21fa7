"""Generated photos for demo data: a stele with EXIF time and GPS, so it passes the location proof.

Used by the domain packages' fictional demo histories (repairs' before and
after photos, proxy visits' photos); never by real submissions.
"""

from __future__ import annotations

import io
from datetime import datetime

from PIL import ExifTags, Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational

from memorials import clock


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 2)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(int(seconds * 100), 100)


def demo_photo(lon: float, lat: float, taken: datetime, *, after: bool, seed: int) -> bytes:
    """A generated JPEG of a stele, weathered (before) or restored (after), with EXIF time and GPS (WGS84)."""
    img = Image.new("RGB", (800, 600), (150 + seed % 40, 165, 140) if after else (120, 118, 104))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 430, 800, 600], fill=(96, 128, 80) if after else (110, 96, 70))
    draw.rectangle([300, 150, 500, 470], fill=(72, 72, 78) if after else (128, 124, 112))
    draw.rectangle([280, 460, 520, 500], fill=(90, 90, 94) if after else (118, 110, 98))
    if after:
        draw.rectangle([330, 190, 470, 210], fill=(200, 30, 30))
    else:
        draw.line([(320, 170), (380, 300), (350, 420)], fill=(60, 50, 40), width=4)
        draw.ellipse([60 + seed % 200, 380, 260 + seed % 200, 470], fill=(70, 100, 50))
    exif = img.getexif()
    fields = exif.get_ifd(ExifTags.IFD.Exif)
    local = taken.astimezone(clock.zone())
    fields[ExifTags.Base.DateTimeOriginal] = local.strftime("%Y:%m:%d %H:%M:%S")
    fields[ExifTags.Base.OffsetTimeOriginal] = local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[1], gps[2] = ("N" if lat >= 0 else "S"), _dms(abs(lat))
    gps[3], gps[4] = ("E" if lon >= 0 else "W"), _dms(abs(lon))
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=82)
    return out.getvalue()
