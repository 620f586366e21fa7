"""Pages of the patrols: the inspector's phone page, inspections, defects, compliance."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Public, Requires
from api.deps import IdPath, IdQuery, ReadSession
from api.routers.inspections import photo_urls
from api.templating import render
from inspections import compliance as compliance_service
from inspections import defects as defect_service
from inspections import service
from inspections.checklist import (
    CATEGORY_LABELS,
    CHECKLIST,
    GRADE_LABELS,
    LEVEL_LABELS,
    SEVERITY_LABELS,
)
from inspections.cycles import month_index, period_of, report_span
from inspections.service import InspectionQuery
from memorials import audit as audit_service
from memorials import clock
from memorials.actors import Actor
from memorials.divisions import children, get_division, normalize_code, prefix_of
from memorials.errors import ValidationProblem
from memorials.permissions import Permission, allowed

router = APIRouter(include_in_schema=False)

Filer = Annotated[Actor, Requires(Permission.inspections_file)]
Reader = Annotated[Actor, Requires(Permission.inspections_read)]
LABELS = {"GRADE_LABELS": GRADE_LABELS, "INSPECTION_LEVEL_LABELS": LEVEL_LABELS, "CATEGORY_LABELS": CATEGORY_LABELS,
          "SEVERITY_LABELS": SEVERITY_LABELS}
PAGE_SIZE = 30
STATIC = Path(__file__).resolve().parent.parent / "static"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
OFFLINE_FILES = (STATIC / "inspect.js", STATIC / "inspect-outbox.js", STATIC / "inspect-sw.js", STATIC / "app.css",
                 STATIC / "offline.html", TEMPLATES / "inspect.html", TEMPLATES / "base.html")
"""What the inspector's phone keeps: a change to any of them is a new cache version."""
MANIFEST = {
    "name": "烈士纪念设施现场巡查", "short_name": "现场巡查", "lang": "zh-CN", "start_url": "/inspect",
    "scope": "/inspect", "display": "standalone", "background_color": "#f6f6f4", "theme_color": "#9b1c1c",
    "icons": [{"src": "/static/app/favicon.svg", "sizes": "any", "type": "image/svg+xml"}],
}


@cache
def _service_worker() -> str:
    version = hashlib.sha256(b"".join(p.read_bytes() for p in OFFLINE_FILES)).hexdigest()[:16]
    return (STATIC / "inspect-sw.js").read_text(encoding="utf-8").replace("__VERSION__", version)


@router.get("/inspect", response_class=HTMLResponse)
def inspect_page(request: Request, actor: Filer) -> Response:
    """The inspector's page: nearest facilities, checklist, camera, submit (works offline, installable)."""
    settings = request.app.state.settings
    return render(request, "inspect.html", {
        "checklist": CHECKLIST, "crs": request.query_params.get("crs", "wgs84"),
        "photo_levels": ",".join(settings.photo_required_levels),
        "max_accuracy_m": round(settings.max_position_accuracy_m), **LABELS,
    })


@router.get("/inspect-sw.js", dependencies=[Public])
def inspect_service_worker() -> Response:
    """The inspector page's service worker: served from the root so its scope can be ``/inspect``; no data in it."""
    return Response(_service_worker(), media_type="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


@router.get("/inspect.webmanifest", dependencies=[Public])
def inspect_manifest() -> Response:
    """Makes ``/inspect`` an installable web app (a home-screen icon that opens without signal)."""
    return Response(json.dumps(MANIFEST, ensure_ascii=False), media_type="application/manifest+json")


def _month_span(request: Request) -> tuple[str, str, str | None]:
    this_month = clock.now().strftime("%Y-%m")
    first = request.query_params.get("from") or this_month
    last = request.query_params.get("to") or first
    try:
        report_span(first, last, max_months=request.app.state.settings.max_report_months)
    except ValidationProblem as exc:
        return this_month, this_month, str(exc)
    return first, last, None


def _prefix(actor: Actor, request: Request) -> str:
    value = request.query_params.get("division") or actor.jurisdiction
    if not value:
        return ""
    try:
        return prefix_of(normalize_code(value, field="division"))
    except ValidationProblem:
        return prefix_of(actor.jurisdiction) if actor.jurisdiction else ""


@router.get("/inspections", response_class=HTMLResponse)
def inspections_page(
    request: Request, session: ReadSession, actor: Reader, page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    facility_id: IdQuery = None,
) -> Response:
    first, last, error = _month_span(request)
    division = _prefix(actor, request)
    query = InspectionQuery(division=division or None, period_from=first, period_to=last, facility_id=facility_id)
    items, total = service.list_inspections(session=session, actor=actor, query=query, limit=PAGE_SIZE,
                                            offset=(page - 1) * PAGE_SIZE)
    # Above a county the page shows the divisions one level down to drill into, not every facility.
    summary = compliance_service.compliance(session=session, actor=actor, division=division, level="patrol",
                                            period_from=first, period_to=last,
                                            max_months=request.app.state.settings.max_report_months,
                                            detail="facilities" if len(division) >= 6 else "divisions")
    months = [period_of(i) for i in range(month_index(first) - 11, month_index(first) + 1)][::-1]
    division_row = get_division(session=session, code=normalize_code(division)) if division else None
    params = {"from": first, "to": last, "division": division}
    return render(request, "inspections.html", {
        "items": items, "total": total, "summary": summary, "first": first, "last": last, "error": error,
        "division": division, "division_row": division_row, "months": months, "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)), "query_string": "&".join(f"{k}={v}" for k, v in params.items()),
        **LABELS,
    })


@router.get("/inspections/{inspection_id}", response_class=HTMLResponse)
def inspection_page(request: Request, inspection_id: IdPath, session: ReadSession, actor: Reader) -> Response:
    inspection = service.get_inspection(session=session, inspection_id=inspection_id, actor=actor)
    today = clock.today()
    out = service.inspection_out(session=session, inspection=inspection, urls=photo_urls, today=today)
    return render(request, "inspection.html", {"i": out, "checklist": CHECKLIST, **LABELS})


def _townships(session, actor: Actor) -> list:  # type: ignore[no-untyped-def]
    return children(session=session, code=actor.jurisdiction) if len(actor.jurisdiction) == 6 else []


@router.get("/defects", response_class=HTMLResponse)
def defects_page(request: Request, session: ReadSession, actor: Reader) -> Response:
    """The rectification list: filters by township, status, severity and overdue; export; start a repair project."""
    params = request.query_params
    status = params.get("status") or "open"
    if status not in ("open", "resolved", "overdue", "all"):
        status = "open"
    overdue = status == "overdue" or params.get("overdue") in ("1", "true", "on")
    if status == "overdue":
        status = "open"
    severity = params.get("severity") if params.get("severity") in SEVERITY_LABELS else ""
    township = params.get("township") or ""
    division = _prefix(actor, request)
    if township:
        try:
            code = normalize_code(township, field="township")
            if code.startswith(actor.scope):
                division = code
            else:
                township = ""
        except ValidationProblem:
            township = ""
    today = clock.today()
    query = defect_service.DefectQuery(division=division or None, status=None if status == "all" else status,
                                       severity=severity or None, overdue=overdue)
    items, total = defect_service.list_defects(session=session, actor=actor, query=query, today=today, limit=500)
    export = {"division": division, "status": "" if status == "all" else status, "severity": severity,
              "overdue": "true" if overdue else ""}
    return render(request, "defects.html", {
        "items": [defect_service.defect_out(d, today=today) for d in items], "total": total, "status": status,
        "severity": severity, "overdue": overdue, "township": township, "townships": _townships(session, actor),
        "export_query": urlencode({k: v for k, v in export.items() if v}), **LABELS,
    })


@router.get("/defects/{defect_id}", response_class=HTMLResponse)
def defect_page(request: Request, defect_id: IdPath, session: ReadSession, actor: Reader) -> Response:
    """One defect: where it was found, who answers for it, its history; assign, extend, mark fixed with a photo."""
    defect = defect_service.get_defect(session=session, defect_id=defect_id, actor=actor)
    today = clock.today()
    history = audit_service.history(session=session, entity="defect", entity_id=defect.id, limit=100)[::-1]
    return render(request, "defect.html", {
        "d": defect_service.defect_out(defect, today=today), "history": history, "today": today,
        "can_manage": allowed(actor.role, Permission.defects_manage),
        "photo_url": lambda sha, size: f"/api/v1/photos/{sha}/{size}", **LABELS,
    })
