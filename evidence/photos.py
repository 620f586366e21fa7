"""Photos: check an upload, read what it proves, make its display sizes, decoding it once.

A photo's EXIF time and GPS are read here (:mod:`evidence.exif`) for the
owner to compare with a place (:mod:`evidence.location`). Anything that is
not a sound JPEG, PNG or HEIC is refused, judged by content, never by file
name. The original is kept byte for byte under its SHA-256; screen and
thumbnail JPEGs are made without metadata: published images must not reveal
positions. Storage is :mod:`evidence.store`.

One upload is followed once: its SHA-256 is computed when it is read
(:class:`evidence.uploads.Upload`), the header is parsed once, and the pixels
are decoded once, at the scale the screen image needs; that decode is also
what proves the file whole. Checking and storing are two steps
(:func:`check`, :meth:`CheckedPhoto.keep`) so that a submission can refuse
every file before it stores any.

Detail matters: a screen image must keep a headstone's inscription legible.
Measured against a full decode with a Lanczos resize (``docs/benchmarks.md``),
a JPEG decoded by libjpeg-turbo to the smallest of its M/8 scales at least
1.5 times the screen size (5/8 for a 12 MP photo) and finished with
libvips' lanczos3 keeps all of the reference's sharpness (Laplacian
variance); Pillow's coarser 1/2^k scales give the choice between a full
decode (slower than libvips' own thumbnailing) and a half-scale one that
keeps about 85%; the former bicubic finish kept 61%.
"""

from __future__ import annotations

import functools
import hashlib
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from PIL import Image, ImageFile, JpegImagePlugin, PngImagePlugin

from evidence.exif import read_exif
from evidence.resample import decode_jpeg_scaled, encode_jpeg, fit, pool, rgb, shrink
from evidence.store import Store, original_key, screen_key, thumb_key
from memorials import clock

MAX_FILENAME = 200  # the column's length
NOT_AN_IMAGE = "not an image (content is not JPEG, PNG or HEIC)"
CORRUPT = "image data is corrupt or truncated"
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
# What Pillow and libheif raise on a damaged header or stream.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError,
                  RuntimeError, ZeroDivisionError)
_T = Image.Transpose
_TRANSPOSE = {2: _T.FLIP_LEFT_RIGHT, 3: _T.ROTATE_180, 4: _T.FLIP_TOP_BOTTOM, 5: _T.TRANSPOSE,
              6: _T.ROTATE_270, 7: _T.TRANSVERSE, 8: _T.ROTATE_90}  # as ImageOps.exif_transpose


class PhotoRejected(ValueError):
    """An upload that is not a usable photo; ``reason`` tells the user what to fix.

    A 4xx answer: the user can act on it (send another or a smaller file),
    unlike a storage failure, which is the server's problem.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PhotoFacts:
    """What one accepted photo is, and what it proves.

    ``width`` and ``height`` are as displayed (after the EXIF orientation);
    ``gps`` is ``(longitude, latitude)`` in WGS84 as EXIF gives it;
    ``taken_at`` is timezone-aware. Absent or untrusted EXIF gives ``None``.
    """

    sha256: str
    format: str
    mime: str
    size_bytes: int
    width: int
    height: int
    taken_at: datetime | None
    gps: tuple[float, float] | None
    gps_altitude_m: float | None


@dataclass(frozen=True)
class DisplaySizes:
    """Long sides of the derived images (smaller photos are not enlarged), and how the screen image is made.

    ``draft_gap``: a JPEG is decoded straight to the smallest DCT scale still
    at least ``draft_gap`` times the screen size; Lanczos does the rest.
    ``turbo``: with libjpeg-turbo's M/8 scales (``evidence.resample.decode_jpeg_scaled``),
    a gap of 1.5 decodes a 12 MP photo at 5/8 (1/2 would be just 1.25×) and keeps all of the reference's
    detail; without (Pillow: 1/2^k scales only) 2 is needed for that, and 1
    keeps about 85% of it (see the module docstring).
    """

    screen_px: int = 1600
    thumb_px: int = 320
    draft_gap: float = 1.5
    turbo: bool = True


@dataclass(frozen=True)
class CheckedPhoto:
    """A sound photo, ready to keep: its facts and the files still to write.

    ``files`` holds the original and, unless the store had them already,
    the screen and thumbnail JPEGs.
    """

    facts: PhotoFacts
    files: dict[str, bytes] = field(repr=False)

    def keep(self, store: Store) -> None:
        put_all(store, self.files)


@dataclass(frozen=True)
class _Photo:
    image: ImageFile.ImageFile  # header read; pixels not yet, except for PNG
    facts: PhotoFacts
    orientation: int  # still to apply to the decoded pixels; 1 for HEIF


def clean_filename(name: str) -> str:
    r"""An uploaded file's name as it may be stored and shown to other users.

    Only the last path component is kept (``/`` and ``\`` both separate:
    phones and old browsers send full paths); control characters (NUL
    included), bidirectional overrides and other invisible format characters
    are dropped, as they can disguise ``evil\u202egpj.exe`` as ``evilexe.jpg``;
    the name is capped at :data:`MAX_FILENAME` characters, keeping a short
    extension. Nothing usable left gives ``"photo"``.

    >>> clean_filename("C:\\DCIM\\..\\IMG_0001.JPG")
    'IMG_0001.JPG'
    >>> clean_filename("../\x00")
    'photo'
    """
    name = "".join(c for c in unicodedata.normalize("NFC", name)
                   if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in ("", ".", ".."):
        return "photo"
    if len(name) > MAX_FILENAME:
        stem, _, extension = name.rpartition(".")
        keep = MAX_FILENAME - len(extension) - 1
        name = f"{stem[:keep]}.{extension}" if stem and 0 < len(extension) <= 10 else name[:MAX_FILENAME]
    return name


def sniff(data: bytes) -> str | None:
    """``"JPEG"``, ``"PNG"`` or ``"HEIF"`` from the first bytes, or ``None``.

    >>> sniff(b"\\xff\\xd8\\xff\\xe0"), sniff(b"%PDF-1.7")
    ('JPEG', None)
    """
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[4:8] == b"ftyp" and len(data) >= 16:
        end = min(int.from_bytes(data[:4], "big"), 256)
        brands = {data[8:12]} | {data[i : i + 4] for i in range(16, end, 4)}
        if brands & _HEIF_BRANDS and data[8:12] not in (b"avif", b"avis"):
            return "HEIF"
    return None


def read_facts(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    default_tz: tzinfo | None = None,
) -> PhotoFacts:
    """Check that ``data`` is a sound photo and read what it proves, without making display sizes.

    The pixel count is checked from the header before anything is decoded, so
    a decompression bomb costs nothing (Pillow's process-wide limit, which only
    warns below twice its value, is not involved). The stream is then decoded
    at the smallest scale the format allows: only decoding finds a cut upload.

    Parameters
    ----------
    data : bytes
        The uploaded file; its name and declared type are ignored.
    max_bytes, max_pixels : int
        Limits from the settings.
    default_tz : tzinfo, optional
        Zone of EXIF times without an offset; default the bureau's (``memorials.clock``).
        Zone for EXIF local times written without an offset: the bureau's own.

    Returns
    -------
    PhotoFacts

    Raises
    ------
    PhotoRejected
        Not JPEG/PNG/HEIC, too large, too many pixels, corrupt or truncated.
    """
    photo = _open(data, None, max_bytes=max_bytes, max_pixels=max_pixels, default_tz=default_tz)
    image = photo.image
    if image.format == "JPEG":  # 1/8 scale still reads every entropy-coded byte
        image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
    _load(image)
    return photo.facts


def check(
    data: bytes,
    *,
    store: Store,
    max_bytes: int,
    max_pixels: int,
    sha256: str | None = None,
    sizes: DisplaySizes = DisplaySizes(),  # noqa: B008 - frozen
    default_tz: tzinfo | None = None,
) -> CheckedPhoto:
    """Check one photo and make its display sizes, decoding it once; nothing is written yet.

    The header gives the facts (as :func:`read_facts`). If the store already
    holds this photo's display sizes, they are freshened and the pixels are
    not decoded at all: they were decoded whole when those files were made.
    Otherwise libjpeg decodes straight to the smallest DCT scale still at
    twice the screen size (see :class:`DisplaySizes`), Lanczos (libvips, on
    all cores) makes the screen image, the EXIF orientation turns that small
    image, and the thumbnail is made from it.

    Parameters
    ----------
    data : bytes
        The uploaded file.
    store : Store
        Asked (and freshened) for display sizes made before.
    max_bytes, max_pixels, default_tz
        As for :func:`read_facts`.
    sha256 : str, optional
        The digest of ``data`` when the caller has it already.
    sizes : DisplaySizes

    Raises
    ------
    PhotoRejected
        As :func:`read_facts`.
    """
    photo = _open(data, sha256, max_bytes=max_bytes, max_pixels=max_pixels, default_tz=default_tz)
    digest = photo.facts.sha256
    files = {original_key(digest): data}
    if not (store.freshen(screen_key(digest)) and store.freshen(thumb_key(digest))):
        screen, thumb = _display_sizes(photo, sizes, data)
        files[screen_key(digest)] = screen
        files[thumb_key(digest)] = thumb
    return CheckedPhoto(photo.facts, files)


def ingest(
    data: bytes,
    *,
    store: Store,
    max_bytes: int,
    max_pixels: int,
    sizes: DisplaySizes = DisplaySizes(),  # noqa: B008 - frozen
    default_tz: tzinfo | None = None,
) -> PhotoFacts:
    """Check one photo and keep it with its display sizes (:func:`check`, then :meth:`CheckedPhoto.keep`).

    A photo sent twice is stored once; files already stored are freshened
    (see :class:`~evidence.store.Store`), never removed.

    Raises
    ------
    PhotoRejected
        As :func:`read_facts`; nothing is stored then.
    """
    checked = check(data, store=store, max_bytes=max_bytes, max_pixels=max_pixels, sizes=sizes,
                    default_tz=default_tz)
    checked.keep(store)
    return checked.facts


def put_all(store: Store, files: dict[str, bytes]) -> None:
    """Write ``files`` at once, on the shared pool; content already there is freshened, not rewritten."""
    jobs = [pool().submit(store.put, key, data) for key, data in files.items()]
    for error in [job.exception() for job in jobs]:  # wait for all before raising
        if error is not None:
            raise error


def _open(data: bytes, sha256: str | None, *, max_bytes: int, max_pixels: int, default_tz: tzinfo | None) -> _Photo:
    default_tz = default_tz or clock.zone()  # a phone's local time without offset: the bureau's zone
    if not data:
        raise PhotoRejected("file is empty")
    if len(data) > max_bytes:
        raise PhotoRejected(f"file is larger than {in_units(max_bytes)}")
    kind = sniff(data)
    if kind is None:
        raise PhotoRejected(NOT_AN_IMAGE)
    if kind == "HEIF" and not _boxes_complete(data):
        raise PhotoRejected(CORRUPT)  # libheif would decode a cut HEIC with grey tiles
    try:
        image = _image_class(kind)(io.BytesIO(data))
    except _DECODE_ERRORS as error:
        raise PhotoRejected(CORRUPT) from error
    width, height = image.size
    if width < 1 or height < 1:
        raise PhotoRejected(CORRUPT)
    if width * height > max_pixels:
        raise PhotoRejected(f"image is {width * height} pixels, more than the {max_pixels}"
                            " allowed (decompression bomb?)")
    if kind == "PNG":
        _load(image)  # Pillow finds a PNG's eXIf chunk only while decoding
    try:
        exif = read_exif(image.getexif(), default_tz=default_tz)
    except Exception:  # noqa: BLE001 - a damaged EXIF block means "no EXIF", not a rejection
        exif = read_exif(Image.Exif(), default_tz=default_tz)
    # libheif has already turned HEIF pixels upright (pillow-heif resets the tag).
    orientation = 1 if kind == "HEIF" else exif.orientation
    if orientation >= 5:
        width, height = height, width
    facts = PhotoFacts(
        sha256=sha256 or hashlib.sha256(data).hexdigest(), format=kind,
        mime=image.get_format_mimetype() or f"image/{kind.lower()}", size_bytes=len(data),
        width=width, height=height, taken_at=exif.taken_at, gps=exif.gps,
        gps_altitude_m=exif.gps_altitude_m,
    )
    return _Photo(image, facts, orientation)


def in_units(size: int) -> str:
    """A byte count for people.

    >>> in_units(25 << 20), in_units(1536), in_units(12)
    ('25 MB', '1.5 KB', '12 bytes')
    """
    for unit, factor in (("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} bytes"


def _boxes_complete(data: bytes) -> bool:
    """Whether the top-level ISO-BMFF boxes (ftyp, meta, mdat…) all end inside ``data``."""
    offset = 0
    while offset + 8 <= len(data):  # fewer bytes left: padding, not a box
        size = int.from_bytes(data[offset : offset + 4], "big")
        if size == 0:  # the last box runs to the end of the file
            return True
        if size == 1 and offset + 16 <= len(data):
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        if size < 8 or offset + size > len(data):
            return False
        offset += size
    return True


@functools.cache
def _heif_class() -> type[ImageFile.ImageFile]:
    # Imported and registered on first use, once per process: libheif is only
    # loaded when an iPhone photo actually arrives.
    import pillow_heif

    pillow_heif.register_heif_opener()
    return pillow_heif.HeifImageFile


def _image_class(kind: str) -> type[ImageFile.ImageFile]:
    # The plugin classes, not Image.open: that would apply Pillow's global bomb
    # limit (only a warning below twice its value) before our own, and would
    # accept every other format Pillow knows.
    if kind == "JPEG":
        return JpegImagePlugin.JpegImageFile
    if kind == "PNG":
        return PngImagePlugin.PngImageFile
    return _heif_class()


def _load(image: Image.Image) -> None:
    try:
        image.load()
    except _DECODE_ERRORS as error:
        raise PhotoRejected(CORRUPT) from error


def _display_sizes(photo: _Photo, sizes: DisplaySizes, data: bytes) -> tuple[bytes, bytes]:
    """The screen and thumbnail JPEGs (no metadata but the colour profile), from one decode."""
    image = photo.image
    size = fit(image.size, sizes.screen_px)
    icc = image.info.get("icc_profile") or None  # colours of Display P3 phone photos
    if image.format == "JPEG" and image.mode in ("RGB", "L") and sizes.turbo:
        try:  # the decode that proves the file whole
            pixels = decode_jpeg_scaled(data, size, gap=sizes.draft_gap, mode=image.mode)
        except ValueError as error:
            raise PhotoRejected(CORRUPT) from error
    else:  # CMYK JPEG, PNG, HEIF: Pillow decodes (1/2^k DCT scales for JPEG)
        if image.format == "JPEG":
            image.draft("RGB", (round(size[0] * sizes.draft_gap), round(size[1] * sizes.draft_gap)))
        _load(image)  # the decode that proves the file whole
        pixels = image
    screen = shrink(rgb(pixels), size, gap=sizes.draft_gap)
    if photo.orientation in _TRANSPOSE:
        screen = screen.transpose(_TRANSPOSE[photo.orientation])
    screen.info = {}  # resizing copied the source's EXIF and XMP (which may hold GPS too)
    encoded = pool().submit(encode_jpeg, screen, icc)
    thumb = shrink(screen, fit(screen.size, sizes.thumb_px), gap=2.0)
    return encoded.result(), encode_jpeg(thumb, icc)
