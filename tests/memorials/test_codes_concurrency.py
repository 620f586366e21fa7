"""Registry codes stay unique and gap-free when planners create facilities at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pytest

from api.main import create_app
from tests.conftest import make_settings, serving
from tests.factories import DEMO_DISTRICT, PASSWORD, facility_body

pytestmark = pytest.mark.both_backends


def test_twenty_facilities_created_at_once_in_one_county(db_url, tmp_path):
    app = create_app(make_settings(db_url, tmp_path))
    with serving(app) as server:
        name = server.add_user("planner", jurisdiction=DEMO_DISTRICT)
        token = httpx.post(server.url + "/api/v1/auth/token", data={"username": name, "password": PASSWORD},
                           timeout=60).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        bodies = [facility_body() for _ in range(20)]

        def create(body: dict) -> httpx.Response:
            return httpx.post(server.url + "/api/v1/facilities", json=body, headers=headers, timeout=120)

        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(create, bodies))
    assert [a.status_code for a in answers] == [201] * 20, [a.text for a in answers if a.status_code != 201]
    codes = sorted(a.json()["code"] for a in answers)
    assert codes == [f"{DEMO_DISTRICT}-{n:04d}" for n in range(1, 21)]
