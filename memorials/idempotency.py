"""Retried requests must not duplicate records.

A client sends an ``Idempotency-Key`` header with a request that creates
something; the first answer is kept with the key, and a retry with the same
key gets that answer again and creates nothing. The key is *claimed* at the
start of the request's transaction, so two copies of one request racing
each other cannot both pass: the loser waits on the unique index (PostgreSQL)
or the write lock (SQLite) and then replays the winner's answer. If the
request fails, its transaction (claim included) rolls back and a retry runs
afresh.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from memorials.errors import DomainError, ValidationProblem
from memorials.models import IdempotencyRecord

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: str


class Replay(DomainError):
    """The request was answered before; give ``answer`` again."""

    def __init__(self, answer: StoredAnswer) -> None:
        super().__init__("replayed")
        self.answer = answer


def fingerprint(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationProblem("Idempotency-Key", f"must be 1-{MAX_KEY_LENGTH} printable characters")
    return key


def _answer_of(record: IdempotencyRecord, *, method: str, path: str, print_: str) -> StoredAnswer | None:
    if record.method != method or record.path != path or record.fingerprint != print_:
        raise ValidationProblem("Idempotency-Key", "was already used for a different request; use a new key")
    if record.status_code is None or record.body is None:
        return None
    return StoredAnswer(record.status_code, record.body)


def find(*, session: Session, user_id: int, key: str, method: str, path: str, print_: str) -> StoredAnswer | None:
    """The stored answer for this key, None if there is none yet."""
    record = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id,
                                                            IdempotencyRecord.key == key))
    if record is None:
        return None
    return _answer_of(record, method=method, path=path, print_=print_)


def claim(*, session: Session, user_id: int, key: str, method: str, path: str, print_: str) -> IdempotencyRecord:
    """Take the key for this request in the current transaction, or raise ``Replay``.

    On PostgreSQL a concurrent claim of the same key blocks until the first
    transaction ends; if it committed, the unique index refuses this one (in
    a savepoint, so the transaction stays usable) and the first answer is
    replayed.
    """
    answer = find(session=session, user_id=user_id, key=key, method=method, path=path, print_=print_)
    if answer is not None:
        raise Replay(answer)
    record = IdempotencyRecord(user_id=user_id, key=key, method=method, path=path, fingerprint=print_)
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        # Only the savepoint is gone; the winner has committed, so its row is visible now.
        answer = find(session=session, user_id=user_id, key=key, method=method, path=path, print_=print_)
        if answer is None:
            raise ValidationProblem("Idempotency-Key", "a request with this key is still being processed; "
                                                       "retry in a moment") from None
        raise Replay(answer) from None
    return record


def complete(*, session: Session, record: IdempotencyRecord, status_code: int, body: str) -> None:
    record.status_code = status_code
    record.body = body
    session.flush()
