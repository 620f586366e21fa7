"""/api/v1/events: events and their groups, readiness, slots and bookings, the day's route; the Qingming calendar;
the year's figures. Proxy visits, trips and the tribute's moderation are in ``api.routers.visits``."""

from __future__ import annotations

import datetime as dt
import json
from datetime import date, time
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from api.auth import Public, Requires
from api.deps import DivisionPrefix, IdPath, Offset, ReadSession, WriteSession, query_problem
from api.idempotency import IdempotencyDep
from commemoration import events as service
from commemoration import itinerary, readiness
from commemoration.calendar import martyrs_day, qingming
from commemoration.figures import check_year, figures
from commemoration.models import Booking, Event, Slot
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
    SlotIn,
    SlotOut,
    StopOut,
)
from commemoration.vocab import EventKind, EventStatus
from memorials import clock
from memorials.actors import Actor
from memorials.errors import ValidationProblem
from memorials.permissions import Permission, allowed
from memorials.relatives import mask_phone
from memorials.schemas import Input, Page

router = APIRouter(tags=["commemoration"])

Reader = Annotated[Actor, Requires(Permission.events_read)]
Runner = Annotated[Actor, Requires(Permission.events_run)]
Year = Annotated[int | None, Query(ge=1900, le=2100, description="the year, YYYY (this year if not given)")]


def today() -> date:
    return clock.today()


def phone_for(actor: Actor, phone: str) -> str:
    """A contact's phone as this user may see it: whole for those who run events, else masked."""
    return phone if allowed(actor.role, Permission.events_run) else mask_phone(phone)


def event_out(event: Event, actor: Actor) -> EventOut:
    return EventOut(
        id=event.id, name=event.name, kind=event.kind, date=event.date, end_date=event.end_date,
        organiser=event.organiser, division_code=event.division_code, facility_ids=event.facility_ids,
        stops=[StopOut(facility_id=s.facility_id, name=s.facility.name, code=s.facility.code, position=s.position,
                       longitude=s.facility.longitude, latitude=s.facility.latitude) for s in event.stops],
        groups=[GroupOut(id=g.id, kind=g.kind, name=g.name, headcount=g.headcount, contact_name=g.contact_name,
                         contact_phone=phone_for(actor, g.contact_phone)) for g in event.groups],
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
                      contact_phone=phone_for(actor, b.contact_phone), status=b.status, remaining=s.remaining)


# --- calendar -----------------------------------------------------------------------------------------------------

@router.get("/api/v1/calendar/qingming", response_model=CalendarOut, dependencies=[Public])
def calendar_qingming(year: Year = None) -> CalendarOut:
    """Qingming's date (清明, the fifth solar term) for a year, computed from the solar terms."""
    the_year = year or today().year
    return CalendarOut(year=the_year, date=qingming(the_year), name="清明节")


@router.get("/api/v1/calendar/martyrs-day", response_model=CalendarOut, dependencies=[Public])
def calendar_martyrs_day(year: Year = None) -> CalendarOut:
    """Martyrs' Day (烈士纪念日), 30 September by the NPC Standing Committee's decision of 2014."""
    the_year = year or today().year
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
        booking = service.book(session=session, actor=actor, data=data, today=today(), idempotency_key=idem.key)
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


# --- figures and moderation ---------------------------------------------------------------------------------------

@router.get("/api/v1/commemoration/summary")
def commemoration_summary(session: ReadSession, actor: Reader, division: DivisionPrefix = None,
                          year: Year = None) -> dict:
    """The year's figures: sites inspected before Qingming, repaired in time, bookings, proxy visits, trips."""
    the_year = year or today().year
    try:
        check_year(the_year, today=today())
    except ValidationProblem as exc:
        raise query_problem("year", exc.reason) from None
    return figures(session=session, actor=actor, division=division or "", year=the_year)


@router.post("/api/v1/events/{event_id}/groups", status_code=201, response_model=EventOut)
def add_group(event_id: IdPath, data: GroupIn, session: WriteSession, actor: Runner, idem: IdempotencyDep) -> Response:
    """Add a taking-part group (school, unit, families) with its headcount and contact."""
    def produce() -> BaseModel:
        event = service.get_event(session=session, event_id=event_id, actor=actor, lock=True)
        return event_out(service.add_group(session=session, actor=actor, event=event, data=data), actor)

    service.get_event(session=session, event_id=event_id, actor=actor)
    return idem.respond(session=session, actor=actor, produce=produce)


# --- the day's route ---------------------------------------------------------------

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
