"""The Chinese pages: sign-in, home, facilities, martyrs, audit (maps: ``map_pages``)."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import SESSION_COOKIE, Public, RegistryReader, Requires
from api.deps import IdPath, ReadSession, WriteSession
from api.routers.facilities import FacilityFilter
from api.signin import sign_in
from api.templating import render
from inspections import defects as defect_service
from inspections import service as inspection_service
from inspections.checklist import CATEGORY_LABELS, GRADE_LABELS, LEVEL_LABELS
from inspections.defects import DefectQuery
from inspections.service import InspectionQuery
from maps.facilities import KIND_COLOURS
from memorials import audit as audit_service
from memorials import clock
from memorials import facilities as facility_service
from memorials import martyrs as martyr_service
from memorials import users as user_service
from memorials.actors import Actor
from memorials.burials import list_burials
from memorials.divisions import get_division
from memorials.errors import NotFound
from memorials.permissions import Permission
from memorials.relatives import list_relatives
from memorials.visibility import entity_visible, visible_audit_values

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "memorials_login_csrf"
PAGE_SIZE = 30
AuditReader = Annotated[Actor, Requires(Permission.audit_read)]


def _safe_next(target: str | None) -> str:
    # Only paths on this site: "//evil.example" and "https://…" are refused.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse, dependencies=[Public])
def login_form(request: Request, next: str | None = None, failed: bool = False) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"next": _safe_next(next), "login_csrf": token, "failed": failed},
                      status_code=401 if failed else 200)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=3600, path="/login",
                        secure=request.app.state.settings.cookie_secure)
    return response


@router.post("/login", dependencies=[Public])
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=60)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token):
        return RedirectResponse(f"/login?{urlencode({'next': _safe_next(next)})}", status_code=303)
    settings = request.app.state.settings
    issued = await sign_in(request, username=username, password=password, kind="session")
    if issued is None:
        return RedirectResponse(f"/login?{urlencode({'next': _safe_next(next), 'failed': 1})}", status_code=303)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, issued.token, httponly=True, samesite="lax", secure=settings.cookie_secure,
                        max_age=issued.expires_in, path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, session: WriteSession, actor: RegistryReader) -> Response:
    token = getattr(request.state, "session_token", None)
    if token:
        user_service.end_session(session=session, token=token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: ReadSession, actor: RegistryReader) -> Response:
    counts = facility_service.facility_counts(session=session, actor=actor)
    martyrs = martyr_service.list_martyrs(session=session, actor=actor, limit=1)
    division = get_division(session=session, code=actor.jurisdiction) if actor.jurisdiction else None
    return render(request, "home.html", {
        "counts": counts,
        "facility_total": sum(counts["kind"].values()),
        "martyr_total": martyrs.total, "martyr_total_estimated": martyrs.total_estimated,
        "division": division,
        "colours": KIND_COLOURS,
    })


@router.get("/facilities", response_class=HTMLResponse)
def facility_list(
    request: Request, session: ReadSession, actor: RegistryReader, query: FacilityFilter,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    found = facility_service.list_facilities(session=session, query=query, actor=actor, limit=PAGE_SIZE,
                                             offset=(page - 1) * PAGE_SIZE)
    rows, total = found.rows, found.total
    params = {k: v for k, v in request.query_params.items() if k != "page" and v}
    return render(request, "facilities.html", {
        "rows": rows, "total": total, "total_estimated": found.total_estimated, "page": page, "pages": max(1, -(-total // PAGE_SIZE)),
        "params": params, "query_string": urlencode(params), "error": None,
    })


@router.get("/facilities/{facility_id}", response_class=HTMLResponse)
def facility_page(request: Request, facility_id: IdPath, session: ReadSession, actor: RegistryReader) -> Response:
    facility = facility_service.get_facility(session=session, facility_id=facility_id, actor=actor)
    burials = list_burials(session=session, facility=facility)
    relocated_to = (facility_service.get_facility(session=session, facility_id=facility.relocated_to_id, actor=actor)
                    if facility.relocated_to_id else None)
    history = audit_service.history(session=session, entity="facility", entity_id=facility.id, limit=50)
    names = user_service.display_names(session=session, usernames=[e.username for e in history])
    recent, _ = inspection_service.list_inspections(
        session=session, actor=actor, query=InspectionQuery(facility_id=facility.id), limit=10)
    today = clock.today()
    defects, _ = defect_service.list_defects(
        session=session, actor=actor, query=DefectQuery(facility_id=facility.id, status="open"), today=today)
    return render(request, "facility.html", {
        "f": facility, "burials": burials, "relocated_to": relocated_to, "history": history, "recent": recent,
        "names": names,
        "defects": [defect_service.defect_out(d, today=today) for d in defects],
        "GRADE_LABELS": GRADE_LABELS, "INSPECTION_LEVEL_LABELS": LEVEL_LABELS, "CATEGORY_LABELS": CATEGORY_LABELS,
    })


@router.get("/martyrs", response_class=HTMLResponse)
def martyr_list(
    request: Request,
    session: ReadSession,
    actor: RegistryReader,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    hometown: Annotated[str | None, Query(max_length=100)] = None,
    unit: Annotated[str | None, Query(max_length=100)] = None,
    battle: Annotated[str | None, Query(max_length=100)] = None,
    death_year: Annotated[int | None, Query(ge=1800, le=2100)] = None,
) -> Response:
    filters = {"hometown": (hometown or "").strip() or None, "unit": (unit or "").strip() or None,
               "battle": (battle or "").strip() or None, "death_year": death_year}
    found = martyr_service.list_martyrs(session=session, actor=actor, q=q.strip() if q else None,
                                       limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, **filters)
    items, total = found.items, found.total
    resting = {m.id: martyr_service.current_burial(session=session, martyr=m) for m in items}
    return render(request, "martyrs.html", {
        "items": items, "total": total, "q": q or "", "page": page, "pages": max(1, -(-total // PAGE_SIZE)),
        "resting": resting, "filters": {k: ("" if v is None else v) for k, v in filters.items()},
        "query_string": urlencode({k: v for k, v in {"q": q, **filters}.items() if v}),
    })


@router.get("/martyrs/{martyr_id}", response_class=HTMLResponse)
def martyr_page(request: Request, martyr_id: IdPath, session: ReadSession, actor: RegistryReader) -> Response:
    martyr = martyr_service.get_martyr(session=session, martyr_id=martyr_id, actor=actor)
    burials = martyr_service.burial_history(session=session, martyr=martyr)
    hometown = get_division(session=session, code=martyr.hometown_division_code) if martyr.hometown_division_code else None
    history = audit_service.history(session=session, entity="martyr", entity_id=martyr.id, limit=50)
    return render(request, "martyr.html", {
        "m": martyr, "burials": burials, "hometown_division": hometown, "history": history,
        "names": user_service.display_names(session=session, usernames=[e.username for e in history]),
    })


@router.get("/martyrs/{martyr_id}/relatives", response_class=HTMLResponse)
def relatives_page(
    request: Request, martyr_id: IdPath, session: WriteSession,
    actor: Annotated[Actor, Requires(Permission.relatives_read)],
) -> Response:
    # An unmasked read is audited, so this page writes.
    martyr = martyr_service.get_martyr(session=session, martyr_id=martyr_id, actor=actor)
    relatives = list_relatives(session=session, martyr=martyr, actor=actor)
    return render(request, "relatives.html", {"m": martyr, "relatives": relatives, "v": {}, "errors": {}})


@router.get("/audit/{entity}/{entity_id}", response_class=HTMLResponse)
def audit_page(request: Request, entity: str, entity_id: str, session: WriteSession, actor: AuditReader) -> Response:
    # Reading relatives' history unmasked is audited, so this page writes.
    if not entity_visible(session=session, actor=actor, entity=entity, entity_id=entity_id):
        raise NotFound(entity, entity_id)
    entries = audit_service.history(session=session, entity=entity, entity_id=entity_id, limit=500)
    rows = [(e, *visible_audit_values(session=session, actor=actor, entry=e)) for e in entries]
    names = user_service.display_names(session=session, usernames=[e.username for e in entries])
    return render(request, "audit.html", {"entity": entity, "entity_id": entity_id, "rows": rows, "names": names})

