"""Where evidence bytes live: keys, the small store interface, the disk store.

Originals (photos and documents) are kept byte for byte under their SHA-256;
a photo's display JPEGs beside them. Callers use :class:`Store` and never
branch on the backend: the disk today, an S3-compatible bucket later with
the same methods (``open``, ``url``, ``exists``, ``put``; for ``memorials
fsck`` also ``files`` and ``discard_stale``) and no filesystem path.
Content is shared between owners, so a failed request never deletes any:
unreferenced files are collected later, after a grace period.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Protocol

from memorials.settings import Settings

_DIGEST = re.compile(r"[0-9a-f]{64}")


def parse_sha256(value: str) -> str | None:
    """``value`` as a lower-case SHA-256 hex digest, or ``None`` when it is not one (any case accepted)."""
    digest = value.lower()
    return digest if _DIGEST.fullmatch(digest) else None


def original_key(sha256: str) -> str:
    """Key of the original bytes, photo or document: no extension, the bytes decide."""
    return f"original/{sha256}"


def thumb_key(sha256: str) -> str:
    """Key of the list-view thumbnail (JPEG without metadata)."""
    return f"thumb/{sha256}.jpg"


def screen_key(sha256: str) -> str:
    """Key of the full-screen view (JPEG without metadata)."""
    return f"screen/{sha256}.jpg"


@dataclass(frozen=True)
class StoredFile:
    """One file in the store as garbage collection sees it.

    ``sha256`` is ``None`` for what an interrupted ``put`` left behind (a
    crash or ``kill -9`` mid-write); such a file is never evidence.
    """

    key: str
    sha256: str | None
    modified: datetime
    size: int


class Store(Protocol):
    """Where evidence bytes live; callers never branch on the backend (disk, S3).

    Keys come from :func:`original_key`, :func:`thumb_key`, :func:`screen_key`.
    What a key holds never changes, so ``put`` is idempotent; it must also be
    atomic (a reader sees all bytes or none) and callable from worker threads.

    Nothing is deleted when a request fails: another request's transaction,
    not yet committed, may already count on the same content. Files no row
    references are collected later (``memorials fsck --remove``) once they are
    older than a grace period; ``put`` and ``freshen`` mark a key as in use
    now, so a request that finds old content already there keeps it alive.
    """

    @property
    def location(self) -> str:
        """Where the store is, for people: a folder, a bucket."""
        ...

    def put(self, key: str, data: bytes) -> None: ...

    def open(self, key: str) -> BinaryIO:
        """The bytes under ``key``, to read and close; ``KeyError`` when there are none."""
        ...

    def url(self, key: str) -> str | None:
        """A URL a client may fetch ``key`` from directly (a presigned S3 URL), or ``None``: send the bytes."""
        ...

    def exists(self, key: str) -> bool: ...

    def freshen(self, key: str) -> bool:
        """Whether ``key`` holds bytes; if so they count as written now (collection spares them)."""
        ...

    def files(self) -> Iterator[StoredFile]:
        """Everything in the store, evidence and leftovers of interrupted writes."""
        ...

    def discard_stale(self, key: str, *, before: datetime) -> bool:
        """Remove ``key`` unless it was written or freshened at or after ``before``; whether it was removed."""
        ...


def store_for(settings: Settings) -> Store:
    """The store the settings name: files under ``photo_dir`` (``photo_store=disk``, the default) or an
    S3-compatible bucket (``photo_store=s3``: ``s3_bucket``, ``s3_endpoint_url``, ``s3_prefix``, ``s3_region``)."""
    if settings.photo_store == "s3":
        from evidence.s3store import S3Store

        return S3Store(bucket=settings.s3_bucket, prefix=settings.s3_prefix, endpoint_url=settings.s3_endpoint_url,
                       region=settings.s3_region)
    return DiskStore(settings.resolved_photo_dir())


class DiskStore:
    """Evidence on the local disk, sharded by the first two hex digits of the hash.

    ``original/abcd…`` lives at ``<root>/original/ab/abcd…``: 256 folders per
    kind keep listings short at hundreds of thousands of files. A file is
    written to a temporary file beside its target, flushed to the device and
    renamed into place, so a crash or a reader never sees half a file, and
    two writers of the same hash never mix their bytes. A file's modification
    time is when a request last wrote or found it: collection goes by it.

    Parameters
    ----------
    root : Path
        Folder of the store; created when needed.
    durable : bool
        Flush file and folder to the device before ``put`` returns (default):
        evidence that committed database rows point to.
    """

    _KEY = re.compile(r"(original|thumb|screen)/([0-9a-f]{64})(\.jpg)?")
    _KINDS = ("original", "thumb", "screen")
    _PARTIAL = re.compile(r"(original|thumb|screen)/([0-9a-f]{2})/(\.incoming-[0-9A-Za-z_]+)")
    _DISCARDING = ".discarding-"

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = Path(root)
        self.durable = durable

    @property
    def location(self) -> str:
        return str(self.root)

    def _file(self, key: str) -> Path:
        match = self._KEY.fullmatch(key)
        if match is None:
            partial = self._PARTIAL.fullmatch(key)
            if partial is None:
                raise KeyError(f"not a key of the evidence store: {key!r}")
            return self.root.joinpath(*partial.groups())
        kind, digest, extension = match.groups()
        return self.root / kind / digest[:2] / f"{digest}{extension or ''}"

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` unless it is already there (then it is freshened)."""
        target = self._file(key)
        if self.freshen(key):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                os.fchmod(file.fileno(), 0o644)  # mkstemp's 0600 would hide it from a web server
                file.write(data)
                file.flush()
                if self.durable:
                    os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        self._sync_folder(target.parent)

    def _sync_folder(self, folder: Path) -> None:
        if self.durable:
            handle = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(handle)
            finally:
                os.close(handle)

    def open(self, key: str) -> BinaryIO:
        """The file under ``key``, open for reading; ``KeyError`` when there is none."""
        try:
            return self._file(key).open("rb")
        except FileNotFoundError:
            raise KeyError(key) from None

    def url(self, key: str) -> str | None:
        """Always ``None``: the app sends the disk store's files itself."""
        return None

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds bytes."""
        return self._file(key).is_file()

    def freshen(self, key: str) -> bool:
        """Whether ``key`` holds bytes, setting their modification time to now if so."""
        try:
            os.utime(self._file(key))
        except FileNotFoundError:  # absent, or being collected this instant: write it again
            return False
        return True

    def path(self, key: str) -> Path | None:
        """Local file of ``key``, ``None`` when absent: for tools and tests of this store, not part of ``Store``."""
        target = self._file(key)
        return target if target.is_file() else None

    def files(self) -> Iterator[StoredFile]:
        """Every file under the root, in no particular order; a collection interrupted earlier is undone first."""
        for kind in self._KINDS:
            for shard in sorted((self.root / kind).glob("[0-9a-f][0-9a-f]")):
                for entry in os.scandir(shard):
                    if entry.name.startswith(self._DISCARDING):
                        self._restore(Path(entry.path), shard / entry.name.removeprefix(self._DISCARDING))
                for entry in os.scandir(shard):
                    stored = self._stored(kind, shard.name, entry)
                    if stored is not None:
                        yield stored

    def _stored(self, kind: str, shard: str, entry: os.DirEntry[str]) -> StoredFile | None:
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            return None
        if not entry.is_file(follow_symlinks=False):
            return None
        modified = datetime.fromtimestamp(info.st_mtime, timezone.utc)
        name = entry.name
        digest = name.removesuffix(".jpg")
        key = f"{kind}/{name}"
        if self._KEY.fullmatch(key) and digest[:2] == shard:
            return StoredFile(key=key, sha256=digest, modified=modified, size=info.st_size)
        key = f"{kind}/{shard}/{name}"
        if self._PARTIAL.fullmatch(key):
            return StoredFile(key=key, sha256=None, modified=modified, size=info.st_size)
        return None  # not ours: left alone

    def discard_stale(self, key: str, *, before: datetime) -> bool:
        """Remove ``key`` if nothing wrote or freshened it since ``before``.

        The file is first renamed aside and its time read again: a request
        that freshened it a moment earlier shows there and the file is put
        back; one a moment later finds it gone and writes it again.
        """
        target = self._file(key)
        aside = target.with_name(self._DISCARDING + target.name)
        try:
            if self._modified(target) >= before:
                return False
            os.rename(target, aside)
        except FileNotFoundError:
            return False
        if self._modified(aside) >= before:
            self._restore(aside, target)
            return False
        aside.unlink()
        self._sync_folder(target.parent)
        return True

    @staticmethod
    def _modified(path: Path) -> datetime:
        return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)

    def _restore(self, aside: Path, target: Path) -> None:
        try:
            os.link(aside, target)
        except FileExistsError:
            pass  # written again meanwhile: the same bytes
        except FileNotFoundError:
            return  # another collector got there first
        with contextlib.suppress(FileNotFoundError):
            aside.unlink()
