"""200 bookings race for a slot of 50 places against a server of three worker processes: exactly 50 win.

The server is the real ``memorials serve --workers 3`` (uvicorn, three processes) over the same database,
so nothing held in one process's memory can keep the count; only the database's conditional UPDATE does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from commemoration.models import Booking, Slot
from memorials.db import session_factory, transaction
from memorials.users import create_user
from tests.conftest import _free_port
from tests.factories import DEMO_DISTRICT, PASSWORD

WORKERS = 3


def _call(url: str, *, method: str = "GET", body: dict | None = None, token: str = "", form: dict | None = None
          ) -> tuple[int, dict]:
    data, headers = None, {}
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=120) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.fixture
def served(demo_db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_engine(demo_db_url)
    with transaction(session_factory(engine, write=True)) as s:
        create_user(session=s, username="booker", password=PASSWORD, role="organizer", jurisdiction=DEMO_DISTRICT)
    port = _free_port()
    env = {**os.environ, "MEMORIALS_DATABASE_URL": demo_db_url, "MEMORIALS_DATA_DIR": str(tmp_path / "data"),
           "MEMORIALS_TILES": "none", "MEMORIALS_PORT": str(port)}
    server = subprocess.Popen([str(Path(sys.executable).with_name("memorials")), "serve", "--workers", str(WORKERS)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:  # wait for the server to answer, not for a fixed time
        try:
            if _call(f"{base}/health")[0] == 200:
                break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            os.killpg(server.pid, signal.SIGKILL)  # the workers too, or they hold the output open
            raise RuntimeError(f"server did not start: {server.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
        time.sleep(0.2)
    try:
        yield base, engine
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
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
