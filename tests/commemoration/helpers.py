"""Building commemoration events through the API, for the tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from memorials import clock

STOPS = ("421122-0001", "421122-0006", "421122-0012")  # cemetery, 七里坪 monument, 周德明烈士墓


def event_day() -> date:
    """A day ahead of today, so slots can still be booked."""
    return clock.today() + timedelta(days=10)


def make_event(api, role: str = "organizer", codes: tuple[str, ...] = STOPS, **overrides: Any) -> dict:  # type: ignore[no-untyped-def]
    ids = [api.demo_facility_id(c) for c in codes]
    body = {"name": "测试祭扫活动", "kind": "other", "date": event_day().isoformat(), "facility_ids": ids,
            "organiser": "红安县退役军人事务局", **overrides}
    resp = api.post("/api/v1/events", headers=api.user(role), json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()


def make_slot(api, event: dict, facility_id: int, capacity: int = 50, start: str = "09:00", end: str = "10:00",  # type: ignore[no-untyped-def]
              day: str | None = None) -> dict:
    resp = api.post(f"/api/v1/events/{event['id']}/slots", headers=api.user("organizer"),
                    json={"facility_id": facility_id, "date": day or event["date"], "start": start, "end": end,
                          "capacity": capacity})
    assert resp.status_code == 201, resp.text
    return resp.json()[0]
