"""Attachments: recording them for an owner, finding those an actor may see, checking the store.

Rows are written in the owner's transaction (:func:`attach`); the bytes were
stored before it (:mod:`evidence.uploads`) and stay if it fails. An actor
sees an attachment when its registered owner scope lets them see the owner
(:func:`memorials.domains.attachment_owners`): jurisdiction, whatever the
owner is. :mod:`evidence.fsck` compares the store with the rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from evidence.location import PhotoProof
from evidence.models import Attachment, Kind
from evidence.photos import PhotoFacts
from evidence.store import original_key, screen_key, thumb_key
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
