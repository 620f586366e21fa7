"""One inspector's submission, start to finish, stored once however often it is sent.

Phones on weak signal send the same submission again; the page gives every
submission an ``Idempotency-Key`` and keeps it across retries. Steps:

1. If the key was answered before, give that answer again (nothing else
   runs). The fingerprint uses the photos' SHA-256 computed as the request
   was read (:class:`evidence.uploads.Upload`): no photo is hashed twice.
2. Check every photo (content, size, pixels, corruption) before storing any:
   one bad file refuses the whole submission with a 422 and leaves nothing.
   Each photo is decoded once, and that decode makes its display sizes.
3. Store the photos (content-addressed: a retry finds them already there,
   and freshens them, and does not decode them again).
4. In one transaction: claim the key, write the inspection, its photos'
   attachment rows and defects, keep the answer with the key. A race
   between two copies ends in one inspection; the loser replays the
   winner's answer.
5. If step 4 fails, the files of step 3 stay: another submission of the same
   bytes, its transaction still open, may be about to reference them, and no
   check made now can see that. ``memorials fsck --remove`` collects files
   that no row references once they are older than a grace period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from evidence.location import Thresholds
from evidence.store import Store
from evidence.uploads import Limits, Upload, accept
from inspections import service
from inspections.schemas import InspectionIn, PhotoUrls
from memorials import idempotency
from memorials.actors import Actor
from memorials.db import transaction
from memorials.errors import ValidationProblem
from memorials.idempotency import Replay, StoredAnswer


@dataclass(frozen=True)
class Context:
    read_sessions: sessionmaker[Session]
    write_sessions: sessionmaker[Session]
    store: Store
    limits: Limits
    max_photos: int
    thresholds: Thresholds
    requirements: service.Requirements
    urls: Callable[[str], PhotoUrls]
    today: Callable[[], date]


def _fingerprint(raw_json: bytes, uploads: list[Upload]) -> str:
    return idempotency.fingerprint(raw_json, *(u.sha256 for u in uploads))


def submit(
    *, ctx: Context, actor: Actor, data: InspectionIn, raw_json: bytes, uploads: list[Upload], key: str | None,
    method: str, path: str,
) -> StoredAnswer:
    """File the inspection (or find it filed already); the answer is JSON with its status code."""
    print_ = _fingerprint(raw_json, uploads)
    if key is not None:
        with transaction(ctx.read_sessions) as session:
            answer = idempotency.find(session=session, user_id=actor.user_id, key=key, method=method, path=path,
                                      print_=print_)
        if answer is not None:
            raise Replay(answer)
    if len(uploads) > ctx.max_photos:
        raise ValidationProblem("photos", f"at most {ctx.max_photos} photos per inspection")
    stored = accept(uploads, store=ctx.store, limits=ctx.limits, field="photos")
    with transaction(ctx.write_sessions) as session:
        record = (idempotency.claim(session=session, user_id=actor.user_id, key=key, method=method, path=path,
                                    print_=print_) if key is not None else None)
        inspection = service.file_inspection(session=session, actor=actor, data=data, photos=stored,
                                             thresholds=ctx.thresholds, requirements=ctx.requirements,
                                             idempotency_key=key)
        body = service.inspection_out(session=session, inspection=inspection, urls=ctx.urls,
                                      today=ctx.today()).model_dump_json()
        if record is not None:
            idempotency.complete(session=session, record=record, status_code=201, body=body)
    return StoredAnswer(201, body)
