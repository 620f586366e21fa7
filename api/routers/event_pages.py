"""Organisers' pages (纪念活动): events, readiness board, slots and bookings, day schedules, proxy visits, trips,
message moderation and the year's figures."""

from __future__ import annotations

import re
from datetime import date, time
from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from api.auth import Requires
from api.deps import IdPath, ReadSession
from api.mapdata import configured_tiles
from api.routers.events import booking_out, event_out, route_out, slot_out
from api.routers.visits import trip_out, visit_out
from api.templating import render
from commemoration import events as service
from commemoration import itinerary, proxy, readiness, tribute, trips
from commemoration.calendar import next_qingming
from commemoration.figures import check_year, figures
from commemoration.models import ProxyVisit
from commemoration.vocab import (
    ACT_LABELS,
    ACTS,
    BOOKING_STATUS_LABELS,
    EVENT_KIND_LABELS,
    EVENT_STATUS_LABELS,
    GROUP_KIND_LABELS,
    MESSAGE_STATUS_LABELS,
    PROXY_STATE_LABELS,
    TRIP_STATUS_LABELS,
    EventKind,
    GroupKind,
    MessageStatus,
    ProxyState,
)
from inspections.checklist import LEVEL_LABELS, SEVERITY_LABELS
from maps.facilities import render_html
from maps.route import RouteStop, route_map
from memorials import clock
from memorials.actors import Actor
from memorials.errors import ValidationProblem
from memorials.models import Facility, User
from memorials.permissions import Permission
from memorials.scoping import in_scope
from memorials.vocab import CLOSED_STATUSES

router = APIRouter(include_in_schema=False)

Reader = Annotated[Actor, Requires(Permission.events_read)]
Runner = Annotated[Actor, Requires(Permission.events_run)]
LABELS = {"EVENT_KIND_LABELS": EVENT_KIND_LABELS, "EVENT_STATUS_LABELS": EVENT_STATUS_LABELS,
          "GROUP_KIND_LABELS": GROUP_KIND_LABELS, "BOOKING_STATUS_LABELS": BOOKING_STATUS_LABELS,
          "PROXY_STATE_LABELS": PROXY_STATE_LABELS, "TRIP_STATUS_LABELS": TRIP_STATUS_LABELS,
          "MESSAGE_STATUS_LABELS": MESSAGE_STATUS_LABELS, "ACT_LABELS": ACT_LABELS, "ACTS": ACTS,
          "INSPECTION_LEVEL_LABELS": LEVEL_LABELS, "SEVERITY_LABELS": SEVERITY_LABELS}
PAGE_SIZE = 50
Year = Annotated[int | None, Query(ge=2000, le=2100)]


@router.get("/events", response_class=HTMLResponse)
def events_page(request: Request, session: ReadSession, actor: Reader, year: Year = None,
                kind: EventKind | None = None) -> Response:
    query = service.EventQuery(kind=kind.value if kind else None, year=year)
    items, total = service.list_events(session=session, actor=actor, query=query, limit=PAGE_SIZE, offset=0)
    return render(request, "events.html", {"items": [event_out(e, actor) for e in items], "total": total,
                                           "year": year or "", "kind": kind.value if kind else "",
                                           "next_qingming": next_qingming(clock.today()), **LABELS})


@router.get("/events/new", response_class=HTMLResponse)
def new_event_page(request: Request, session: ReadSession, actor: Runner) -> Response:
    """The new-event form; Qingming's date is filled in from the solar terms."""
    choices = list(session.scalars(select(Facility).where(in_scope(Facility.division_code, actor),
                                                          Facility.status.not_in(CLOSED_STATUSES))
                                   .order_by(Facility.code).limit(2000)))
    day = next_qingming(clock.today())
    return render(request, "event_new.html", {"choices": choices, "qingming": day, "kinds": list(EventKind),
                                              "group_kinds": list(GroupKind), **LABELS})


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(request: Request, event_id: IdPath, session: ReadSession, actor: Reader) -> Response:
    """The event: stops, groups, readiness board and warnings, slots with their bookings, trips."""
    event = service.get_event(session=session, event_id=event_id, actor=actor)
    board = readiness.board(session=session, event=event)
    slots = service.event_slots(session=session, event_id=event.id)
    bookings = service.slot_bookings(session=session, slot_ids=[s.id for s in slots])
    by_slot: dict[int, list] = {}
    for b in bookings:
        by_slot.setdefault(b.slot_id, []).append(booking_out(b, actor))
    event_trips, _ = trips.list_trips(session=session, actor=actor, query=trips.TripQuery(), limit=200, offset=0)
    return render(request, "event.html", {
        "e": event_out(event, actor), "board": board, "summary": readiness.summary_line(board,
                                                                                        EVENT_KIND_LABELS[event.kind]),
        "slots": [slot_out(s) for s in slots], "by_slot": by_slot, "today": clock.today(),
        "trips": [trip_out(t) for t in event_trips if t.event_id == event.id], **LABELS})


@router.get("/events/{event_id}/schedule", response_class=HTMLResponse)
def schedule_page(request: Request, event_id: IdPath, session: ReadSession, actor: Reader,
                  facility_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
                  day: Annotated[date | None, Query(alias="date")] = None) -> Response:
    """A day's schedule per facility: slots, groups and headcounts, printable (A4)."""
    event = service.get_event(session=session, event_id=event_id, actor=actor)
    day = day or event.date
    slots = service.event_slots(session=session, event_id=event.id, facility_id=facility_id, day=day)
    bookings = service.slot_bookings(session=session, slot_ids=[s.id for s in slots])
    by_slot: dict[int, list] = {}
    for b in bookings:
        if b.status == "booked":
            by_slot.setdefault(b.slot_id, []).append(booking_out(b, actor))
    facilities: dict[int, list] = {}
    for s in slots:
        facilities.setdefault(s.facility_id, []).append(slot_out(s))
    return render(request, "event_schedule.html", {"e": event_out(event, actor), "day": day,
                                                   "facilities": facilities, "by_slot": by_slot, **LABELS})


@router.get("/proxy-visits", response_class=HTMLResponse)
def proxy_visits_page(request: Request, session: ReadSession, actor: Reader,
                      status: ProxyState | None = None, year: Year = None) -> Response:
    query = proxy.VisitQuery(status=status.value if status else None, year=year)
    items, total = proxy.list_visits(session=session, actor=actor, query=query, limit=200, offset=0)
    counts = {s: 0 for s in PROXY_STATE_LABELS}
    for (s,) in session.execute(select(ProxyVisit.status).where(in_scope(ProxyVisit.division_code, actor))):
        counts[s] += 1
    return render(request, "proxy_visits.html", {"items": [visit_out(session, v, actor) for v in items],
                                                 "total": total, "status": status.value if status else "",
                                                 "counts": counts, **LABELS})


@router.get("/proxy-visits/{visit_id}", response_class=HTMLResponse)
def proxy_visit_page(request: Request, visit_id: IdPath, session: ReadSession, actor: Reader) -> Response:
    visit = proxy.get_visit(session=session, visit_id=visit_id, actor=actor)
    staff = list(session.scalars(select(User).where(User.active.is_(True),
                                                    User.role.in_(("organizer", "admin", "inspector")))
                                 .order_by(User.username)))
    staff = [u for u in staff if visit.division_code.startswith(
        Actor(user_id=u.id, username=u.username, role=u.role, jurisdiction=u.jurisdiction or "").scope)]
    steps = proxy.FLOW.next_steps(visit)
    return render(request, "proxy_visit.html", {"v": visit_out(session, visit, actor), "visit": visit,
                                                "staff": staff, "steps": steps, "today": clock.today(), **LABELS})


@router.get("/trips", response_class=HTMLResponse)
def trips_page(request: Request, session: ReadSession, actor: Reader, year: Year = None) -> Response:
    items, total = trips.list_trips(session=session, actor=actor, query=trips.TripQuery(year=year), limit=200,
                                    offset=0)
    events, _ = service.list_events(session=session, actor=actor, query=service.EventQuery(), limit=50, offset=0)
    return render(request, "trips.html", {"items": [trip_out(t) for t in items], "total": total,
                                          "year": year or "", "events": events,
                                          "people": sum(len(t.people) for t in items if t.status != "cancelled"),
                                          **LABELS})


@router.get("/moderation", response_class=HTMLResponse)
def moderation_page(request: Request, session: ReadSession, actor: Runner,
                    status: MessageStatus = MessageStatus.pending) -> Response:
    """Messages left on the tribute pages, waiting for an organiser (approve or reject)."""
    items, total = tribute.messages_for_moderation(session=session, actor=actor, status=status.value, limit=200,
                                                   offset=0)
    return render(request, "moderation.html", {"items": items, "total": total, "status": status.value, **LABELS})


@router.get("/commemoration/summary", response_class=HTMLResponse)
def summary_page(request: Request, session: ReadSession, actor: Reader,
                 year: Annotated[str, Query(max_length=10)] = "") -> Response:
    today = clock.today()
    the_year, error = today.year, None
    if year:
        try:
            the_year = check_year(int(year) if re.fullmatch(r"[0-9]{1,4}", year) else -1, today=today)
        except ValidationProblem:
            error = f"年份 {year} 超出范围，已显示 {today.year} 年"
    return render(request, "commemoration_summary.html", {
        "f": figures(session=session, actor=actor, division="", year=the_year), "year": the_year, "error": error,
        **LABELS})


@router.get("/events/{event_id}/route", response_class=HTMLResponse)
def route_page(request: Request, event_id: IdPath, session: ReadSession, actor: Reader,
               day: Annotated[date | None, Query(alias="date")] = None,
               depart: Annotated[str, Query(max_length=5, pattern=r"^[0-2][0-9]:[0-5][0-9]$")] = "08:00") -> Response:
    """The day's route as a printable map: numbered stops in visiting order with the timetable (A4 landscape)."""
    event = service.get_event(session=session, event_id=event_id, actor=actor)
    route = itinerary.plan(session=session, event=event, day=day, depart=time.fromisoformat(depart))
    out = route_out(event, route)
    points = [RouteStop(number=0, name=route.start.name, longitude=route.start.longitude,
                        latitude=route.start.latitude, time_text=f"{out.depart} 出发")]
    points += [RouteStop(number=leg.number, name=leg.name, longitude=stop.longitude, latitude=stop.latitude,
                         time_text=f"{leg.start}–{leg.leave}") for leg, stop in zip(out.legs, route.order)]
    title = f"{event.name} · {out.date} 参观路线（全程约{out.total_m / 1000:.1f}公里）"
    fmap = route_map(points, tiles=configured_tiles(request.app.state.settings), round_trip=route.back is not None, title=title)
    html = render_html(fmap, script_nonce=request.state.csp_nonce)
    if out.violations:
        notice = "".join(f"<li>{escape(v)}</li>" for v in out.violations)
        html = html.replace("<body>", f'<body><ul class="route-warnings" role="alert">{notice}</ul>', 1)
    return HTMLResponse(html)
