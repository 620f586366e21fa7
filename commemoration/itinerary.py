"""An event's day as a route: its stops, each with its booked slot as a time window, ordered by ``routing``.

The bus leaves from the organising bureau (the centre of the event's
division) unless another start is named; time on site is each stop's
``minutes_on_site``. A stop's window is the span of that day's slots that
hold bookings (else every slot of the day; else none). Distances are
straight lines unless a road-distance matrix is given (from a routing engine
that holds the road network).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from commemoration.models import Event, Slot
from commemoration.routing import Route, Stop, plan_route
from memorials import clock
from memorials.errors import ValidationProblem
from memorials.models import Division


def _windows(session: Session, event: Event, day: date) -> dict[int, tuple[time, time]]:
    slots = list(session.scalars(select(Slot).where(Slot.event_id == event.id, Slot.date == day)))
    out: dict[int, tuple[time, time]] = {}
    for facility_id in {s.facility_id for s in slots}:
        mine = [s for s in slots if s.facility_id == facility_id]
        booked = [s for s in mine if s.booked > 0] or mine
        out[facility_id] = (min(s.start_time for s in booked), max(s.end_time for s in booked))
    return out


def plan(*, session: Session, event: Event, day: date | None = None, depart: time = time(8, 0),
         matrix_m: Sequence[Sequence[float]] | None = None, round_trip: bool = True,
         time_limit_s: float | None = None) -> Route:
    day = day or event.date
    if not event.date <= day <= event.end_date:
        raise ValidationProblem("date", f"must fall within the event ({event.date} to {event.end_date})")
    if not event.stops:
        raise ValidationProblem("facility_ids", "the event has no stops yet")
    windows = _windows(session, event, day)
    stops = [Stop(key=s.facility_id, name=s.facility.name, longitude=s.facility.longitude,
                  latitude=s.facility.latitude, window=windows.get(s.facility_id),
                  service_minutes=s.minutes_on_site) for s in event.stops]
    division = session.get(Division, event.division_code[:6])
    if division is not None and division.longitude is not None and division.latitude is not None:
        start = Stop(key=0, name=f"{division.name}退役军人事务局", longitude=division.longitude,
                     latitude=division.latitude)
    else:
        first = stops[0]
        start = Stop(key=0, name=first.name, longitude=first.longitude, latitude=first.latitude)
    leave = datetime.combine(day, depart, tzinfo=clock.zone())
    if time_limit_s is None:  # the solver searches until the limit: a day's few stops need little
        time_limit_s = min(2.0, 0.1 + 0.05 * len(stops))
    return plan_route(start, stops, depart=leave, matrix_m=matrix_m, round_trip=round_trip,
                      time_limit_s=time_limit_s)
