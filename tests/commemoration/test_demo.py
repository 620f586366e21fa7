"""The demo's next Qingming: an event with slots and bookings, tribute pages, proxy visits in every state, a trip."""

from __future__ import annotations

import re

from commemoration.calendar import next_qingming
from memorials import clock
from memorials.db import session_factory, transaction
from memorials.demo import load_domain_demos


def test_the_demo_qingming(demo_api):
    organizer = demo_api.user("organizer")
    events = demo_api.get("/api/v1/events", headers=organizer).json()["items"]
    qingming = next(e for e in events if e["kind"] == "qingming")
    assert qingming["date"] == next_qingming(clock.today()).isoformat() and len(qingming["facility_ids"]) == 5
    slots = demo_api.get(f"/api/v1/events/{qingming['id']}/slots", headers=organizer).json()
    assert len(slots) == 15 and sum(s["booked"] for s in slots) == 120 + 40 + 18 + 25
    assert demo_api.get("/api/v1/trips", headers=organizer).json()["total"] >= 1
    assert demo_api.get("/api/v1/tribute/messages", headers=organizer).json()["total"] >= 1

    # The history (``memorials demo`` only) adds the visits carried out, with photos proven at the grave.
    with transaction(session_factory(demo_api.app_engine, write=True)) as s:
        lines = load_domain_demos(s, demo_api.app.state.settings)
    link = re.search(r"/tribute/visits/[A-Za-z0-9_-]+", " ".join(lines)).group(0)  # type: ignore[union-attr]
    visits = demo_api.get("/api/v1/proxy-visits", headers=organizer, params={"limit": 100}).json()["items"]
    assert {v["status"] for v in visits} == {"requested", "assigned", "visited", "notified", "declined"}
    assert all(p["verification"] == "verified" for v in visits if v["status"] == "visited" for p in v["photos"])
    assert demo_api.get(link).status_code == 200
    with transaction(session_factory(demo_api.app_engine, write=True)) as s:
        assert any("already there" in line for line in load_domain_demos(s, demo_api.app.state.settings))
