"""Retried requests create nothing new; oversized requests are refused whole."""

import json

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from memorials.db import session_factory, transaction
from memorials.users import create_user
from tests.conftest import make_settings
from tests.factories import PASSWORD, facility_body, gps_jpeg, inspection_files, inspection_json, martyr_body

pytestmark = pytest.mark.both_backends


def test_retried_creation_gives_the_first_answer(api):
    h = api.user("planner")
    body = facility_body()
    first = api.post("/api/v1/facilities", json=body, headers={**h, "Idempotency-Key": "create-grave-1"})
    again = api.post("/api/v1/facilities", json=body, headers={**h, "Idempotency-Key": "create-grave-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert api.get("/api/v1/facilities", headers=h).json()["total"] == 1
    martyr = martyr_body()
    m1 = api.post("/api/v1/martyrs", json=martyr, headers={**h, "Idempotency-Key": "martyr-1"})
    m2 = api.post("/api/v1/martyrs", json=martyr, headers={**h, "Idempotency-Key": "martyr-1"})
    assert m1.json()["id"] == m2.json()["id"]
    assert api.get("/api/v1/martyrs", headers=h).json()["total"] == 1


def test_a_key_reused_for_another_request_is_refused(api):
    h = api.user("planner")
    api.post("/api/v1/facilities", json=facility_body(), headers={**h, "Idempotency-Key": "k-1"})
    other = api.post("/api/v1/facilities", json=facility_body(), headers={**h, "Idempotency-Key": "k-1"})
    assert other.status_code == 422 and other.json()["detail"][0]["loc"][-1] == "Idempotency-Key"
    long = api.post("/api/v1/facilities", json=facility_body(), headers={**h, "Idempotency-Key": "x" * 300})
    assert long.status_code == 422
    assert api.get("/api/v1/facilities", headers=h).json()["total"] == 1


def test_a_failed_request_can_be_retried_with_its_key(api):
    h = api.user("planner")
    bad = facility_body(longitude=31.45, latitude=114.7)
    assert api.post("/api/v1/facilities", json=bad, headers={**h, "Idempotency-Key": "k-2"}).status_code == 422
    good = api.post("/api/v1/facilities", json=facility_body(), headers={**h, "Idempotency-Key": "k-3"})
    assert good.status_code == 201


def test_oversized_requests_are_413(db_url, tmp_path):
    app = create_app(make_settings(db_url, tmp_path, max_request_bytes=50_000))
    with TestClient(app) as client:
        big = b"x" * 60_000
        declared = client.post("/api/v1/auth/token", content=big,
                               headers={"content-type": "application/x-www-form-urlencoded"})
        assert declared.status_code == 413 and "larger than" in declared.json()["detail"][0]["msg"]

        def chunks():
            for _ in range(20):
                yield b"y" * 5000

        streamed = client.post("/api/v1/inspections", content=chunks(),
                               headers={"content-type": "multipart/form-data; boundary=zz"})
        assert streamed.status_code == 413
        assert client.get("/health").status_code == 200


def test_photo_size_and_verification_radius_are_settings(demo_db_url, tmp_path):
    settings = make_settings(demo_db_url, tmp_path, max_photo_bytes=30_000, photo_verify_radius_m=10)
    app = create_app(settings)
    with TestClient(app) as client:
        with transaction(session_factory(app.state.engine, write=True)) as s:
            create_user(session=s, username="walker", password=PASSWORD, role="inspector", jurisdiction="421122")
        token = client.post("/api/v1/auth/token", data={"username": "walker", "password": PASSWORD}).json()
        h = {"Authorization": f"Bearer {token['access_token']}"}
        site = client.get("/api/v1/facilities/10", headers=h).json()
        near = gps_jpeg(site["longitude"] + 0.0005, site["latitude"])     # ~48 m: far with a 10 m radius
        big = gps_jpeg(site["longitude"], site["latitude"], size=(1600, 1200))
        assert len(near) < 30_000 < len(big)
        refused = client.post("/api/v1/inspections", headers=h, data={"inspection": json.dumps(inspection_json(10))},
                              files=inspection_files([near, big]))
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"][-1] == "photos[1]" and "larger than" in refused.json()["detail"][0]["msg"]
        filed = client.post("/api/v1/inspections", headers=h, data={"inspection": json.dumps(inspection_json(10))},
                            files=inspection_files([near]))
        assert filed.status_code == 201 and filed.json()["photos"][0]["verification"] == "far"
