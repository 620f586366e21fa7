"""Location proof: does a photo prove that whoever took it stood at the facility?

An inspector's patrol photos prove his visit; a proxy visitor's photos of a
grave, or a repair's before and after photos, can prove theirs the same way.
A photo is ``verified`` when its EXIF GPS position lies within the radius
(default 200 m) of the facility, ``far`` beyond it, ``no_gps`` without a
position. Phone browsers often strip GPS from uploads, so the page also
sends the phone's own position at capture time; it is kept beside the
photo's, and a large gap between the two (default 500 m) is flagged: one of
them is wrong, and a reviewer should look.

A photo proves one visit only. One already used as proof by the same
owner type at the same facility (the same bytes, or the same EXIF capture
time: a copy re-encoded or resized by a messaging app; the owner finds
those, see :class:`EarlierUse`) or sent twice in one submission is
``reused``, whatever its position says, and is not counted as verified.
Within one submission only the bytes count: a burst of photos can share
their second.

Positions from the phone arrive in the coordinate system the page declares
(GCJ-02 on many Chinese phones) and are converted to WGS84 before any
distance is measured; EXIF GPS is WGS84.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from gis.coords import CoordinateError, check_point, to_wgs84
from gis.geodesy import distance_m
from memorials.errors import ValidationProblem


@dataclass(frozen=True)
class Thresholds:
    radius_m: float = 200.0
    gap_flag_m: float = 500.0


@dataclass(frozen=True)
class PhotoProof:
    distance_m: float | None
    verification: str
    device: tuple[float, float] | None
    device_gap_m: float | None
    gap_flagged: bool


class Verification(StrEnum):
    """What a photo proves about where its taker stood."""

    verified = "verified"
    far = "far"
    no_gps = "no_gps"
    reused = "reused"


@dataclass
class EarlierUse:
    """Photos already used as proof at one facility: their SHA-256 and EXIF capture times."""

    hashes: set[str]
    taken: set[datetime]

    def claim(self, sha256: str, taken_at: datetime | None) -> bool:
        """Whether this photo was used before; it is used from now on (within this submission, by its bytes)."""
        reused = sha256 in self.hashes or (taken_at is not None and taken_at in self.taken)
        self.hashes.add(sha256)
        return reused


def phone_position(lon: float, lat: float, crs: str, *, field: str) -> tuple[float, float]:
    """A position sent by the page, checked and converted to WGS84."""
    try:
        lon, lat = check_point(lon, lat, lon_field=f"{field}.longitude", lat_field=f"{field}.latitude")
        return to_wgs84(lon, lat, crs)
    except CoordinateError as exc:
        raise ValidationProblem(exc.field, exc.reason) from None


def prove(
    *,
    facility: tuple[float, float],
    gps: tuple[float, float] | None,
    device: tuple[float, float] | None,
    thresholds: Thresholds,
    reused: bool = False,
) -> PhotoProof:
    """Measure one photo against the facility (all positions WGS84); a reused photo proves nothing new."""
    distance = distance_m(*gps, *facility) if gps else None
    if reused:
        verification = Verification.reused
    elif distance is None:
        verification = Verification.no_gps
    elif distance <= thresholds.radius_m:
        verification = Verification.verified
    else:
        verification = Verification.far
    gap = distance_m(*gps, *device) if gps and device else None
    return PhotoProof(
        distance_m=round(distance, 1) if distance is not None else None,
        verification=verification,
        device=device,
        device_gap_m=round(gap, 1) if gap is not None else None,
        gap_flagged=gap is not None and gap > thresholds.gap_flag_m,
    )
