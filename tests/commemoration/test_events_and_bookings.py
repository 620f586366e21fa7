"""Events, slots and bookings through the API: capacity, the Chinese refusal, cancellations, jurisdiction."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from commemoration.models import Booking, Slot
from memorials.db import session_factory, transaction
from tests.commemoration.helpers import event_day, make_event, make_slot


def test_an_event_with_stops_and_groups(demo_api):
    headers = demo_api.user("organizer")
    event = make_event(demo_api, groups=[{"kind": "school", "name": "红安一中", "headcount": 120,
                                          "contact_name": "王老师", "contact_phone": "13812345678"}])
    assert event["status"] == "planned" and event["division_code"].startswith("421122")
    assert len(event["facility_ids"]) == 3 and [s["position"] for s in event["stops"]] == [1, 2, 3]
    assert event["people"] == 120
    # A viewer sees the event, with the contact's phone masked.
    seen = demo_api.get(f"/api/v1/events/{event['id']}", headers=demo_api.user("viewer")).json()
    assert seen["groups"][0]["contact_phone"] != "13812345678" and seen["groups"][0]["contact_phone"].endswith("5678")
    # Only organisers and admins run events; other counties see nothing.
    assert demo_api.post("/api/v1/events", headers=demo_api.user("planner"),
                         json={"name": "x", "kind": "other", "date": event_day().isoformat()}).status_code == 403
    assert demo_api.get(f"/api/v1/events/{event['id']}", headers=demo_api.user("organizer", "420602")
                        ).status_code == 404
    resp = demo_api.patch(f"/api/v1/events/{event['id']}", headers=headers, json={"name": "改名后的活动"})
    assert resp.status_code == 200 and resp.json()["name"] == "改名后的活动"
    listed = demo_api.get("/api/v1/events", headers=headers).json()
    assert event["id"] in [e["id"] for e in listed["items"]]


def test_bad_event_input_names_the_field(demo_api):
    headers = demo_api.user("organizer")
    resp = demo_api.post("/api/v1/events", headers=headers, json={"name": "清明", "kind": "qingming"})
    assert resp.status_code == 422 and "date" in resp.text and "calendar/qingming" in resp.text
    day = event_day().isoformat()
    resp = demo_api.post("/api/v1/events", headers=headers,
                         json={"name": "x", "kind": "other", "date": day, "facility_ids": [2_000_000]})
    assert resp.status_code == 422 and "facility_ids" in resp.text


def test_a_booking_beyond_capacity_is_refused_in_chinese_with_the_next_free_slot(demo_api):
    headers = demo_api.user("organizer")
    event = make_event(demo_api)
    stop = event["facility_ids"][0]
    first = make_slot(demo_api, event, stop, capacity=50, start="09:00", end="10:00")
    second = make_slot(demo_api, event, stop, capacity=40, start="10:00", end="11:00")
    ok = demo_api.post("/api/v1/bookings", headers={**headers, "Idempotency-Key": "b-1"},
                       json={"slot_id": first["id"], "group_name": "红安一中", "people": 45,
                             "contact_phone": "13812345678"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["remaining"] == 5
    again = demo_api.post("/api/v1/bookings", headers={**headers, "Idempotency-Key": "b-1"},
                          json={"slot_id": first["id"], "group_name": "红安一中", "people": 45,
                                "contact_phone": "13812345678"})
    assert again.json()["id"] == ok.json()["id"]  # a retry books nothing more
    refused = demo_api.post("/api/v1/bookings", headers=headers,
                            json={"slot_id": first["id"], "group_name": "县人武部", "people": 10})
    assert refused.status_code == 409
    body = refused.json()
    assert body["remaining"] == 5 and "剩余名额5人" in body["detail"]
    assert body["next_free_slot"]["id"] == second["id"] and "10:00" in body["detail"]
    # Cancelling frees the places; the booking is kept as cancelled.
    cancelled = demo_api.delete(f"/api/v1/bookings/{ok.json()['id']}", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["remaining"] == 50
    assert demo_api.delete(f"/api/v1/bookings/{ok.json()['id']}", headers=headers).json()["remaining"] == 50
    slots = demo_api.get(f"/api/v1/events/{event['id']}/slots", headers=headers).json()
    assert [s["booked"] for s in slots] == [0, 0]
    assert demo_api.get(f"/api/v1/bookings/{ok.json()['id']}", headers=headers).json()["status"] == "cancelled"


def test_slots_must_fit_the_event(demo_api):
    headers = demo_api.user("organizer")
    event = make_event(demo_api)
    stop = event["facility_ids"][0]
    url = f"/api/v1/events/{event['id']}/slots"
    make_slot(demo_api, event, stop, start="09:00", end="10:00")
    overlapping = demo_api.post(url, headers=headers, json={"facility_id": stop, "date": event["date"],
                                                           "start": "09:30", "end": "10:30", "capacity": 10})
    assert overlapping.status_code == 422 and "overlaps" in overlapping.text
    outside = demo_api.post(url, headers=headers, json={"facility_id": stop, "date": "2020-01-01",
                                                       "start": "09:00", "end": "10:00", "capacity": 10})
    assert outside.status_code == 422 and "date" in outside.text
    backwards = demo_api.post(url, headers=headers, json={"facility_id": stop, "date": event["date"],
                                                         "start": "11:00", "end": "10:00", "capacity": 10})
    assert backwards.status_code == 422


@pytest.mark.both_backends
def test_parallel_bookings_never_exceed_capacity(demo_api):
    """200 bookings of one place each race for a slot of 50: exactly 50 are taken (threads, one process)."""
    headers = demo_api.user("organizer")
    event = make_event(demo_api)
    slot = make_slot(demo_api, event, event["facility_ids"][0], capacity=50)

    def book(n: int) -> int:
        return demo_api.post("/api/v1/bookings", headers=headers,
                             json={"slot_id": slot["id"], "group_name": f"散客{n}", "people": 1}).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(book, range(200)))
    assert codes.count(201) == 50 and codes.count(409) == 150, sorted(set(codes))
    with transaction(session_factory(demo_api.app_engine)) as s:
        assert s.scalar(select(Slot.booked).where(Slot.id == slot["id"])) == 50
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.slot_id == slot["id"])) == 50
