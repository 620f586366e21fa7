"""A request holds one database connection at a time: sign-in reads through the route's own session when the
route names it first, and otherwise through a session closed before the route's connects.

Holding two would deadlock a loaded server: with ``MEMORIALS_DB_MAX_CONNECTIONS`` connections per process and
more requests than that in flight, each holding one and waiting for a second, none goes on (the audit trail,
whose route writes, once answered 503 after 30 s at 50 clients).
"""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from api.main import create_app
from tests.conftest import ApiClient, make_settings
from tests.factories import facility_body

pytestmark = pytest.mark.both_backends


def test_reading_and_writing_requests_hold_one_connection_at_a_time(demo_db_url, tmp_path):
    app = create_app(make_settings(demo_db_url, tmp_path, job_workers=0, db_max_connections=2))
    held, most, lock = [0], [0], threading.Lock()

    def checkout(*_):  # type: ignore[no-untyped-def]
        with lock:
            held[0] += 1
            most[0] = max(most[0], held[0])

    def checkin(*_):  # type: ignore[no-untyped-def]
        with lock:
            held[0] -= 1

    with TestClient(app) as client:
        engine = app.state.engine
        admin = ApiClient(client=client, app_engine=engine).user("admin")
        event.listen(engine.pool, "checkout", checkout)
        event.listen(engine.pool, "checkin", checkin)
        first = client.get("/api/v1/facilities", params={"limit": 5}, headers=admin)
        assert first.status_code == 200, first.text
        some = first.json()["items"][0]["id"]
        answers = [
            client.get(f"/api/v1/facilities/{some}", headers=admin),
            client.get("/api/v1/audit", params={"entity": "facility", "id": some}, headers=admin),  # a write session
            client.post("/api/v1/facilities", json=facility_body(), headers=admin),
        ]
        assert [a.status_code for a in answers] == [200, 200, 201], [a.text[:200] for a in answers]
        assert most[0] == 1
