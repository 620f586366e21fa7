"""The evidence store over time: ``memorials fsck`` finds orphans and missing files, collection spares what is in use.

Files are never deleted when a submission fails (another one may share the
bytes); ``fsck --remove`` collects files no attachment references once they
are older than a grace period. Photos need three files, documents one.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from evidence.documents import check as check_document
from evidence.models import Kind
from evidence.service import attach
from evidence.store import DiskStore, original_key, screen_key, thumb_key
from evidence.uploads import Accepted
from memorials.db import session_factory, transaction
from tests.evidence.samples import pdf
from tests.factories import gps_jpeg, inspection_files, inspection_json

FACILITY = 10          # a statue in 上新集镇 (demo district)
MISSING_FACILITY = 99999


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _keys(sha256: str) -> tuple[str, str, str]:
    return original_key(sha256), screen_key(sha256), thumb_key(sha256)


def _file(client, headers, facility_id, photos):
    return client.post("/api/v1/inspections", headers=headers,
                       data={"inspection": json.dumps(inspection_json(facility_id))}, files=inspection_files(photos))


def _age(store: DiskStore, key: str, hours: float) -> None:
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
    store: DiskStore = demo_api.client.app.state.evidence_store
    referenced = _file(demo_api, inspector, FACILITY, [gps_jpeg(114.63, 31.33)]).json()["photos"][0]["sha256"]
    # Made once: gps_jpeg stamps the capture time, so a second call a second later is another photo.
    photos = {"old": gps_jpeg(114.64, 31.34), "young": gps_jpeg(114.65, 31.35)}
    old = _file(demo_api, inspector, MISSING_FACILITY, [photos["old"]])
    young = _file(demo_api, inspector, MISSING_FACILITY, [photos["young"]])
    assert old.status_code == young.status_code == 422
    by_name = {name: _sha(data) for name, data in photos.items()}
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
    assert result.exit_code == 3, result.output          # only orphans, some past the grace period
    assert "7 orphan files" in result.output and "0 missing" in result.output
    assert old[:12] in result.output and young[:12] in result.output and referenced[:12] not in result.output
    assert all(store.exists(k) for k in _keys(referenced) + _keys(old) + _keys(young)) and partial.exists()


def test_fsck_remove_deletes_only_orphans_older_than_the_grace_period(filed_and_orphans, demo_db_url, tmp_path):
    store, referenced, old, young, partial = filed_and_orphans
    result = _fsck(demo_db_url, tmp_path, "--remove")
    assert result.exit_code == 0, result.output
    assert "4 removed, 0 quarantined" in result.output
    assert not any(store.exists(k) for k in _keys(old)) and not partial.exists()
    assert all(store.exists(k) for k in _keys(young))               # younger than a day: may be in flight
    assert all(store.exists(k) for k in _keys(referenced))          # referenced: never removed, however old
    shorter = _fsck(demo_db_url, tmp_path, "--remove", "--grace-hours", "1")
    assert shorter.exit_code == 0 and "3 removed, 0 quarantined" in shorter.output
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
    store = DiskStore(tmp_path / "photos")
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


def test_fsck_expects_one_file_for_a_document(demo_api, demo_db_url, tmp_path):
    inspector = demo_api.user("inspector")
    inspection = _file(demo_api, inspector, FACILITY, [gps_jpeg(114.69, 31.39)]).json()
    store: DiskStore = demo_api.client.app.state.evidence_store
    document = check_document(pdf(pages=2), max_bytes=1 << 20)
    document.keep(store)
    with transaction(session_factory(demo_api.app_engine, write=True)) as session:
        attach(session=session, owner_type="inspection", owner_id=inspection["id"],
               accepted=[Accepted("许可.pdf", Kind.document, document.facts)])
    result = _fsck(demo_db_url, tmp_path)
    assert result.exit_code == 0, result.output
    assert "0 orphan files" in result.output and "0 missing" in result.output
    assert "2 photos and documents referenced" in result.output
    os.unlink(store.path(original_key(document.facts.sha256)))
    result = _fsck(demo_db_url, tmp_path)
    assert result.exit_code == 1 and f"{document.facts.sha256}: original missing" in result.output


def test_the_disk_store_offers_no_path_but_open_and_url(tmp_path):
    store = DiskStore(tmp_path / "photos")
    key = original_key(_sha(b"bytes"))
    store.put(key, b"bytes")
    with store.open(key) as file:
        assert file.read() == b"bytes"
    assert store.url(key) is None and store.location == str(tmp_path / "photos")
    with pytest.raises(KeyError):
        store.open(original_key(_sha(b"other")))
