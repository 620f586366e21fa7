"""Typed dependencies: settings, sessions, the acting user, "load it or 404"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from memorials.db import end_session, ends_without_io
from memorials.divisions import division_prefix
from memorials.errors import ValidationProblem
from memorials.paging import query_problem
from memorials.schemas import MAX_ID
from memorials.settings import Settings
from memorials.text import unstorable


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def _route_session(request: Request, factory: sessionmaker[Session]) -> AsyncIterator[Session]:
    """The route's session: commits when the route succeeds, rolls back when it raises.

    Made in the event loop (it connects on its first statement, in a worker
    thread). Ended in a worker thread when that sends ``COMMIT``; in the loop
    when it sends nothing (``ends_without_io``: PostgreSQL reads), which
    saves a route one thread hop.
    """
    session = factory()
    first = request_session(request) is None
    if first:
        request.state.route_session = session
    succeeded = False
    try:
        yield session
        succeeded = True
    finally:
        if first:
            del request.state.route_session
        if ends_without_io(session):
            end_session(session, commit=succeeded)
        else:
            await run_in_threadpool(end_session, session, commit=succeeded)


def request_session(request: Request) -> Session | None:
    """The route's session if it has been made (sign-in reads through it: one connection per request)."""
    return getattr(request.state, "route_session", None)


async def read_session(request: Request) -> AsyncIterator[Session]:
    async for session in _route_session(request, request.app.state.read_sessions):
        yield session


async def write_session(request: Request) -> AsyncIterator[Session]:
    """A session that takes the write lock (SQLite) and commits when the route succeeds."""
    async for session in _route_session(request, request.app.state.write_sessions):
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Cursor = Annotated[str | None, Query(max_length=1000, description="next_cursor of the page before: the page after "
                                                                  "it, as fast as the first (deep pages)")]
# scope="function": the transaction ends (commits) when the route returns, before the answer is
# sent, so a client that gets 200 and sends its next request at once always reads its own write.
ReadSession = Annotated[Session, Depends(read_session, scope="function")]
WriteSession = Annotated[Session, Depends(write_session, scope="function")]


def division_query(division: str | None) -> str | None:
    """The ``division`` query parameter as a code prefix (the one parser of it for every route)."""
    if not division:
        return None
    try:
        return division_prefix(division, field="division")
    except ValidationProblem as exc:
        raise query_problem("division", exc.reason) from None


async def division_parameter(
    division: Annotated[str | None, Query(max_length=20, description="division code; its prefix selects "
                                                                      "everything inside")] = None,
) -> str | None:
    """``division_query`` as a dependency (``async``: it only parses, so it needs no worker thread)."""
    return division_query(division)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def storable_parameters(request: Request) -> None:
    """Refuse, on every route, a query, path or form value no database can store (NUL, control characters).

    Installed once for the whole app; JSON bodies get the same check from
    ``memorials.schemas.Input``. A page gets the 422 as a page naming the
    parameter.
    """
    sources: list[tuple[str, list[tuple[str, str]]]] = [
        ("query", request.query_params.multi_items()), ("path", list(request.path_params.items()))]
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()
        sources.append(("body", [(name, value if isinstance(value, str) else value.filename or "")
                                 for name, value in form.multi_items()]))
    for where, items in sources:
        for name, value in items:
            reason = unstorable(name) or unstorable(value)
            if reason:
                problem = ValidationProblem(name, reason)
                problem.where = where  # type: ignore[attr-defined]
                raise problem


DivisionPrefix = Annotated[str | None, Depends(division_parameter)]
