"""200 bookings race for a slot of 50 places against a server of three worker processes: exactly 50 win.

The server is the real ``memorials serve --workers 3`` (uvicorn, three processes) over the same database,
so nothing held in one process's memory can keep the count; only the database's conditional UPDATE does.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from commemoration.models import Booking, Slot
from memorials.db import session_factory, transaction
from memorials.users import create_user
from tests.conftest import _free_port
from tests.factories import DEMO_DISTRICT, PASSWORD
from tests.server_process import Server, call

WORKERS = 3


def _call(url: str, **kwargs: object) -> tuple[int, dict]:
    return call(url, timeout=120, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def served(demo_db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_engine(demo_db_url)
    with transaction(session_factory(engine, write=True)) as s:
        create_user(session=s, username="booker", password=PASSWORD, role="organizer", jurisdiction=DEMO_DISTRICT)
    server = Server({"MEMORIALS_DATABASE_URL": demo_db_url, "MEMORIALS_DATA_DIR": str(tmp_path / "data"),
                     "MEMORIALS_TILES": "none"}, _free_port(), "--workers", str(WORKERS))
    try:
        server.start()
        yield server.base, engine
    finally:
        server.stop()
        engine.dispose()


@pytest.mark.both_backends
def test_200_bookings_for_50_places_across_worker_processes(served):
    base, engine = served
    status, answer = _call(f"{base}/api/v1/auth/token", method="POST", form={"username": "booker", "password": PASSWORD})
    assert status == 200, answer
    token = answer["access_token"]
    status, found = _call(f"{base}/api/v1/facilities?q=421122-0001", token=token)
    facility_id = found["items"][0]["id"]
    status, event = _call(f"{base}/api/v1/events", method="POST", token=token, body={
        "name": "清明祭扫", "kind": "other", "date": "2030-04-05", "facility_ids": [facility_id]})
    assert status == 201, event
    status, slots = _call(f"{base}/api/v1/events/{event['id']}/slots", method="POST", token=token, body={
        "facility_id": facility_id, "date": "2030-04-05", "start": "09:00", "end": "10:00", "capacity": 50})
    assert status == 201, slots
    slot_id = slots[0]["id"]

    def book(n: int) -> int:
        return _call(f"{base}/api/v1/bookings", method="POST", token=token,
                     body={"slot_id": slot_id, "group_name": f"散客{n}", "people": 1})[0]

    with ThreadPoolExecutor(max_workers=40) as pool:
        codes = list(pool.map(book, range(200)))
    assert codes.count(201) == 50 and codes.count(409) == 150, {c: codes.count(c) for c in set(codes)}
    with transaction(session_factory(engine)) as s:
        assert s.scalar(select(Slot.booked).where(Slot.id == slot_id)) == 50
        assert s.scalar(select(func.count()).select_from(Booking).where(Booking.slot_id == slot_id)) == 50
