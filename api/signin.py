"""Signing in, for the token endpoint and the login page alike.

The steps, in order:

1. Rate limits, per client address and per username (429 with
   ``Retry-After``), before any work is done.
2. A short write transaction counts the attempt (``claim_sign_in``): an
   atomic update that also locks the account at the limit.
3. The password is hashed outside any transaction, at most
   ``login_hash_concurrency`` at a time, and without holding a worker
   thread while it waits for its turn: a flood of sign-ins cannot take the
   threads and the write lock that other users' requests need.
4. On success a second short transaction clears the counter and issues
   the token.

Unknown, locked and disabled accounts are hashed against a dummy hash, so
every refusal takes as long as a wrong password.
"""

from __future__ import annotations

import anyio
from anyio import to_thread
from fastapi import FastAPI, Request

from api.ratelimit import Rate, RateLimited, SlidingWindow
from memorials import ratelimits
from memorials import users as user_service
from memorials.db import transaction
from memorials.settings import Settings


class SignInGate:
    """Per-app state of sign-in: the two limiters and the hashing slots."""

    def __init__(self, settings: Settings) -> None:
        self.per_address = SlidingWindow(Rate(settings.login_rate_per_address, 60))
        self.per_username = SlidingWindow(Rate(settings.login_rate_per_username, 60))
        self.hash_slots = settings.login_hash_concurrency
        self._semaphore: anyio.Semaphore | None = None

    @property
    def semaphore(self) -> anyio.Semaphore:
        if self._semaphore is None:
            self._semaphore = anyio.Semaphore(self.hash_slots)
        return self._semaphore


def install(app: FastAPI, settings: Settings) -> None:
    app.state.sign_in_gate = SignInGate(settings)


def _check_rates(gate: SignInGate, address: str, username: str) -> None:
    wait = gate.per_address.hit(address)
    if wait:
        raise RateLimited("sign-in attempts from this address", wait)
    wait = gate.per_username.hit(username.strip().lower()[:60])
    if wait:
        raise RateLimited("sign-in attempts for this username", wait)


def _check_shared_rates(session, settings: Settings, address: str, username: str) -> None:  # type: ignore[no-untyped-def]
    """The same limits counted in the database, so that they hold across server processes."""
    wait = ratelimits.hit(session, f"sign-in address {address}", limit=settings.login_rate_per_address, window_s=60)
    if wait:
        raise RateLimited("sign-in attempts from this address", wait)
    wait = ratelimits.hit(session, f"sign-in user {username.strip().lower()[:60]}",
                          limit=settings.login_rate_per_username, window_s=60)
    if wait:
        raise RateLimited("sign-in attempts for this username", wait)


async def sign_in(request: Request, *, username: str, password: str, kind: str) -> user_service.IssuedToken | None:
    """A new token (``kind`` ``"api"`` or ``"session"``), or None when refused."""
    app = request.app
    settings: Settings = app.state.settings
    gate: SignInGate = app.state.sign_in_gate
    _check_rates(gate, request.client.host if request.client else "", username)
    policy = user_service.SignInPolicy(settings.login_max_failures, settings.login_lock_minutes)

    address = request.client.host if request.client else ""

    def claim() -> user_service.SignInClaim:
        with transaction(app.state.write_sessions) as session:
            _check_shared_rates(session, settings, address, username)
            return user_service.claim_sign_in(session=session, username=username, policy=policy)

    attempt = await to_thread.run_sync(claim)
    async with gate.semaphore:
        ok = await to_thread.run_sync(user_service.check_password, attempt, password)
    if not ok:
        return None

    def complete() -> user_service.IssuedToken | None:
        with transaction(app.state.write_sessions) as session:
            user = user_service.complete_sign_in(session=session, claim=attempt, password=password)
            if user is None:
                return None
            return user_service.issue_token(session=session, user=user, kind=kind,
                                            ttl_minutes=settings.token_ttl_minutes)

    return await to_thread.run_sync(complete)
