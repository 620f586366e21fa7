"""Who is calling, and may they: bearer tokens, page sessions, CSRF, permissions.

Every route declares exactly one of ``requires(permission)`` (returns the
acting user) or ``public``; the route-permission test enumerates the app
and fails on a route with neither. Page sessions are HttpOnly cookies; any
change made with one must carry the session's CSRF token (form field
``csrf_token`` or header ``X-CSRF-Token``). Bearer tokens are not sent by
browsers on their own, so they need no CSRF token.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from api.deps import request_session
from memorials.actors import Actor
from memorials.db import transaction
from memorials.errors import Forbidden, Unauthenticated
from memorials.permissions import Permission, allowed
from memorials.users import SignedIn, resolve_token

SESSION_COOKIE = "memorials_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _token_of(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), "bearer"
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie, "cookie"
    return None


def signed_in(request: Request) -> SignedIn | None:
    """The signed-in user of this request, looked up once per request.

    A plain ``def`` on purpose: FastAPI runs it in a worker thread, so the
    database lookup never blocks the event loop (which once stalled every
    request behind a full connection pool). It reads through the route's own
    session when that was made first (``api.deps.request_session``; routes
    name their session before their user): one connection and one
    transaction for the request. Otherwise it uses a session of its own and
    closes it before the route's session connects, so a request never holds
    two connections (fifty requests doing so would wait on each other for a
    full pool).
    """
    if hasattr(request.state, "signed_in"):
        return request.state.signed_in
    found = _token_of(request)
    who = None
    if found is not None:
        token, via = found
        session = request_session(request)
        if session is not None:
            who = resolve_token(session=session, token=token)
        else:
            with transaction(request.app.state.read_sessions) as own:
                who = resolve_token(session=own, token=token)
        if who is not None and via == "cookie" and who.kind != "session":
            who = None
        request.state.auth_via = via
        request.state.session_token = token if via == "cookie" else None
    request.state.signed_in = who
    return who


async def _csrf_ok(request: Request, who: SignedIn) -> bool:
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    return bool(sent) and hmac.compare_digest(sent, who.csrf_token)


# Declares the bearer scheme in the OpenAPI document (the "Authorize" button of
# /docs); checking the token is done below, cookie sessions included.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def requires(permission: Permission) -> Callable[..., object]:
    """Dependency: the acting user, if signed in and allowed ``permission``."""

    async def dependency(
        request: Request,
        who: Annotated[SignedIn | None, Depends(signed_in)],
        _token: Annotated[str | None, Depends(oauth2_scheme)] = None,
    ) -> Actor:
        if who is None:
            raise Unauthenticated("not signed in, or the sign-in has expired")
        if request.method not in SAFE_METHODS and getattr(request.state, "auth_via", "") == "cookie":
            if not await _csrf_ok(request, who):
                raise Forbidden("missing or wrong CSRF token; reload the page and try again")
        if not allowed(who.actor.role, permission):
            raise Forbidden(f"your role ({who.actor.role}) may not do this ({permission.value})")
        request.state.actor = who.actor
        return who.actor

    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"requires_{permission.name}"
    return dependency


async def public() -> None:
    """Marks a route that anyone may call (health, sign-in, static files)."""


public.is_public = True  # type: ignore[attr-defined]

_cache: dict[Permission, Callable[..., object]] = {}


def Requires(permission: Permission) -> object:  # noqa: N802 - reads like a type in signatures
    if permission not in _cache:
        _cache[permission] = requires(permission)
    return Depends(_cache[permission])


Public = Depends(public)

RegistryReader = Annotated[Actor, Requires(Permission.registry_read)]
RegistryEditor = Annotated[Actor, Requires(Permission.registry_edit)]
