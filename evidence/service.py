"""Attachments: recording them for an owner, finding those an actor may see, checking the store.

Rows are written in the owner's transaction (:func:`attach`); the bytes were
stored before it (:mod:`evidence.uploads`) and stay if it fails. An actor
sees an attachment when its registered owner scope lets them see the owner
(:func:`memorials.domains.attachment_owners`): jurisdiction, whatever the
owner is. :func:`check_store` compares the store with the rows, for
``memorials fsck``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from evidence.location import PhotoProof
from evidence.models import Attachment, Kind, has_files
from evidence.photos import PhotoFacts
from evidence.store import Store, StoredFile, original_key, screen_key, thumb_key
from evidence.uploads import Accepted
from memorials import domains
from memorials.actors import Actor


def attach(
    *,
    session: Session,
    owner_type: str,
    owner_id: int,
    accepted: Sequence[Accepted],
    proofs: Sequence[PhotoProof | None] = (),
) -> list[Attachment]:
    """Add one row per accepted upload, in order after the owner's earlier ones, with its location proof if made.

    ``proofs[i]`` belongs to ``accepted[i]`` (missing entries: nothing proven).
    """
    if owner_type not in domains.attachment_owners():
        raise ValueError(f"no domain package registers attachment owners of type {owner_type!r}")
    last = session.scalar(select(func.max(Attachment.position))
                          .where(Attachment.owner_type == owner_type, Attachment.owner_id == owner_id))
    start = -1 if last is None else last
    rows = []
    for index, item in enumerate(accepted):
        position = start + 1 + index
        proof = proofs[index] if index < len(proofs) else None
        facts = item.facts
        photo = facts if isinstance(facts, PhotoFacts) else None
        row = Attachment(
            owner_type=owner_type, owner_id=owner_id, position=position, kind=item.kind.value, sha256=facts.sha256,
            filename=item.filename, format=facts.format, size_bytes=facts.size_bytes,
            width=photo.width if photo else None, height=photo.height if photo else None,
            pages=None if photo else facts.pages,  # type: ignore[union-attr]
            taken_at=photo.taken_at if photo else None,
            gps_longitude=photo.gps[0] if photo and photo.gps else None,
            gps_latitude=photo.gps[1] if photo and photo.gps else None,
        )
        if proof is not None and photo is not None:
            row.distance_m = proof.distance_m
            row.verification = proof.verification
            row.device_longitude, row.device_latitude = proof.device if proof.device else (None, None)
            row.device_gap_m = proof.device_gap_m
            row.gap_flagged = proof.gap_flagged
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def visible(actor: Actor) -> ColumnElement[bool]:
    """SQL condition: the attachment's owner is one the actor may see (by its registered scope)."""
    conditions = [and_(Attachment.owner_type == owner_type, Attachment.owner_id.in_(scope(actor)))
                  for owner_type, scope in domains.attachment_owners().items()]
    return or_(*conditions) if conditions else false()


def find_visible(*, session: Session, actor: Actor, sha256: str) -> Attachment | None:
    """An attachment with these bytes that the actor may see, or ``None`` (then the bytes are not theirs to see)."""
    stmt = select(Attachment).where(Attachment.sha256 == sha256, visible(actor)).order_by(Attachment.id).limit(1)
    return session.scalar(stmt)


def keys_of(sha256: str, kind: Kind | str) -> tuple[str, ...]:
    """The store keys an attachment needs: a photo its original and display sizes, a document its original."""
    if kind == Kind.photo:
        return original_key(sha256), screen_key(sha256), thumb_key(sha256)
    return (original_key(sha256),)


@dataclass(frozen=True)
class StoreCheck:
    """What ``memorials fsck`` found: files no row references, rows whose files are gone."""

    files: int
    referenced: int
    orphans: list[StoredFile]
    missing: dict[str, list[str]]
    """SHA-256 of an attachment rows point to → the keys the store lacks."""
    removed: list[StoredFile]
    synthetic: int = 0
    """Attachment rows of a synthetic registry: no files by design, not counted as missing."""


def check_store(*, session: Session, store: Store, remove_before: datetime | None = None) -> StoreCheck:
    """Compare the store with the attachment rows; remove orphans last written before ``remove_before``.

    The store is listed before the rows are read. A file that a submission
    still in flight is about to reference was written or freshened by it
    moments ago, so it is younger than any sensible grace period and stays;
    :meth:`~evidence.store.Store.discard_stale` checks its age again as it
    removes it.
    """
    files = list(store.files())
    real = has_files()
    referenced = {sha: kind for sha, kind in session.execute(
        select(Attachment.sha256, Attachment.kind).where(real).distinct())}
    synthetic = session.scalar(select(func.count(Attachment.id)).where(~real)) or 0
    present = {f.key for f in files}
    orphans = sorted((f for f in files if f.sha256 not in referenced), key=lambda f: f.key)
    missing: dict[str, list[str]] = {}
    for sha256 in sorted(referenced):
        lacking = [k for k in keys_of(sha256, referenced[sha256])
                   if k not in present and not store.exists(k)]  # exists: written since the listing
        if lacking:
            missing[sha256] = lacking
    removed = ([f for f in orphans if f.modified < remove_before and store.discard_stale(f.key, before=remove_before)]
               if remove_before is not None else [])
    return StoreCheck(files=len(files), referenced=len(referenced), orphans=orphans, missing=missing,
                      removed=removed, synthetic=synthetic)
