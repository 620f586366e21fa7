"""/api/v1/events, bookings, proxy visits, trips, the Qingming calendar and the tribute's moderation queue."""

from __future__ import annotations

import datetime as dt
import json
from datetime import date, time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, TypeAdapter, ValidationError

from api.auth import Public, Requires
from api.deps import DivisionPrefix, IdPath, Offset, ReadSession, WriteSession, query_problem
from api.idempotency import IdempotencyDep
from api.routers.evidence import photo_url
from commemoration import events as service
from commemoration import itinerary, proxy, readiness, tribute, trips
from commemoration.calendar import martyrs_day, qingming
from commemoration.figures import check_year, figures
from commemoration.models import Booking, Event, ProxyVisit, Slot, TributeMessage, Trip
from commemoration.routing import clock_text
from commemoration.schemas import (
    BookingIn,
    BookingOut,
    CalendarOut,
    EventIn,
    EventOut,
    EventUpdate,
    GroupIn,
    GroupOut,
    MessageOut,
    ModerationIn,
    PhotoOut,
    ProxyRequestIn,
    ProxyTransitionIn,
    ProxyVisitOut,
    SlotIn,
    SlotOut,
    StopOut,
    TripIn,
    TripOut,
    TripUpdate,
)
from commemoration.vocab import EventKind, EventStatus, MessageStatus, ProxyState, TripStatus
from evidence.location import Thresholds
from evidence.models import Attachment
from evidence.uploads import Limits, Upload, accept
from memorials import clock, idempotency
from memorials.actors import Actor
from memorials.db import transaction
from memorials.errors import ValidationProblem
from memorials.idempotency import Replay
from memorials.permissions import Permission, allowed
from memorials.relatives import mask_phone
from memorials.schemas import Input, Page

router = APIRouter(tags=["commemoration"])

Reader = Annotated[Actor, Requires(Permission.events_read)]
Runner = Annotated[Actor, Requires(Permission.events_run)]
Year = Annotated[int | None, Query(ge=1900, le=2100, description="the year, YYYY (this year if not given)")]


def _today() -> date:
    return clock.today()


def _phone(actor: Actor, phone: str) -> str:
    return phone if allowed(actor.role, Permission.events_run) else mask_phone(phone)


def event_out(event: Event, actor: Actor) -> EventOut:
    return EventOut(
        id=event.id, name=event.name, kind=event.kind, date=event.date, end_date=event.end_date,
        organiser=event.organiser, division_code=event.division_code, facility_ids=event.facility_ids,
        stops=[StopOut(facility_id=s.facility_id, name=s.facility.name, code=s.facility.code, position=s.position,
                       longitude=s.facility.longitude, latitude=s.facility.latitude) for s in event.stops],
        groups=[GroupOut(id=g.id, kind=g.kind, name=g.name, headcount=g.headcount, contact_name=g.contact_name,
                         contact_phone=_phone(actor, g.contact_phone)) for g in event.groups],
        readiness_days=event.readiness_days, notes=event.notes, status=event.status,
        people=sum(g.headcount for g in event.groups))


def slot_out(slot: Slot) -> SlotOut:
    return SlotOut(id=slot.id, event_id=slot.event_id, facility_id=slot.facility_id, facility_name=slot.facility.name,
                   date=slot.date, start=slot.start_time, end=slot.end_time, capacity=slot.capacity,
                   booked=slot.booked, remaining=slot.remaining)


def booking_out(b: Booking, actor: Actor) -> BookingOut:
    s = b.slot
    return BookingOut(id=b.id, slot_id=s.id, facility_id=s.facility_id, date=s.date, start=s.start_time,
                      end=s.end_time, group_name=b.group_name, people=b.people, contact_name=b.contact_name,
                      contact_phone=_phone(actor, b.contact_phone), status=b.status, remaining=s.remaining)


def photo_out(a: Attachment) -> PhotoOut:
    return PhotoOut(sha256=a.sha256, taken_at=a.taken_at, distance_m=a.distance_m, verification=a.verification,
                    url=photo_url(a.sha256, "screen"), thumb=photo_url(a.sha256, "thumb"))


def visit_out(session, v: ProxyVisit, actor: Actor, token: str | None = None) -> ProxyVisitOut:  # type: ignore[no-untyped-def]
    return ProxyVisitOut(
        id=v.id, martyr_id=v.martyr_id, martyr_name=v.martyr.name, facility_id=v.facility_id,
        facility_name=v.facility.name, requester_name=v.requester_name,
        requester_phone=_phone(actor, v.requester_phone), relation=v.relation, message=v.message, status=v.status,
        assignee_id=v.assignee_id, visited_on=v.visited_on, acts=list(v.acts or []), call_note=v.call_note,
        photos=[photo_out(a) for a in proxy.photos_of(session, v.id)], created_at=v.created_at,
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


# --- calendar -----------------------------------------------------------------------------------------------------

@router.get("/api/v1/calendar/qingming", response_model=CalendarOut, dependencies=[Public])
def calendar_qingming(year: Year = None) -> CalendarOut:
    """Qingming's date (清明, the fifth solar term) for a year, computed from the solar terms."""
    the_year = year or _today().year
    return CalendarOut(year=the_year, date=qingming(the_year), name="清明节")


@router.get("/api/v1/calendar/martyrs-day", response_model=CalendarOut, dependencies=[Public])
def calendar_martyrs_day(year: Year = None) -> CalendarOut:
    """Martyrs' Day (烈士纪念日), 30 September by the NPC Standing Committee's decision of 2014."""
    the_year = year or _today().year
    return CalendarOut(year=the_year, date=martyrs_day(the_year), name="烈士纪念日")


# --- events -------------------------------------------------------------------------------------------------------

@router.get("/api/v1/events", response_model=Page[EventOut])
def list_events(
    session: ReadSession, actor: Reader, division: DivisionPrefix = None, kind: EventKind | None = None,
    status: EventStatus | None = None, year: Year = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Offset = 0,
) -> Page[EventOut]:
    query = service.EventQuery(division=division, kind=kind.value if kind else None,
                               status=status.value if status else None, year=year)
    items, total = service.list_events(session=session, actor=actor, query=query, limit=limit, offset=offset)
    return Page[EventOut](items=[event_out(e, actor) for e in items], total=total, limit=limit, offset=offset)


@router.post("/api/v1/events", status_code=201, response_model=EventOut)
def create_event(data: EventIn, session: WriteSession, actor: Runner, idem: IdempotencyDep) -> Response:
    """Plan an event: its stops (``facility_ids`` in visiting order) and groups (header ``Idempotency-Key``)."""
    def produce() -> BaseModel:
        return event_out(service.create_event(session=session, actor=actor, data=data, idempotency_key=idem.key),
                         actor)

    return idem.respond(session=session, actor=actor, produce=produce)


@router.get("/api/v1/events/{event_id}", response_model=EventOut)
def get_event(event_id: IdPath, session: ReadSession, actor: Reader) -> EventOut:
    return event_out(service.get_event(session=session, event_id=event_id, actor=actor), actor)


@router.patch("/api/v1/events/{event_id}", response_model=EventOut)
def update_event(event_id: IdPath, data: EventUpdate, session: WriteSession, actor: Runner) -> EventOut:
    event = service.get_event(session=session, event_id=event_id, actor=actor, lock=True)
    return event_out(service.update_event(session=session, actor=actor, event=event, data=data), actor)


class ReadinessOut(BaseModel):
    event_id: int
    event_date: dt.date
    window_from: dt.date
    deadline: dt.date
    figures: dict[str, int]
    summary: str
    stops: list[dict]
    warnings: list[dict]


@router.get("/api/v1/events/{event_id}/readiness", response_model=ReadinessOut)
def event_readiness(event_id: IdPath, session: ReadSession, actor: Reader) -> ReadinessOut:
    """Per stop: inspected within the window, safety items ok, no serious open defect, not under repair;
    the warnings per custodian with the deadline; the figures as bureaus report them."""
    event = service.get_event(session=session, event_id=event_id, actor=actor)
    b = readiness.board(session=session, event=event)
    from commemoration.vocab import EVENT_KIND_LABELS

    return ReadinessOut(
        event_id=b.event_id, event_date=b.event_date, window_from=b.window_from, deadline=b.deadline,
        figures=b.figures, summary=readiness.summary_line(b, EVENT_KIND_LABELS[event.kind]),
        stops=[{**{k: getattr(r, k) for k in ("facility_id", "code", "name", "custodian", "last_inspection_id",
                                                "last_inspected_on", "last_inspection_level", "inspected_in_window",
                                                "safety_ok", "serious_defects", "under_repair",
                                                "repaired_in_window", "missing")}, "ready": r.ready}
               for r in b.stops],
        warnings=[{"custodian": w.custodian, "custodian_person": w.custodian_person, "deadline": w.deadline,
                   "stops": w.stops} for w in b.warnings])


# --- slots and bookings -------------------------------------------------------------------------------------------

@router.get("/api/v1/events/{event_id}/slots", response_model=list[SlotOut])
def list_slots(event_id: IdPath, session: ReadSession, actor: Reader,
               facility_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
               day: Annotated[date | None, Query(alias="date")] = None) -> list[SlotOut]:
    event = service.get_event(session=session, event_id=event_id, actor=actor)
    return [slot_out(s) for s in service.event_slots(session=session, event_id=event.id, facility_id=facility_id,
                                                     day=day)]


class SlotsIn(Input):
    slots: list[SlotIn]


@router.post("/api/v1/events/{event_id}/slots", status_code=201, response_model=list[SlotOut])
def add_slots(event_id: IdPath, data: SlotIn | SlotsIn, session: WriteSession, actor: Runner,
              idem: IdempotencyDep) -> Response:
    """Open one slot (``{facility_id, date, start, end, capacity}``) or several (``{"slots": [...]}``)."""
    class _Out(BaseModel):
        items: list[SlotOut]

    def produce() -> BaseModel:
        event = service.get_event(session=session, event_id=event_id, actor=actor, lock=True)
        rows = service.add_slots(session=session, actor=actor, event=event,
                                 slots=data.slots if isinstance(data, SlotsIn) else [data])
        return _Out(items=[slot_out(s) for s in rows])

    service.get_event(session=session, event_id=event_id, actor=actor)
    answer = idem.respond(session=session, actor=actor, produce=produce)
    body = json.loads(answer.body)
    return Response(json.dumps(body["items"], ensure_ascii=False), status_code=answer.status_code,
                    media_type="application/json")


@router.post("/api/v1/bookings", status_code=201, response_model=BookingOut,
             responses={409: {"description": "not enough places: `remaining` and `next_free_slot` say what is left"}})
def create_booking(data: BookingIn, session: WriteSession, actor: Runner, idem: IdempotencyDep) -> Response:
    """Book places in a slot for a group; refused (409) beyond capacity, naming what remains and the next free slot."""
    def produce() -> BaseModel:
        booking = service.book(session=session, actor=actor, data=data, today=_today(), idempotency_key=idem.key)
        return booking_out(booking, actor)

    return idem.respond(session=session, actor=actor, produce=produce)


@router.get("/api/v1/bookings/{booking_id}", response_model=BookingOut)
def get_booking(booking_id: IdPath, session: ReadSession, actor: Reader) -> BookingOut:
    return booking_out(service.get_booking(session=session, booking_id=booking_id, actor=actor), actor)


@router.delete("/api/v1/bookings/{booking_id}", response_model=BookingOut)
def cancel_booking(booking_id: IdPath, session: WriteSession, actor: Runner,
                   reason: Annotated[str, Query(max_length=200)] = "") -> BookingOut:
    """Cancel a booking: its places are freed; the booking is kept with status ``cancelled``."""
    booking = service.get_booking(session=session, booking_id=booking_id, actor=actor)
    return booking_out(service.cancel(session=session, actor=actor, booking=booking, reason=reason), actor)


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
    outcome = proxy.take_step(session=session, actor=actor, visit=visit, data=data, today=_today())
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
        return trip_out(trips.create_trip(session=session, actor=actor, data=data, today=_today(),
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


# --- figures and moderation ---------------------------------------------------------------------------------------

@router.get("/api/v1/commemoration/summary")
def commemoration_summary(session: ReadSession, actor: Reader, division: DivisionPrefix = None,
                          year: Year = None) -> dict:
    """The year's figures: sites inspected before Qingming, repaired in time, bookings, proxy visits, trips."""
    the_year = year or _today().year
    try:
        check_year(the_year, today=_today())
    except ValidationProblem as exc:
        raise query_problem("year", exc.reason) from None
    return figures(session=session, actor=actor, division=division or "", year=the_year)


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


@router.post("/api/v1/events/{event_id}/groups", status_code=201, response_model=EventOut)
def add_group(event_id: IdPath, data: GroupIn, session: WriteSession, actor: Runner, idem: IdempotencyDep) -> Response:
    """Add a taking-part group (school, unit, families) with its headcount and contact."""
    def produce() -> BaseModel:
        event = service.get_event(session=session, event_id=event_id, actor=actor, lock=True)
        return event_out(service.add_group(session=session, actor=actor, event=event, data=data), actor)

    service.get_event(session=session, event_id=event_id, actor=actor)
    return idem.respond(session=session, actor=actor, produce=produce)


# --- the day's route and the letter of introduction ---------------------------------------------------------------

class LegOut(BaseModel):
    number: int
    facility_id: int
    name: str
    distance_m: float
    arrive: str
    start: str
    leave: str
    wait_minutes: int
    window: str | None


class RouteOut(BaseModel):
    event_id: int
    date: dt.date
    start: str
    depart: str
    total_m: float
    feasible: bool
    violations: list[str]
    legs: list[LegOut]
    back_m: float | None


class RouteIn(Input):
    date: dt.date | None = None
    depart: str = "08:00"
    matrix_m: list[list[float]] | None = None
    """Road distances in metres from a routing engine: rows and columns are the start, then the stops in the
    event's order."""
    round_trip: bool = True


def _depart(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ValidationProblem("depart", "a time of day, HH:MM") from None


def route_out(event: Event, route) -> RouteOut:  # type: ignore[no-untyped-def]
    def hm(moment) -> str:  # type: ignore[no-untyped-def]
        return clock_text(moment, route.depart)

    return RouteOut(
        event_id=event.id, date=route.depart.date(), start=route.start.name, depart=hm(route.depart),
        total_m=round(route.total_m, 1), feasible=route.feasible, violations=route.violations,
        back_m=round(route.back.distance_m, 1) if route.back else None,
        legs=[LegOut(number=i, facility_id=leg.stop.key, name=leg.stop.name, distance_m=round(leg.distance_m, 1),
                     arrive=hm(leg.arrive), start=hm(leg.start), leave=hm(leg.leave), wait_minutes=leg.wait_minutes,
                     window=(f"{leg.stop.window[0]:%H:%M}–{leg.stop.window[1]:%H:%M}" if leg.stop.window else None))
              for i, leg in enumerate(route.legs, start=1)])


@router.get("/api/v1/events/{event_id}/route", response_model=RouteOut)
def event_route(event_id: IdPath, session: ReadSession, actor: Reader, day: Annotated[date | None, Query(alias="date")]
                = None, depart: Annotated[str, Query(max_length=5)] = "08:00") -> RouteOut:
    """The day's visiting order and timetable (OR-Tools), keeping each stop's booked slot; straight lines."""
    event = service.get_event(session=session, event_id=event_id, actor=actor)
    return route_out(event, itinerary.plan(session=session, event=event, day=day, depart=_depart(depart)))


@router.post("/api/v1/events/{event_id}/route", response_model=RouteOut)
def event_route_on_roads(event_id: IdPath, data: RouteIn, session: ReadSession, actor: Reader) -> RouteOut:
    """The same with road distances (``matrix_m``) from a routing engine that holds the road network."""
    event = service.get_event(session=session, event_id=event_id, actor=actor)
    return route_out(event, itinerary.plan(session=session, event=event, day=data.date, depart=_depart(data.depart),
                                           matrix_m=data.matrix_m, round_trip=data.round_trip))


@router.get("/api/v1/trips/{trip_id}/letter.pdf", response_class=Response)
def trip_letter(trip_id: IdPath, session: ReadSession, actor: Reader) -> Response:
    """The letter of introduction (介绍信) as PDF, with the people, the martyr, the destination and its number."""
    trip = trips.get_trip(session=session, trip_id=trip_id, actor=actor)
    pdf = trips.letter(session=session, trip=trip)
    filename = quote(f"介绍信_{trip.letter_no}.pdf")
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f"inline; filename*=UTF-8''{filename}"})
