"""/api/v1/cases: relocation cases, family searches, matching and the published figures."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from api.auth import Requires
from api.deps import DivisionPrefix, IdPath, IdQuery, Offset, ReadSession, WriteSession
from api.idempotency import IdempotencyDep
from api.routers.evidence import attachment_url
from cases import family, figures, matching, relocation
from cases.schemas import (
    ConsentIn,
    EntryIn,
    EntryOut,
    FamilySearchCreate,
    FamilySearchOut,
    FamilySearchUpdate,
    Figures,
    MatchIn,
    MatchOut,
    RelocationCreate,
    RelocationOut,
    RelocationState,
    RelocationSummary,
    RelocationUpdate,
    SearchState,
    SearchTransitionIn,
    TimelineOut,
    TransitionIn,
)
from cases.views import relocation_out, summary, timeline
from evidence.location import Thresholds
from evidence.models import Kind
from evidence.uploads import Limits, Upload, accept
from memorials.actors import Actor
from memorials.errors import ValidationProblem
from memorials.idempotency import fingerprint
from memorials.permissions import Permission
from memorials.relatives import may_see_contacts
from memorials.schemas import Page

router = APIRouter(tags=["cases"])

Officer = Annotated[Actor, Requires(Permission.cases_run)]
Reader = Annotated[Actor, Requires(Permission.registry_read)]
MAX_FILES = 10


def _out(session, case, actor: Actor) -> RelocationOut:  # type: ignore[no-untyped-def]
    return relocation_out(session=session, case=case, url=attachment_url, contacts=may_see_contacts(actor))


def _uploads(request: Request, files: list[UploadFile]) -> list[Upload]:
    settings = request.app.state.settings
    if not files:
        raise ValidationProblem("files", "send at least one file")
    if len(files) > MAX_FILES:
        raise ValidationProblem("files", f"at most {MAX_FILES} files at once")
    limit = max(settings.max_photo_bytes, settings.max_document_bytes)
    return [Upload.read(f.file, filename=f.filename or "", max_bytes=limit, field=f"files[{i}]")
            for i, f in enumerate(files)]


def _accept(request: Request, uploads: list[Upload]):  # type: ignore[no-untyped-def]
    return accept(uploads, store=request.app.state.evidence_store, limits=Limits.of(request.app.state.settings),
                  kinds=frozenset({Kind.photo, Kind.document}), field="files")


def _thresholds(request: Request) -> Thresholds:
    s = request.app.state.settings
    return Thresholds(s.photo_verify_radius_m, s.position_gap_flag_m)


# ---- relocation cases -------------------------------------------------------------------------------------------

@router.get("/api/v1/cases/relocations", response_model=Page[RelocationSummary])
def list_relocations(
    session: ReadSession, actor: Reader, division: DivisionPrefix, status: RelocationState | None = None,
    kind: Literal["consolidation", "cross_region"] | None = None, martyr_id: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Offset = 0,
) -> Page[RelocationSummary]:
    """Every case in the jurisdiction (sent or received) with its stage and days in stage."""
    items, total = relocation.list_relocations(session=session, actor=actor, division=division, status=status,
                                               kind=kind, martyr_id=martyr_id, limit=limit, offset=offset)
    return Page[RelocationSummary](items=[summary(c) for c in items], total=total, limit=limit, offset=offset)


@router.post("/api/v1/cases/relocations", status_code=201, response_model=RelocationOut)
def create_relocation(data: RelocationCreate, session: WriteSession, actor: Officer, idem: IdempotencyDep) -> Response:
    return idem.respond(session=session, actor=actor, produce=lambda: _out(
        session, relocation.create_relocation(session=session, data=data, actor=actor), actor))


@router.get("/api/v1/cases/relocations/{case_id}", response_model=RelocationOut)
def get_relocation(case_id: IdPath, session: ReadSession, actor: Reader) -> RelocationOut:
    return _out(session, relocation.get_relocation(session=session, case_id=case_id, actor=actor), actor)


@router.get("/api/v1/cases/relocations/{case_id}/timeline", response_model=list[TimelineOut])
def relocation_timeline(case_id: IdPath, session: ReadSession, actor: Reader) -> list[TimelineOut]:
    case = relocation.get_relocation(session=session, case_id=case_id, actor=actor)
    return timeline(session=session, entity="relocation_case", entity_id=case.id,
                    extra=("relocation_case_martyr", [m.id for m in case.martyrs]), contacts=may_see_contacts(actor))


@router.patch("/api/v1/cases/relocations/{case_id}", response_model=RelocationOut)
def update_relocation(case_id: IdPath, data: RelocationUpdate, session: WriteSession, actor: Officer) -> RelocationOut:
    case = relocation.get_relocation(session=session, case_id=case_id, actor=actor, for_update=True)
    return _out(session, relocation.update_relocation(session=session, case=case, data=data, actor=actor), actor)


@router.post("/api/v1/cases/relocations/{case_id}/transitions", response_model=RelocationOut)
def relocation_transition(case_id: IdPath, data: TransitionIn, session: WriteSession, actor: Officer,
                          idem: IdempotencyDep) -> Response:
    """``{"to": STATE, …}``: approval takes ``authority, document_no, date`` (admins only); exhumation and
    reburial ``date`` and ``present``; withdrawal ``reason``. A refusal (409) lists what is missing, in Chinese."""
    case = relocation.get_relocation(session=session, case_id=case_id, actor=actor, for_update=True)
    return idem.respond(session=session, actor=actor, status_code=200, produce=lambda: _out(
        session, relocation.transition(session=session, case=case, data=data, actor=actor), actor))


@router.post("/api/v1/cases/relocations/{case_id}/consents", status_code=201, response_model=RelocationOut)
def record_consent(case_id: IdPath, data: ConsentIn, session: WriteSession, actor: Officer,
                   idem: IdempotencyDep) -> Response:
    """A family decision per martyr: ``agree``, ``disagree``, ``pending`` or ``no_family_found`` (with the search
    done, in ``note``). The signed document goes to ``…/evidence`` with ``purpose=consent``."""
    case = relocation.get_relocation(session=session, case_id=case_id, actor=actor, for_update=True)

    def produce() -> RelocationOut:
        relocation.record_consent(session=session, case=case, data=data, actor=actor)
        return _out(session, case, actor)
    return idem.respond(session=session, actor=actor, produce=produce)


@router.post("/api/v1/cases/relocations/{case_id}/evidence", status_code=201, response_model=RelocationOut)
def relocation_evidence(
    request: Request, case_id: IdPath, session: WriteSession, actor: Officer, idem: IdempotencyDep,
    purpose: Annotated[Literal["consent", "document", "exhumation", "reburial"], Form()],
    files: Annotated[list[UploadFile], File(description="scans, PDFs or photos")] = [],  # noqa: B006
    martyr_id: Annotated[int | None, Form(ge=1, le=2_147_483_647)] = None,
) -> Response:
    """Signed consents (``purpose=consent`` with ``martyr_id``), approval or confirmation documents, and the
    exhumation and reburial photos (proved by their GPS against the origin and destination facilities)."""
    case = relocation.get_relocation(session=session, case_id=case_id, actor=actor, for_update=True)
    uploads = _uploads(request, files)

    def produce() -> RelocationOut:
        relocation.attach_evidence(session=session, case=case, purpose=purpose, accepted=_accept(request, uploads),
                                   martyr_id=martyr_id, thresholds=_thresholds(request), actor=actor)
        return _out(session, case, actor)
    extra = fingerprint(purpose, str(martyr_id), *(u.sha256 for u in uploads))
    return idem.respond(session=session, actor=actor, produce=produce, extra_fingerprint=extra)


# ---- family searches --------------------------------------------------------------------------------------------

@router.get("/api/v1/cases/family-searches", response_model=Page[FamilySearchOut])
def list_family_searches(
    session: ReadSession, actor: Reader, division: DivisionPrefix, status: SearchState | None = None,
    martyr_id: IdQuery = None, limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Offset = 0,
) -> Page[FamilySearchOut]:
    items, total = family.list_searches(session=session, actor=actor, division=division, status=status,
                                        martyr_id=martyr_id, limit=limit, offset=offset)
    return Page[FamilySearchOut](items=[family.search_out(session=session, search=s, actor=actor, full=False,
                                                          url=attachment_url) for s in items],
                                 total=total, limit=limit, offset=offset)


@router.post("/api/v1/cases/family-searches", status_code=201, response_model=FamilySearchOut)
def create_family_search(data: FamilySearchCreate, session: WriteSession, actor: Officer,
                         idem: IdempotencyDep) -> Response:
    return idem.respond(session=session, actor=actor, produce=lambda: family.search_out(
        session=session, search=family.create_search(session=session, data=data, actor=actor), actor=actor,
        url=attachment_url))


@router.get("/api/v1/cases/family-searches/{search_id}", response_model=FamilySearchOut)
def get_family_search(search_id: IdPath, session: WriteSession, actor: Reader) -> FamilySearchOut:
    search = family.get_search(session=session, search_id=search_id, actor=actor)
    return family.search_out(session=session, search=search, actor=actor, url=attachment_url)


@router.patch("/api/v1/cases/family-searches/{search_id}", response_model=FamilySearchOut)
def update_family_search(search_id: IdPath, data: FamilySearchUpdate, session: WriteSession,
                         actor: Officer) -> FamilySearchOut:
    search = family.get_search(session=session, search_id=search_id, actor=actor, for_update=True)
    family.update_search(session=session, search=search, data=data, actor=actor)
    return family.search_out(session=session, search=search, actor=actor, url=attachment_url)


@router.post("/api/v1/cases/family-searches/{search_id}/leads", status_code=201, response_model=EntryOut)
def add_lead(search_id: IdPath, data: EntryIn, session: WriteSession, actor: Officer,
             idem: IdempotencyDep) -> Response:
    """A lead, a contact made (``kind=contact``) or a verification (``kind=verification``, with ``method``
    document/testimony/dna, ``lab`` and ``result``)."""
    search = family.get_search(session=session, search_id=search_id, actor=actor, for_update=True)
    return idem.respond(session=session, actor=actor, produce=lambda: family.entry_out(
        session, family.add_entry(session=session, search=search, data=data, actor=actor), attachment_url))


@router.post("/api/v1/cases/family-searches/{search_id}/evidence", status_code=201, response_model=EntryOut)
def add_search_evidence(
    request: Request, search_id: IdPath, session: WriteSession, actor: Officer, idem: IdempotencyDep,
    entry_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    files: Annotated[list[UploadFile], File(description="documents, testimony records, DNA reports")] = [],  # noqa: B006
) -> Response:
    search = family.get_search(session=session, search_id=search_id, actor=actor, for_update=True)
    uploads = _uploads(request, files)

    def produce():  # type: ignore[no-untyped-def]
        entry = family.attach_evidence(session=session, search=search, entry_id=entry_id,
                                       accepted=_accept(request, uploads), actor=actor)
        return family.entry_out(session, entry, attachment_url)
    extra = fingerprint(str(entry_id), *(u.sha256 for u in uploads))
    return idem.respond(session=session, actor=actor, produce=produce, extra_fingerprint=extra)


@router.post("/api/v1/cases/family-searches/{search_id}/transitions", response_model=FamilySearchOut)
def family_search_transition(search_id: IdPath, data: SearchTransitionIn, session: WriteSession, actor: Officer,
                             idem: IdempotencyDep) -> Response:
    """``{"to": STATE}``; ``found`` needs a confirmed verification with its evidence and the ``relatives`` found."""
    search = family.get_search(session=session, search_id=search_id, actor=actor, for_update=True)
    return idem.respond(session=session, actor=actor, status_code=200, produce=lambda: family.search_out(
        session=session, search=family.transition(session=session, search=search, data=data, actor=actor),
        actor=actor, url=attachment_url))


@router.post("/api/v1/cases/family-search/match", response_model=MatchOut)
def match(data: MatchIn, session: ReadSession, actor: Reader) -> MatchOut:
    """Martyrs a family's clue may mean, best first, each with a score and the reasons."""
    return matching.match(session=session, actor=actor, clue=data)


# ---- figures ----------------------------------------------------------------------------------------------------

@router.get("/api/v1/cases/summary", response_model=Figures)
def case_summary(session: ReadSession, actor: Reader, division: DivisionPrefix,
                 year: Annotated[int | None, Query(ge=1949, le=2100)] = None) -> Figures:
    """The published figures: graves and martyrs moved by kind and destination, consents, families found."""
    return figures.figures(session=session, actor=actor, division=division or "", year=year)


@router.get("/api/v1/cases/summary.xlsx", response_class=FileResponse)
def case_summary_xlsx(session: ReadSession, actor: Reader, division: DivisionPrefix,
                      year: Annotated[int | None, Query(ge=1949, le=2100)] = None) -> Response:
    data = figures.figures(session=session, actor=actor, division=division or "", year=year)
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    handle.close()
    path = Path(handle.name)
    figures.write_xlsx_report(data=data, path=path)
    return FileResponse(path, filename=f"案件统计_{division or '全部'}_{year or '全部'}.xlsx",
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        background=BackgroundTask(path.unlink, missing_ok=True))
