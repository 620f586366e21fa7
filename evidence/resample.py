"""Resampling, JPEG encoding and the worker pools of the photo pipeline.

Pillow decodes (with libjpeg's DCT scaling) and encodes; libvips does the
Lanczos resampling. The pools are shared by the whole process and made on
first use. :mod:`evidence.photos` decides what to make;
this module makes the pixels.
"""

from __future__ import annotations

import functools
import io
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

JPEG_QUALITY = 82
_FILTER = Image.Resampling.LANCZOS


def fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    width, height = size
    scale = long_side / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def shrink(image: Image.Image, size: tuple[int, int], *, gap: float) -> Image.Image:
    """Lanczos to ``size``, after an integer box reduction where at least ``gap`` times ``size`` remains.

    The reduction does for PNG and HEIF what DCT scaling does for JPEG. The
    Lanczos step runs in libvips (``lanczos3``, vectorised, on its own
    threads): the same pixels as Pillow's Lanczos to within rounding, at a
    third of its CPU time, which is most of the pipeline's cost. Pillow still
    decodes and checks every photo; only the decoded pixels cross over.
    """
    factor = int(min(image.width / size[0], image.height / size[1]) / gap)
    if factor >= 2:
        image = image.reduce(factor)
    if image.size == size:
        return image
    if image.mode not in _VIPS_BANDS or size[0] * size[1] < 10_000:
        return image.resize(size, _FILTER)  # a tiny image is not worth the crossing
    pyvips = _pyvips()
    source = pyvips.Image.new_from_memory(image.tobytes(), image.width, image.height,
                                          _VIPS_BANDS[image.mode], "uchar")
    resized = source.resize(size[0] / image.width, vscale=size[1] / image.height, kernel="lanczos3")
    if (resized.width, resized.height) != size:  # vips rounds the output size its own way
        return image.resize(size, _FILTER)
    return Image.frombytes(image.mode, size, resized.write_to_memory())


_VIPS_BANDS = {"L": 1, "RGB": 3, "RGBA": 4}


def decode_jpeg_scaled(data: bytes, size: tuple[int, int], *, gap: float, mode: str) -> Image.Image:
    """A JPEG decoded by libjpeg-turbo straight to the smallest of its M/8 scales at least ``gap`` × ``size``.

    Pillow's ``draft`` offers only 1/1, 1/2, 1/4, 1/8: a 4000 px photo for a
    1600 px screen image is decoded whole (slow) or at 2000 px (softer: about
    85% of the detail). libjpeg-turbo also scales by 7/8, 3/4, 5/8, 3/8…
    (``simplejpeg``, which ships it), so 4000 px decodes at 2500 px: all of the
    detail at less than libvips' cost. Strict: a truncated or corrupt stream
    raises ``ValueError`` (the decode proves the file whole). ``mode`` is
    Pillow's mode of the JPEG, ``RGB`` or ``L``.
    """
    import simplejpeg

    gray = mode == "L"
    pixels = simplejpeg.decode_jpeg(data, colorspace="GRAY" if gray else "RGB", fastdct=True, fastupsample=True,
                                    min_width=round(size[0] * gap), min_height=round(size[1] * gap), strict=True)
    height, width = pixels.shape[:2]
    return Image.frombuffer("L" if gray else "RGB", (width, height), pixels.tobytes(), "raw",
                            "L" if gray else "RGB", 0, 1)


@functools.cache
def _pyvips():
    # Imported on first use: libvips loads when the first photo arrives, not at server start.
    import pyvips

    pyvips.concurrency_set(cores())
    pyvips.cache_set_max(0)  # every photo is new: cached operations would only hold on to their pixels
    return pyvips


def encode_jpeg(image: Image.Image, icc: bytes | None) -> bytes:
    buffer = io.BytesIO()  # only the colour profile travels with derived images
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, icc_profile=icc)
    return buffer.getvalue()


@functools.cache
def cores() -> int:
    return max(1, min(4, len(os.sched_getaffinity(0))))


_pool_lock = threading.Lock()
_shared_pool: ThreadPoolExecutor | None = None
_checking_pool: ThreadPoolExecutor | None = None


def pool() -> ThreadPoolExecutor:
    # Shared by all calls and made on first use; two threads more than cores so
    # that writes waiting on the disk never hold up resampling.
    global _shared_pool
    with _pool_lock:
        if _shared_pool is None:
            _shared_pool = ThreadPoolExecutor(cores() + 2, thread_name_prefix="evidence")
        return _shared_pool


def checking_pool() -> ThreadPoolExecutor:
    """Where uploads are checked and decoded, one per core at a time for the whole process.

    Photos of one submission decode side by side; however many requests
    arrive, no more photos are decoded at once than there are cores, which
    bounds the memory of decoded pixels. Its tasks may wait on the resampling
    pool, never on each other.
    """
    global _checking_pool
    with _pool_lock:
        if _checking_pool is None:
            _checking_pool = ThreadPoolExecutor(cores(), thread_name_prefix="evidence-check")
        return _checking_pool
