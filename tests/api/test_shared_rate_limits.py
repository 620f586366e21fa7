"""Rate limits hold across server processes: two apps over one database (as two workers would be) share them."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from commemoration import tribute
from memorials import ratelimits
from memorials.actors import SYSTEM
from memorials.db import session_factory, transaction
from memorials.models import Martyr
from tests.conftest import make_settings

pytestmark = pytest.mark.both_backends  # the counter is one upsert per request on each backend


def test_counts_roll_over_with_the_window(demo_session):
    now = [1_000_000.0]
    hits = [ratelimits.hit(demo_session, "k", limit=2, window_s=60, clock=lambda: now[0]) for _ in range(3)]
    assert hits[:2] == [0, 0] and 1 <= hits[2] <= 60
    now[0] += 60
    assert ratelimits.hit(demo_session, "k", limit=2, window_s=60, clock=lambda: now[0]) == 0


def test_two_processes_share_the_tribute_and_sign_in_limits(demo_db_url, tmp_path):
    settings = make_settings(demo_db_url, tmp_path, tribute_messages_per_hour=3, login_rate_per_username=4)
    first, second = create_app(settings), create_app(settings)
    with transaction(session_factory(first.state.engine, write=True)) as s:
        martyr_id = s.query(Martyr.id).filter(Martyr.name == "张德胜").scalar()
        tribute.publish(session=s, actor=SYSTEM, martyr_id=martyr_id, public=True)
    while time.time() % 3600 > 3600 - 60:  # tributes are counted per clock hour: not across its end
        time.sleep(0.5)
    with TestClient(first) as a, TestClient(second) as b:
        url = f"/tribute/martyrs/{martyr_id}/messages"
        codes = [client.post(url, json={"text": f"缅怀先烈{n}"}).status_code
                 for n, client in enumerate((a, a, b, b))]
        assert codes == [201, 201, 201, 429]
        # Sign-in attempts are counted per minute (the window the clock is in): five attempts that straddle
        # a minute's end are counted in two windows, so such a round is tried again with another username.
        for n in range(3):
            began = time.time() // 60
            wrong = {"username": f"nobody-here-{n}", "password": "wrong-password-1"}
            tries = [client.post("/api/v1/auth/token", data=wrong).status_code for client in (a, a, b, b, a)]
            if time.time() // 60 == began:
                break
        assert tries == [401, 401, 401, 401, 429]
