"""Where photo bytes live: keys, the small store interface, the disk store.

Originals are kept byte for byte under their SHA-256; derived JPEGs beside
them. Callers use ``PhotoStore`` and never branch on the backend (disk
today; an S3-compatible store is the same four methods).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol


def original_key(sha256: str) -> str:
    """Key of the original bytes, any format: no extension, the bytes decide."""
    return f"original/{sha256}"


def thumb_key(sha256: str) -> str:
    """Key of the list-view thumbnail (JPEG without metadata)."""
    return f"thumb/{sha256}.jpg"


def screen_key(sha256: str) -> str:
    """Key of the full-screen view (JPEG without metadata)."""
    return f"screen/{sha256}.jpg"


class PhotoStore(Protocol):
    """Where photo bytes live; callers never branch on the backend (disk, S3).

    Keys come from :func:`original_key`, :func:`thumb_key`, :func:`screen_key`.
    What a key holds never changes, so ``put`` is idempotent; it must also be
    atomic (a reader sees all bytes or none) and callable from worker threads.
    """

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def path(self, key: str) -> Path | None: ...

    def discard(self, key: str) -> None:
        """Remove what ``put`` wrote under ``key`` (a failed submission taking back its new files)."""
        ...


class DiskPhotoStore:
    """Photos on the local disk, sharded by the first two hex digits of the hash.

    ``original/abcd…`` lives at ``<root>/original/ab/abcd…``: 256 folders per
    kind keep listings short at hundreds of thousands of photos. A file is
    written beside its target and renamed into place, so a crash or a reader
    never sees half a photo.

    Parameters
    ----------
    root : Path
        Folder of the store; created when needed.
    durable : bool
        Flush file and folder to the device before ``put`` returns (default):
        photos are evidence that committed database rows point to.
    """

    _KEY = re.compile(r"(original|thumb|screen)/([0-9a-f]{64})(\.jpg)?")

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = Path(root)
        self.durable = durable

    def _file(self, key: str) -> Path:
        match = self._KEY.fullmatch(key)
        if match is None:
            raise KeyError(f"not a photo store key: {key!r}")
        kind, digest, extension = match.groups()
        return self.root / kind / digest[:2] / f"{digest}{extension or ''}"

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` unless it is already there."""
        target = self._file(key)
        if target.is_file():
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
        if self.durable:
            folder = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)

    def get(self, key: str) -> bytes:
        """The bytes under ``key``; ``KeyError`` when there are none."""
        try:
            return self._file(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds bytes."""
        return self._file(key).is_file()

    def path(self, key: str) -> Path | None:
        """Local file of ``key`` for a web server to send; ``None`` when absent."""
        target = self._file(key)
        return target if target.is_file() else None

    def discard(self, key: str) -> None:
        """Remove ``key``'s file if there is one."""
        with contextlib.suppress(FileNotFoundError):
            self._file(key).unlink()
