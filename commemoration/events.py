"""Events with their stops and groups; time slots per facility and day; bookings against capacity.

Services take the session and flush; the request or CLI command owns the
transaction. An event's division is the smallest division holding all its
stops (jurisdiction). A booking takes its places with one conditional
``UPDATE … SET booked = booked + n WHERE booked + n <= capacity``: the
database decides, so concurrent bookings, in one process or several, never
exceed a slot's capacity on SQLite or PostgreSQL (the table's CHECK is a
second guard).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from commemoration.calendar import qingming
from commemoration.models import Booking, Event, EventGroup, EventStop, Slot
from commemoration.schemas import BookingIn, EventIn, EventUpdate, GroupIn, SlotIn
from commemoration.vocab import BookingStatus, EventKind, EventStatus
from memorials import audit
from memorials.actors import Actor
from memorials.divisions import common_division, normalize_code, scoped, within
from memorials.errors import Conflict, NotFound, ValidationProblem
from memorials.models import Facility
from memorials.scoping import get_or_404
from memorials.vocab import CLOSED_STATUSES

AUDITED = ("name", "kind", "date", "end_date", "organiser", "division_code", "status", "readiness_days", "notes")
MAX_EVENT_DAYS = 31


def _stops(session: Session, ids: list[int], actor: Actor) -> list[Facility]:
    out = []
    for index, ident in enumerate(dict.fromkeys(ids)):
        facility = session.get(Facility, ident)
        if facility is None or not actor.covers(facility.division_code):
            raise ValidationProblem(f"facility_ids[{index}]", f"no facility {ident} in your jurisdiction")
        if facility.status in CLOSED_STATUSES:
            raise ValidationProblem(f"facility_ids[{index}]", f"facility {facility.code} is {facility.status}: "
                                                              "it cannot be visited")
        out.append(facility)
    return out


def _dates(kind: str, start: date | None, end: date | None) -> tuple[date, date]:
    if start is None:
        if kind == EventKind.qingming:
            raise ValidationProblem("date", "required (GET /api/v1/calendar/qingming?year=YYYY gives Qingming's date)")
        raise ValidationProblem("date", "required")
    end = end or start
    if end < start:
        raise ValidationProblem("end_date", "is before date")
    if (end - start).days >= MAX_EVENT_DAYS:
        raise ValidationProblem("end_date", f"an event lasts at most {MAX_EVENT_DAYS} days")
    if kind == EventKind.qingming and not start <= qingming(start.year) <= end and abs(
            (start - qingming(start.year)).days) > 15:
        raise ValidationProblem("date", f"a Qingming event is held around Qingming ({qingming(start.year)})")
    return start, end


def _place(session: Session, event: Event, facility_ids: list[int], actor: Actor, division: str | None) -> None:
    facilities = _stops(session, facility_ids, actor)
    by_id = {s.facility_id: s for s in event.stops}
    event.stops = [by_id.get(f.id) or EventStop(facility_id=f.id, position=0) for f in facilities]
    for position, stop in enumerate(event.stops, start=1):
        stop.position = position
    if facilities:
        event.division_code = common_division([f.division_code for f in facilities])
    elif division:
        code = normalize_code(division, field="division_code")
        if not actor.covers(code):
            raise ValidationProblem("division_code", f"{code} is outside your jurisdiction")
        event.division_code = code
    elif not event.division_code:
        if not actor.jurisdiction:
            raise ValidationProblem("division_code", "required for an event without stops: whose event is it?")
        event.division_code = actor.jurisdiction


def _groups(event: Event, groups: list) -> None:  # type: ignore[type-arg]
    event.groups = [EventGroup(kind=g.kind.value, name=g.name, headcount=g.headcount, contact_name=g.contact_name,
                               contact_phone=g.contact_phone) for g in groups]


def _snapshot(event: Event) -> dict:
    return {**audit.snapshot(event, AUDITED), "facility_ids": event.facility_ids,
            "groups": [{"kind": g.kind, "name": g.name, "headcount": g.headcount} for g in event.groups]}


def create_event(*, session: Session, actor: Actor, data: EventIn, idempotency_key: str | None = None) -> Event:
    start, end = _dates(data.kind.value, data.date, data.end_date)
    event = Event(name=data.name, kind=data.kind.value, date=start, end_date=end, organiser=data.organiser,
                  readiness_days=data.readiness_days, notes=data.notes, status=EventStatus.planned.value,
                  created_by_id=actor.user_id, idempotency_key=idempotency_key, division_code="")
    session.add(event)
    _place(session, event, data.facility_ids, actor, data.division_code)
    _groups(event, data.groups)
    session.flush()
    audit.record(session=session, actor=actor, entity="event", entity_id=event.id, action="create", old=None,
                 new=_snapshot(event))
    return event


def get_event(*, session: Session, event_id: int, actor: Actor, lock: bool = False) -> Event:
    return get_or_404(session, Event, event_id, actor, entity="event", lock=lock)


def update_event(*, session: Session, actor: Actor, event: Event, data: EventUpdate) -> Event:
    given = data.model_dump(exclude_unset=True)
    for name, value in given.items():
        if value is None:
            raise ValidationProblem(name, "cannot be empty")
    if event.status == EventStatus.cancelled and given.get("status") != EventStatus.planned:
        raise Conflict("status: the event is cancelled; set it back to planned first")
    old = _snapshot(event)
    if "date" in given or "end_date" in given:
        event.date, event.end_date = _dates(event.kind, data.date or event.date,
                                            data.end_date or (data.date if "date" in given else event.end_date))
    for name in ("name", "organiser", "readiness_days", "notes"):
        if name in given:
            setattr(event, name, given[name])
    if data.status is not None:
        event.status = data.status.value
    if data.facility_ids is not None:
        kept = set(data.facility_ids)
        booked = session.scalar(select(func.count()).select_from(Slot).where(
            Slot.event_id == event.id, Slot.booked > 0, Slot.facility_id.not_in(kept)))
        if booked:
            raise ValidationProblem("facility_ids", "a stop with booked slots cannot be removed; cancel its bookings "
                                                    "first")
        _place(session, event, data.facility_ids, actor, None)
    if data.groups is not None:
        _groups(event, data.groups)
    session.flush()
    new = _snapshot(event)
    if new != old:
        audit.record(session=session, actor=actor, entity="event", entity_id=event.id, action="update",
                     old={k: v for k, v in old.items() if new[k] != v},
                     new={k: v for k, v in new.items() if old[k] != v})
    return event


@dataclass
class EventQuery:
    division: str | None = None
    kind: str | None = None
    year: int | None = None
    status: str | None = None


def list_events(*, session: Session, actor: Actor, query: EventQuery, limit: int, offset: int
                ) -> tuple[list[Event], int]:
    conditions = [scoped(Event.division_code, actor.scope)]
    if query.division:
        conditions.append(within(Event.division_code, query.division))
    if query.kind:
        conditions.append(Event.kind == query.kind)
    if query.status:
        conditions.append(Event.status == query.status)
    if query.year:
        conditions.append(Event.date.between(date(query.year, 1, 1), date(query.year, 12, 31)))
    total = session.scalar(select(func.count()).select_from(Event).where(*conditions)) or 0
    rows = session.scalars(select(Event).where(*conditions).order_by(Event.date.desc(), Event.id.desc())
                           .limit(limit).offset(offset)).all()
    return list(rows), total


def add_group(*, session: Session, actor: Actor, event: Event, data: GroupIn) -> Event:
    event.groups.append(EventGroup(kind=data.kind.value, name=data.name, headcount=data.headcount,
                                   contact_name=data.contact_name, contact_phone=data.contact_phone))
    session.flush()
    audit.record(session=session, actor=actor, entity="event", entity_id=event.id, action="group", old=None,
                 new={"kind": data.kind.value, "name": data.name, "headcount": data.headcount})
    return event


# --- slots -------------------------------------------------------------------------------------------------------

def add_slots(*, session: Session, actor: Actor, event: Event, slots: list[SlotIn]) -> list[Slot]:
    if event.status == EventStatus.cancelled:
        raise Conflict("status: the event is cancelled")
    stops = set(event.facility_ids)
    out = []
    for index, item in enumerate(slots):
        if item.facility_id not in stops:
            raise ValidationProblem(f"slots[{index}].facility_id", f"facility {item.facility_id} is not a stop of "
                                                                   "this event")
        if not event.date <= item.date <= event.end_date:
            raise ValidationProblem(f"slots[{index}].date", f"must fall within the event ({event.date} to "
                                                            f"{event.end_date})")
        clash = session.scalar(select(Slot.id).where(
            Slot.facility_id == item.facility_id, Slot.date == item.date, Slot.start_time < item.end,
            Slot.end_time > item.start))
        if clash is not None or any(s.facility_id == item.facility_id and s.date == item.date
                                    and s.start_time < item.end and s.end_time > item.start for s in out):
            raise ValidationProblem(f"slots[{index}].start", "overlaps another slot at this facility on that day")
        slot = Slot(event_id=event.id, facility_id=item.facility_id, date=item.date, start_time=item.start,
                    end_time=item.end, capacity=item.capacity, booked=0)
        session.add(slot)
        out.append(slot)
    session.flush()
    audit.record(session=session, actor=actor, entity="event", entity_id=event.id, action="slots", old=None,
                 new={"slots": [{"id": s.id, "facility_id": s.facility_id, "date": s.date.isoformat(),
                                 "start": s.start_time.isoformat("minutes"), "end": s.end_time.isoformat("minutes"),
                                 "capacity": s.capacity} for s in out]})
    return out


def event_slots(*, session: Session, event_id: int, facility_id: int | None = None, day: date | None = None
                ) -> list[Slot]:
    conditions = [Slot.event_id == event_id]
    if facility_id is not None:
        conditions.append(Slot.facility_id == facility_id)
    if day is not None:
        conditions.append(Slot.date == day)
    return list(session.scalars(select(Slot).where(*conditions)
                                .order_by(Slot.date, Slot.facility_id, Slot.start_time)))


def _when(slot: Slot) -> str:
    return f"{slot.date.month}月{slot.date.day}日 {slot.start_time:%H:%M}–{slot.end_time:%H:%M}"


def next_free(session: Session, slot: Slot, people: int) -> Slot | None:
    """The first later slot at the same facility in the same event with room for ``people``."""
    return session.scalar(select(Slot).where(
        Slot.event_id == slot.event_id, Slot.facility_id == slot.facility_id, Slot.capacity - Slot.booked >= people,
        (Slot.date > slot.date) | ((Slot.date == slot.date) & (Slot.start_time > slot.start_time)))
        .order_by(Slot.date, Slot.start_time).limit(1))


class SlotFull(Conflict):
    """Not enough places left in the slot (409, with ``remaining`` and ``next_free_slot``)."""


def book(*, session: Session, actor: Actor, data: BookingIn, today: date, idempotency_key: str | None = None
         ) -> Booking:
    slot = session.get(Slot, data.slot_id)
    event = session.get(Event, slot.event_id) if slot else None
    if slot is None or event is None or not actor.covers(event.division_code):
        raise ValidationProblem("slot_id", f"no slot {data.slot_id} in your jurisdiction")
    if event.status != EventStatus.planned:
        raise ValidationProblem("slot_id", f"the event is {event.status}: no more bookings")
    if slot.date < today:
        raise ValidationProblem("slot_id", f"the slot ({slot.date}) has passed")
    taken = session.execute(update(Slot).where(Slot.id == slot.id, Slot.booked + data.people <= Slot.capacity)
                            .values(booked=Slot.booked + data.people)
                            .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        session.refresh(slot)
        later = next_free(session, slot, data.people)
        then = (f"下一个可预约时段：{_when(later)}（剩余{later.remaining}人）" if later
                else f"本活动在该设施已没有可容纳{data.people}人的时段")
        raise SlotFull(f"该时段（{slot.facility.name} {_when(slot)}）剩余名额{slot.remaining}人，不足{data.people}人；{then}",
                       remaining=slot.remaining,
                       next_free_slot=None if later is None else {
                           "id": later.id, "date": later.date.isoformat(),
                           "start": later.start_time.isoformat("minutes"), "end": later.end_time.isoformat("minutes"),
                           "remaining": later.remaining})
    booking = Booking(slot_id=slot.id, group_name=data.group_name, people=data.people,
                      contact_name=data.contact_name, contact_phone=data.contact_phone,
                      status=BookingStatus.booked.value, created_by_id=actor.user_id, idempotency_key=idempotency_key)
    session.add(booking)
    session.flush()
    session.refresh(slot)
    audit.record(session=session, actor=actor, entity="booking", entity_id=booking.id, action="create", old=None,
                 new={"slot_id": slot.id, "event_id": slot.event_id, "group_name": data.group_name,
                      "people": data.people})
    return booking


def get_booking(*, session: Session, booking_id: int, actor: Actor) -> Booking:
    booking = session.get(Booking, booking_id)
    event = session.get(Event, booking.slot.event_id) if booking else None
    if booking is None or event is None or not actor.covers(event.division_code):
        raise NotFound("booking", booking_id)
    return booking


def cancel(*, session: Session, actor: Actor, booking: Booking, reason: str = "") -> Booking:
    """Cancel a booking (kept, status ``cancelled``) and give its places back; cancelling twice changes nothing."""
    done = session.execute(update(Booking).where(Booking.id == booking.id,
                                                 Booking.status == BookingStatus.booked.value)
                           .values(status=BookingStatus.cancelled.value, cancelled_at=datetime.now(timezone.utc),
                                   cancel_reason=reason)
                           .execution_options(synchronize_session=False))
    if done.rowcount == 1:
        session.execute(update(Slot).where(Slot.id == booking.slot_id).values(booked=Slot.booked - booking.people)
                        .execution_options(synchronize_session=False))
        audit.record(session=session, actor=actor, entity="booking", entity_id=booking.id, action="cancel",
                     old={"status": BookingStatus.booked.value},
                     new={"status": BookingStatus.cancelled.value, "reason": reason, "people": booking.people})
    session.flush()
    session.refresh(booking)
    session.refresh(booking.slot)
    return booking


def slot_bookings(*, session: Session, slot_ids: list[int]) -> list[Booking]:
    if not slot_ids:
        return []
    return list(session.scalars(select(Booking).where(Booking.slot_id.in_(slot_ids))
                                .order_by(Booking.slot_id, Booking.id)))
