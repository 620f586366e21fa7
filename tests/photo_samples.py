"""Real photo files for the photo tests: made with Pillow, or fetched from registries.

Every file here is real: JPEG, PNG and HEIC written by Pillow and pillow-heif
with EXIF written through ``PIL.Image.Exif``, broken files cut or patched from
real ones, and camera/phone photos that EXIF libraries ship as their own test
fixtures, downloaded from PyPI or npm into a cache at test time (nothing
third-party is committed). Their expected values were read with ExifTool 12.57
(``exiftool -n``), independently of the code under test.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageDraw
from PIL.ExifTags import GPS, IFD, Base
from PIL.TiffImagePlugin import IFDRational

MARKER = (220, 30, 30)  # painted in the stored top-left corner to follow rotations


def rational(value: float, denominator: int = 10000) -> IFDRational:
    return IFDRational(round(value * denominator), denominator)


def dms(decimal: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    """Degrees, minutes, seconds as phones write them (seconds to 1/100)."""
    hundredths = round(decimal * 360_000)  # whole 1/100 s first, so 31.4 is 31°24'0" and never 31°23'60"
    degrees, rest = divmod(hundredths, 360_000)
    minutes, seconds = divmod(rest, 6000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 100)


def exif_block(
    *,
    original: str | None = None,
    offset: str | None = None,
    changed: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    altitude: float | None = None,
    gps_date: str | None = None,
    gps_time: tuple[float, float, float] | None = None,
    orientation: int | None = None,
    gps: dict[int, object] | None = None,
) -> Image.Exif:
    """An EXIF block: IFD0, Exif IFD and GPS IFD. ``gps`` adds raw GPS tags as given."""
    exif = Image.Exif()
    exif[Base.Make], exif[Base.Model] = "Test", "Phone"
    if orientation is not None:
        exif[Base.Orientation] = orientation
    if changed is not None:
        exif[Base.DateTime] = changed
    if original is not None or offset is not None:
        exif_ifd = exif.get_ifd(IFD.Exif)
        if original is not None:
            exif_ifd[Base.DateTimeOriginal] = original
        if offset is not None:
            exif_ifd[Base.OffsetTimeOriginal] = offset
    tags: dict[int, object] = {}
    if lat is not None:
        tags[GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        tags[GPS.GPSLatitude] = dms(abs(lat))
    if lon is not None:
        tags[GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        tags[GPS.GPSLongitude] = dms(abs(lon))
    if altitude is not None:
        tags[GPS.GPSAltitudeRef] = b"\x01" if altitude < 0 else b"\x00"
        tags[GPS.GPSAltitude] = rational(abs(altitude), 100)
    if gps_date is not None:
        tags[GPS.GPSDateStamp] = gps_date
    if gps_time is not None:
        tags[GPS.GPSTimeStamp] = tuple(rational(v, 100) for v in gps_time)
    tags.update(gps or {})
    if tags:
        exif.get_ifd(IFD.GPSInfo).update(tags)
    return exif


def picture(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """A gradient with a red block in the top-left corner of the stored pixels."""
    image = Image.linear_gradient("L").resize((width, height)).convert(mode)
    ImageDraw.Draw(image).rectangle((0, 0, width // 4, height // 4), fill=MARKER[: len(mode)])
    return image


def jpeg(width: int = 400, height: int = 300, *, exif: Image.Exif | bytes | None = None,
         **save: object) -> bytes:
    buffer = io.BytesIO()
    if exif is not None:
        save["exif"] = exif
    picture(width, height).save(buffer, "JPEG", quality=90, **save)
    return buffer.getvalue()


def png(width: int = 400, height: int = 300, *, mode: str = "RGB",
        exif: Image.Exif | None = None) -> bytes:
    buffer = io.BytesIO()
    picture(width, height, mode).save(buffer, "PNG", **({"exif": exif} if exif else {}))
    return buffer.getvalue()


def heic(width: int = 400, height: int = 300, *, exif: Image.Exif | None = None) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    picture(width, height).save(buffer, "HEIF", quality=80, **({"exif": exif} if exif else {}))
    return buffer.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` but which holds a few bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    pixels = zlib.compress(b"\x00" * 1024)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def jpeg_bomb(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header (SOF0) is patched to claim ``width`` x ``height``."""
    data = bytearray(jpeg(16, 16))
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


# --- camera and phone photos from package registries -------------------------


@dataclass(frozen=True)
class Package:
    """A published package whose archive holds photos (an EXIF library's own test fixtures)."""

    registry: str  # "pypi" (sdist through pip) or "npm" (tarball through npm pack)
    spec: str  # pillow==13.0.0, exif-parser@0.1.12
    licence: str

    @property
    def folder(self) -> str:
        return self.spec.replace("==", "-").replace("@", "-")


PILLOW = Package("pypi", "pillow==13.0.0", "MIT-CMU (Pillow's licence)")
PILLOW_HEIF = Package("pypi", "pillow_heif==1.8.1", "BSD-3-Clause")
EXIF_PARSER = Package("npm", "exif-parser@0.1.12", "MIT")


@dataclass(frozen=True)
class RealPhoto:
    """One file inside a package and what ExifTool 12.57 reads from it (``-n``)."""

    package: Package
    member: str  # path inside the archive, below its top folder
    sha256: str
    device: str
    width: int  # as displayed (after the orientation)
    height: int
    taken_local: datetime | None = None  # DateTimeOriginal as written, without zone
    offset: str | None = None  # OffsetTimeOriginal
    lat: float | None = None
    lon: float | None = None
    altitude_m: float | None = None
    complete: bool = True  # False: the publisher cut the file after its headers

    @property
    def name(self) -> str:
        return self.member.rsplit("/", 1)[-1]


PIXEL_6 = RealPhoto(
    PILLOW, "Tests/images/ultrahdr.jpg",
    "50f8cdfc216b5b760b07f99a5a8cb17a2960a7e4bd1b4f9eeb2cc84e9a16a693",
    "Google Pixel 6", 1512, 2688, datetime(2024, 5, 7, 9, 33, 4), "+08:00",
    30.62765, 119.738766666667, 98.9, complete=False,  # MPImageLength 512743 > 48197 bytes
)
CANON_S40 = RealPhoto(
    PILLOW, "Tests/images/flower.jpg",
    "8a9d04b92d0de5836c59ede8ae421235488e4031e893e07b1fe7e4b78f6a9901",
    "Canon PowerShot S40", 480, 360, datetime(2003, 12, 14, 12, 1, 44),
)
REDMI_EMPTY_GPS = RealPhoto(
    PILLOW, "Tests/images/empty_gps_ifd.jpg",
    "2cd3312aaff7d7c89c657887aa6494d9007a138eab272a078b06c0c6e77d305c",
    "Xiaomi Redmi Note 9S", 10, 10, datetime(2020, 7, 27, 14, 46, 48),
)
BROKEN_GPS = RealPhoto(  # Pillow's sample of out-of-range values: GPSLatitude 4294967295, no refs
    PILLOW, "Tests/images/exif_gps.jpg",
    "360eb3ce66533146584aa66576130c5ab98c763b7c7f51898892e7eaa7dcab49",
    "Make XXX-XXX", 8, 8, datetime(2099, 9, 29, 10, 10, 10),
)
LUMIA_820 = RealPhoto(
    EXIF_PARSER, "test/starfish.jpg",
    "b452b2b6f163d8346ebdc7720895c848ac2d6df9f9f0b66aa5e24c7495ba4fbc",
    "Nokia Lumia 820", 1278, 720, datetime(2013, 5, 10, 15, 21, 35), None,
    55.0387558333333, 8.45719055555556, 0.05,
)
IPHONE_13_PRO = RealPhoto(
    PILLOW_HEIF, "tests/images/heif_other/pug.heic",
    "1ddce96766efbfa0f6bdf634bdab26bdeff831393df8d67f4cdc7b7a7afebc67",
    "Apple iPhone 13 Pro", 4032, 3024, datetime(2023, 2, 21, 14, 33, 8), "+03:00",
    44.8504777777778, 34.9766472222222, 29.13553239,
)
XIAOMI_11T = RealPhoto(  # no offset; GPSDateStamp 2023:04:27, GPSTimeStamp 16:43:45 (UTC)
    PILLOW_HEIF, "tests/images/heif_special/xiaomi.heic",
    "cb5c7d9131931df4abd9bfe1c3de47617b68d1fae54a1c367fc5981ffea6aeed",
    "Xiaomi M2012K11AG", 2592, 1944, datetime(2023, 4, 27, 19, 44, 18), None,
    47.2272888997222, 39.6999921997222, 95.8,
)
GALAXY_S25 = RealPhoto(
    PILLOW_HEIF, "tests/images/heif_special/aux_YCbCr.heic",
    "8deae321c3b6424f97ab5d57d022e0a79ac35278149c0de7796261b8981f50b0",
    "Samsung Galaxy S25 Ultra", 4000, 1848, datetime(2025, 6, 2, 14, 7, 50), "+03:00",
    59.5128174, 24.8343057997222, 45.0,
)
IPHONE_8_ROTATED = RealPhoto(  # stored 4032x3024 with EXIF Orientation 6 (and HEIF irot)
    PILLOW_HEIF, "tests/images/heif_other/arrow.heic",
    "73f604d7353df4848505a1f45a5517f736857fe047372f95c2f3d671df92c22c",
    "Apple iPhone 8 Plus", 3024, 4032, datetime(2018, 7, 31, 14, 52, 7),
)
# GPS 0,0; no DateTimeOriginal; ModifyDate "2024-04-22T14:38:09GMT+2".
VISION_PRO_NULL_ISLAND = RealPhoto(
    PILLOW_HEIF, "tests/images/heif_other/spatial_photo.heic",
    "ef941d328072a2df034adb3c3b46f41117606bfc8fcc100dff975d31f55ec028",
    "Apple Vision Pro", 2560, 2560,
)
GALAXY_S24_200MP = RealPhoto(  # 16320x12240 = 199,756,800 px; GPS refs and values empty
    PILLOW_HEIF, "tests/images/heif_special/200MP.heic",
    "4dd7209010986a50b1049e54de47ae2188faef6d548213a9799e11fae1a317c6",
    "Samsung Galaxy S24 Ultra", 12240, 16320, datetime(2025, 1, 19, 14, 53, 27), "+03:00",
)
REAL_PHOTOS = [
    PIXEL_6, CANON_S40, REDMI_EMPTY_GPS, BROKEN_GPS, LUMIA_820, IPHONE_13_PRO, XIAOMI_11T,
    GALAXY_S25, IPHONE_8_ROTATED, VISION_PRO_NULL_ISLAND, GALAXY_S24_200MP,
]


def cache_dir() -> Path:
    configured = os.environ.get("MEMORIALS_TEST_PHOTO_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "memorials-test-photos"


class Unavailable(Exception):
    """The registry could not be reached; tests skip with this message."""


def fetch(photo: RealPhoto) -> Path:
    """Path of ``photo`` in the cache, downloading its package once.

    Raises ``Unavailable`` when the registry cannot be reached, and
    ``AssertionError`` when the file is not the one the expectations describe.
    """
    target = cache_dir() / photo.package.folder / photo.member
    if not target.is_file():
        failure = _download_once(photo.package, cache_dir())
        if failure:
            raise Unavailable(failure)
    if not target.is_file():
        raise AssertionError(f"{photo.member} is not in {photo.package.spec}")
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert digest == photo.sha256, f"{target} changed: sha256 {digest}"
    return target


@functools.cache
def _download_once(package: Package, cache: Path) -> str | None:
    # One attempt per package and process: a registry that is out of reach
    # makes its tests skip at once instead of retrying for each of them.
    try:
        _download(package, cache)
    except Unavailable as reason:
        return str(reason)
    except OSError as error:
        return f"cannot write the cache {cache}: {error}"
    return None


def _download(package: Package, cache: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="photo-fixtures-") as scratch:
        if package.registry == "npm":
            npm = shutil.which("npm")
            if npm is None:
                raise Unavailable("npm is not installed")
            command = [npm, "pack", package.spec, "--pack-destination", scratch]
        else:
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                       "--no-binary", ":all:", "--disable-pip-version-check", "-d", scratch,
                       package.spec]
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise Unavailable(f"{' '.join(command[:3])} failed: {error}") from error
        archives = [p for p in Path(scratch).iterdir() if p.name.endswith((".tar.gz", ".tgz"))]
        if run.returncode != 0 or len(archives) != 1:
            lines = (run.stderr + run.stdout).strip().splitlines()
            errors = [line for line in lines if "error" in line.lower()] or lines
            raise Unavailable(f"could not download {package.spec}: {' / '.join(errors[-2:])}")
        wanted = {photo.member for photo in REAL_PHOTOS if photo.package == package}
        destination = cache / package.folder
        cache.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=cache))
        with tarfile.open(archives[0]) as archive:
            for member in archive.getmembers():
                inner = member.name.split("/", 1)[-1]
                if member.isfile() and inner in wanted:
                    out = staging / inner
                    out.parent.mkdir(parents=True, exist_ok=True)
                    source = archive.extractfile(member)
                    assert source is not None
                    out.write_bytes(source.read())
        shutil.rmtree(destination, ignore_errors=True)
        try:
            staging.rename(destination)
        except OSError:  # a parallel run got there first
            shutil.rmtree(staging, ignore_errors=True)
