"""Pages of case work, in Chinese: relocation and family-search lists, case pages with timeline and forms, figures.

Forms post to these pages (CSRF token in the form); a refusal is shown on
the case page with what is missing, the case unchanged.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.auth import Requires
from api.deps import DivisionPrefix, IdPath, IdQuery, ReadSession, WriteSession
from api.forms import chinese_reason, pydantic_errors
from api.routers.cases import _accept, _out, _thresholds, _uploads
from api.routers.evidence import attachment_url
from api.templating import render
from cases import family, figures, relocation
from cases.schemas import ConsentIn, EntryIn, RelocationState, SearchState, SearchTransitionIn, TransitionIn
from cases.views import timeline
from cases.workflows import DECISION_LABELS, KIND_LABELS, RELOCATION_STATES, SEARCH_STATES
from memorials.actors import Actor
from memorials.errors import DomainError, ValidationProblem
from memorials.permissions import Permission
from memorials.relatives import may_see_contacts
from memorials.schemas import RelativeCreate

router = APIRouter(include_in_schema=False)

Reader = Annotated[Actor, Requires(Permission.registry_read)]
Officer = Annotated[Actor, Requires(Permission.cases_run)]
LABELS = {"RELOCATION_STATES": RELOCATION_STATES, "SEARCH_STATES": SEARCH_STATES, "DECISION_LABELS": DECISION_LABELS,
          "CASE_KIND_LABELS": KIND_LABELS,
          "ACTION_LABELS": {"create": "立案", "update": "修改", "status": "状态变更", "consent": "记录亲属意愿",
                            "evidence": "上传材料", "lead": "记录线索", "contact": "联系记录",
                            "verification": "核实记录", "transition:consult": "征求亲属意见",
                            "transition:approve": "批准", "transition:exhume": "起迁", "transition:rebury": "安葬",
                            "transition:close": "办结", "transition:withdraw": "撤销",
                            "transition:follow_leads": "核查线索", "transition:verify": "开始比对确认",
                            "transition:found": "确认找到亲属", "transition:close_not_found": "结案（未找到）"}}
PAGE_SIZE = 50


FIELD_LABELS = {"martyr_id": "烈士", "decision": "亲属意愿", "decided_by": "决定人", "relation": "与烈士关系",
                "date": "日期", "note": "说明", "purpose": "材料类别", "files": "文件", "to": "操作",
                "destination_facility_id": "迁入设施", "receiving_division_code": "接收地区", "method": "核实方式",
                "lab": "检测机构", "entry_id": "记录", "authority": "批准机关", "document_no": "文号",
                "kind": "类别", "content": "内容", "source": "来源", "result": "结果", "people": "在场人员"}


def _label(field: str) -> str:
    head = field.split(".")[0].split("[")[0]
    return FIELD_LABELS.get(head, "填写内容")


def _message(exc: Exception) -> str:
    """A refusal in Chinese, naming the field as the form does."""
    if isinstance(exc, ValidationError):
        return "；".join(f"{_label(field)}：{reason}" for field, reason in pydantic_errors(exc).items())
    if isinstance(exc, ValidationProblem):
        return "；".join(f"{_label(field)}：{chinese_reason(reason)}" for field, reason in exc.problems)
    text = str(exc)
    return text if re.search(r"[\u4e00-\u9fff]", text) else chinese_reason(text)


@router.get("/cases/relocations", response_class=HTMLResponse)
def relocations_page(request: Request, session: ReadSession, actor: Reader, division: DivisionPrefix,
                     status: RelocationState | None = None, martyr_id: IdQuery = None,
                     page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> Response:
    items, total = relocation.list_relocations(session=session, actor=actor, division=division, status=status,
                                               martyr_id=martyr_id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(request, "case_relocations.html", {
        "items": [_out(session, c, actor) for c in items], "total": total, "status": status or "", **LABELS})


def _relocation_page(request: Request, session: Session, actor: Actor, case_id: int, error: str = "",
                     status_code: int = 200) -> Response:
    case = relocation.get_relocation(session=session, case_id=case_id, actor=actor)
    out = _out(session, case, actor)
    events = timeline(session=session, entity="relocation_case", entity_id=case.id,
                      extra=("relocation_case_martyr", [m.id for m in case.martyrs]), contacts=may_see_contacts(actor))
    return render(request, "case_relocation.html", {"c": out, "events": events, "error": error,
                                                    "today": "", **LABELS}, status_code=status_code)


@router.get("/cases/relocations/{case_id}", response_class=HTMLResponse)
def relocation_page(request: Request, case_id: IdPath, session: ReadSession, actor: Reader,
                    error: Annotated[str, Query(max_length=2000)] = "") -> Response:
    return _relocation_page(request, session, actor, case_id, error)


def _back(path: str, error: str = "") -> Response:
    return RedirectResponse(path + (f"?{urlencode({'error': error})}" if error else ""), status_code=303)


@router.post("/cases/relocations/{case_id}/consents")
def consent_form(
    request: Request, case_id: IdPath, session: WriteSession, actor: Officer,
    martyr_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    decision: Annotated[str, Form(max_length=20)],
    decided_by: Annotated[str, Form(max_length=100)] = "", relation: Annotated[str, Form(max_length=40)] = "",
    date: Annotated[str, Form(max_length=20)] = "", note: Annotated[str, Form(max_length=4000)] = "",
    files: Annotated[list[UploadFile], File()] = [],  # noqa: B006
) -> Response:
    path = f"/cases/relocations/{case_id}"
    case = relocation.get_relocation(session=session, case_id=case_id, actor=actor, for_update=True)
    try:
        data = ConsentIn.model_validate({"martyr_id": martyr_id, "decision": decision, "decided_by": decided_by,
                                         "relation": relation, "date": date or None, "note": note})
        relocation.record_consent(session=session, case=case, data=data, actor=actor)
        chosen = [f for f in files if f.filename]
        if chosen:
            relocation.attach_evidence(session=session, case=case, purpose="consent",
                                       accepted=_accept(request, _uploads(request, chosen)), martyr_id=martyr_id,
                                       thresholds=_thresholds(request), actor=actor)
    except (DomainError, ValueError) as exc:
        session.rollback()
        return _back(path, _message(exc))
    return _back(path)


@router.post("/cases/relocations/{case_id}/evidence")
def evidence_form(
    request: Request, case_id: IdPath, session: WriteSession, actor: Officer,
    purpose: Annotated[str, Form(max_length=20)], files: Annotated[list[UploadFile], File()] = [],  # noqa: B006
) -> Response:
    path = f"/cases/relocations/{case_id}"
    case = relocation.get_relocation(session=session, case_id=case_id, actor=actor, for_update=True)
    try:
        relocation.attach_evidence(session=session, case=case, purpose=purpose,
                                   accepted=_accept(request, _uploads(request, [f for f in files if f.filename])),
                                   martyr_id=None, thresholds=_thresholds(request), actor=actor)
    except DomainError as exc:
        session.rollback()
        return _back(path, _message(exc))
    return _back(path)


@router.post("/cases/relocations/{case_id}/transitions")
def transition_form(
    case_id: IdPath, session: WriteSession, actor: Officer, to: Annotated[str, Form(max_length=30)],
    authority: Annotated[str, Form(max_length=200)] = "", document_no: Annotated[str, Form(max_length=100)] = "",
    date: Annotated[str, Form(max_length=20)] = "", present: Annotated[str, Form(max_length=4000)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    path = f"/cases/relocations/{case_id}"
    case = relocation.get_relocation(session=session, case_id=case_id, actor=actor, for_update=True)
    try:
        data = TransitionIn.model_validate({"to": to, "authority": authority, "document_no": document_no,
                                            "date": date or None, "present": present, "reason": reason})
        relocation.transition(session=session, case=case, data=data, actor=actor)
    except DomainError as exc:
        session.rollback()
        return _back(path, _message(exc))
    except ValueError as exc:
        session.rollback()
        return _back(path, _message(exc))
    return _back(path)


@router.get("/cases/family-searches", response_class=HTMLResponse)
def searches_page(request: Request, session: ReadSession, actor: Reader, division: DivisionPrefix,
                  status: SearchState | None = None, martyr_id: IdQuery = None) -> Response:
    items, total = family.list_searches(session=session, actor=actor, division=division, status=status,
                                        martyr_id=martyr_id, limit=200)
    return render(request, "case_searches.html", {
        "items": [family.search_out(session=session, search=s, actor=actor, url=attachment_url, full=False)
                  for s in items], "total": total, "status": status or "", **LABELS})


@router.get("/cases/family-searches/{search_id}", response_class=HTMLResponse)
def search_page(request: Request, search_id: IdPath, session: WriteSession, actor: Reader,
                error: Annotated[str, Query(max_length=2000)] = "") -> Response:
    search = family.get_search(session=session, search_id=search_id, actor=actor)
    out = family.search_out(session=session, search=search, actor=actor, url=attachment_url)
    events = timeline(session=session, entity="family_search", entity_id=search.id, contacts=may_see_contacts(actor))
    return render(request, "case_search.html", {"s": out, "events": events, "error": error, **LABELS})


@router.post("/cases/family-searches/{search_id}/entries")
def entry_form(
    search_id: IdPath, session: WriteSession, actor: Officer, kind: Annotated[str, Form(max_length=20)],
    date: Annotated[str, Form(max_length=20)] = "", source: Annotated[str, Form(max_length=200)] = "",
    given_by: Annotated[str, Form(max_length=100)] = "", content: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    path = f"/cases/family-searches/{search_id}"
    search = family.get_search(session=session, search_id=search_id, actor=actor, for_update=True)
    try:
        data = EntryIn.model_validate({"kind": kind, "date": date or None, "source": source, "given_by": given_by,
                                       "content": content})
        family.add_entry(session=session, search=search, data=data, actor=actor)
    except (DomainError, ValueError) as exc:
        session.rollback()
        return _back(path, _message(exc))
    return _back(path)


@router.post("/cases/family-searches/{search_id}/transitions")
def search_transition_form(
    search_id: IdPath, session: WriteSession, actor: Officer, to: Annotated[str, Form(max_length=30)],
    note: Annotated[str, Form(max_length=4000)] = "", relative_name: Annotated[str, Form(max_length=100)] = "",
    relative_relation: Annotated[str, Form(max_length=40)] = "",
    relative_phone: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    path = f"/cases/family-searches/{search_id}"
    search = family.get_search(session=session, search_id=search_id, actor=actor, for_update=True)
    try:
        relatives = ([RelativeCreate(name=relative_name, relation=relative_relation, phone=relative_phone)]
                     if relative_name.strip() else [])
        data = SearchTransitionIn.model_validate({"to": to, "note": note, "relatives": relatives})
        family.transition(session=session, search=search, data=data, actor=actor)
    except (DomainError, ValueError) as exc:
        session.rollback()
        return _back(path, _message(exc))
    return _back(path)


@router.get("/cases/summary", response_class=HTMLResponse)
def summary_page(request: Request, session: ReadSession, actor: Reader, division: DivisionPrefix,
                 year: Annotated[int | None, Query(ge=1949, le=2100)] = None) -> Response:
    prefix = division or (actor.scope if actor.jurisdiction else "")
    data = figures.figures(session=session, actor=actor, division=prefix, year=year)
    query = urlencode({k: v for k, v in (("division", prefix), ("year", year)) if v})
    return render(request, "case_summary.html", {"f": data, "query": query, **LABELS})


