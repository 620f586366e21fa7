"""Photo integrity: no failure deletes a saved photo, orphans are collected later, reuse is flagged.

The race these tests guard against: inspector X files for a facility that
does not exist while inspector Y files a valid patrol with the same photo.
X's submission fails; it must not remove files that Y's transaction, still
open at that moment, is about to reference. Files nobody references are
collected by ``memorials fsck --remove`` after a grace period instead.
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import httpx2 as httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app as cli
from evidence.photos import clean_filename
from evidence.store import DiskPhotoStore, original_key, screen_key, thumb_key
from inspections import service
from inspections.models import InspectionPhoto
from memorials.db import session_factory, transaction
from tests.factories import PASSWORD, gps_jpeg, inspection_files, inspection_json

FACILITY = 10          # a statue in 上新集镇 (demo district)
OTHER_FACILITY = 11
MISSING_FACILITY = 99999
ROUNDS = int(os.environ.get("MEMORIALS_TEST_RACE_ROUNDS", "40"))


def _keys(sha256: str) -> tuple[str, str, str]:
    return original_key(sha256), screen_key(sha256), thumb_key(sha256)


def _missing_files(app) -> list[str]:
    """Keys that a photo row points to but the store does not hold."""
    with transaction(session_factory(app.state.engine)) as session:
        digests = set(session.scalars(select(InspectionPhoto.sha256)))
    store = app.state.photo_store
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
            store = live_server.app.state.photo_store
            lost_rounds += not all(store.exists(k) for k in _keys(service.sha256_of(photo)))
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


# --- fsck: orphans collected after a grace period ------------------------------


def _age(store: DiskPhotoStore, key: str, hours: float) -> None:
    path = store.path(key)
    assert path is not None
    moment = time.time() - hours * 3600
    os.utime(path, (moment, moment))


def _fsck(db_url, tmp_path, *args):
    env = {"MEMORIALS_DATABASE_URL": db_url, "MEMORIALS_DATA_DIR": str(tmp_path / "data"), "MEMORIALS_TILES": "none"}
    return CliRunner().invoke(cli, ["fsck", *args], env=env, catch_exceptions=False)


@pytest.fixture
def filed_and_orphans(demo_api, demo_db_url, tmp_path):
    """One filed photo, aged 3 days; an orphan aged 3 days; an orphan 2 hours old; a stale partial write."""
    inspector = demo_api.user("inspector")
    store: DiskPhotoStore = demo_api.client.app.state.photo_store
    referenced = _file(demo_api, inspector, FACILITY, [gps_jpeg(114.63, 31.33)]).json()["photos"][0]["sha256"]
    old = _file(demo_api, inspector, MISSING_FACILITY, [gps_jpeg(114.64, 31.34)])
    young = _file(demo_api, inspector, MISSING_FACILITY, [gps_jpeg(114.65, 31.35)])
    assert old.status_code == young.status_code == 422
    digests = {service.sha256_of(gps_jpeg(lon, lat)): name
               for lon, lat, name in ((114.64, 31.34, "old"), (114.65, 31.35, "young"))}
    by_name = {name: digest for digest, name in digests.items()}
    for key in _keys(referenced) + _keys(by_name["old"]):
        _age(store, key, 72)
    for key in _keys(by_name["young"]):
        _age(store, key, 2)
    partial = store.root / "original" / "ab" / ".incoming-k3x9"
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_bytes(b"\xff\xd8\xff half a photo")
    moment = time.time() - 72 * 3600
    os.utime(partial, (moment, moment))
    return store, referenced, by_name["old"], by_name["young"], partial


def test_fsck_has_help():
    result = CliRunner().invoke(cli, ["fsck", "--help"])
    assert result.exit_code == 0 and "--remove" in result.output and "--grace-hours" in result.output


def test_fsck_reports_orphans_and_removes_nothing_by_default(filed_and_orphans, demo_db_url, tmp_path):
    store, referenced, old, young, partial = filed_and_orphans
    result = _fsck(demo_db_url, tmp_path)
    assert result.exit_code == 0, result.output
    assert "7 orphan files" in result.output and "0 missing" in result.output
    assert old[:12] in result.output and young[:12] in result.output and referenced[:12] not in result.output
    assert all(store.exists(k) for k in _keys(referenced) + _keys(old) + _keys(young)) and partial.exists()


def test_fsck_remove_deletes_only_orphans_older_than_the_grace_period(filed_and_orphans, demo_db_url, tmp_path):
    store, referenced, old, young, partial = filed_and_orphans
    result = _fsck(demo_db_url, tmp_path, "--remove")
    assert result.exit_code == 0, result.output
    assert "4 removed" in result.output
    assert not any(store.exists(k) for k in _keys(old)) and not partial.exists()
    assert all(store.exists(k) for k in _keys(young))               # younger than a day: may be in flight
    assert all(store.exists(k) for k in _keys(referenced))          # referenced: never removed, however old
    shorter = _fsck(demo_db_url, tmp_path, "--remove", "--grace-hours", "1")
    assert shorter.exit_code == 0 and "3 removed" in shorter.output
    assert not any(store.exists(k) for k in _keys(young))
    assert all(store.exists(k) for k in _keys(referenced))
    assert not [p for p in store.root.rglob(".*") if p.is_file()]


def test_fsck_reports_rows_whose_files_are_missing(filed_and_orphans, demo_db_url, tmp_path):
    store, referenced, *_ = filed_and_orphans
    store.path(screen_key(referenced)).unlink()
    result = _fsck(demo_db_url, tmp_path, "--remove", "--grace-hours", "0")
    assert result.exit_code == 1
    assert "1 missing" in result.output and referenced in result.output and "screen" in result.output
    assert store.exists(original_key(referenced)) and store.exists(thumb_key(referenced))


def test_a_photo_sent_again_is_freshened_so_collection_spares_it(tmp_path):
    store = DiskPhotoStore(tmp_path / "photos")
    key = original_key("ab" * 32)
    store.put(key, b"bytes")
    _age(store, key, 72)
    cutoff = datetime.now(timezone.utc) - timedelta(days=1)
    store.put(key, b"bytes")                        # a new submission finds it already there
    assert not store.discard_stale(key, before=cutoff) and store.exists(key)
    _age(store, key, 72)
    assert store.freshen(key) and not store.discard_stale(key, before=cutoff)
    _age(store, key, 72)
    assert store.discard_stale(key, before=cutoff) and not store.exists(key)
    assert not store.freshen(key)


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


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("IMG_0001.jpg", "IMG_0001.jpg"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\DCIM\\IMG_0002.jpg", "IMG_0002.jpg"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ("a\x00b\x1fc\x7f\nd.jpg", "abcd.jpg"),
        ("\u2066墓碑\u2069.jpg", "墓碑.jpg"),
        ("", "photo"),
        ("../", "photo"),
        ("..", "photo"),
        ("  \x00 ", "photo"),
        ("x" * 500 + ".jpg", "x" * 196 + ".jpg"),
        ("x" * 500, "x" * 200),
    ],
)
def test_photo_filenames_are_cleaned(sent, stored):
    assert clean_filename(sent) == stored


def test_cleaned_filenames_are_what_the_api_stores(demo_api):
    inspector = demo_api.user("inspector")
    names = ["../../../etc/cron.d/x\u202e.jpg", "C:\\fakepath\\IMG_0003.jpg"]
    photos = [gps_jpeg(114.66, 31.36), gps_jpeg(114.67, 31.37)]
    out = _file(demo_api, inspector, FACILITY, photos, names=names).json()
    assert [p["filename"] for p in out["photos"]] == ["x.jpg", "IMG_0003.jpg"]


def test_photo_routes_accept_any_case_and_answer_404_for_malformed_hashes(demo_api):
    inspector = demo_api.user("inspector")
    photo = gps_jpeg(114.68, 31.38)
    digest = _file(demo_api, inspector, FACILITY, [photo]).json()["photos"][0]["sha256"]
    for size in ("original", "thumb", "screen"):
        upper = demo_api.get(f"/api/v1/photos/{digest.upper()}/{size}", headers=inspector)
        assert upper.status_code == 200, (size, upper.text)
    assert demo_api.get(f"/api/v1/photos/{digest.upper()}/original", headers=inspector).content == photo
    for bad in ("zz" * 32, digest[:63], digest + "0", digest[:62] + "\u00e9\u00e9", "..%2F" * 13, "%00" * 64):
        resp = demo_api.get(f"/api/v1/photos/{bad}/original", headers=inspector)
        assert resp.status_code in (404, 422), (bad, resp.status_code)
