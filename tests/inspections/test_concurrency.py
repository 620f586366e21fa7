"""Several phones at once against a real server: nothing lost, nothing doubled."""

import json
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pytest

from tests.factories import PASSWORD, gps_jpeg, inspection_files, inspection_json

pytestmark = pytest.mark.both_backends


def _token(server, username) -> dict[str, str]:
    resp = httpx.post(f"{server.url}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def _post(server, headers, body, photos, key=None):
    extra = {"Idempotency-Key": key} if key else {}
    return httpx.post(f"{server.url}/api/v1/inspections", headers={**headers, **extra},
                      data={"inspection": json.dumps(body)}, files=inspection_files(photos), timeout=60)


def test_two_inspectors_filing_at_once_keep_both_records(live_server):
    people = [_token(live_server, live_server.add_user("inspector", name=f"patrol{i}")) for i in range(4)]
    jobs = [(people[i % 4], inspection_json((10, 11, 12, 14, 15, 16)[i % 6]), [gps_jpeg(114.5 + i * 0.001, 31.4)]) for i in range(16)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda job: _post(live_server, *job), jobs))
    assert [r.status_code for r in results] == [201] * 16, [r.text for r in results if r.status_code != 201]
    ids = {r.json()["id"] for r in results}
    assert len(ids) == 16
    listed = httpx.get(f"{live_server.url}/api/v1/inspections?limit=100", headers=people[0]).json()
    assert listed["total"] == 16


def test_the_same_submission_racing_itself_is_stored_once(live_server):
    headers = _token(live_server, live_server.add_user("inspector", name="racer"))
    body = inspection_json(12)
    photos = [gps_jpeg(114.6, 31.3), gps_jpeg(114.6001, 31.3)]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: _post(live_server, headers, body, photos, key="phone-42-submission-1"),
                                range(6)))
    codes = sorted(r.status_code for r in results)
    assert codes == [201] * 6, [r.text for r in results]
    assert len({r.json()["id"] for r in results}) == 1
    listed = httpx.get(f"{live_server.url}/api/v1/inspections", headers=headers).json()
    assert listed["total"] == 1
