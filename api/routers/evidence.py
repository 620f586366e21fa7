"""/api/v1/photos and /api/v1/attachments: the bytes of photos and documents, for those who may see their owner."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Annotated, BinaryIO, Literal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from api.auth import Requires
from api.deps import ReadSession
from evidence.models import Kind
from evidence.service import find_visible
from evidence.store import Store, original_key, parse_sha256, screen_key, thumb_key
from memorials.actors import Actor
from memorials.errors import NotFound
from memorials.permissions import Permission

router = APIRouter(tags=["evidence"])

# Every role may ask; the owner's scope decides what each one sees.
Reader = Annotated[Actor, Requires(Permission.evidence_read)]
PhotoSize = Literal["original", "thumb", "screen"]
_KEYS = {"original": original_key, "thumb": thumb_key, "screen": screen_key}
_CHUNK = 1 << 16
_CACHE = "private, max-age=86400"


def photo_url(sha256: str, size: PhotoSize) -> str:
    return f"/api/v1/photos/{sha256}/{size}"


def attachment_url(sha256: str) -> str:
    return f"/api/v1/attachments/{sha256}"


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(_CHUNK):
            yield chunk


def _send(store: Store, key: str, what: tuple[str, str], media_type: str, headers: dict[str, str]) -> Response:
    """The bytes under ``key``: a redirect where the store has its own URL (S3), else streamed by the app."""
    url = store.url(key)
    if url is not None:
        return RedirectResponse(url, status_code=307, headers={"Cache-Control": "private, no-store"})
    try:
        handle = store.open(key)
    except KeyError:
        raise NotFound(*what) from None
    size = handle.seek(0, io.SEEK_END)
    handle.seek(0)
    return StreamingResponse(_chunks(handle), media_type=media_type,
                             headers={**headers, "Content-Length": str(size)})


def display_photo(request: Request, sha256: str, size: Literal["thumb", "screen"]) -> Response:
    """A display size (no GPS in it) of a photo the caller has already been allowed to see."""
    return _send(request.app.state.evidence_store, _KEYS[size](sha256), ("photo", sha256), "image/jpeg",
                 {"Cache-Control": "private, max-age=3600"})


@router.get("/api/v1/photos/{sha256}/{size}", response_class=Response)
def get_photo(request: Request, sha256: str, size: PhotoSize, session: ReadSession, actor: Reader) -> Response:
    """A photo whose owner (an inspection, …) you may see: the original, or a display size without GPS.

    The hash may be written in either case; anything that is not a SHA-256 is simply not found.
    """
    digest = parse_sha256(sha256)
    found = find_visible(session=session, actor=actor, sha256=digest) if digest else None
    if digest is None or found is None or found.kind != Kind.photo:
        raise NotFound("photo", sha256)
    media = found.media_type if size == "original" else "image/jpeg"
    return _send(request.app.state.evidence_store, _KEYS[size](digest), ("photo", sha256), media, {"Cache-Control": _CACHE})


@router.get("/api/v1/attachments/{sha256}", response_class=Response)
def get_attachment(request: Request, sha256: str, session: ReadSession, actor: Reader) -> Response:
    """The original of a photo or document whose owner you may see; documents (PDF) come as a download."""
    digest = parse_sha256(sha256)
    found = find_visible(session=session, actor=actor, sha256=digest) if digest else None
    if digest is None or found is None:
        raise NotFound("attachment", sha256)
    headers = {"Cache-Control": _CACHE}
    if found.kind == Kind.document:
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(found.filename or 'document.pdf')}"
    return _send(request.app.state.evidence_store, original_key(digest), ("attachment", sha256), found.media_type,
                 headers)
