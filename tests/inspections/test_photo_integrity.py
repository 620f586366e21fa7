"""Patrol photo integrity: no failure deletes a saved photo, reuse is flagged.

The race these tests guard against: inspector X files for a facility that
does not exist while inspector Y files a valid patrol with the same photo.
X's submission fails; it must not remove files that Y's transaction, still
open at that moment, is about to reference. Files nobody references are
collected by ``memorials fsck --remove`` after a grace period instead
(``tests/evidence/test_store.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pytest
from sqlalchemy import select

from evidence.models import Attachment
from evidence.store import original_key, screen_key, thumb_key
from inspections import service
from memorials.db import session_factory, transaction
from tests.factories import PASSWORD, gps_jpeg, inspection_files, inspection_json

pytestmark = pytest.mark.both_backends

FACILITY = 10          # a statue in 上新集镇 (demo district)
OTHER_FACILITY = 11
MISSING_FACILITY = 99999
ROUNDS = int(os.environ.get("MEMORIALS_TEST_RACE_ROUNDS", "40"))


def _keys(sha256: str) -> tuple[str, str, str]:
    return original_key(sha256), screen_key(sha256), thumb_key(sha256)


def _missing_files(app) -> list[str]:
    """Keys that a photo row points to but the store does not hold."""
    with transaction(session_factory(app.state.engine)) as session:
        digests = set(session.scalars(select(Attachment.sha256)))
    store = app.state.evidence_store
    return sorted(k for d in digests for k in _keys(d) if not store.exists(k))


def _file(client, headers, facility_id, photos, *, names=None, **body):
    files = inspection_files(photos)
    if names is not None:
        files = [("photos", (name, data, "image/jpeg")) for name, data in zip(names, photos, strict=True)]
    return client.post("/api/v1/inspections", headers=headers,
                       data={"inspection": json.dumps(inspection_json(facility_id, **body))}, files=files)


# --- item 3: a failed submission never deletes what another one saved ---------


def _token(server, username) -> dict[str, str]:
    resp = httpx.post(f"{server.url}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_failing_and_succeeding_submissions_of_one_photo_race_without_losing_files(live_server):
    """X (no such facility, 422) and Y (valid, 201) send the same new photo at the same moment, many times."""
    x = _token(live_server, live_server.add_user("inspector", name="racer_x"))
    y = _token(live_server, live_server.add_user("inspector", name="racer_y"))

    def post(headers, facility_id, photo, start):
        start.wait()
        return httpx.post(f"{live_server.url}/api/v1/inspections", headers=headers,
                          data={"inspection": json.dumps(inspection_json(facility_id))},
                          files=inspection_files([photo]), timeout=60).status_code

    lost_rounds = 0
    with ThreadPoolExecutor(2) as pool:
        for round_ in range(ROUNDS):
            photo = gps_jpeg(114.5 + round_ * 1e-4, 31.4, taken=f"2026:11:20 10:{round_ // 60:02d}:{round_ % 60:02d}")
            start = threading.Barrier(2)
            failing = pool.submit(post, x, MISSING_FACILITY, photo, start)
            saved = pool.submit(post, y, FACILITY, photo, start)
            assert (failing.result(), saved.result()) == (422, 201)
            store = live_server.app.state.evidence_store
            lost_rounds += not all(store.exists(k) for k in _keys(hashlib.sha256(photo).hexdigest()))
    missing = _missing_files(live_server.app)
    assert missing == [], f"files lost in {lost_rounds} of {ROUNDS} rounds: {missing[:6]}"


def test_a_failure_between_anothers_store_and_commit_keeps_the_files(demo_api, monkeypatch):
    """The race in slow motion: X stores first, Y finds the files there, X fails, then Y commits."""
    x, y = demo_api.user("inspector", name="slow_x"), demo_api.user("inspector", name="slow_y")
    photo = gps_jpeg(114.61, 31.31)
    x_waiting, y_stored, x_done = threading.Event(), threading.Event(), threading.Event()
    real = service.file_inspection

    def paced(**kwargs):
        if kwargs["data"].facility_id == MISSING_FACILITY:
            x_waiting.set()
            assert y_stored.wait(30)      # Y has run its store step and found X's files
        else:
            y_stored.set()
            assert x_done.wait(30)        # X has failed and cleaned up after itself
        return real(**kwargs)

    monkeypatch.setattr(service, "file_inspection", paced)

    def failing():
        try:
            return _file(demo_api, x, MISSING_FACILITY, [photo]).status_code
        finally:
            x_done.set()

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(failing)
        assert x_waiting.wait(30)
        second = pool.submit(lambda: _file(demo_api, y, FACILITY, [photo]))
        assert first.result() == 422
        saved = second.result()
    assert saved.status_code == 201, saved.text
    assert _missing_files(demo_api.client.app) == []
    assert demo_api.get(saved.json()["photos"][0]["urls"]["original"], headers=y).content == photo


def test_a_failing_submission_after_a_saved_one_with_the_same_photo_leaves_the_files(demo_api):
    inspector = demo_api.user("inspector")
    photo = gps_jpeg(114.62, 31.32)
    saved = _file(demo_api, inspector, FACILITY, [photo])
    assert saved.status_code == 201
    assert _file(demo_api, inspector, MISSING_FACILITY, [photo]).status_code == 422
    assert _file(demo_api, inspector, FACILITY, [photo], grade="excellent").status_code == 422
    assert _missing_files(demo_api.client.app) == []
    for url in saved.json()["photos"][0]["urls"].values():
        assert demo_api.get(url, headers=inspector).status_code == 200


# --- item 9: reused photos, clean file names, hash routes ----------------------


def test_one_photo_three_times_in_a_submission_is_stored_once_and_verified_once(demo_api, tmp_path):
    inspector = demo_api.user("inspector")
    site = demo_api.get(f"/api/v1/facilities/{FACILITY}", headers=inspector).json()
    photo = gps_jpeg(site["longitude"], site["latitude"])
    out = _file(demo_api, inspector, FACILITY, [photo, photo, photo]).json()
    assert [p["verification"] for p in out["photos"]] == ["verified", "reused", "reused"]
    assert out["photo_count"] == 3 and out["verified_count"] == 1
    stored = [p for p in (tmp_path / "data" / "photos").rglob("*") if p.is_file()]
    assert len(stored) == 3                          # one original, one screen, one thumb


def test_a_photo_or_capture_time_used_before_at_the_facility_is_reused(demo_api):
    inspector = demo_api.user("inspector")
    site = demo_api.get(f"/api/v1/facilities/{FACILITY}", headers=inspector).json()
    lon, lat = site["longitude"], site["latitude"]
    september = gps_jpeg(lon, lat, taken="2026:09:10 09:00:00")
    first = _file(demo_api, inspector, FACILITY, [september]).json()
    assert first["photos"][0]["verification"] == "verified" and first["verified_count"] == 1
    october = _file(demo_api, inspector, FACILITY, [september]).json()
    assert october["photos"][0]["verification"] == "reused" and october["verified_count"] == 0
    # re-encoded (other bytes, other size) but the same moment of capture
    same_moment = gps_jpeg(lon, lat, taken="2026:09:10 09:00:00", size=(640, 480))
    again = _file(demo_api, inspector, FACILITY, [same_moment, gps_jpeg(lon, lat, taken="2026:10:12 09:00:00")]).json()
    assert [p["verification"] for p in again["photos"]] == ["reused", "verified"] and again["verified_count"] == 1
    # another facility's inspection is not a reuse of this one's photo
    other = demo_api.get(f"/api/v1/facilities/{OTHER_FACILITY}", headers=inspector).json()
    elsewhere = _file(demo_api, inspector, OTHER_FACILITY,
                      [gps_jpeg(other["longitude"], other["latitude"], taken="2026:09:10 09:00:00")]).json()
    assert elsewhere["photos"][0]["verification"] == "verified"


def test_cleaned_filenames_are_what_the_api_stores(demo_api):
    inspector = demo_api.user("inspector")
    names = ["../../../etc/cron.d/x\u202e.jpg", "C:\\fakepath\\IMG_0003.jpg"]
    photos = [gps_jpeg(114.66, 31.36), gps_jpeg(114.67, 31.37)]
    out = _file(demo_api, inspector, FACILITY, photos, names=names).json()
    assert [p["filename"] for p in out["photos"]] == ["x.jpg", "IMG_0003.jpg"]
