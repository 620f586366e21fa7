"""Accounts, passwords, sign-in with lockout, and tokens.

Passwords are hashed with Argon2id (argon2-cffi). Tokens are random strings
given to the client once; only their SHA-256 is stored, so a copy of the
database lets nobody sign in. Repeated failures lock an account for a while,
and the lock is written to the audit trail.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from memorials import audit
from memorials.actors import SYSTEM, Actor
from memorials.divisions import require_division
from memorials.errors import Conflict, ValidationProblem
from memorials.models import AuthToken, User
from memorials.permissions import Role

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("memorials-dummy-password")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,59}$")
MIN_PASSWORD = 8
AUDITED_FIELDS = ("username", "display_name", "role", "jurisdiction", "active")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, username=user.username, role=user.role, jurisdiction=user.jurisdiction)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationProblem("password", f"must be at least {MIN_PASSWORD} characters")


def create_user(
    *,
    session: Session,
    username: str,
    password: str,
    role: str,
    jurisdiction: str,
    display_name: str = "",
    actor: Actor = SYSTEM,
) -> User:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise ValidationProblem("username", "use 2-60 lower-case letters, digits, '.', '_' or '-'")
    if role not in Role.__members__:
        raise ValidationProblem("role", f"unknown role {role!r}; one of {', '.join(Role)}")
    if jurisdiction:
        jurisdiction = require_division(session=session, code=jurisdiction, field="jurisdiction").code
    elif role != Role.admin:
        raise ValidationProblem("jurisdiction", "only an admin may work nationwide; give a division code")
    if actor.scope and not jurisdiction.startswith(actor.scope):
        raise ValidationProblem("jurisdiction", "must lie inside your own jurisdiction")
    _check_password(password)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(f"username: {name} is taken")
    user = User(username=name, display_name=display_name.strip() or name, role=role, jurisdiction=jurisdiction,
                password_hash=_hasher.hash(password))
    session.add(user)
    session.flush()
    audit.record(session=session, actor=actor, entity="user", entity_id=user.id, action="create", old=None,
                 new=audit.snapshot(user, AUDITED_FIELDS))
    return user


def get_user(*, session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def list_users(*, session: Session, actor: Actor = SYSTEM) -> list[User]:
    stmt = select(User).order_by(User.username)
    users = list(session.scalars(stmt))
    return [u for u in users if u.jurisdiction.startswith(actor.scope)] if actor.scope else users


def set_active(*, session: Session, user: User, active: bool, actor: Actor = SYSTEM) -> User:
    if user.active != active:
        audit.record(session=session, actor=actor, entity="user", entity_id=user.id, action="status",
                     old={"active": user.active}, new={"active": active})
        user.active = active
        if not active:
            revoke_tokens(session=session, user=user)
        session.flush()
    return user


def set_password(*, session: Session, user: User, password: str, actor: Actor = SYSTEM) -> User:
    _check_password(password)
    user.password_hash = _hasher.hash(password)
    user.failed_logins = 0
    user.locked_until = None
    revoke_tokens(session=session, user=user)
    audit.record(session=session, actor=actor, entity="user", entity_id=user.id, action="reset_password",
                 old=None, new=None)
    session.flush()
    return user


def revoke_tokens(*, session: Session, user: User) -> None:
    session.execute(update(AuthToken).where(AuthToken.user_id == user.id).values(revoked=True))


@dataclass(frozen=True)
class SignInPolicy:
    max_failures: int = 5
    lock_minutes: int = 15


SIGN_IN_REFUSED = "wrong username or password, or the account is locked or disabled"


def authenticate(*, session: Session, username: str, password: str, policy: SignInPolicy) -> User | None:
    """The user for these credentials, or None.

    After ``max_failures`` wrong passwords in a row the account is locked
    for ``lock_minutes``; the lock is audited. A locked or disabled account
    is refused like a wrong password, so the answer tells an attacker
    nothing. Failures change the account (the counter): the caller commits
    the session even when it refuses the sign-in.
    """
    user = get_user(session=session, username=username)
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return None
    now = _now()
    if user.locked_until is not None and user.locked_until > now:
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= policy.max_failures:
            user.locked_until = now + timedelta(minutes=policy.lock_minutes)
            user.failed_logins = 0
            audit.record(session=session, actor=SYSTEM, entity="user", entity_id=user.id, action="login_locked",
                         old=None, new={"locked_until": user.locked_until.isoformat(),
                                        "after_failures": policy.max_failures})
        session.flush()
        return None
    if not user.active:
        return None
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.flush()
    return user


@dataclass(frozen=True)
class IssuedToken:
    token: str
    csrf_token: str
    expires_at: datetime
    expires_in: int


def issue_token(*, session: Session, user: User, kind: str, ttl_minutes: int) -> IssuedToken:
    """A new bearer token (``kind="api"``) or page session (``kind="session"``)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24) if kind == "session" else ""
    expires = _now() + timedelta(minutes=ttl_minutes)
    session.add(AuthToken(token_hash=_hash_token(token), user_id=user.id, kind=kind, csrf_token=csrf,
                          expires_at=expires))
    session.flush()
    return IssuedToken(token=token, csrf_token=csrf, expires_at=expires, expires_in=ttl_minutes * 60)


@dataclass(frozen=True)
class SignedIn:
    actor: Actor
    kind: str
    csrf_token: str
    display_name: str


def resolve_token(*, session: Session, token: str) -> SignedIn | None:
    """Who holds this token, if it is valid, unexpired and its user active."""
    row = session.execute(
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == _hash_token(token))
    ).first()
    if row is None:
        return None
    tok, user = row
    if tok.revoked or tok.expires_at <= _now() or not user.active:
        return None
    return SignedIn(actor=actor_of(user), kind=tok.kind, csrf_token=tok.csrf_token, display_name=user.display_name)


def end_session(*, session: Session, token: str) -> None:
    session.execute(update(AuthToken).where(AuthToken.token_hash == _hash_token(token)).values(revoked=True))
