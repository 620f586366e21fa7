"""Cross-region trips (异地祭扫): families travelling to a grave in another province, with their letter.

Each trip gets a letter of introduction (介绍信) numbered per issuing bureau
and year (``红安县退役军人事务局介〔2027〕3号``); numbers are taken in turn
on the bureau's division row, so concurrent trips never share one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commemoration.models import Event, Trip
from commemoration.schemas import TripIn, TripUpdate
from commemoration.vocab import TripStatus
from memorials import audit
from memorials.actors import Actor
from memorials.divisions import normalize_code, require_division, scoped, within
from memorials.errors import NotFound, ValidationProblem
from memorials.models import Burial, Division, Facility, Martyr

AUDITED = ("status", "outcome", "depart_on", "return_on")


def bureau_name(division: Division) -> str:
    return f"{division.name}退役军人事务局"


def _number(session: Session, division: Division, year: int) -> str:
    session.execute(select(Division.code).where(Division.code == division.code).with_for_update())
    taken = session.scalar(select(func.count()).select_from(Trip).where(
        Trip.division_code == division.code, Trip.issued_on >= date(year, 1, 1),
        Trip.issued_on <= date(year, 12, 31))) or 0
    return f"{bureau_name(division)}介〔{year}〕{taken + 1}号"


def create_trip(*, session: Session, actor: Actor, data: TripIn, today: date, idempotency_key: str | None = None
                ) -> Trip:
    code = normalize_code(data.division_code, field="division_code") if data.division_code else actor.jurisdiction
    if not code:
        raise ValidationProblem("division_code", "required: which bureau sends the families")
    if not actor.covers(code):
        raise ValidationProblem("division_code", f"{code} is outside your jurisdiction")
    division = require_division(session=session, code=code, field="division_code")
    if data.event_id is not None:
        event = session.get(Event, data.event_id)
        if event is None or not actor.covers(event.division_code):
            raise ValidationProblem("event_id", f"no event {data.event_id} in your jurisdiction")
    martyr_name = data.martyr_name
    destination = data.destination_name
    place = data.destination_place
    if data.martyr_id is not None:
        martyr = session.get(Martyr, data.martyr_id)
        if martyr is None or not actor.covers(martyr.division_code or ""):
            raise ValidationProblem("martyr_id", f"no martyr {data.martyr_id} in your jurisdiction")
        martyr_name = martyr.name
    if data.destination_facility_id is not None:
        facility = session.get(Facility, data.destination_facility_id)
        if facility is None:
            raise ValidationProblem("destination_facility_id", f"no facility {data.destination_facility_id}")
        destination = facility.name
        place = place or facility.address
        if data.martyr_id is not None and session.scalar(select(Burial.id).where(
                Burial.martyr_id == data.martyr_id, Burial.facility_id == facility.id, Burial.until.is_(None))) is None:
            raise ValidationProblem("destination_facility_id", f"{martyr_name} is not buried at {facility.name}")
    receiving = (require_division(session=session, code=normalize_code(data.receiving_division_code,
                                                                       field="receiving_division_code"),
                                  field="receiving_division_code").code
                 if data.receiving_division_code else "")
    trip = Trip(event_id=data.event_id, division_code=division.code, martyr_id=data.martyr_id,
                martyr_name=martyr_name, destination_facility_id=data.destination_facility_id,
                destination_name=destination, destination_place=place, receiving_bureau=data.receiving_bureau,
                receiving_division_code=receiving, receiving_contact=data.receiving_contact,
                people=[{"name": p.name, "relation": p.relation} for p in data.people], depart_on=data.depart_on,
                return_on=data.return_on, status=TripStatus.planned.value, outcome="",
                issuing_bureau=bureau_name(division), letter_no=_number(session, division, today.year),
                issued_on=today, created_by_id=actor.user_id, idempotency_key=idempotency_key)
    session.add(trip)
    session.flush()
    audit.record(session=session, actor=actor, entity="trip", entity_id=trip.id, action="create", old=None,
                 new={"letter_no": trip.letter_no, "martyr_name": martyr_name, "destination": destination,
                      "people": len(trip.people), "depart_on": trip.depart_on.isoformat()})
    return trip


def get_trip(*, session: Session, trip_id: int, actor: Actor) -> Trip:
    trip = session.get(Trip, trip_id)
    if trip is None or not actor.covers(trip.division_code):
        raise NotFound("trip", trip_id)
    return trip


def update_trip(*, session: Session, actor: Actor, trip: Trip, data: TripUpdate) -> Trip:
    given = data.model_dump(exclude_unset=True)
    for name, value in given.items():
        if value is None:
            raise ValidationProblem(name, "cannot be empty")
    old = audit.snapshot(trip, AUDITED)
    for name in ("outcome", "depart_on", "return_on"):
        if name in given:
            setattr(trip, name, given[name])
    if trip.return_on < trip.depart_on:
        raise ValidationProblem("return_on", "is before depart_on")
    if data.status is not None:
        if data.status == TripStatus.completed and not trip.outcome.strip():
            raise ValidationProblem("outcome", "required to complete a trip: how did it go?")
        trip.status = data.status.value
    session.flush()
    new = audit.snapshot(trip, AUDITED)
    if new != old:
        audit.record(session=session, actor=actor, entity="trip", entity_id=trip.id, action="update",
                     old={k: v for k, v in old.items() if new[k] != v}, new={k: v for k, v in new.items() if old[k] != v})
    return trip


@dataclass
class TripQuery:
    division: str | None = None
    year: int | None = None
    status: str | None = None


def list_trips(*, session: Session, actor: Actor, query: TripQuery, limit: int, offset: int
               ) -> tuple[list[Trip], int]:
    conditions = [scoped(Trip.division_code, actor.scope)]
    if query.division:
        conditions.append(within(Trip.division_code, query.division))
    if query.year:
        conditions.append(Trip.depart_on.between(date(query.year, 1, 1), date(query.year, 12, 31)))
    if query.status:
        conditions.append(Trip.status == query.status)
    total = session.scalar(select(func.count()).select_from(Trip).where(*conditions)) or 0
    rows = session.scalars(select(Trip).where(*conditions).order_by(Trip.depart_on.desc(), Trip.id.desc())
                           .limit(limit).offset(offset)).all()
    return list(rows), total


def letter(*, session: Session, trip: Trip) -> bytes:
    """The trip's letter of introduction as PDF (``commemoration.letters``)."""
    from commemoration.letters import Letter, MartyrRef, Traveller, letter_pdf

    martyr = session.get(Martyr, trip.martyr_id) if trip.martyr_id else None
    destination = trip.destination_name + (f"（{trip.destination_place}）" if trip.destination_place else "")
    return letter_pdf(Letter(
        number=trip.letter_no, issuer=trip.issuing_bureau, recipient=trip.receiving_bureau, destination=destination,
        martyr=MartyrRef(name=trip.martyr_name, unit=martyr.unit if martyr else "",
                         death_date=(martyr.death_date or "") if martyr else "", burial_place=trip.destination_name),
        people=[Traveller(name=p["name"], relation=p["relation"]) for p in trip.people],
        travel_from=trip.depart_on, travel_to=trip.return_on, issued_on=trip.issued_on))
