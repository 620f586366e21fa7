"""/api/v1/repairs: projects, workflow steps, budget lines, adjustments, expenditures, evidence, the summary."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.background import BackgroundTask

from api.auth import Requires
from api.deps import DivisionPrefix, IdPath, IdQuery, Offset, ReadSession, WriteSession, query_problem
from api.idempotency import IdempotencyDep
from api.routers.evidence import attachment_url, photo_url
from evidence.location import Thresholds
from evidence.models import Kind
from evidence.uploads import Limits, Upload, accept
from memorials import clock, idempotency
from memorials.actors import Actor
from memorials.db import transaction
from memorials.errors import ValidationProblem
from memorials.idempotency import Replay
from memorials.permissions import Permission
from memorials.schemas import Page
from repairs import evidence as evidence_service
from repairs import money as money_service
from repairs import service
from repairs.ledger import write_repair_ledger
from repairs.models import RepairEvidence
from repairs.schemas import (
    AdjustmentIn,
    AdjustmentOut,
    BudgetLineIn,
    BudgetLineOut,
    EvidenceOut,
    ExpenditureIn,
    ExpenditureOut,
    ProjectIn,
    ProjectOut,
    ProjectUpdate,
    SummaryOut,
    TransitionIn,
)
from repairs.summary import check_year, summary
from repairs.vocab import Phase, RepairKind, State

router = APIRouter(tags=["repairs"])

Reader = Annotated[Actor, Requires(Permission.repairs_read)]
Runner = Annotated[Actor, Requires(Permission.repairs_run)]
Approver = Annotated[Actor, Requires(Permission.repairs_approve)]


def _today() -> date:
    return clock.today()


def _year(value: int | None) -> int:
    year = value if value is not None else _today().year
    try:
        return check_year(year, today=_today())
    except ValidationProblem as exc:
        raise query_problem("year", exc.reason) from None


def evidence_out(item: RepairEvidence) -> EvidenceOut:
    a = item.attachment
    photo = a.kind == Kind.photo.value
    return EvidenceOut(
        id=a.id, sha256=a.sha256, kind=a.kind, phase=item.phase, facility_id=item.facility_id,
        expenditure_id=item.expenditure_id, filename=a.filename, taken_at=a.taken_at, distance_m=a.distance_m,
        verification=a.verification, note=item.note,
        url=photo_url(a.sha256, "screen") if photo else attachment_url(a.sha256),
        thumb=photo_url(a.sha256, "thumb") if photo else None,
    )


def expenditure_out(session, row) -> ExpenditureOut:  # type: ignore[no-untyped-def]
    return ExpenditureOut(id=row.id, date=row.paid_on, amount=row.amount, payee=row.payee, invoice_no=row.invoice_no,
                          purpose=row.purpose, facility_id=row.facility_id, facility_name=row.facility.name,
                          evidence=[evidence_out(e) for e in row.evidence])


@router.get("/api/v1/repairs/summary", response_model=SummaryOut)
def repairs_summary(
    session: ReadSession, actor: Reader, division: DivisionPrefix = None,
    year: Annotated[int | None, Query(description="the year, YYYY (this year if not given)")] = None,
) -> SummaryOut:
    """Totals by kind (spent) and by funding source (approved), projects, facilities, defects without a project."""
    return summary(session=session, actor=actor, division=division or "", year=_year(year), today=_today())


@router.get("/api/v1/reports/repairs.xlsx", response_class=FileResponse, tags=["reports"])
def repairs_ledger(
    session: ReadSession, actor: Reader, division: DivisionPrefix = None,
    year: Annotated[int | None, Query(description="the year, YYYY")] = None,
) -> Response:
    """The repair-funds ledger (维修经费台账) as an Excel workbook with Chinese headers."""
    the_year = _year(year)
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    handle.close()
    path = Path(handle.name)
    write_repair_ledger(session=session, actor=actor, division=division or "", year=the_year, path=path,
                        today=_today())
    return FileResponse(path, filename=f"维修经费台账_{division or '全部'}_{the_year}.xlsx",
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        background=BackgroundTask(path.unlink, missing_ok=True))


@router.get("/api/v1/repairs", response_model=Page[ProjectOut])
def list_projects(
    session: ReadSession, actor: Reader, division: DivisionPrefix = None, status: State | None = None,
    kind: RepairKind | None = None, facility_id: IdQuery = None, defect_id: IdQuery = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Offset = 0,
) -> Page[ProjectOut]:
    query = service.ProjectQuery(division=division, status=status.value if status else None,
                                 kind=kind.value if kind else None, facility_id=facility_id, defect_id=defect_id,
                                 year=year, q=q.strip() if q and q.strip() else None)
    items, total = service.list_projects(session=session, actor=actor, query=query, limit=limit, offset=offset)
    today = _today()
    return Page[ProjectOut](items=[service.project_out(session=session, project=p, today=today) for p in items],
                            total=total, limit=limit, offset=offset)


@router.post("/api/v1/repairs", status_code=201, response_model=ProjectOut)
def create_project(data: ProjectIn, session: WriteSession, actor: Runner, idem: IdempotencyDep) -> Response:
    """Propose a project for facilities and the defects it is meant to fix (header ``Idempotency-Key``)."""
    def produce() -> BaseModel:
        project = service.create_project(session=session, actor=actor, data=data, idempotency_key=idem.key)
        return service.project_out(session=session, project=project, today=_today())

    return idem.respond(session=session, actor=actor, produce=produce)


@router.get("/api/v1/repairs/{repair_id}", response_model=ProjectOut)
def get_project(repair_id: IdPath, session: ReadSession, actor: Reader) -> ProjectOut:
    project = service.get_project(session=session, project_id=repair_id, actor=actor)
    return service.project_out(session=session, project=project, today=_today())


@router.patch("/api/v1/repairs/{repair_id}", response_model=ProjectOut)
def update_project(repair_id: IdPath, data: ProjectUpdate, session: WriteSession, actor: Runner) -> ProjectOut:
    project = service.get_project(session=session, project_id=repair_id, actor=actor, lock=True)
    project = service.update_project(session=session, actor=actor, project=project, data=data)
    return service.project_out(session=session, project=project, today=_today())


@router.post("/api/v1/repairs/{repair_id}/transitions", response_model=ProjectOut)
def take_step(repair_id: IdPath, data: TransitionIn, session: WriteSession, actor: Runner) -> ProjectOut:
    """Move the project on: ``{"to": "approved", "authority", "document_no", "date"}``, ``{"to": "in_progress"}``,
    ``{"to": "completed", "date", "by", "result", "document_no"}``, ``{"to": "cancelled", "reason"}``.

    A step that lacks its evidence is refused with 409 and, in Chinese, what is missing. Approving needs an admin.
    """
    project = service.get_project(session=session, project_id=repair_id, actor=actor, lock=True)
    project = service.take_step(session=session, actor=actor, project=project, data=data, today=_today())
    return service.project_out(session=session, project=project, today=_today())


@router.get("/api/v1/repairs/{repair_id}/budget-lines", response_model=list[BudgetLineOut])
def list_budget_lines(repair_id: IdPath, session: ReadSession, actor: Reader) -> list[BudgetLineOut]:
    project = service.get_project(session=session, project_id=repair_id, actor=actor)
    return [BudgetLineOut(id=b.id, source=b.source, amount=b.amount, document_no=b.document_no, year=b.year)
            for b in money_service.budget_lines(session=session, project_id=project.id)]


@router.post("/api/v1/repairs/{repair_id}/budget-lines", status_code=201, response_model=BudgetLineOut)
def add_budget_line(repair_id: IdPath, data: BudgetLineIn, session: WriteSession, actor: Runner,
                    idem: IdempotencyDep) -> Response:
    def produce() -> BaseModel:
        project = service.get_project(session=session, project_id=repair_id, actor=actor, lock=True)
        b = money_service.add_budget_line(session=session, actor=actor, project=project, data=data)
        return BudgetLineOut(id=b.id, source=b.source, amount=b.amount, document_no=b.document_no, year=b.year)

    service.get_project(session=session, project_id=repair_id, actor=actor)
    return idem.respond(session=session, actor=actor, produce=produce)


@router.get("/api/v1/repairs/{repair_id}/adjustments", response_model=list[AdjustmentOut])
def list_adjustments(repair_id: IdPath, session: ReadSession, actor: Reader) -> list[AdjustmentOut]:
    project = service.get_project(session=session, project_id=repair_id, actor=actor)
    return [AdjustmentOut(id=a.id, source=a.source, amount=a.amount, reason=a.reason, document_no=a.document_no,
                          date=a.approved_on) for a in money_service.adjustments(session=session, project_id=project.id)]


@router.post("/api/v1/repairs/{repair_id}/adjustments", status_code=201, response_model=AdjustmentOut)
def add_adjustment(repair_id: IdPath, data: AdjustmentIn, session: WriteSession, actor: Approver,
                   idem: IdempotencyDep) -> Response:
    """An admin raises the approved total, with the reason and the approving document."""
    def produce() -> BaseModel:
        project = service.get_project(session=session, project_id=repair_id, actor=actor, lock=True)
        a = money_service.add_adjustment(session=session, actor=actor, project=project, data=data, today=_today())
        return AdjustmentOut(id=a.id, source=a.source, amount=a.amount, reason=a.reason, document_no=a.document_no,
                             date=a.approved_on)

    service.get_project(session=session, project_id=repair_id, actor=actor)
    return idem.respond(session=session, actor=actor, produce=produce)


@router.get("/api/v1/repairs/{repair_id}/expenditures", response_model=list[ExpenditureOut])
def list_expenditures(repair_id: IdPath, session: ReadSession, actor: Reader) -> list[ExpenditureOut]:
    project = service.get_project(session=session, project_id=repair_id, actor=actor)
    return [expenditure_out(session, e) for e in money_service.expenditures(session=session, project_id=project.id)]


@router.post("/api/v1/repairs/{repair_id}/expenditures", status_code=201, response_model=ExpenditureOut)
def add_expenditure(repair_id: IdPath, data: ExpenditureIn, session: WriteSession, actor: Runner,
                    idem: IdempotencyDep) -> Response:
    """Record a payment; refused (422, field ``amount``) beyond the approved total."""
    def produce() -> BaseModel:
        project = service.get_project(session=session, project_id=repair_id, actor=actor, lock=True)
        e = money_service.add_expenditure(session=session, actor=actor, project=project, data=data, today=_today())
        return expenditure_out(session, e)

    service.get_project(session=session, project_id=repair_id, actor=actor)
    return idem.respond(session=session, actor=actor, produce=produce)


@router.get("/api/v1/repairs/{repair_id}/evidence", response_model=list[EvidenceOut])
def list_evidence(repair_id: IdPath, session: ReadSession, actor: Reader) -> list[EvidenceOut]:
    project = service.get_project(session=session, project_id=repair_id, actor=actor)
    return [evidence_out(e) for e in evidence_service.by_project(session=session, project_id=project.id)]


class _Position(BaseModel):
    longitude: float
    latitude: float
    crs: str = "wgs84"


@router.post("/api/v1/repairs/{repair_id}/evidence", status_code=201, response_model=list[EvidenceOut])
def add_evidence(
    request: Request,
    repair_id: IdPath,
    actor: Runner,
    idem: IdempotencyDep,
    phase: Annotated[Phase, Form(description="before, during, after (photos); invoice, acceptance, approval")],
    files: Annotated[list[UploadFile], File(description="photos (JPEG, PNG, HEIC) or documents (PDF)")],
    facility_id: Annotated[int | None, Form(ge=1, le=2_147_483_647)] = None,
    expenditure_id: Annotated[int | None, Form(ge=1, le=2_147_483_647)] = None,
    note: Annotated[str, Form(max_length=500)] = "",
    position: Annotated[str | None, Form(max_length=500, description='the phone\'s {"longitude", "latitude", '
                                                                      '"crs"}')] = None,
) -> Response:
    """Attach photos or documents to a project (multipart); photos are proven against their facility."""
    state = request.app.state
    settings = state.settings
    with transaction(state.read_sessions) as session:
        service.get_project(session=session, project_id=repair_id, actor=actor)
    if len(files) > settings.max_photos_per_inspection:
        raise ValidationProblem("files", f"at most {settings.max_photos_per_inspection} files at once")
    device = None
    if position:
        try:
            spot = TypeAdapter(_Position).validate_json(position)
        except ValidationError:
            raise ValidationProblem("position", 'expected {"longitude": …, "latitude": …, "crs": "wgs84"}') from None
        device = (spot.longitude, spot.latitude, spot.crs)
    uploads = [Upload.read(f.file, filename=f.filename or "", max_bytes=max(settings.max_photo_bytes,
                                                                             settings.max_document_bytes),
                           field=f"files[{i}]") for i, f in enumerate(files)]
    print_ = idempotency.fingerprint(json.dumps([phase.value, facility_id, expenditure_id, note, position]),
                                     *(u.sha256 for u in uploads))
    if idem.key is not None and actor.user_id is not None:
        with transaction(state.read_sessions) as session:
            answer = idempotency.find(session=session, user_id=actor.user_id, key=idem.key, method=idem.method,
                                      path=idem.path, print_=print_)
        if answer is not None:
            raise Replay(answer)
    accepted = accept(uploads, store=state.evidence_store, limits=Limits.of(settings),
                      kinds=frozenset({Kind.photo, Kind.document}), field="files")
    thresholds = Thresholds(settings.photo_verify_radius_m, settings.position_gap_flag_m)
    with transaction(state.write_sessions) as session:
        record = (idempotency.claim(session=session, user_id=actor.user_id, key=idem.key, method=idem.method,
                                    path=idem.path, print_=print_)
                  if idem.key is not None and actor.user_id is not None else None)
        project = service.get_project(session=session, project_id=repair_id, actor=actor, lock=True)
        rows = evidence_service.add_evidence(session=session, actor=actor, project=project, phase=phase,
                                             files=accepted, facility_id=facility_id, expenditure_id=expenditure_id,
                                             note=note, device=device, thresholds=thresholds)
        body = TypeAdapter(list[EvidenceOut]).dump_json([evidence_out(r) for r in rows]).decode()
        if record is not None:
            idempotency.complete(session=session, record=record, status_code=201, body=body)
    return Response(body, status_code=201, media_type="application/json")
