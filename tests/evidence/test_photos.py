"""Photos: validation, EXIF facts, storage and display sizes, on real files."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pillow_heif
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps, ImageStat, JpegImagePlugin
from PIL.ExifTags import GPS, IFD, Base
from PIL.TiffImagePlugin import IFDRational

from evidence.exif import read_exif
from evidence.photos import (
    CORRUPT,
    NOT_AN_IMAGE,
    PhotoRejected,
    ingest,
    read_facts,
)
from evidence.resample import JPEG_QUALITY
from evidence.store import DiskStore, original_key, screen_key, thumb_key
from tests import photo_samples as samples
from tests.photo_samples import MARKER, exif_block, heic, jpeg, png

LIMITS = {"max_bytes": 25 << 20, "max_pixels": 60_000_000}
SHANGHAI = ZoneInfo("Asia/Shanghai")
NANJING = (118.7789, 31.9747)  # Yuhuatai martyrs' cemetery, WGS84 (lon, lat)


def facts(data: bytes, **kwargs):
    return read_facts(data, **{**LIMITS, **kwargs})


@pytest.fixture
def store(tmp_path: Path) -> DiskStore:
    return DiskStore(tmp_path / "photos")


def read(store: DiskStore, key: str) -> bytes:
    with store.open(key) as file:
        return file.read()


def derived(store: DiskStore, sha256: str) -> tuple[Image.Image, Image.Image]:
    thumb = Image.open(io.BytesIO(read(store, thumb_key(sha256))))
    screen = Image.open(io.BytesIO(read(store, screen_key(sha256))))
    return thumb, screen


def assert_no_metadata(data: bytes) -> None:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert "exif" not in image.info and "xmp" not in image.info
    assert b"Exif\x00" not in data and b"GPS" not in data and b"xmp" not in data.lower()


def is_red(pixel: tuple[int, ...]) -> bool:
    return pixel[0] > 170 and pixel[1] < 90 and pixel[2] < 90


# --- what a photo proves ------------------------------------------------------


def test_jpeg_gives_gps_altitude_and_capture_time_with_its_offset() -> None:
    data = jpeg(exif=exif_block(original="2026:04:04 09:30:15", offset="+08:00",
                                lat=NANJING[1], lon=NANJING[0], altitude=42.5))
    result = facts(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert (result.format, result.mime, result.size_bytes) == ("JPEG", "image/jpeg", len(data))
    assert (result.width, result.height) == (400, 300)
    assert result.taken_at == datetime(2026, 4, 4, 1, 30, 15, tzinfo=UTC)
    assert result.taken_at.utcoffset() == timedelta(hours=8)
    assert result.gps == pytest.approx(NANJING, abs=1e-6)  # DMS to 1/100 s
    assert result.gps_altitude_m == pytest.approx(42.5)


def test_south_and_west_references_give_negative_coordinates() -> None:
    data = jpeg(exif=exif_block(lat=-33.8568, lon=-70.6483, altitude=-3.25))
    result = facts(data)
    assert result.gps == pytest.approx((-70.6483, -33.8568), abs=1e-6)
    assert result.gps_altitude_m == pytest.approx(-3.25)


def test_local_time_without_offset_is_read_in_the_default_zone() -> None:
    data = jpeg(exif=exif_block(original="2026:07:01 08:00:00"))
    assert facts(data).taken_at == datetime(2026, 7, 1, 8, tzinfo=SHANGHAI)
    urumqi = ZoneInfo("Asia/Urumqi")
    assert facts(data, default_tz=urumqi).taken_at == datetime(2026, 7, 1, 8, tzinfo=urumqi)


def test_capture_time_falls_back_to_datetime_then_to_the_gps_clock_in_utc() -> None:
    changed = jpeg(exif=exif_block(original="0000:00:00 00:00:00", changed="2026:05:01 10:11:12"))
    assert facts(changed).taken_at == datetime(2026, 5, 1, 10, 11, 12, tzinfo=SHANGHAI)
    gps_only = jpeg(exif=exif_block(gps_date="2026:05:01", gps_time=(2.0, 11.0, 12.5)))
    assert facts(gps_only).taken_at == datetime(2026, 5, 1, 2, 11, 12, 500000, tzinfo=UTC)
    date_only = jpeg(exif=exif_block(gps_date="2026:05:01"))
    assert facts(date_only).taken_at is None


@pytest.mark.parametrize(
    ("offset", "expected"),
    [("-05:00", timedelta(hours=-5)), ("+0545", timedelta(hours=5, minutes=45)),
     ("   :  ", timedelta(hours=8)), ("+99:00", timedelta(hours=8))],
)
def test_offset_time_original_is_used_when_it_makes_sense(offset: str, expected: timedelta) -> None:
    data = jpeg(exif=exif_block(original="2026:04:04 09:30:00", offset=offset))
    assert facts(data).taken_at.utcoffset() == expected


NAN = IFDRational(0, 0)
ZERO = (IFDRational(0, 1),) * 3
GOOD_LAT = samples.dms(NANJING[1])
GOOD_LON = samples.dms(NANJING[0])


@pytest.mark.parametrize(
    "gps",
    [
        pytest.param({GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: (NAN, NAN, NAN),
                      GPS.GPSLongitudeRef: "E", GPS.GPSLongitude: (NAN, NAN, NAN)}, id="0/0"),
        pytest.param({GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: (GOOD_LAT[0], NAN, GOOD_LAT[2]),
                      GPS.GPSLongitudeRef: "E", GPS.GPSLongitude: GOOD_LON}, id="one-NaN-part"),
        pytest.param({GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: ZERO,
                      GPS.GPSLongitudeRef: "E", GPS.GPSLongitude: ZERO}, id="null-island"),
        pytest.param({GPS.GPSLatitude: GOOD_LAT, GPS.GPSLongitude: GOOD_LON}, id="no-refs"),
        pytest.param({GPS.GPSLatitudeRef: "X", GPS.GPSLatitude: GOOD_LAT,
                      GPS.GPSLongitudeRef: "E", GPS.GPSLongitude: GOOD_LON}, id="bad-ref"),
        pytest.param({GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: GOOD_LAT}, id="no-longitude"),
        pytest.param({GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: (IFDRational(95, 1),) + ZERO[1:],
                      GPS.GPSLongitudeRef: "E", GPS.GPSLongitude: GOOD_LON}, id="latitude-95"),
        pytest.param({GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: (GOOD_LAT[0], IFDRational(75, 1),
                                                                 GOOD_LAT[2]),
                      GPS.GPSLongitudeRef: "E", GPS.GPSLongitude: GOOD_LON}, id="75-minutes"),
        pytest.param({GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: GOOD_LAT + (IFDRational(1, 1),),
                      GPS.GPSLongitudeRef: "E", GPS.GPSLongitude: GOOD_LON}, id="four-parts"),
        pytest.param({GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: (IFDRational(4294967295, 1),),
                      GPS.GPSLongitudeRef: "E", GPS.GPSLongitude: GOOD_LON}, id="uint32-max"),
    ],
)
def test_broken_gps_gives_no_position_and_raises_nothing(gps: dict[int, object]) -> None:
    data = jpeg(exif=exif_block(original="2026:04:04 09:30:00", gps=gps, altitude=12.0))
    result = facts(data)
    assert result.gps is None
    assert result.gps_altitude_m is None
    assert result.taken_at == datetime(2026, 4, 4, 9, 30, tzinfo=SHANGHAI)


def test_nan_altitude_keeps_the_position() -> None:
    data = jpeg(exif=exif_block(lat=NANJING[1], lon=NANJING[0],
                                gps={GPS.GPSAltitudeRef: b"\x00", GPS.GPSAltitude: NAN}))
    result = facts(data)
    assert result.gps == pytest.approx(NANJING, abs=1e-6)
    assert result.gps_altitude_m is None


def test_photo_without_exif_has_no_time_and_no_position() -> None:
    result = facts(jpeg())
    assert (result.taken_at, result.gps, result.gps_altitude_m) == (None, None, None)
    assert (result.width, result.height) == (400, 300)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_garbage_exif_block_is_ignored() -> None:
    result = facts(jpeg(exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff" + os.urandom(64)))
    assert (result.taken_at, result.gps) == (None, None)


def test_png_is_accepted_with_its_exif() -> None:
    data = png(exif=exif_block(lat=NANJING[1], lon=NANJING[0], original="2026:04:04 09:30:00"))
    result = facts(data)
    assert (result.format, result.mime) == ("PNG", "image/png")
    assert (result.width, result.height) == (400, 300)
    assert result.gps == pytest.approx(NANJING, abs=1e-6)


def test_heic_written_by_pillow_heif_gives_its_facts() -> None:
    data = heic(exif=exif_block(original="2026:04:04 09:30:00", offset="+08:00",
                                lat=NANJING[1], lon=NANJING[0]))
    result = facts(data)
    assert (result.format, result.mime) == ("HEIF", "image/heic")
    assert (result.width, result.height) == (400, 300)
    assert result.gps == pytest.approx(NANJING, abs=1e-6)
    assert result.taken_at == datetime(2026, 4, 4, 1, 30, tzinfo=UTC)


# --- what is refused ----------------------------------------------------------


def test_text_file_named_jpg_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "grave.jpg"
    path.write_text("巡查照片 — not really a photo\n", encoding="utf-8")
    with pytest.raises(PhotoRejected) as caught:
        facts(path.read_bytes())
    assert caught.value.reason == NOT_AN_IMAGE
    assert isinstance(caught.value, ValueError)


def test_other_image_formats_are_refused() -> None:
    buffer = io.BytesIO()
    samples.picture(40, 30).save(buffer, "GIF")
    with pytest.raises(PhotoRejected, match="not an image"):
        facts(buffer.getvalue())
    with pytest.raises(PhotoRejected, match="empty"):
        facts(b"")


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_jpeg_is_refused_and_nothing_is_stored(cut: float, store: DiskStore) -> None:
    data = jpeg(1200, 900, exif=exif_block(lat=NANJING[1], lon=NANJING[0]))
    truncated = data[: int(len(data) * cut)]
    with pytest.raises(PhotoRejected) as caught:
        facts(truncated)
    assert caught.value.reason == CORRUPT
    with pytest.raises(PhotoRejected):
        ingest(truncated, store=store, **LIMITS)
    assert not store.root.exists() or not any(p.is_file() for p in store.root.rglob("*"))


def test_truncated_heic_is_refused() -> None:
    data = heic(1200, 900)
    with pytest.raises(PhotoRejected) as caught:
        facts(data[: len(data) * 2 // 3])
    assert caught.value.reason == CORRUPT


def test_file_larger_than_the_limit_is_refused() -> None:
    with pytest.raises(PhotoRejected) as caught:
        read_facts(jpeg(), max_bytes=1 << 10, max_pixels=10**6)
    assert caught.value.reason == "file is larger than 1 KB"
    with pytest.raises(PhotoRejected, match="larger than 25 MB"):
        read_facts(b"\xff\xd8\xff" + bytes(25 << 20), max_bytes=25 << 20, max_pixels=10**6)


@pytest.mark.parametrize(
    ("make", "side"),
    [
        pytest.param(samples.png_bomb, 30000, id="png-30000x30000"),
        pytest.param(samples.jpeg_bomb, 30000, id="jpeg-30000x30000"),
        # Between Pillow's own limit and twice it, where Pillow only warns.
        pytest.param(samples.jpeg_bomb, 10000, id="jpeg-in-pillows-warning-band"),
    ],
)
def test_decompression_bomb_is_refused_from_its_header(make, side: int,
                                                       store: DiskStore) -> None:
    data = make(side, side)
    assert len(data) < 1000  # small on disk, huge in memory
    pixels = side * side
    assert Image.MAX_IMAGE_PIXELS < pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning either
        with pytest.raises(PhotoRejected) as caught:
            facts(data)
        with pytest.raises(PhotoRejected):
            ingest(data, store=store, **LIMITS)
    assert caught.value.reason == (
        f"image is {pixels} pixels, more than the 60000000 allowed (decompression bomb?)"
    )


def test_our_pixel_limit_replaces_pillows_process_wide_one() -> None:
    # 225 million pixels: Pillow's Image.open would raise DecompressionBombError.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = read_facts(samples.jpeg_bomb(15000, 15000), max_bytes=1 << 20,
                            max_pixels=300_000_000)
    assert (result.width, result.height) == (15000, 15000)


# --- keeping the photo and its display sizes ----------------------------------


def test_ingest_keeps_the_original_byte_for_byte_and_makes_two_sizes(store: DiskStore) -> None:
    data = jpeg(4000, 3000, exif=exif_block(lat=NANJING[1], lon=NANJING[0],
                                            original="2026:04:04 09:30:00"))
    result = ingest(data, store=store, **LIMITS)
    assert result == facts(data)
    assert read(store, original_key(result.sha256)) == data
    thumb, screen = derived(store, result.sha256)
    assert screen.size == (1600, 1200) and thumb.size == (320, 240)
    assert is_red(screen.getpixel((10, 10))) and not is_red(screen.getpixel((1590, 10)))


def test_orientation_6_gives_portrait_derived_images(store: DiskStore) -> None:
    data = jpeg(400, 300, exif=exif_block(orientation=6))
    result = ingest(data, store=store, **LIMITS)
    assert (result.width, result.height) == (300, 400)
    thumb, screen = derived(store, result.sha256)
    assert thumb.size == (240, 320)
    assert screen.size == (300, 400)  # smaller than the screen size: not enlarged
    # Orientation 6 means "turn 90° clockwise": the stored top-left corner ends top-right.
    assert is_red(thumb.getpixel((235, 5))) and not is_red(thumb.getpixel((5, 5)))
    assert read(store, original_key(result.sha256)) == data  # the original keeps its tag


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_matches_pillows_exif_transpose(orientation: int,
                                                          store: DiskStore) -> None:
    data = jpeg(400, 300, exif=exif_block(orientation=orientation))
    result = ingest(data, store=store, **LIMITS)
    _, screen = derived(store, result.sha256)
    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    assert screen.size == expected.size == (result.width, result.height)
    difference = ImageStat.Stat(ImageChops.difference(screen.convert("RGB"), expected))
    assert max(difference.mean) < 4  # JPEG noise only; a wrongly turned image differs by ~50


def test_derived_images_carry_no_exif_gps_or_xmp(store: DiskStore) -> None:
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
           b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
           b'exif:GPSLatitude="31,58.48N"/></rdf:RDF></x:xmpmeta>')
    data = jpeg(2000, 1500, exif=exif_block(lat=NANJING[1], lon=NANJING[0], orientation=6), xmp=xmp)
    result = ingest(data, store=store, **LIMITS)
    assert result.gps is not None
    for key in (thumb_key(result.sha256), screen_key(result.sha256)):
        assert_no_metadata(read(store, key))
    assert b"GPSLatitude" in read(store, original_key(result.sha256))


def test_same_photo_twice_is_stored_once_and_not_redone(store: DiskStore) -> None:
    data = jpeg(1200, 900, exif=exif_block(lat=NANJING[1], lon=NANJING[0]))
    first = ingest(data, store=store, **LIMITS)
    files = sorted(p for p in store.root.rglob("*") if p.is_file())
    before = {p: p.stat().st_ino for p in files}
    second = ingest(data, store=store, **LIMITS)
    assert second == first
    assert sorted(p for p in store.root.rglob("*") if p.is_file()) == files
    assert {p: p.stat().st_ino for p in files} == before      # freshened, not written again
    assert len(files) == 3


def test_missing_original_is_restored_when_derived_files_exist(store: DiskStore) -> None:
    data = jpeg(800, 600)
    result = ingest(data, store=store, **LIMITS)
    original = store.path(original_key(result.sha256))
    original.unlink()
    ingest(data, store=store, **LIMITS)
    assert original.read_bytes() == data


@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_grey_and_cmyk_jpegs_give_rgb_display_images(mode: str, store: DiskStore) -> None:
    buffer = io.BytesIO()
    samples.picture(2400, 1800).convert(mode).save(buffer, "JPEG", quality=90)
    result = ingest(buffer.getvalue(), store=store, **LIMITS)
    thumb, screen = derived(store, result.sha256)
    assert (thumb.mode, screen.mode, screen.size) == ("RGB", "RGB", (1600, 1200))


def test_concurrent_uploads_share_the_store_safely(store: DiskStore) -> None:
    photos = [jpeg(1800 + 10 * i, 1200, exif=exif_block(orientation=6)) for i in range(6)]
    with ThreadPoolExecutor(4) as uploads:
        results = list(uploads.map(lambda data: ingest(data, store=store, **LIMITS), photos * 2))
    assert len({r.sha256 for r in results}) == 6
    for i, (data, result) in enumerate(zip(photos, results, strict=False)):
        assert read(store, original_key(result.sha256)) == data
        thumb, _ = derived(store, result.sha256)
        assert thumb.height == 320
        assert thumb.width == pytest.approx(320 * 1200 / (1800 + 10 * i), abs=1)
    assert not [p for p in store.root.rglob(".incoming-*")]


def test_png_with_transparency_is_flattened_on_white(store: DiskStore) -> None:
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    image.paste((*MARKER, 255), (0, 0, 50, 50))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    result = ingest(buffer.getvalue(), store=store, **LIMITS)
    thumb, _ = derived(store, result.sha256)
    assert thumb.mode == "RGB"
    assert min(thumb.getpixel((200, 150))) > 240 and is_red(thumb.getpixel((10, 10)))


def test_heic_orientation_belongs_to_libheif_and_is_not_applied_again(
    store: DiskStore,
) -> None:
    # pillow-heif writes EXIF orientation 6 here without an irot box; HEIF
    # readers (libheif, Apple) follow irot/imir and ignore the EXIF tag.
    data = heic(400, 300, exif=exif_block(orientation=6, lat=NANJING[1], lon=NANJING[0]))
    result = ingest(data, store=store, **LIMITS)
    thumb, screen = derived(store, result.sha256)
    assert (result.width, result.height) == (400, 300) == screen.size
    assert thumb.size == (320, 240) and is_red(thumb.getpixel((5, 5)))
    for key in (thumb_key(result.sha256), screen_key(result.sha256)):
        assert_no_metadata(read(store, key))


def inscription(width: int = 4000, height: int = 3000) -> bytes:
    """A 12 MP phone photo of a headstone: grainy stone, lines of engraved text, sensor noise."""
    import numpy as np

    rng = np.random.default_rng(3)
    stone = rng.normal(128, 6, (height // 8, width // 8)).clip(0, 255).astype(np.uint8)
    image = Image.fromarray(stone).resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=60)
    for row in range(20):
        draw.text((200, 150 + row * 130), "MARTYR ZHANG DESHENG 1921-1949 REST IN PEACE", fill=40, font=font)
    grey = (np.asarray(image, np.float32) + rng.normal(0, 3, (height, width))).clip(0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(grey).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def laplacian_variance(image: Image.Image) -> float:
    import numpy as np

    y = np.asarray(image.convert("L"), np.float64)
    return float((y[:-2, 1:-1] + y[2:, 1:-1] + y[1:-1, :-2] + y[1:-1, 2:] - 4 * y[1:-1, 1:-1]).var())


def test_the_screen_image_keeps_an_inscriptions_detail(store: DiskStore) -> None:
    pytest.importorskip("numpy")
    data = inscription()
    result = ingest(data, store=store, **LIMITS)
    _, screen = derived(store, result.sha256)
    reference = Image.open(io.BytesIO(data))
    reference.load()  # a full decode, then Lanczos, saved as the pipeline saves
    buffer = io.BytesIO()
    reference.resize(screen.size, Image.Resampling.LANCZOS).save(buffer, "JPEG", quality=JPEG_QUALITY)
    kept = laplacian_variance(screen) / laplacian_variance(Image.open(buffer))
    assert kept > 0.84  # 0.85 here; DCT scaling then bicubic kept 0.73 (benchmarks/photo_ingest.py measures more)


# --- the disk store -----------------------------------------------------------


def test_disk_store_shards_by_hash_and_writes_atomically(store: DiskStore) -> None:
    digest = hashlib.sha256(b"photo").hexdigest()
    assert not store.exists(original_key(digest)) and store.path(original_key(digest)) is None
    store.put(original_key(digest), b"photo")
    store.put(thumb_key(digest), b"thumb")
    path = store.path(original_key(digest))
    assert path == store.root / "original" / digest[:2] / digest
    assert store.path(thumb_key(digest)) == store.root / "thumb" / digest[:2] / f"{digest}.jpg"
    assert read(store, original_key(digest)) == b"photo"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    store.put(original_key(digest), b"photo")  # idempotent
    assert [p.name for p in path.parent.iterdir()] == [digest]  # no temporary files left


def test_disk_store_refuses_keys_outside_its_layout(store: DiskStore) -> None:
    with pytest.raises(KeyError):
        read(store, original_key("0" * 64))
    for key in ("original/../../etc/passwd", "original/abc", "other/" + "0" * 64, "/etc/passwd"):
        with pytest.raises(KeyError):
            store.put(key, b"x")


# --- real camera and phone photos ---------------------------------------------


def real(photo: samples.RealPhoto) -> bytes:
    try:
        return samples.fetch(photo).read_bytes()
    except samples.Unavailable as reason:
        pytest.skip(f"real photo {photo.name} from {photo.package.spec}: {reason}")


def expected_time(photo: samples.RealPhoto, default_tz) -> datetime | None:
    if photo.taken_local is None:
        return None
    if photo.offset is None:
        return photo.taken_local.replace(tzinfo=default_tz)
    sign = -1 if photo.offset.startswith("-") else 1
    hours, minutes = photo.offset[1:].split(":")
    zone = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
    return photo.taken_local.replace(tzinfo=zone)


COMPLETE = [p for p in samples.REAL_PHOTOS if p.complete and p is not samples.GALAXY_S24_200MP]


@pytest.mark.parametrize("photo", COMPLETE, ids=lambda p: f"{p.device}-{p.name}")
def test_real_camera_and_phone_photos_give_the_right_gps_and_capture_time(
    photo: samples.RealPhoto,
) -> None:
    data = real(photo)
    result = facts(data)
    assert result.format == ("HEIF" if photo.name.endswith(".heic") else "JPEG")
    assert (result.width, result.height) == (photo.width, photo.height)
    assert result.sha256 == photo.sha256
    if photo is samples.VISION_PRO_NULL_ISLAND:
        assert result.taken_at == datetime(2024, 4, 22, 12, 38, 9, tzinfo=UTC)  # "GMT+2"
    else:
        assert result.taken_at == expected_time(photo, SHANGHAI)
    if photo.lat is None:
        assert result.gps is None and result.gps_altitude_m is None
    else:
        assert result.gps == pytest.approx((photo.lon, photo.lat), abs=1e-9)
        assert result.gps_altitude_m == pytest.approx(photo.altitude_m, abs=1e-6)


def test_real_xiaomi_local_time_agrees_with_its_gps_clock() -> None:
    data = real(samples.XIAOMI_11T)
    # Taken in Rostov-on-Don (UTC+3) with no offset written: the GPS clock says
    # 16:43:45 UTC, the camera clock 19:44:18 local.
    local = facts(data, default_tz=ZoneInfo("Europe/Moscow")).taken_at
    exif = pillow_heif.HeifImageFile(io.BytesIO(data)).getexif()
    exif.get_ifd(IFD.Exif).pop(Base.DateTimeOriginal)
    del exif[Base.DateTime]
    gps_clock = read_exif(exif, default_tz=SHANGHAI).taken_at
    assert gps_clock == datetime(2023, 4, 27, 16, 43, 45, tzinfo=UTC)
    assert abs(local - gps_clock) < timedelta(minutes=1)


def test_real_pixel_6_exif_is_read_but_its_cut_off_file_is_refused() -> None:
    photo = samples.PIXEL_6
    data = real(photo)
    with pytest.raises(PhotoRejected) as caught:
        facts(data)
    assert caught.value.reason == CORRUPT
    header = read_exif(JpegImagePlugin.JpegImageFile(io.BytesIO(data)).getexif(),
                       default_tz=SHANGHAI)
    assert header.taken_at == expected_time(photo, SHANGHAI)
    assert header.gps == pytest.approx((photo.lon, photo.lat), abs=1e-9)
    assert header.gps_altitude_m == pytest.approx(photo.altitude_m)


def test_real_200_megapixel_phone_photo_is_refused_before_decoding() -> None:
    data = real(samples.GALAXY_S24_200MP)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(PhotoRejected) as caught:
            facts(data)
    assert caught.value.reason == (
        "image is 199756800 pixels, more than the 60000000 allowed (decompression bomb?)"
    )
    header = read_exif(pillow_heif.HeifImageFile(io.BytesIO(data)).getexif(), default_tz=SHANGHAI)
    assert header.taken_at == expected_time(samples.GALAXY_S24_200MP, SHANGHAI)
    assert header.gps is None  # its GPS refs and values are empty


@pytest.mark.parametrize(
    "photo", [samples.LUMIA_820, samples.IPHONE_13_PRO, samples.IPHONE_8_ROTATED],
    ids=lambda p: p.device,
)
def test_real_photos_are_ingested_upright_without_metadata(photo: samples.RealPhoto,
                                                           store: DiskStore) -> None:
    data = real(photo)
    result = ingest(data, store=store, **LIMITS)
    thumb, screen = derived(store, result.sha256)
    assert screen.size[0] / screen.size[1] == pytest.approx(photo.width / photo.height, rel=0.01)
    assert max(screen.size) == min(1600, max(photo.width, photo.height))
    assert max(thumb.size) == 320
    assert (thumb.width < thumb.height) == (photo.width < photo.height)  # rotated once, not twice
    for key in (thumb_key(result.sha256), screen_key(result.sha256)):
        assert_no_metadata(read(store, key))
    assert read(store, original_key(result.sha256)) == data
