"""/health, sign-in for scripts (/api/v1/auth/token), divisions and the audit trail."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel

from api.auth import Public, RegistryReader, Requires
from api.deps import ReadSession, WriteSession, query_problem
from api.signin import sign_in
from memorials import audit as audit_service
from memorials import divisions as division_service
from memorials import users as user_service
from memorials.actors import Actor
from memorials.db import backend_name
from memorials.errors import NotFound, Unauthenticated, ValidationProblem
from memorials.migrate import current_revision
from memorials.permissions import Permission
from memorials.schemas import Page
from memorials.visibility import entity_visible, visible_audit_values

router = APIRouter(tags=["system"])
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


@router.get("/health", dependencies=[Public])
def health(request: Request) -> dict[str, str]:
    engine = request.app.state.engine
    return {"status": "ok", "database": backend_name(engine), "revision": current_revision(engine) or ""}


@router.get("/favicon.ico", include_in_schema=False, dependencies=[Public])
def favicon() -> FileResponse:
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


@router.post("/api/v1/auth/token", response_model=TokenOut, dependencies=[Public], tags=["auth"],
             responses={429: {"description": "too many sign-in attempts; see Retry-After"}})
async def issue_token(
    request: Request,
    username: Annotated[str, Form(max_length=60)],
    password: Annotated[str, Form(max_length=200)],
) -> TokenOut:
    """OAuth2 password flow: form fields ``username`` and ``password``."""
    issued = await sign_in(request, username=username, password=password, kind="api")
    if issued is None:
        raise Unauthenticated(user_service.SIGN_IN_REFUSED)
    return TokenOut(access_token=issued.token, expires_in=issued.expires_in)


class DivisionOut(BaseModel):
    code: str
    name: str
    full_name: str
    level: str
    parent_code: str | None
    longitude: float | None
    latitude: float | None


@router.get("/api/v1/divisions", response_model=Page[DivisionOut], tags=["divisions"])
def list_divisions(
    session: ReadSession,
    actor: RegistryReader,
    parent: Annotated[str | None, Query(description="children of this division")] = None,
    q: Annotated[str | None, Query(max_length=50, description="text in the full name")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[DivisionOut]:
    if parent:
        try:
            code = division_service.normalize_code(parent, field="parent")
        except ValidationProblem as exc:
            raise query_problem("parent", exc.reason) from None
        rows = division_service.children(session=session, code=code)[:limit]
    elif q:
        rows = division_service.find_by_name(session=session, text=q, limit=limit)
    else:
        rows = division_service.children(session=session, code=actor.jurisdiction) if actor.jurisdiction else []
        if not rows:
            rows = [d for d in division_service.top_level(session=session)][:limit]
    items = [DivisionOut.model_validate(d, from_attributes=True) for d in rows]
    return Page[DivisionOut](items=items, total=len(items), limit=limit, offset=0)


@router.get("/api/v1/divisions/{code}/children", response_model=Page[DivisionOut], tags=["divisions"])
def division_children(code: str, session: ReadSession, actor: RegistryReader) -> Page[DivisionOut]:
    """The divisions directly below ``code`` that lie in the user's jurisdiction (for cascading pickers).

    A division above the jurisdiction lists only the branch that leads to it;
    one beside it is not found.
    """
    try:
        canonical = division_service.normalize_code(code, field="code")
    except ValidationProblem:
        raise NotFound("division", code) from None
    parent = division_service.get_division(session=session, code=canonical)
    if parent is None:
        raise NotFound("division", code)
    rows = division_service.children(session=session, code=canonical)
    if actor.jurisdiction and not actor.covers(canonical):
        rows = [d for d in rows if actor.covers(d.code) or actor.jurisdiction.startswith(division_service.prefix_of(d.code))]
        if not rows:
            raise NotFound("division", code)
    items = [DivisionOut.model_validate(d, from_attributes=True) for d in rows]
    return Page[DivisionOut](items=items, total=len(items), limit=len(items), offset=0)


@router.get("/api/v1/divisions/{code}", response_model=DivisionOut, tags=["divisions"])
def get_division(code: str, session: ReadSession, actor: RegistryReader) -> DivisionOut:
    try:
        canonical = division_service.normalize_code(code, field="code")
    except ValidationProblem:
        raise NotFound("division", code) from None
    division = division_service.get_division(session=session, code=canonical)
    if division is None:
        raise NotFound("division", code)
    return DivisionOut.model_validate(division, from_attributes=True)


class AuditOut(BaseModel):
    id: int
    at: datetime
    user_id: int | None
    username: str
    entity: str
    entity_id: str
    action: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None


AuditReader = Annotated[Actor, Requires(Permission.audit_read)]


@router.get("/api/v1/audit", response_model=Page[AuditOut], tags=["audit"])
def read_audit(
    session: WriteSession,
    actor: AuditReader,
    entity: Annotated[str, Query(max_length=40, description="facility, martyr, burial, relative, user, …")],
    id: Annotated[str, Query(max_length=60, description="the entity's id")],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[AuditOut]:
    """The history of one record: who, when, what, old and new values. Read only."""
    if not entity_visible(session=session, actor=actor, entity=entity, entity_id=id):
        raise NotFound(entity, id)
    entries = audit_service.history(session=session, entity=entity, entity_id=id, limit=limit, offset=offset)
    items = []
    for e in entries:
        old, new = visible_audit_values(session=session, actor=actor, entry=e)
        items.append(AuditOut(id=e.id, at=e.at, user_id=e.user_id, username=e.username, entity=e.entity,
                              entity_id=e.entity_id, action=e.action, old=old, new=new))
    return Page[AuditOut](items=items, total=len(items), limit=limit, offset=offset)
