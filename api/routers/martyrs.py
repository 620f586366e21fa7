"""/api/v1/martyrs: the people remembered, their burials and relatives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.auth import RegistryEditor, RegistryReader, Requires
from api.deps import Cursor, DivisionPrefix, IdPath, IdQuery, Offset, ReadSession, WriteSession
from api.idempotency import IdempotencyDep
from memorials import martyrs as service
from memorials import relatives as relative_service
from memorials.actors import Actor
from memorials.permissions import Permission
from memorials.schemas import (
    BurialOut,
    KeysetPage,
    MartyrCreate,
    MartyrOut,
    MartyrUpdate,
    Page,
    RelativeCreate,
    RelativeOut,
)

router = APIRouter(prefix="/api/v1/martyrs", tags=["martyrs"])

RelativesReader = Annotated[Actor, Requires(Permission.relatives_read)]
RelativesEditor = Annotated[Actor, Requires(Permission.relatives_edit)]


@router.get("", response_model=KeysetPage[MartyrOut])
def list_martyrs(
    session: ReadSession,
    actor: RegistryReader,
    q: Annotated[str | None, Query(max_length=100, description="name in simplified or traditional characters, "
                                                              "pinyin initials (zds), or certificate number")] = None,
    fuzzy: Annotated[bool, Query(description="names alike (trigram similarity), the most alike first")] = False,
    division: DivisionPrefix = None,
    facility_id: IdQuery = None,
    hometown: Annotated[str | None, Query(max_length=100, description="hometown as recorded (黄安县) or today's "
                                                                      "name (红安县)")] = None,
    unit: Annotated[str | None, Query(max_length=100)] = None,
    battle: Annotated[str | None, Query(max_length=100)] = None,
    death_year: Annotated[int | None, Query(ge=1800, le=2100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> Response:
    """Martyrs by name, hometown, unit, battle; ``total`` is estimated (``total_estimated``) past 10,000 matches."""
    page = service.list_martyrs(session=session, actor=actor, q=q.strip() if q and q.strip() else None, fuzzy=fuzzy,
                                division=division, facility_id=facility_id, hometown=hometown, unit=unit,
                                battle=battle, death_year=death_year, limit=limit, offset=offset, cursor=cursor)
    out = KeysetPage[MartyrOut](items=[MartyrOut.model_validate(m) for m in page.items], total=page.total,
                                limit=limit, offset=offset, total_estimated=page.total_estimated,
                                next_cursor=page.next_cursor)
    return Response(out.model_dump_json(), media_type="application/json")


@router.post("", status_code=201, response_model=MartyrOut)
def create_martyr(data: MartyrCreate, session: WriteSession, actor: RegistryEditor, idem: IdempotencyDep) -> Response:
    return idem.respond(session=session, actor=actor, produce=lambda: MartyrOut.model_validate(
        service.create_martyr(session=session, data=data, actor=actor)))


@router.get("/{martyr_id}", response_model=MartyrOut)
def get_martyr(martyr_id: IdPath, session: ReadSession, actor: RegistryReader) -> MartyrOut:
    return MartyrOut.model_validate(service.get_martyr(session=session, martyr_id=martyr_id, actor=actor))


@router.patch("/{martyr_id}", response_model=MartyrOut)
def update_martyr(martyr_id: IdPath, data: MartyrUpdate, session: WriteSession, actor: RegistryEditor) -> MartyrOut:
    martyr = service.get_martyr(session=session, martyr_id=martyr_id, actor=actor)
    return MartyrOut.model_validate(service.update_martyr(session=session, martyr=martyr, data=data, actor=actor))


@router.get("/{martyr_id}/burials", response_model=Page[BurialOut])
def martyr_burials(martyr_id: IdPath, session: ReadSession, actor: RegistryReader) -> Page[BurialOut]:
    martyr = service.get_martyr(session=session, martyr_id=martyr_id, actor=actor)
    items = [
        BurialOut(id=b.id, facility_id=b.facility_id, martyr_id=b.martyr_id, martyr_name=martyr.name, plot=b.plot,
                  since=b.since, until=b.until, note=b.note)
        for b, _ in service.burial_history(session=session, martyr=martyr)
    ]
    return Page[BurialOut](items=items, total=len(items), limit=len(items), offset=0)


@router.get("/{martyr_id}/relatives", response_model=Page[RelativeOut])
def list_relatives(martyr_id: IdPath, session: WriteSession, actor: RelativesReader) -> Page[RelativeOut]:
    martyr = service.get_martyr(session=session, martyr_id=martyr_id, actor=actor)
    views = relative_service.list_relatives(session=session, martyr=martyr, actor=actor)
    items = views
    return Page[RelativeOut](items=items, total=len(items), limit=len(items), offset=0)


@router.post("/{martyr_id}/relatives", status_code=201, response_model=RelativeOut)
def create_relative(
    martyr_id: IdPath, data: RelativeCreate, session: WriteSession, actor: RelativesEditor, idem: IdempotencyDep
) -> Response:
    martyr = service.get_martyr(session=session, martyr_id=martyr_id, actor=actor)

    def produce() -> RelativeOut:
        relative = relative_service.create_relative(session=session, martyr=martyr, data=data, actor=actor)
        return relative_service.view(relative, unmasked=relative_service.may_see_contacts(actor))

    return idem.respond(session=session, actor=actor, produce=produce)
