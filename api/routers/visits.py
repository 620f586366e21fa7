"""/api/v1/proxy-visits and /api/v1/trips (visits made for families, and with them), and the organisers' side of
the online tribute: the moderation queue and publishing a martyr's page."""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, TypeAdapter, ValidationError

from api.deps import DivisionPrefix, IdPath, Offset, ReadSession, WriteSession
from api.idempotency import IdempotencyDep
from api.routers.events import Reader, Runner, Year, phone_for, today
from api.routers.evidence import photo_url
from commemoration import proxy, tribute, trips
from commemoration.models import ProxyVisit, TributeMessage, Trip
from commemoration.schemas import (
    MessageOut,
    ModerationIn,
    PhotoOut,
    ProxyRequestIn,
    ProxyTransitionIn,
    ProxyVisitOut,
    TripIn,
    TripOut,
    TripUpdate,
)
from commemoration.vocab import MessageStatus, ProxyState, TripStatus
from evidence.location import Thresholds
from evidence.models import Attachment
from evidence.uploads import Limits, Upload, accept
from memorials import idempotency
from memorials.actors import Actor
from memorials.db import transaction
from memorials.errors import ValidationProblem
from memorials.idempotency import Replay
from memorials.schemas import Input, Page

router = APIRouter(tags=["commemoration"])


def photo_out(a: Attachment) -> PhotoOut:
    return PhotoOut(sha256=a.sha256, taken_at=a.taken_at, distance_m=a.distance_m, verification=a.verification,
                    url=photo_url(a.sha256, "screen"), thumb=photo_url(a.sha256, "thumb"))


def visit_out(session, v: ProxyVisit, actor: Actor, token: str | None = None) -> ProxyVisitOut:  # type: ignore[no-untyped-def]
    return ProxyVisitOut(
        id=v.id, martyr_id=v.martyr_id, martyr_name=v.martyr.name, facility_id=v.facility_id,
        facility_name=v.facility.name, requester_name=v.requester_name,
        requester_phone=phone_for(actor, v.requester_phone), relation=v.relation, message=v.message, status=v.status,
        assignee_id=v.assignee_id, visited_on=v.visited_on, acts=list(v.acts or []), call_note=v.call_note,
        photos=[photo_out(a) for a in v.photos], created_at=v.created_at,
        family_link=f"/tribute/visits/{token}" if token else None, link_expires_at=v.token_expires_at)


def trip_out(t: Trip) -> TripOut:
    return TripOut(id=t.id, event_id=t.event_id, division_code=t.division_code, martyr_id=t.martyr_id,
                   martyr_name=t.martyr_name, destination_facility_id=t.destination_facility_id,
                   destination_name=t.destination_name, destination_place=t.destination_place,
                   receiving_bureau=t.receiving_bureau, receiving_division_code=t.receiving_division_code,
                   receiving_contact=t.receiving_contact, people=t.people, depart_on=t.depart_on,
                   return_on=t.return_on, status=t.status, outcome=t.outcome, issuing_bureau=t.issuing_bureau,
                   letter_no=t.letter_no, issued_on=t.issued_on)


def message_out(m: TributeMessage) -> MessageOut:
    return MessageOut(id=m.id, martyr_id=m.martyr_id, text=m.text, author=m.author, status=m.status,
                      created_at=m.created_at)


# --- proxy visits -------------------------------------------------------------------------------------------------

@router.get("/api/v1/proxy-visits", response_model=Page[ProxyVisitOut])
def list_proxy_visits(
    session: ReadSession, actor: Reader, division: DivisionPrefix = None, status: ProxyState | None = None,
    year: Year = None, limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Offset = 0,
) -> Page[ProxyVisitOut]:
    query = proxy.VisitQuery(division=division, status=status.value if status else None, year=year)
    items, total = proxy.list_visits(session=session, actor=actor, query=query, limit=limit, offset=offset)
    return Page[ProxyVisitOut](items=[visit_out(session, v, actor) for v in items], total=total, limit=limit,
                               offset=offset)


@router.post("/api/v1/proxy-visits", status_code=201, response_model=ProxyVisitOut)
def create_proxy_visit(data: ProxyRequestIn, session: WriteSession, actor: Runner, idem: IdempotencyDep) -> Response:
    """Record a family's request taken by phone or at the counter (families also use ``/tribute``)."""
    def produce() -> BaseModel:
        return visit_out(session, proxy.request_office(session=session, actor=actor, data=data), actor)

    return idem.respond(session=session, actor=actor, produce=produce)


@router.get("/api/v1/proxy-visits/{visit_id}", response_model=ProxyVisitOut)
def get_proxy_visit(visit_id: IdPath, session: ReadSession, actor: Reader) -> ProxyVisitOut:
    return visit_out(session, proxy.get_visit(session=session, visit_id=visit_id, actor=actor), actor)


@router.post("/api/v1/proxy-visits/{visit_id}/transitions", response_model=ProxyVisitOut)
def proxy_visit_step(visit_id: IdPath, data: ProxyTransitionIn, session: WriteSession, actor: Runner
                     ) -> ProxyVisitOut:
    """``{"to": "assigned", "assignee_id"}``, ``{"to": "visited", "date", "acts": [...], "call_note"}``,
    ``{"to": "notified", "link_days"}`` (answers the family's private link once), ``{"to": "declined", "reason"}``."""
    visit = proxy.get_visit(session=session, visit_id=visit_id, actor=actor, lock=True)
    outcome = proxy.take_step(session=session, actor=actor, visit=visit, data=data, today=today())
    return visit_out(session, outcome.visit, actor, outcome.link_token)


class _Position(BaseModel):
    longitude: float
    latitude: float
    crs: str = "wgs84"


@router.post("/api/v1/proxy-visits/{visit_id}/photos", status_code=201, response_model=list[PhotoOut])
def add_proxy_photos(
    request: Request, visit_id: IdPath, actor: Runner, idem: IdempotencyDep,
    photos: Annotated[list[UploadFile], File(description="photos taken at the grave (JPEG, PNG, HEIC)")],
    position: Annotated[str | None, Form(max_length=500, description='the phone\'s {"longitude", "latitude", '
                                                                      '"crs"}')] = None,
) -> Response:
    """Photos of the visit, proven against the grave's facility like patrol photos (multipart)."""
    state = request.app.state
    settings = state.settings
    with transaction(state.read_sessions) as session:
        proxy.get_visit(session=session, visit_id=visit_id, actor=actor)
    if len(photos) > settings.max_photos_per_inspection:
        raise ValidationProblem("photos", f"at most {settings.max_photos_per_inspection} photos at once")
    device = None
    if position:
        try:
            spot = TypeAdapter(_Position).validate_json(position)
        except ValidationError:
            raise ValidationProblem("position", 'expected {"longitude": …, "latitude": …, "crs": "wgs84"}') from None
        device = (spot.longitude, spot.latitude, spot.crs)
    uploads = [Upload.read(f.file, filename=f.filename or "", max_bytes=settings.max_photo_bytes,
                           field=f"photos[{i}]") for i, f in enumerate(photos)]
    print_ = idempotency.fingerprint(json.dumps([position]), *(u.sha256 for u in uploads))
    if idem.key is not None and actor.user_id is not None:
        with transaction(state.read_sessions) as session:
            answer = idempotency.find(session=session, user_id=actor.user_id, key=idem.key, method=idem.method,
                                      path=idem.path, print_=print_)
        if answer is not None:
            raise Replay(answer)
    accepted = accept(uploads, store=state.evidence_store, limits=Limits.of(settings), field="photos")
    thresholds = Thresholds(settings.photo_verify_radius_m, settings.position_gap_flag_m)
    with transaction(state.write_sessions) as session:
        record = (idempotency.claim(session=session, user_id=actor.user_id, key=idem.key, method=idem.method,
                                    path=idem.path, print_=print_)
                  if idem.key is not None and actor.user_id is not None else None)
        visit = proxy.get_visit(session=session, visit_id=visit_id, actor=actor, lock=True)
        rows = proxy.add_photos(session=session, actor=actor, visit=visit, files=accepted, device=device,
                                thresholds=thresholds)
        body = TypeAdapter(list[PhotoOut]).dump_json([photo_out(r) for r in rows]).decode()
        if record is not None:
            idempotency.complete(session=session, record=record, status_code=201, body=body)
    return Response(body, status_code=201, media_type="application/json")


# --- trips --------------------------------------------------------------------------------------------------------

@router.get("/api/v1/trips", response_model=Page[TripOut])
def list_trips(
    session: ReadSession, actor: Reader, division: DivisionPrefix = None, year: Year = None,
    status: TripStatus | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Offset = 0,
) -> Page[TripOut]:
    query = trips.TripQuery(division=division, year=year, status=status.value if status else None)
    items, total = trips.list_trips(session=session, actor=actor, query=query, limit=limit, offset=offset)
    return Page[TripOut](items=[trip_out(t) for t in items], total=total, limit=limit, offset=offset)


@router.post("/api/v1/trips", status_code=201, response_model=TripOut)
def create_trip(data: TripIn, session: WriteSession, actor: Runner, idem: IdempotencyDep) -> Response:
    """A cross-region trip with its people; its letter of introduction is numbered at once."""
    def produce() -> BaseModel:
        return trip_out(trips.create_trip(session=session, actor=actor, data=data, today=today(),
                                          idempotency_key=idem.key))

    return idem.respond(session=session, actor=actor, produce=produce)


@router.get("/api/v1/trips/{trip_id}", response_model=TripOut)
def get_trip(trip_id: IdPath, session: ReadSession, actor: Reader) -> TripOut:
    return trip_out(trips.get_trip(session=session, trip_id=trip_id, actor=actor))


@router.patch("/api/v1/trips/{trip_id}", response_model=TripOut)
def update_trip(trip_id: IdPath, data: TripUpdate, session: WriteSession, actor: Runner) -> TripOut:
    """Record the trip's outcome and close it (``{"status": "completed", "outcome": "..."}``), or cancel it."""
    trip = trips.get_trip(session=session, trip_id=trip_id, actor=actor)
    return trip_out(trips.update_trip(session=session, actor=actor, trip=trip, data=data))


@router.get("/api/v1/trips/{trip_id}/letter.pdf", response_class=Response)
def trip_letter(trip_id: IdPath, session: ReadSession, actor: Reader) -> Response:
    """The letter of introduction (介绍信) as PDF, with the people, the martyr, the destination and its number."""
    trip = trips.get_trip(session=session, trip_id=trip_id, actor=actor)
    pdf = trips.letter(session=session, trip=trip)
    filename = quote(f"介绍信_{trip.letter_no}.pdf")
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f"inline; filename*=UTF-8''{filename}"})


# --- the tribute's moderation and publishing ---------------------------------------------------------------

@router.get("/api/v1/tribute/messages", response_model=Page[MessageOut])
def moderation_queue(session: ReadSession, actor: Runner, status: MessageStatus | None = MessageStatus.pending,
                     limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Offset = 0) -> Page[MessageOut]:
    items, total = tribute.messages_for_moderation(session=session, actor=actor,
                                                   status=status.value if status else None, limit=limit,
                                                   offset=offset)
    return Page[MessageOut](items=[message_out(m) for m in items], total=total, limit=limit, offset=offset)


@router.patch("/api/v1/tribute/messages/{message_id}", response_model=MessageOut)
def moderate_message(message_id: IdPath, data: ModerationIn, session: WriteSession, actor: Runner) -> MessageOut:
    """Approve or reject a message (``{"status": "approved"}`` or ``"rejected"``); audited."""
    return message_out(tribute.moderate(session=session, actor=actor, message_id=message_id, status=data.status))


class PublishIn(Input):
    public: bool


@router.put("/api/v1/tribute/pages/{martyr_id}")
def publish_page(martyr_id: IdPath, data: PublishIn, session: WriteSession, actor: Runner) -> dict:
    """Show (or hide) a martyr's public tribute page."""
    page = tribute.publish(session=session, actor=actor, martyr_id=martyr_id, public=data.public)
    return {"martyr_id": page.martyr_id, "public": page.public, "flowers": page.flowers}
