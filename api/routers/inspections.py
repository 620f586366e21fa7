"""/api/v1/inspections, defects, compliance, interval rules and the patrol ledger (photos: ``api.routers.evidence``)."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import ValidationError
from starlette.background import BackgroundTask

from api.auth import Requires
from api.deps import IdPath, IdQuery, Offset, ReadSession, SettingsDep, WriteSession, division_query, query_problem
from api.idempotency import IdempotencyDep
from api.routers.evidence import photo_url
from api.routers.jobs import queued_answer
from evidence.location import Thresholds
from evidence.uploads import Limits, Upload, accept
from inspections import compliance as compliance_service
from inspections import defects as defect_service
from inspections import intervals as interval_service
from inspections import ledger_jobs, service
from inspections.checklist import Level, PeriodicLevel, Severity
from inspections.ledger import Links, write_defect_list, write_patrol_ledger
from inspections.offline import patrol_pack as build_patrol_pack
from inspections.schemas import (
    ComplianceOut,
    DefectOut,
    DefectUpdate,
    InspectionIn,
    InspectionOut,
    IntervalRuleIn,
    IntervalRuleOut,
    PatrolPack,
    PhotoUrls,
    check_period,
)
from inspections.service import InspectionQuery
from inspections.submission import Context, submit
from memorials import clock, idempotency, jobs
from memorials.actors import Actor
from memorials.db import transaction
from memorials.errors import ValidationProblem
from memorials.idempotency import Replay
from memorials.permissions import Permission
from memorials.schemas import Page

router = APIRouter(tags=["inspections"])

Filer = Annotated[Actor, Requires(Permission.inspections_file)]
Reader = Annotated[Actor, Requires(Permission.inspections_read)]
DefectManager = Annotated[Actor, Requires(Permission.defects_manage)]
RuleEditor = Annotated[Actor, Requires(Permission.registry_edit)]


def photo_urls(sha256: str) -> PhotoUrls:
    return PhotoUrls(original=photo_url(sha256, "original"), thumb=photo_url(sha256, "thumb"),
                     screen=photo_url(sha256, "screen"))


def _today() -> date:
    return clock.today()


def _period(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    try:
        return check_period(value)
    except ValueError as exc:
        raise query_problem(field, str(exc)) from None


async def report_months(
    request: Request,
    from_: Annotated[str, Query(alias="from", description="first month, YYYY-MM")],
    to: Annotated[str, Query(description="last month, YYYY-MM")],
) -> tuple[str, str]:
    """A report's ``from`` and ``to``: months the registry covers, in order, at most ``max_report_months`` apart."""
    try:
        return compliance_service.report_span(from_, to, max_months=request.app.state.settings.max_report_months)
    except ValidationProblem as exc:
        problem = ValidationProblem.many(exc.problems)
        problem.where = "query"  # type: ignore[attr-defined]
        raise problem from None


ReportMonths = Annotated[tuple[str, str], Depends(report_months)]


def _context(request: Request) -> Context:
    state = request.app.state
    settings = state.settings
    return Context(
        read_sessions=state.read_sessions, write_sessions=state.write_sessions, store=state.evidence_store,
        limits=Limits.of(settings), max_photos=settings.max_photos_per_inspection,
        thresholds=Thresholds(settings.photo_verify_radius_m, settings.position_gap_flag_m),
        requirements=service.Requirements(photo_levels=frozenset(settings.photo_required_levels),
                                          max_accuracy_m=settings.max_position_accuracy_m),
        urls=photo_urls, today=_today,
    )


@router.post("/api/v1/inspections", status_code=201, response_model=InspectionOut)
def file_inspection(
    request: Request,
    actor: Filer,
    idem: IdempotencyDep,
    inspection: Annotated[str, Form(max_length=200_000, description="the inspection as JSON (see InspectionIn)")],
    photos: Annotated[list[UploadFile], File(description="2-6 photos usually: JPEG, PNG or HEIC")] = [],  # noqa: B006
) -> Response:
    """File a patrol: its checklist, grade and photos, all stored together or not at all.

    Send the header ``Idempotency-Key`` (the page uses one per submission):
    a retry with the same key gets the first answer and stores nothing new.
    """
    raw = inspection.encode()
    try:
        data = InspectionIn.model_validate_json(raw)
    except ValidationError as exc:
        raise ValidationProblem.many([
            ("inspection." + ".".join(str(p) for p in err["loc"]) if err["loc"] else "inspection",
             err["msg"].removeprefix("Value error, "))
            for err in exc.errors()
        ]) from None
    settings = request.app.state.settings
    if len(photos) > settings.max_photos_per_inspection:
        raise ValidationProblem("photos", f"at most {settings.max_photos_per_inspection} photos per inspection")
    uploads = [Upload.read(p.file, filename=p.filename or "", max_bytes=settings.max_photo_bytes, field=f"photos[{i}]")
               for i, p in enumerate(photos)]
    answer = submit(ctx=_context(request), actor=actor, data=data, raw_json=raw, uploads=uploads, key=idem.key,
                    method=request.method, path=request.url.path)
    return Response(answer.body, status_code=answer.status_code, media_type="application/json")


@router.get("/api/v1/patrol-pack", response_model=PatrolPack)
def patrol_pack(session: ReadSession, actor: Filer) -> PatrolPack:
    """What the inspector's phone keeps to patrol offline: facilities of the jurisdiction, last patrol, this
    month's, open defects, the checklist."""
    return build_patrol_pack(session=session, actor=actor)


@router.get("/api/v1/inspections", response_model=Page[InspectionOut])
def list_inspections(
    session: ReadSession,
    actor: Reader,
    division: str | None = None,
    facility_id: IdQuery = None,
    level: Level | None = None,
    from_: Annotated[str | None, Query(alias="from", description="first month, YYYY-MM")] = None,
    to: Annotated[str | None, Query(description="last month, YYYY-MM")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> Page[InspectionOut]:
    query = InspectionQuery(division=division_query(division), facility_id=facility_id,
                            level=level.value if level else None, period_from=_period(from_, "from"),
                            period_to=_period(to, "to"))
    items, total = service.list_inspections(session=session, actor=actor, query=query, limit=limit, offset=offset)
    today = _today()
    return Page[InspectionOut](
        items=[service.inspection_out(session=session, inspection=i, urls=photo_urls, today=today) for i in items],
        total=total, limit=limit, offset=offset)


@router.get("/api/v1/inspections/{inspection_id}", response_model=InspectionOut)
def get_inspection(inspection_id: IdPath, session: ReadSession, actor: Reader) -> InspectionOut:
    inspection = service.get_inspection(session=session, inspection_id=inspection_id, actor=actor)
    return service.inspection_out(session=session, inspection=inspection, urls=photo_urls, today=_today())


async def defect_query(
    division: str | None = None,
    facility_id: IdQuery = None,
    status: Literal["open", "resolved", "overdue"] | None = None,
    severity: Severity | None = None,
    overdue: Annotated[bool, Query(description="only open defects past their deadline")] = False,
) -> defect_service.DefectQuery:
    return defect_service.DefectQuery(division=division_query(division), facility_id=facility_id, status=status,
                                      severity=severity.value if severity else None, overdue=overdue)


DefectFilter = Annotated[defect_service.DefectQuery, Depends(defect_query)]


@router.get("/api/v1/defects", response_model=Page[DefectOut], tags=["defects"])
def list_defects(
    session: ReadSession,
    actor: Reader,
    query: DefectFilter,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> Page[DefectOut]:
    today = _today()
    items, total = defect_service.list_defects(session=session, actor=actor, query=query, today=today, limit=limit,
                                               offset=offset)
    return Page[DefectOut](items=[defect_service.defect_out(d, today=today) for d in items], total=total,
                           limit=limit, offset=offset)


@router.patch("/api/v1/defects/{defect_id}", response_model=DefectOut, tags=["defects"])
def update_defect(defect_id: IdPath, data: DefectUpdate, session: WriteSession, actor: DefectManager) -> DefectOut:
    defect = defect_service.get_defect(session=session, defect_id=defect_id, actor=actor)
    defect = defect_service.update_defect(session=session, defect=defect, data=data, actor=actor, today=_today())
    return defect_service.defect_out(defect, today=_today())


@router.post("/api/v1/defects/{defect_id}/fixed", response_model=DefectOut, tags=["defects"])
def mark_defect_fixed(
    request: Request,
    defect_id: IdPath,
    actor: DefectManager,
    idem: IdempotencyDep,
    photos: Annotated[list[UploadFile], File(description="photos of the put-right site, taken there (EXIF GPS)")],
    note: Annotated[str, Form(max_length=2000)] = "",
    position: Annotated[str | None, Form(max_length=500, description='the phone\'s {"longitude", "latitude", '
                                                                      '"crs"}')] = None,
) -> Response:
    """Mark a defect fixed with "after" photos; one must be proven taken at the facility."""
    state = request.app.state
    settings = state.settings
    with transaction(state.read_sessions) as session:
        defect_service.get_defect(session=session, defect_id=defect_id, actor=actor)
    if len(photos) > settings.max_photos_per_inspection:
        raise ValidationProblem("photos", f"at most {settings.max_photos_per_inspection} photos")
    device = None
    if position:
        try:
            spot = json.loads(position)
            device = (float(spot["longitude"]), float(spot["latitude"]), str(spot.get("crs", "wgs84")))
        except (ValueError, KeyError, TypeError):
            raise ValidationProblem("position", 'expected {"longitude": …, "latitude": …, "crs": "wgs84"}') from None
    uploads = [Upload.read(p.file, filename=p.filename or "", max_bytes=settings.max_photo_bytes, field=f"photos[{i}]")
               for i, p in enumerate(photos)]
    keyed = idem.key is not None and actor.user_id is not None
    print_ = idempotency.fingerprint(json.dumps([note, position]), *(u.sha256 for u in uploads))
    if keyed:
        with transaction(state.read_sessions) as session:
            answer = idempotency.find(session=session, user_id=actor.user_id, key=idem.key, method=idem.method,
                                      path=idem.path, print_=print_)
        if answer is not None:
            raise Replay(answer)
    accepted = accept(uploads, store=state.evidence_store, limits=Limits.of(settings), field="photos")
    thresholds = Thresholds(settings.photo_verify_radius_m, settings.position_gap_flag_m)
    with transaction(state.write_sessions) as session:
        record = (idempotency.claim(session=session, user_id=actor.user_id, key=idem.key, method=idem.method,
                                    path=idem.path, print_=print_) if keyed else None)
        defect = defect_service.get_defect(session=session, defect_id=defect_id, actor=actor)
        defect = defect_service.mark_fixed(session=session, defect=defect, actor=actor, photos=accepted, note=note,
                                           device=device, thresholds=thresholds)
        body = defect_service.defect_out(defect, today=_today()).model_dump_json()
        if record is not None:
            idempotency.complete(session=session, record=record, status_code=200, body=body)
    return Response(body, media_type="application/json")


@router.get("/api/v1/reports/defects.xlsx", response_class=FileResponse, tags=["reports"])
def defect_list_xlsx(session: ReadSession, actor: Reader, query: DefectFilter) -> Response:
    """The rectification list (整改清单) with the filters of ``/api/v1/defects``, as an Excel workbook."""
    today = _today()
    items, _total = defect_service.list_defects(session=session, actor=actor, query=query, today=today,
                                                limit=100_000)
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    handle.close()
    path = Path(handle.name)
    write_defect_list(session=session, actor=actor, defects=items, today=today, path=path, division=query.division)
    return FileResponse(path, filename=f"整改清单_{today.isoformat()}.xlsx",
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        background=BackgroundTask(path.unlink, missing_ok=True))


@router.get("/api/v1/compliance", response_model=ComplianceOut, response_model_by_alias=True, tags=["compliance"])
def compliance(
    session: ReadSession,
    actor: Reader,
    settings: SettingsDep,
    division: Annotated[str, Query(description="division code; a county sees its townships")],
    months: ReportMonths,
    level: PeriodicLevel = PeriodicLevel.patrol,
    detail: Annotated[Literal["facilities", "divisions"], Query(
        description="facilities (default): every facility and the divisions one level down; divisions: only the "
                    "totals per division one level down, for a national or provincial drill-down")] = "facilities",
) -> ComplianceOut:
    """Facility-months due and done, per facility and per division below, with the overdue days."""
    first, last = months
    return compliance_service.compliance(session=session, actor=actor, division=division_query(division) or "",
                                         level=level.value, period_from=first, period_to=last,
                                         max_months=settings.max_report_months, today=_today(), detail=detail)


@router.get("/api/v1/interval-rules", response_model=list[IntervalRuleOut], tags=["compliance"])
def list_interval_rules(session: ReadSession, actor: Reader) -> list[IntervalRuleOut]:
    return interval_service.list_rules(session=session, actor=actor)


@router.put("/api/v1/interval-rules", response_model=list[IntervalRuleOut], tags=["compliance"])
def set_interval_rule(data: IntervalRuleIn, session: WriteSession, actor: RuleEditor) -> list[IntervalRuleOut]:
    """How often a level is due for a kind of facility or one facility (patrols: sets the facilities' interval)."""
    return interval_service.set_rule(session=session, actor=actor, data=data)


LEDGER_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


@router.get("/api/v1/reports/patrols.{fmt}", response_class=FileResponse, tags=["reports"],
            responses={202: {"description": "too big to make now: queued as a background job (its JSON)"},
                       303: {"description": "the same, for a browser: to the job's page"}})
def patrol_ledger(
    request: Request,
    fmt: Literal["xlsx", "pdf", "csv"],
    session: ReadSession,
    actor: Reader,
    settings: SettingsDep,
    division: str,
    months: ReportMonths,
    background: Annotated[bool, Query(description="always make it as a background job")] = False,
) -> Response:
    """The patrol ledger (巡查台账): XLSX with every sheet and print settings, a PDF of it to sign, or the records as CSV.

    A ledger of more than ``job_threshold_rows`` rows (facilities × months and patrols) is made in the background:
    the answer is 202 with the job (``Location: /api/v1/jobs/{id}``; a browser is sent to the job's page), and the
    same request again gets the same job while it is queued or running.
    """
    first, last = months
    prefix = division_query(division) or ""
    base_url = str(request.base_url).rstrip("/")
    if background or ledger_jobs.ledger_size(session=session, actor=actor, division=prefix, period_from=first,
                                              period_to=last) > settings.job_threshold_rows:
        params = ledger_jobs.ledger_params(division=prefix, period_from=first, period_to=last, fmt=fmt,
                                           base_url=base_url, photo_path=photo_url("{sha256}", "original"),
                                           max_months=settings.max_report_months)
        with transaction(request.app.state.write_sessions) as writing:
            job = jobs.submit(session=writing, actor=actor, kind=ledger_jobs.KIND, division=prefix, params=params)
        return queued_answer(request, job)
    handle = tempfile.NamedTemporaryFile(suffix=f".{fmt}", delete=False)
    handle.close()
    path = Path(handle.name)
    links = Links(base_url=base_url, photo_path=lambda sha: photo_url(sha, "original"))
    write_patrol_ledger(session=session, actor=actor, division=prefix, period_from=first, period_to=last, path=path,
                        max_months=settings.max_report_months, today=_today(), fmt=fmt, links=links)
    return FileResponse(path, filename=f"巡查台账_{division}_{first}_{last}.{fmt}", media_type=LEDGER_TYPES[fmt],
                        background=BackgroundTask(path.unlink, missing_ok=True))
