"""/api/v1/facilities: register, change and find facilities, and who lies there."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from api.auth import RegistryEditor, RegistryReader
from api.deps import Cursor, DivisionPrefix, IdPath, Offset, ReadSession, WriteSession, query_problem
from api.geojson import dumps, facility_collection, plain_facility
from api.idempotency import IdempotencyDep
from gis.coords import CoordinateError, check_point
from gis.geodesy import parse_bbox
from memorials import burials as burial_service
from memorials import facilities as service
from memorials.models import Facility
from memorials.schemas import (
    BurialCreate,
    BurialOut,
    FacilityCreate,
    FacilityOut,
    FacilityUpdate,
    KeysetPage,
    Page,
)
from memorials.vocab import parse_kind, parse_level, parse_status

router = APIRouter(prefix="/api/v1/facilities", tags=["facilities"])

MAX_LIMIT = 10_000


def _split(value: str | None, parser, field: str) -> list[str]:  # type: ignore[no-untyped-def]
    if not value:
        return []
    out = []
    for part in value.split(","):
        if not part.strip():
            continue
        code = parser(part)
        if code is None:
            raise query_problem(field, f"unknown value {part.strip()!r}")
        out.append(code)
    return out


async def facility_query(
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat (WGS84)")] = None,
    near: Annotated[str | None, Query(description="lon,lat (WGS84): nearest first")] = None,
    within_m: Annotated[float | None, Query(gt=0, le=5_000_000, description="with near: only within this many metres")] = None,
    division: DivisionPrefix = None,
    kind: Annotated[str | None, Query(description="one or more kinds, comma-separated")] = None,
    protection_level: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=100, description="text in name, code or address")] = None,
) -> service.FacilityQuery:
    query = service.FacilityQuery(
        kinds=_split(kind, parse_kind, "kind"),
        protection_levels=_split(protection_level, parse_level, "protection_level"),
        statuses=_split(status, parse_status, "status"),
        q=q.strip() if q and q.strip() else None,
        within_m=within_m,
    )
    if bbox:
        try:
            query.bbox = parse_bbox(bbox)
        except ValueError as exc:
            raise query_problem("bbox", str(exc).removeprefix("bbox: ")) from None
    if near:
        parts = near.split(",")
        if len(parts) != 2:
            raise query_problem("near", "expected lon,lat")
        try:
            query.near = check_point(parts[0], parts[1], lon_field="near", lat_field="near")
        except CoordinateError as exc:
            raise query_problem("near", exc.reason) from None
    elif within_m is not None:
        raise query_problem("within_m", "needs near=lon,lat")
    query.division = division
    return query


FacilityFilter = Annotated[service.FacilityQuery, Depends(facility_query)]


def _out(facility: Facility, distance: float | None = None) -> FacilityOut:
    out = FacilityOut.model_validate(facility)
    out.distance_m = round(distance, 1) if distance is not None else None
    return out


@router.get("", response_model=KeysetPage[FacilityOut], responses={200: {"content": {"application/geo+json": {}}}})
def list_facilities(
    request: Request,
    session: ReadSession,
    actor: RegistryReader,
    query: FacilityFilter,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
    f: Annotated[Literal["json", "geojson"] | None, Query(description="geojson for a FeatureCollection")] = None,
) -> Response:
    """Facilities matching the filters; ``total`` is estimated (``total_estimated``) past 10,000 matches."""
    page = service.list_facilities(session=session, query=query, actor=actor, limit=limit, offset=offset,
                                   cursor=cursor, with_divisions=False, plain=True)
    items = [plain_facility(row, d) for row, d in page.rows]  # FacilityOut's JSON, without the models
    wants_geojson = f == "geojson" or (f is None and "application/geo+json" in request.headers.get("accept", ""))
    if wants_geojson:
        body = facility_collection(items, total=page.total, limit=limit, offset=offset)
        body.update(total_estimated=page.total_estimated, next_cursor=page.next_cursor)
        return Response(dumps(body), media_type="application/geo+json")
    return Response(dumps({"items": items, "total": page.total, "limit": limit, "offset": offset,
                           "total_estimated": page.total_estimated, "next_cursor": page.next_cursor}),
                    media_type="application/json")


@router.post("", status_code=201, response_model=FacilityOut)
def create_facility(data: FacilityCreate, session: WriteSession, actor: RegistryEditor, idem: IdempotencyDep) -> Response:
    return idem.respond(session=session, actor=actor,
                        produce=lambda: _out(service.create_facility(session=session, data=data, actor=actor)))


@router.get("/{facility_id}", response_model=FacilityOut)
def get_facility(facility_id: IdPath, session: ReadSession, actor: RegistryReader) -> FacilityOut:
    return _out(service.get_facility(session=session, facility_id=facility_id, actor=actor))


@router.patch("/{facility_id}", response_model=FacilityOut)
def update_facility(facility_id: IdPath, data: FacilityUpdate, session: WriteSession, actor: RegistryEditor) -> FacilityOut:
    facility = service.get_facility(session=session, facility_id=facility_id, actor=actor)
    return _out(service.update_facility(session=session, facility=facility, data=data, actor=actor))


def _burial_out(burial, martyr) -> BurialOut:  # type: ignore[no-untyped-def]
    return BurialOut(id=burial.id, facility_id=burial.facility_id, martyr_id=burial.martyr_id, martyr_name=martyr.name,
                     plot=burial.plot, since=burial.since, until=burial.until, note=burial.note)


@router.get("/{facility_id}/burials", response_model=Page[BurialOut])
def list_burials(
    facility_id: IdPath,
    session: ReadSession,
    actor: RegistryReader,
    current: Annotated[bool, Query(description="only those lying there now")] = False,
) -> Page[BurialOut]:
    facility = service.get_facility(session=session, facility_id=facility_id, actor=actor)
    rows = burial_service.list_burials(session=session, facility=facility, include_ended=not current)
    items = [_burial_out(b, m) for b, m in rows]
    return Page[BurialOut](items=items, total=len(items), limit=len(items), offset=0)


@router.post("/{facility_id}/burials", status_code=201, response_model=BurialOut)
def create_burial(
    facility_id: IdPath, data: BurialCreate, session: WriteSession, actor: RegistryEditor, idem: IdempotencyDep
) -> Response:
    facility = service.get_facility(session=session, facility_id=facility_id, actor=actor)

    def produce() -> BurialOut:
        burial = burial_service.create_burial(session=session, facility=facility, data=data, actor=actor)
        return _burial_out(burial, burial.martyr)

    return idem.respond(session=session, actor=actor, produce=produce)
