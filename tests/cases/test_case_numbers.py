"""Case numbers are unique and gap-free when officers open cases at once; retried requests create nothing twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pytest

from api.main import create_app
from tests.cases.helpers import current_martyrs
from tests.conftest import make_settings, serving
from tests.factories import PASSWORD

pytestmark = pytest.mark.both_backends


def test_ten_cases_opened_at_once_get_ten_numbers_in_order(demo_db_url, tmp_path):
    app = create_app(make_settings(demo_db_url, tmp_path))
    with serving(app) as server:
        name = server.add_user("case_officer")
        token = httpx.post(server.url + "/api/v1/auth/token", data={"username": name, "password": PASSWORD},
                           timeout=60).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        cemetery = server.demo_facility_id("421122-0001")
        burials = httpx.get(f"{server.url}/api/v1/facilities/{cemetery}/burials", headers=headers, timeout=60).json()
        burials = burials["items"] if isinstance(burials, dict) else burials
        martyrs = [b["martyr_id"] for b in burials if b["until"] is None][:10]

        def open_case(martyr_id: int) -> httpx.Response:
            body = {"kind": "cross_region", "martyr_ids": [martyr_id], "receiving_division_code": "411523",
                    "receiving_bureau": "新县退役军人事务局", "receiving_place": "新县烈士陵园"}
            return httpx.post(server.url + "/api/v1/cases/relocations", json=body, headers=headers, timeout=120)

        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(open_case, martyrs))
        searches = [httpx.post(server.url + "/api/v1/cases/family-searches", json={"martyr_id": m},
                               headers=headers, timeout=60) for m in martyrs[:2]]
    assert [a.status_code for a in answers] == [201] * 10, [a.text for a in answers if a.status_code != 201]
    numbers = sorted(a.json()["number"] for a in answers)
    stem, first = numbers[0][: -len("001")], int(numbers[0][-3:])   # after the demo's cases of this year
    assert numbers == [f"{stem}{n:03d}" for n in range(first, first + 10)]
    tails = [int(s.json()["number"][-3:]) for s in searches]
    assert tails[1] == tails[0] + 1


def test_a_retried_creation_and_consent_are_stored_once(demo_api):
    api = demo_api
    (martyr,) = current_martyrs(api, "421122-0012")
    headers = {**api.user("case_officer"), "Idempotency-Key": "case-open-1"}
    body = {"kind": "cross_region", "martyr_ids": [martyr], "receiving_division_code": "411523",
            "receiving_bureau": "新县退役军人事务局", "receiving_place": "新县烈士陵园"}
    first = api.post("/api/v1/cases/relocations", headers=headers, json=body)
    again = api.post("/api/v1/cases/relocations", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and again.headers.get("Idempotent-Replayed") == "true"
    listed = api.get("/api/v1/cases/relocations", params={"martyr_id": martyr}, headers=api.user("viewer")).json()
    assert listed["total"] == 1
    # Another key for the same martyr: he is already in an open case.
    other = api.post("/api/v1/cases/relocations", headers={**headers, "Idempotency-Key": "case-open-2"}, json=body)
    assert other.status_code == 409 and "already in relocation case" in other.json()["detail"]
