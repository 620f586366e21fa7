"""One submission's files, followed once: read and hashed, checked, then stored.

An inspection's photos today; a repair's before and after photos or a case's
signed consent tomorrow. Each piece of work is done once per file:

1. :meth:`Upload.read` reads a file from the request, computing its SHA-256
   as the bytes go by and refusing it past the size limit. The digest then
   serves the idempotency fingerprint, duplicates within the submission and
   the store's keys: nothing hashes the file again.
2. :func:`accept` checks every distinct file before it stores any, side by
   side on the cores: a photo is decoded once, at the scale its screen image
   needs (the decode that proves it whole makes its display sizes too); a
   document is parsed. One bad file refuses the whole submission, naming the
   first (``photos[2]``), and leaves nothing behind.
3. Then every file is written, at once; content already stored is freshened
   (see :class:`evidence.store.Store`). A failure after this step deletes
   nothing: the same bytes may belong to another submission in flight.

All of it runs inside the request, on purpose (issue 15 weighed a worker for
the display sizes; figures in ``docs/benchmarks.md``, field load): the
decode is what refuses a cut photo while the inspector can still take it
again, the phone's upload takes far longer than the server's photo work,
and a worker would decode on the same cores later, adding a pending state
that every count of patrols and visits would have to respect.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import BinaryIO

from evidence import documents, photos
from evidence.documents import CheckedDocument, DocumentFacts, DocumentRejected
from evidence.models import Kind
from evidence.photos import CheckedPhoto, DisplaySizes, PhotoFacts, PhotoRejected, clean_filename, in_units
from evidence.resample import checking_pool
from evidence.store import Store
from memorials.errors import ValidationProblem
from memorials.settings import Settings

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name as sent, its bytes and their SHA-256."""

    filename: str
    data: bytes
    sha256: str

    @classmethod
    def of(cls, filename: str, data: bytes) -> Upload:
        return cls(filename, data, hashlib.sha256(data).hexdigest())

    @classmethod
    def read(cls, file: BinaryIO, *, filename: str, max_bytes: int, field: str) -> Upload:
        """Read ``file`` to its end, hashing as it goes; past ``max_bytes`` the upload is refused (422)."""
        digest, chunks, size = hashlib.sha256(), [], 0
        while chunk := file.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise ValidationProblem(field, f"{clean_filename(filename) if filename else 'file'}: "
                                               f"file is larger than {in_units(max_bytes)}")
            digest.update(chunk)
            chunks.append(chunk)
        return cls(filename, b"".join(chunks), digest.hexdigest())


@dataclass(frozen=True)
class Limits:
    """What a submission's files may be, from the settings."""

    max_photo_bytes: int
    max_pixels: int
    max_document_bytes: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.max_photo_bytes, settings.max_photo_pixels, settings.max_document_bytes)


@dataclass(frozen=True)
class Accepted:
    """One upload as checked and stored: what its attachment row records."""

    filename: str
    """Cleaned (:func:`evidence.photos.clean_filename`)."""
    kind: Kind
    facts: PhotoFacts | DocumentFacts

    @property
    def sha256(self) -> str:
        return self.facts.sha256


def accept(
    uploads: Sequence[Upload],
    *,
    store: Store,
    limits: Limits,
    kinds: frozenset[Kind] = frozenset({Kind.photo}),
    field: str = "photos",
    sizes: DisplaySizes = DisplaySizes(),  # noqa: B008 - frozen
    default_tz: tzinfo | None = None,
) -> list[Accepted]:
    """Check every upload, then store them all; one entry per upload, in order (a file sent twice, twice).

    Parameters
    ----------
    uploads : sequence of Upload
    store : Store
    limits : Limits
    kinds : frozenset of Kind
        What the owner takes: photos (JPEG, PNG, HEIC), documents (PDF), or both.
        A PDF where only photos are taken is "not an image".
    field : str
        The request field, for error messages: ``photos[i]``.
    sizes, default_tz
        As for :func:`evidence.photos.check`.

    Raises
    ------
    ValidationProblem
        Naming the first bad upload and why; nothing is stored then.
    """
    first = {}  # each distinct file once, at its first place
    for index, upload in enumerate(uploads):
        first.setdefault(upload.sha256, (index, upload))
    jobs = {sha256: checking_pool().submit(_check, upload, store=store, limits=limits, kinds=kinds,
                                                  sizes=sizes, default_tz=default_tz)
            for sha256, (_index, upload) in first.items()}
    checked: dict[str, CheckedPhoto | CheckedDocument] = {}
    try:
        for sha256, (index, upload) in first.items():
            try:
                checked[sha256] = jobs[sha256].result()
            except (PhotoRejected, DocumentRejected) as exc:
                name = clean_filename(upload.filename) if upload.filename else f"file {index + 1}"
                raise ValidationProblem(f"{field}[{index}]", f"{name}: {exc.reason}") from None
    finally:
        for job in jobs.values():
            job.cancel()  # those not started, after a refusal
    photos.put_all(store, {key: data for item in checked.values() for key, data in item.files.items()})
    return [
        Accepted(clean_filename(upload.filename),
                 Kind.document if isinstance(checked[upload.sha256], CheckedDocument) else Kind.photo,
                 checked[upload.sha256].facts)
        for upload in uploads
    ]


def _check(upload: Upload, *, store: Store, limits: Limits, kinds: frozenset[Kind], sizes: DisplaySizes,
           default_tz: tzinfo | None) -> CheckedPhoto | CheckedDocument:
    if Kind.document in kinds and documents.is_pdf(upload.data):
        return documents.check(upload.data, max_bytes=limits.max_document_bytes, sha256=upload.sha256)
    if Kind.photo in kinds:
        return photos.check(upload.data, store=store, max_bytes=limits.max_photo_bytes, max_pixels=limits.max_pixels,
                            sha256=upload.sha256, sizes=sizes, default_tz=default_tz)
    raise DocumentRejected(documents.NOT_A_PDF)
