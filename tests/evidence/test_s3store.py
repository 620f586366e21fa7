"""The S3-compatible store against a real S3 server started locally (moto's standalone server, from PyPI).

The same contract as the disk store: put/open/exists, freshen renews an object's time, collection removes
only what was not renewed; and the app, configured with ``photo_store=s3``, keeps a patrol's photos in the
bucket and serves them back.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from evidence.s3store import S3Store
from evidence.store import original_key, screen_key, thumb_key
from tests.conftest import _free_port, make_settings
from tests.factories import gps_jpeg, inspection_files, inspection_json

BUCKET = "memorials-evidence"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "cn-north-1"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = shutil.which("moto_server") or str(Path(sys.executable).with_name("moto_server"))
    port = _free_port()
    process = subprocess.Popen([server, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:  # until it answers, not a fixed time
        try:
            urllib.request.urlopen(url, timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.1)
    saved = {k: os.environ.get(k) for k in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    try:
        yield url
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def store(s3_endpoint, request):
    s3 = S3Store(bucket=BUCKET, prefix=request.node.name[:40], endpoint_url=s3_endpoint)
    try:
        s3.client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
    except s3.client.exceptions.BucketAlreadyOwnedByYou:
        pass
    return s3


def test_the_store_contract_on_s3(store):
    digest = "ab" * 32
    key = original_key(digest)
    assert not store.exists(key) and not store.freshen(key)
    with pytest.raises(KeyError):
        store.open(key)
    store.put(key, b"photo bytes")
    store.put(key, b"photo bytes")  # idempotent
    assert store.exists(key) and store.open(key).read() == b"photo bytes" and store.url(key) is None
    store.put(thumb_key(digest), b"thumb")
    assert {(f.key, f.sha256, f.size) for f in store.files()} == {(key, digest, 11), (thumb_key(digest), digest, 5)}
    before = datetime.now(timezone.utc) + timedelta(seconds=5)
    assert store.freshen(key)
    assert not store.discard_stale(key, before=datetime.now(timezone.utc) - timedelta(hours=1))  # renewed since
    assert store.discard_stale(thumb_key(digest), before=before)
    assert not store.exists(thumb_key(digest)) and store.exists(key)
    assert store.location.startswith(f"s3://{BUCKET}/")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_patrols_photos_live_in_the_bucket(s3_endpoint, demo_db_url, tmp_path):
    settings = make_settings(demo_db_url, tmp_path, photo_store="s3", s3_bucket=BUCKET, s3_prefix="app",
                             s3_endpoint_url=s3_endpoint)
    app = create_app(settings)
    bucket = S3Store(bucket=BUCKET, prefix="app", endpoint_url=s3_endpoint)
    try:
        bucket.client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
    except bucket.client.exceptions.BucketAlreadyOwnedByYou:
        pass
    from tests.conftest import ApiClient

    with TestClient(app) as client:
        api = ApiClient(client=client, app_engine=app.state.engine)
        inspector = api.user("inspector")
        fid = api.demo_facility_id("421122-0012")
        site = api.get(f"/api/v1/facilities/{fid}", headers=inspector).json()
        resp = api.post("/api/v1/inspections", headers=inspector,
                        data={"inspection": json.dumps(inspection_json(fid))},
                        files=inspection_files([gps_jpeg(site["longitude"], site["latitude"])]))
        assert resp.status_code == 201, resp.text
        digest = resp.json()["photos"][0]["sha256"]
        assert all(bucket.exists(k(digest)) for k in (original_key, screen_key, thumb_key))
        thumb = api.get(f"/api/v1/photos/{digest}/thumb", headers=inspector)
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        assert thumb.content == bucket.open(thumb_key(digest)).read()
        # `memorials fsck` on the bucket: an orphan goes after the grace period, the patrol's files stay.
        from evidence.fsck import check, collect
        from memorials.db import session_factory, transaction

        orphan = original_key("cd" * 32)
        bucket.put(orphan, b"left by a failed request")
        with transaction(session_factory(app.state.engine)) as s:
            found = check(session=s, store=app.state.evidence_store, verify=True,
                          stale_before=datetime.now(timezone.utc) + timedelta(seconds=5))
        assert found.problems == [] and found.verified == 1 and found.exit_code == 3
        collect(found, app.state.evidence_store)
        assert [f.key for f in found.removed] == [orphan] and found.exit_code == 0
        # Dangling references in the bucket: a display size gone, an original with other bytes of its size.
        size = len(bucket.open(original_key(digest)).read())
        bucket.put(original_key(digest), b"\0" * size)
        bucket.client.delete_object(Bucket=BUCKET, Key=f"app/{thumb_key(digest)}")
        with transaction(session_factory(app.state.engine)) as s:
            found = check(session=s, store=app.state.evidence_store, verify=True,
                          stale_before=datetime.now(timezone.utc))
        assert {(f.problem, f.ident) for f in found.problems} == {("missing_file", digest),
                                                                   ("checksum_mismatch", digest)}
        assert found.missing == {digest: ["thumb"]} and found.exit_code == 1
        assert not bucket.exists(orphan) and bucket.exists(original_key(digest))
    assert not (tmp_path / "data" / "photos").exists() or not any((tmp_path / "data" / "photos").rglob("*.jpg"))


def test_s3_needs_a_bucket(tmp_path):
    with pytest.raises(ValueError, match="MEMORIALS_S3_BUCKET"):
        make_settings("sqlite:///x.db", tmp_path, photo_store="s3")
