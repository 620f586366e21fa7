"""Editing pages of the registry: facilities, martyrs, burials, relatives.

Each form goes through the API's schema and service (``api.forms``), so a
page refuses what the API refuses, with the reason in Chinese beside the
field; a refused form is shown again with what was typed, and nothing of it
is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import RegistryEditor, Requires
from api.deps import IdPath, ReadSession, WriteSession
from api.forms import CRS_LABELS, form_values, problem_errors, pydantic_errors
from api.templating import render
from maps.tiles import tile_source
from memorials import burials as burial_service
from memorials import facilities as facility_service
from memorials import martyrs as martyr_service
from memorials import relatives as relative_service
from memorials.actors import Actor
from memorials.errors import Conflict, ValidationProblem
from memorials.models import Burial, Facility, Martyr
from memorials.permissions import Permission
from memorials.schemas import (
    BurialCreate,
    FacilityCreate,
    FacilityUpdate,
    MartyrCreate,
    MartyrUpdate,
    RelativeCreate,
)
from memorials.scoping import in_scope

router = APIRouter(include_in_schema=False)

RelativesEditor = Annotated[Actor, Requires(Permission.relatives_edit)]

FACILITY_FIELDS = ("code", "name", "kind", "protection_level", "status", "division_code", "address", "longitude",
                   "latitude", "crs", "custodian", "custodian_person", "patrol_interval_days", "description")
FACILITY_REQUIRED = ("name", "kind", "protection_level", "status", "division_code", "patrol_interval_days")
MARTYR_FIELDS = ("name", "name_variants", "gender", "ethnicity", "birth_date", "death_date", "hometown", "unit",
                 "rank", "place_of_death", "battle", "certificate_no", "biography", "division_code")
MARTYR_REQUIRED = ("name", "gender")
BURIAL_FIELDS = ("martyr_id", "plot", "since", "until", "note")
RELATIVE_FIELDS = ("name", "relation", "phone", "id_number", "address")


def _tiles(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    source = tile_source(settings.tiles, tianditu_key=settings.tianditu_key)
    return {"url": source.url or "", "subdomains": source.subdomains, "crs": source.crs,
            "max_zoom": source.max_zoom, "attribution": source.attribution}


def _attempt(session: Session, make: type[BaseModel], values: dict[str, Any], store) -> tuple[Any, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Validate ``values`` with the schema and run ``store``; on any refusal nothing stays written."""
    try:
        data = make.model_validate(values)
        return store(data), {}
    except ValidationError as exc:
        session.rollback()
        return None, pydantic_errors(exc)
    except (ValidationProblem, Conflict) as exc:
        session.rollback()
        return None, problem_errors(exc)


def _changed(values: dict[str, str], shown: dict[str, str], required: tuple[str, ...]) -> dict[str, Any]:
    """Only what the user changed; a required field emptied is sent as None (the service says it cannot be)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value == shown.get(name, ""):
            continue
        out[name] = None if (value == "" and name in required) else value
    return out


# ---- facilities ------------------------------------------------------------------------------------------------


def _facility_shown(f: Facility) -> dict[str, str]:
    return {"code": f.code, "name": f.name, "kind": f.kind, "protection_level": f.protection_level,
            "status": f.status, "division_code": f.division_code, "address": f.address,
            "longitude": f"{f.longitude:.6f}", "latitude": f"{f.latitude:.6f}", "crs": "wgs84",
            "custodian": f.custodian, "custodian_person": f.custodian_person,
            "patrol_interval_days": str(f.patrol_interval_days), "description": f.description}


def _facility_form(request: Request, actor: Actor, values: dict[str, str], errors: dict[str, str],
                   facility: Facility | None) -> Response:
    return render(request, "facility_form.html", {
        "v": values, "errors": errors, "f": facility, "crs_labels": CRS_LABELS, "tiles": _tiles(request),
        "root": actor.jurisdiction or "",
    }, status_code=422 if errors else 200)


@router.get("/facilities/new", response_class=HTMLResponse)
def new_facility(request: Request, actor: RegistryEditor) -> Response:
    values = {name: "" for name in FACILITY_FIELDS} | {"kind": "scattered_grave", "protection_level": "unrated",
                                                         "status": "in_use", "crs": "wgs84",
                                                         "patrol_interval_days": "30",
                                                         "division_code": actor.jurisdiction or ""}
    return _facility_form(request, actor, values, {}, None)


@router.post("/facilities/new", response_class=HTMLResponse)
async def create_facility(request: Request, session: WriteSession, actor: RegistryEditor) -> Response:
    values = form_values(await request.form(), FACILITY_FIELDS)
    given = {k: v for k, v in values.items() if v != ""}
    facility, errors = _attempt(session, FacilityCreate, given,
                                lambda data: facility_service.create_facility(session=session, data=data, actor=actor))
    if errors:
        return _facility_form(request, actor, values, errors, None)
    return RedirectResponse(f"/facilities/{facility.id}", status_code=303)


@router.get("/facilities/{facility_id}/edit", response_class=HTMLResponse)
def edit_facility(request: Request, facility_id: IdPath, session: ReadSession, actor: RegistryEditor) -> Response:
    facility = facility_service.get_facility(session=session, facility_id=facility_id, actor=actor)
    return _facility_form(request, actor, _facility_shown(facility), {}, facility)


@router.post("/facilities/{facility_id}/edit", response_class=HTMLResponse)
async def update_facility(request: Request, facility_id: IdPath, session: WriteSession,
                          actor: RegistryEditor) -> Response:
    facility = facility_service.get_facility(session=session, facility_id=facility_id, actor=actor)
    values = form_values(await request.form(), FACILITY_FIELDS)
    shown = _facility_shown(facility)
    changed = _changed({k: v for k, v in values.items() if k != "code"}, shown, FACILITY_REQUIRED)
    moved = changed.keys() & {"longitude", "latitude", "crs"}
    changed.pop("crs", None)
    if moved:  # a point is always sent whole, in the system it was typed in
        changed.update(longitude=values["longitude"] or None, latitude=values["latitude"] or None,
                       crs=values["crs"] or "wgs84")
    _, errors = _attempt(session, FacilityUpdate, changed, lambda data: facility_service.update_facility(
        session=session, facility=facility, data=data, actor=actor))
    if errors:
        return _facility_form(request, actor, values, errors, facility)
    return RedirectResponse(f"/facilities/{facility_id}", status_code=303)


# ---- martyrs ---------------------------------------------------------------------------------------------------


def _martyr_shown(m: Martyr) -> dict[str, str]:
    return {"name": m.name, "name_variants": "；".join(m.name_variants), "gender": m.gender,
            "ethnicity": m.ethnicity, "birth_date": m.birth_date or "", "death_date": m.death_date or "",
            "hometown": m.hometown, "unit": m.unit, "rank": m.rank, "place_of_death": m.place_of_death,
            "battle": m.battle, "certificate_no": m.certificate_no or "", "biography": m.biography,
            "division_code": m.division_code}


def _martyr_form(request: Request, actor: Actor, values: dict[str, str], errors: dict[str, str],
                 martyr: Martyr | None) -> Response:
    return render(request, "martyr_form.html", {"v": values, "errors": errors, "m": martyr,
                                                "root": actor.jurisdiction or ""},
                  status_code=422 if errors else 200)


@router.get("/martyrs/new", response_class=HTMLResponse)
def new_martyr(request: Request, actor: RegistryEditor) -> Response:
    values = {name: "" for name in MARTYR_FIELDS} | {"gender": "unknown", "division_code": actor.jurisdiction or ""}
    return _martyr_form(request, actor, values, {}, None)


@router.post("/martyrs/new", response_class=HTMLResponse)
async def create_martyr(request: Request, session: WriteSession, actor: RegistryEditor) -> Response:
    values = form_values(await request.form(), MARTYR_FIELDS)
    given = {k: v for k, v in values.items() if v != ""}
    martyr, errors = _attempt(session, MartyrCreate, given,
                              lambda data: martyr_service.create_martyr(session=session, data=data, actor=actor))
    if errors:
        return _martyr_form(request, actor, values, errors, None)
    return RedirectResponse(f"/martyrs/{martyr.id}", status_code=303)


@router.get("/martyrs/{martyr_id}/edit", response_class=HTMLResponse)
def edit_martyr(request: Request, martyr_id: IdPath, session: ReadSession, actor: RegistryEditor) -> Response:
    martyr = martyr_service.get_martyr(session=session, martyr_id=martyr_id, actor=actor)
    return _martyr_form(request, actor, _martyr_shown(martyr), {}, martyr)


@router.post("/martyrs/{martyr_id}/edit", response_class=HTMLResponse)
async def update_martyr(request: Request, martyr_id: IdPath, session: WriteSession, actor: RegistryEditor) -> Response:
    martyr = martyr_service.get_martyr(session=session, martyr_id=martyr_id, actor=actor)
    values = form_values(await request.form(), MARTYR_FIELDS)
    changed = _changed(values, _martyr_shown(martyr), MARTYR_REQUIRED)
    _, errors = _attempt(session, MartyrUpdate, changed, lambda data: martyr_service.update_martyr(
        session=session, martyr=martyr, data=data, actor=actor))
    if errors:
        return _martyr_form(request, actor, values, errors, martyr)
    return RedirectResponse(f"/martyrs/{martyr_id}", status_code=303)


# ---- burials and relatives ---------------------------------------------------------------------------------------


def unburied_martyrs(*, session: Session, actor: Actor, limit: int = 300) -> list[Martyr]:
    """Martyrs of the user's jurisdiction who lie nowhere at present (candidates for a new burial)."""
    lying = select(Burial.martyr_id).where(Burial.until.is_(None))
    stmt = (select(Martyr).where(in_scope(Martyr.division_code, actor), Martyr.id.not_in(lying))
            .order_by(Martyr.name, Martyr.id).limit(limit))
    return list(session.scalars(stmt))


def _burial_form(request: Request, session: Session, actor: Actor, facility: Facility, values: dict[str, str],
                 errors: dict[str, str]) -> Response:
    return render(request, "burial_form.html", {
        "f": facility, "v": values, "errors": errors,
        "candidates": unburied_martyrs(session=session, actor=actor),
    }, status_code=422 if errors else 200)


@router.get("/facilities/{facility_id}/burials/new", response_class=HTMLResponse)
def new_burial(request: Request, facility_id: IdPath, session: ReadSession, actor: RegistryEditor) -> Response:
    facility = facility_service.get_facility(session=session, facility_id=facility_id, actor=actor)
    return _burial_form(request, session, actor, facility, {name: "" for name in BURIAL_FIELDS}, {})


@router.post("/facilities/{facility_id}/burials/new", response_class=HTMLResponse)
async def create_burial(request: Request, facility_id: IdPath, session: WriteSession,
                        actor: RegistryEditor) -> Response:
    facility = facility_service.get_facility(session=session, facility_id=facility_id, actor=actor)
    values = form_values(await request.form(), BURIAL_FIELDS)
    given = {k: v for k, v in values.items() if v != ""}
    _, errors = _attempt(session, BurialCreate, given, lambda data: burial_service.create_burial(
        session=session, facility=facility, data=data, actor=actor))
    if errors:
        return _burial_form(request, session, actor, facility, values, errors)
    return RedirectResponse(f"/facilities/{facility_id}", status_code=303)


@router.post("/martyrs/{martyr_id}/relatives", response_class=HTMLResponse)
async def create_relative(request: Request, martyr_id: IdPath, session: WriteSession,
                          actor: RelativesEditor) -> Response:
    martyr = martyr_service.get_martyr(session=session, martyr_id=martyr_id, actor=actor)
    values = form_values(await request.form(), RELATIVE_FIELDS)
    given = {k: v for k, v in values.items() if v != ""}
    _, errors = _attempt(session, RelativeCreate, given, lambda data: relative_service.create_relative(
        session=session, martyr=martyr, data=data, actor=actor))
    if errors:
        relatives = relative_service.list_relatives(session=session, martyr=martyr, actor=actor)
        return render(request, "relatives.html", {"m": martyr, "relatives": relatives, "v": values,
                                                  "errors": errors}, status_code=422)
    return RedirectResponse(f"/martyrs/{martyr_id}/relatives", status_code=303)


def _relative_form(request: Request, martyr: Martyr, relative_id: int, values: dict[str, str],
                   errors: dict[str, str]) -> Response:
    return render(request, "relative_form.html", {"m": martyr, "relative_id": relative_id, "v": values,
                                                  "errors": errors}, status_code=422 if errors else 200)


@router.get("/martyrs/{martyr_id}/relatives/{relative_id}/edit", response_class=HTMLResponse)
def edit_relative(request: Request, martyr_id: IdPath, relative_id: IdPath, session: WriteSession,
                  actor: RelativesEditor) -> Response:
    # Showing the contacts unmasked is audited, so this page writes.
    martyr = martyr_service.get_martyr(session=session, martyr_id=martyr_id, actor=actor)
    relative = relative_service.get_relative(session=session, martyr=martyr, relative_id=relative_id)
    shown = relative_service.read_for_editing(session=session, relative=relative, actor=actor)
    return _relative_form(request, martyr, relative_id, {k: getattr(shown, k) for k in RELATIVE_FIELDS}, {})


@router.post("/martyrs/{martyr_id}/relatives/{relative_id}/edit", response_class=HTMLResponse)
async def update_relative(request: Request, martyr_id: IdPath, relative_id: IdPath, session: WriteSession,
                          actor: RelativesEditor) -> Response:
    martyr = martyr_service.get_martyr(session=session, martyr_id=martyr_id, actor=actor)
    relative = relative_service.get_relative(session=session, martyr=martyr, relative_id=relative_id)
    values = form_values(await request.form(), RELATIVE_FIELDS)
    _, errors = _attempt(session, RelativeCreate, {k: v for k, v in values.items() if v != ""},
                         lambda data: relative_service.update_relative(session=session, relative=relative, data=data,
                                                                       actor=actor))
    if errors:
        return _relative_form(request, martyr, relative_id, values, errors)
    return RedirectResponse(f"/martyrs/{martyr_id}/relatives", status_code=303)
