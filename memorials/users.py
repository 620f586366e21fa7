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
from sqlalchemy import case, literal, or_, select, update
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


MIN_PASSWORD_KINDS = 2
PASSPHRASE_LENGTH = 16
MIN_PASSWORD_SCORE = 3


def check_password_strength(password: str, *, username: str = "") -> None:
    """Refuse a password that is short, of one kind of character, or guessable.

    One kind of character is enough for a passphrase of 16 or more.
    Guessable is judged by zxcvbn (Dropbox's estimator, with its lists of
    common passwords, names and keyboard patterns): a score below 3 of 4
    means it falls to an offline attack quickly (``password``, ``12345678``,
    ``qwertyuiop``, the username with a year). Admins resetting a password
    meet the same rule.

    >>> check_password_strength("correct-horse-battery")
    >>> check_password_strength("12345678")
    Traceback (most recent call last):
    ...
    memorials.errors.ValidationProblem: password: use at least two kinds of characters (letters, digits, symbols)
    """
    if len(password) < MIN_PASSWORD:
        raise ValidationProblem("password", f"must be at least {MIN_PASSWORD} characters")
    kinds = sum((any(c.isalpha() for c in password), any(c.isdigit() for c in password),
                 any(not c.isalnum() for c in password)))
    if kinds < MIN_PASSWORD_KINDS and len(password) < PASSPHRASE_LENGTH:
        raise ValidationProblem("password", "use at least two kinds of characters (letters, digits, symbols)")
    from zxcvbn import zxcvbn  # its word lists take a moment to load: only when a password is set

    if zxcvbn(password[:100], user_inputs=[username, "memorial", "memorials", "lieshi"])["score"] < MIN_PASSWORD_SCORE:
        raise ValidationProblem("password", "too common or too easy to guess; choose a longer, less common password")



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
    check_password_strength(password, username=name)
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


def display_names(*, session: Session, usernames: set[str] | list[str]) -> dict[str, str]:
    """Real names to show for login names (history, ledgers); the automatic actor reads 系统."""
    wanted = {u for u in usernames if u}
    names = dict(session.execute(select(User.username, User.display_name).where(User.username.in_(wanted))).all()) \
        if wanted else {}
    out = {u: names.get(u) or u for u in wanted}
    if SYSTEM.username in wanted and SYSTEM.username not in names:
        out[SYSTEM.username] = "系统"
    return out


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
    check_password_strength(password, username=user.username)
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


@dataclass(frozen=True)
class SignInClaim:
    """One sign-in attempt, counted before its password is checked."""

    user_id: int | None
    password_hash: str

    @property
    def may_succeed(self) -> bool:
        return self.user_id is not None


def claim_sign_in(*, session: Session, username: str, policy: SignInPolicy) -> SignInClaim:
    """Count an attempt against ``username`` before its password is checked.

    One atomic ``UPDATE … RETURNING`` adds the attempt to the account's
    failure counter, and the attempt that reaches ``max_failures`` locks
    the account in the same statement (and is audited). Parallel guesses
    therefore cannot all read "not locked" and slip past the limit: at most
    ``max_failures`` of them get their password checked before the lock,
    on SQLite and PostgreSQL alike. A correct password clears the counter
    (``complete_sign_in``). Unknown, locked and disabled accounts get a
    claim that cannot succeed; the caller still hashes (``check_password``)
    so the answer takes as long as a wrong password.

    The caller commits this in a short transaction of its own and checks
    the password outside any transaction.
    """
    now = _now()
    until = now + timedelta(minutes=policy.lock_minutes)
    reaches = User.failed_logins + 1 >= policy.max_failures
    row = session.execute(
        update(User)
        .where(User.username == username.strip().lower(), User.active.is_(True),
               or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=case((reaches, 0), else_=User.failed_logins + 1),
                locked_until=case((reaches, literal(until, User.locked_until.type)), else_=User.locked_until))
        .returning(User.id, User.password_hash, User.locked_until)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        return SignInClaim(user_id=None, password_hash=_DUMMY_HASH)
    user_id, password_hash, locked_until = row
    if locked_until is not None and locked_until > now:
        audit.record(session=session, actor=SYSTEM, entity="user", entity_id=user_id, action="login_locked",
                     old=None, new={"locked_until": locked_until.isoformat(), "after_failures": policy.max_failures})
    return SignInClaim(user_id=user_id, password_hash=password_hash)


def check_password(claim: SignInClaim, password: str) -> bool:
    """Hash ``password`` against the claim (about 0.2 s, always: no timing difference)."""
    try:
        _hasher.verify(claim.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return claim.may_succeed


def complete_sign_in(*, session: Session, claim: SignInClaim, password: str) -> User | None:
    """After a correct password: clear the failure counter and any lock this burst set."""
    user = session.get(User, claim.user_id) if claim.user_id is not None else None
    if user is None or not user.active:
        return None
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.flush()
    return user


def authenticate(*, session: Session, username: str, password: str, policy: SignInPolicy) -> User | None:
    """The user for these credentials, or None, in one session (CLI and tests).

    The web sign-in runs the same three steps in separate short
    transactions (``api/signin.py``) so that no write lock is held while
    hashing.
    """
    claim = claim_sign_in(session=session, username=username, policy=policy)
    if not check_password(claim, password):
        return None
    return complete_sign_in(session=session, claim=claim, password=password)


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
    """Who holds this token, if it is valid, unexpired and its user active.

    Asked on every request: the columns it needs in one indexed row, no ORM objects built.
    """
    row = session.execute(
        select(AuthToken.revoked, AuthToken.expires_at, AuthToken.kind, AuthToken.csrf_token, User.id,
               User.username, User.role, User.jurisdiction, User.active, User.display_name)
        .join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == _hash_token(token))
    ).first()
    if row is None or row.revoked or row.expires_at <= _now() or not row.active:
        return None
    return SignedIn(actor=Actor(user_id=row.id, username=row.username, role=row.role, jurisdiction=row.jurisdiction),
                    kind=row.kind, csrf_token=row.csrf_token, display_name=row.display_name)


def end_session(*, session: Session, token: str) -> None:
    session.execute(update(AuthToken).where(AuthToken.token_hash == _hash_token(token)).values(revoked=True))
