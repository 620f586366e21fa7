"""Pages of the repairs (修缮项目): list, new project, project page, the year's figures."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from api.auth import Requires
from api.deps import IdPath, ReadSession
from api.mapdata import configured_tiles
from api.routers.repairs import evidence_out, expenditure_out
from api.templating import render
from inspections import defects as defect_service
from inspections.checklist import CATEGORY_LABELS, SEVERITY_LABELS
from inspections.models import Defect
from maps.facilities import FacilityMarker, facility_map, render_html
from memorials import audit as audit_service
from memorials import clock
from memorials.actors import Actor
from memorials.divisions import children, normalize_code, prefix_of
from memorials.errors import ValidationProblem
from memorials.models import Facility
from memorials.money import Money
from memorials.permissions import Permission
from memorials.scoping import in_scope
from memorials.vocab import CLOSED_STATUSES
from memorials.vocab import KIND_LABELS as FACILITY_KIND_LABELS
from memorials.vocab import LEVEL_LABELS as PROTECTION_LABELS
from memorials.vocab import STATUS_LABELS as FACILITY_STATUS_LABELS
from repairs import money as money_service
from repairs import service
from repairs.summary import check_year, summary
from repairs.vocab import KIND_LABELS, PHASE_LABELS, SOURCE_LABELS, STATE_LABELS, RepairKind, Source, State

router = APIRouter(include_in_schema=False)

Reader = Annotated[Actor, Requires(Permission.repairs_read)]
Runner = Annotated[Actor, Requires(Permission.repairs_run)]
LABELS = {"REPAIR_KIND_LABELS": KIND_LABELS, "SOURCE_LABELS": SOURCE_LABELS, "STATE_LABELS": STATE_LABELS,
          "PHASE_LABELS": PHASE_LABELS, "CATEGORY_LABELS": CATEGORY_LABELS, "SEVERITY_LABELS": SEVERITY_LABELS}
PAGE_SIZE = 30
MAX_CHOICES = 2000
"""Facilities offered by the new-project form (a county has tens to hundreds)."""


def _division(actor: Actor, value: str | None) -> str:
    """The division filter of a page: a code inside the actor's jurisdiction, else the jurisdiction."""
    if value:
        try:
            prefix = prefix_of(normalize_code(value, field="division"))
            if prefix.startswith(actor.scope):
                return prefix
        except ValidationProblem:
            pass
    return actor.scope


def _townships(session, actor: Actor) -> list:  # type: ignore[no-untyped-def]
    scope = actor.jurisdiction
    if not scope or len(scope) != 6:
        return []
    return children(session=session, code=scope)


@router.get("/repairs", response_class=HTMLResponse)
def repairs_page(
    request: Request, session: ReadSession, actor: Reader, page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    params = request.query_params
    status = params.get("status") if params.get("status") in STATE_LABELS else None
    kind = params.get("kind") if params.get("kind") in KIND_LABELS else None
    year = _int(params.get("year"))
    year = year if year is not None and 2000 <= year <= 2100 else None
    division = _division(actor, params.get("division"))
    query = service.ProjectQuery(division=division or None, status=status, kind=kind, year=year)
    items, total = service.list_projects(session=session, actor=actor, query=query, limit=PAGE_SIZE,
                                         offset=(page - 1) * PAGE_SIZE)
    today = clock.today()
    rows = [service.project_out(session=session, project=p, today=today) for p in items]
    return render(request, "repairs.html", {
        "items": rows, "total": total, "status": status or "", "kind": kind or "", "year": year or "",
        "division": division, "townships": _townships(session, actor), "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)), "this_year": today.year, **LABELS,
    })


def _int(value: str | None) -> int | None:
    """A page parameter as a whole number (ASCII digits only), else None."""
    value = (value or "").strip()
    return int(value) if re.fullmatch(r"[0-9]{1,10}", value) else None


def _ids(values: list[str]) -> list[int]:
    out = []
    for value in values:
        for part in value.split(","):
            number = _int(part)
            if number is not None and 0 < number < 2_147_483_647:
                out.append(number)
    return out


@router.get("/repairs/new", response_class=HTMLResponse)
def new_repair_page(request: Request, session: ReadSession, actor: Runner) -> Response:
    """The new-project form, started from one or several defects (``?defect_id=…``) or facilities."""
    defect_ids = _ids(request.query_params.getlist("defect_id"))
    facility_ids = _ids(request.query_params.getlist("facility_id"))
    defects = [d for d in (session.get(Defect, i) for i in defect_ids)
               if d is not None and actor.covers(d.division_code) and d.status == "open"]
    choices = list(session.scalars(
        select(Facility).where(in_scope(Facility.division_code, actor), Facility.status.not_in(CLOSED_STATUSES))
        .order_by(Facility.code).limit(MAX_CHOICES)))
    today = clock.today()
    return render(request, "repair_new.html", {
        "defects": [defect_service.defect_out(d, today=today) for d in defects], "choices": choices,
        "chosen": set(facility_ids),
        "kinds": list(RepairKind), "today": today, **LABELS,
    })


@router.get("/repairs/summary", response_class=HTMLResponse)
def repairs_summary_page(request: Request, session: ReadSession, actor: Reader) -> Response:
    today = clock.today()
    raw = request.query_params.get("year", "")
    year, error = today.year, None
    if raw:
        try:
            year = check_year(_int(raw) or -1, today=today)
        except ValidationProblem:
            error = f"年份 {raw} 超出范围，已显示 {today.year} 年"
    division = _division(actor, request.query_params.get("division"))
    figures = summary(session=session, actor=actor, division=division, year=year, today=today)
    return render(request, "repairs_summary.html", {
        "s": figures, "year": year, "division": division, "error": error, "townships": _townships(session, actor),
        **LABELS,
    })


@router.get("/repairs/{repair_id}", response_class=HTMLResponse)
def repair_page(request: Request, repair_id: IdPath, session: ReadSession, actor: Reader) -> Response:
    project = service.get_project(session=session, project_id=repair_id, actor=actor)
    today = clock.today()
    out = service.project_out(session=session, project=project, today=today)
    approved = money_service.by_source(session=session, project_id=project.id)
    spent = out.spent
    top = max([*approved.values(), spent, Money("0.01")])
    bars = [{"label": SOURCE_LABELS[s], "amount": a, "width": _percent(a, top)} for s, a in approved.items()]
    evidence = [evidence_out(e) for e in project.evidence]
    pairs = []
    for f in project.facilities:
        shots = [e for e in evidence if e.facility_id == f.id and e.kind == "photo"]
        pairs.append({"facility": f, "before": [e for e in shots if e.phase == "before"],
                      "during": [e for e in shots if e.phase == "during"],
                      "after": [e for e in shots if e.phase == "after"]})
    documents = [e for e in evidence if e.phase not in ("before", "during", "after")]
    defects = [defect_service.defect_out(d, today=today)
               for d in (session.get(Defect, i) for i in project.defect_ids) if d is not None]
    history = audit_service.history(session=session, entity="repair", entity_id=project.id, limit=200)[::-1]
    return render(request, "repair.html", {
        "p": out, "bars": bars, "spent_width": _percent(spent, top), "pairs": pairs, "documents": documents,
        "defects": defects, "history": history,
        "budget_lines": money_service.budget_lines(session=session, project_id=project.id),
        "adjustments": money_service.adjustments(session=session, project_id=project.id),
        "expenditures": [expenditure_out(session, e)
                         for e in money_service.expenditures(session=session, project_id=project.id)],
        "sources": list(Source), "states": State, "today": today, "this_year": today.year,
        "can_run": actor.role in ("admin", "planner"), "can_approve": actor.role == "admin",
        "ACTION_LABELS": ACTION_LABELS, **LABELS,
    })


ACTION_LABELS = {"create": "立项申请", "update": "修改项目信息", "budget_line": "登记预算", "adjustment": "批准调整",
                 "expenditure": "登记支出", "evidence": "上传佐证材料", "transition:approve": "批准立项",
                 "transition:start": "开工", "transition:complete": "竣工验收", "transition:cancel": "取消项目"}


def _percent(amount: Money, top: Money) -> int:
    return min(100, int(amount.fen * 100 // max(top.fen, 1)))


@router.get("/repairs/{repair_id}/map", response_class=HTMLResponse)
def repair_map(request: Request, repair_id: IdPath, session: ReadSession, actor: Reader) -> Response:
    """The project's facilities on a small map (shown inside the project page)."""
    project = service.get_project(session=session, project_id=repair_id, actor=actor)
    settings = request.app.state.settings
    markers = [FacilityMarker(id=f.id, name=f.name, kind=f.kind, kind_label=FACILITY_KIND_LABELS.get(f.kind, f.kind),
                              level_label=PROTECTION_LABELS.get(f.protection_level, ""), longitude=f.longitude,
                              latitude=f.latitude, martyrs=(),
                              status_label=FACILITY_STATUS_LABELS.get(f.status, f.status))
               for f in project.facilities]
    fmap = facility_map(markers, tiles=configured_tiles(settings),
                        facility_url="/facilities/{id}", legend=False, zoom=14)
    return HTMLResponse(render_html(fmap, script_nonce=request.state.csp_nonce))


