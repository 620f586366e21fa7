"""The year's commemoration figures, as bureaus publish them.

Events held, stops, sites inspected before Qingming and defects put right in
time (from each Qingming event's readiness board), bookings and people,
proxy visits by state, cross-region trips and the people on them, flowers
and approved messages on the tribute pages of the division's martyrs.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commemoration.models import Booking, Event, ProxyVisit, Slot, TributeMessage, TributePage, Trip
from commemoration.readiness import board
from commemoration.vocab import PROXY_STATE_LABELS, BookingStatus, EventKind, EventStatus, TripStatus
from memorials.actors import Actor
from memorials.divisions import scoped, within
from memorials.errors import ValidationProblem
from memorials.models import Martyr


def check_year(year: int, *, today: date) -> int:
    if not 2000 <= year <= today.year + 1:
        raise ValidationProblem("year", f"must be between 2000 and {today.year + 1}")
    return year


def figures(*, session: Session, actor: Actor, division: str, year: int) -> dict:
    first, last = date(year, 1, 1), date(year, 12, 31)
    since, until = datetime(year, 1, 1, tzinfo=timezone.utc), datetime(year + 1, 1, 1, tzinfo=timezone.utc)

    def where(column):  # type: ignore[no-untyped-def]
        return [scoped(column, actor.scope), *([within(column, division)] if division else [])]

    events = list(session.scalars(select(Event).where(*where(Event.division_code), Event.date.between(first, last),
                                                      Event.status != EventStatus.cancelled.value)))
    qingming = [e for e in events if e.kind == EventKind.qingming]
    inspected = repaired = ready = stops = 0
    for event in qingming:
        b = board(session=session, event=event)
        inspected += b.figures["inspected_before"]
        repaired += b.figures["repaired_in_time"]
        ready += b.figures["ready"]
        stops += b.figures["stops"]
    booked = session.execute(
        select(func.count(Booking.id), func.coalesce(func.sum(Booking.people), 0))
        .join(Slot, Slot.id == Booking.slot_id).join(Event, Event.id == Slot.event_id)
        .where(*where(Event.division_code), Booking.status == BookingStatus.booked.value,
               Slot.date.between(first, last))).one()
    proxy = dict(session.execute(
        select(ProxyVisit.status, func.count()).where(*where(ProxyVisit.division_code), ProxyVisit.created_at >= since,
                                                      ProxyVisit.created_at < until)
        .group_by(ProxyVisit.status)).all())
    trips = list(session.scalars(select(Trip).where(*where(Trip.division_code), Trip.depart_on.between(first, last),
                                                    Trip.status != TripStatus.cancelled.value)))
    flowers = session.scalar(select(func.coalesce(func.sum(TributePage.flowers), 0))
                             .join(Martyr, Martyr.id == TributePage.martyr_id)
                             .where(*where(Martyr.division_code), TributePage.public.is_(True))) or 0
    messages = session.scalar(select(func.count()).select_from(TributeMessage).where(
        *where(TributeMessage.division_code), TributeMessage.status == "approved",
        TributeMessage.created_at >= since, TributeMessage.created_at < until)) or 0
    return {
        "year": year,
        "division": division or actor.scope,
        "events": len(events),
        "qingming_events": len(qingming),
        "qingming_stops": stops,
        "inspected_before_qingming": inspected,
        "repaired_in_time": repaired,
        "ready_for_qingming": ready,
        "bookings": booked[0],
        "booked_people": int(booked[1]),
        "proxy_visits": {state: int(proxy.get(state, 0)) for state in PROXY_STATE_LABELS},
        "proxy_visits_done": int(proxy.get("visited", 0)) + int(proxy.get("notified", 0)),
        "trips": len(trips),
        "trip_people": sum(len(t.people) for t in trips),
        "flowers": int(flowers),
        "messages_approved": messages,
    }
