"""``memorials fsck`` beyond orphans: dangling references of every kind, ``--json``, ``--verify``, ``--quarantine``.

The demo district (a year of repairs with photos is not in the tests' demo,
but its cases, proxy visits and one filed patrol are) must come out clean;
then each kind of damage a crash or a hand edit could leave is made in the
database or the store, and fsck names it and exits with 1. Orphans past the
grace period alone exit with 3; ``--quarantine`` moves them aside.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from api.cli import app as cli
from evidence.store import DiskStore, original_key
from tests.factories import gps_jpeg, inspection_files, inspection_json

FACILITY = 10


def _fsck(db_url, tmp_path, *args):
    env = {"MEMORIALS_DATABASE_URL": db_url, "MEMORIALS_DATA_DIR": str(tmp_path / "data"), "MEMORIALS_TILES": "none"}
    return CliRunner().invoke(cli, ["fsck", *args], env=env, catch_exceptions=False)


@pytest.fixture
def filed(demo_api):
    """One patrol with one photo, through the API: (inspection id, photo SHA-256, the store)."""
    inspector = demo_api.user("inspector")
    resp = demo_api.post("/api/v1/inspections", headers=inspector,
                         data={"inspection": json.dumps(inspection_json(FACILITY))},
                         files=inspection_files([gps_jpeg(114.63, 31.33)]))
    assert resp.status_code == 201, resp.text
    return resp.json()["id"], resp.json()["photos"][0]["sha256"], demo_api.client.app.state.evidence_store


def test_the_demo_district_with_a_patrol_is_clean(filed, demo_db_url, tmp_path):
    result = _fsck(demo_db_url, tmp_path, "--json", "--verify")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["clean"] and report["problems"] == [] and report["orphans"] == []
    assert report["verified"] == report["referenced"] >= 1


@pytest.mark.both_backends
def test_fsck_names_every_dangling_reference(filed, demo_api, demo_db_url, tmp_path):
    inspection_id, digest, store = filed
    with demo_api.app_engine.begin() as conn:
        conn.execute(text("UPDATE inspections SET photo_count = photo_count + 1 WHERE id = :i"), {"i": inspection_id})
        conn.execute(text(
            "INSERT INTO attachments (owner_type, owner_id, position, kind, sha256, filename, format, size_bytes, "
            "gap_flagged, created_at) SELECT owner_type, 999999, position, kind, sha256, filename, format, "
            "size_bytes, gap_flagged, created_at FROM attachments WHERE owner_type = 'inspection' AND owner_id = :i"),
            {"i": inspection_id})
        case_id = conn.scalar(text("SELECT min(id) FROM relocation_cases WHERE status = 'approved'"))
        conn.execute(text("UPDATE relocation_cases SET status = 'exhumed' WHERE id = :i"), {"i": case_id})
    original = store.path(original_key(digest))
    original.write_bytes(b"\0" * original.stat().st_size)  # same size, other bytes: only --verify sees it
    result = _fsck(demo_db_url, tmp_path, "--json")
    assert result.exit_code == 1, result.output
    found = {(p["problem"], p["entity"], p["ident"]) for p in json.loads(result.output)["problems"]}
    assert ("photo_count", "inspection", str(inspection_id)) in found
    assert any(p == "missing_owner" for p, _, _ in found)
    assert ("unaudited_state", "relocation_case", str(case_id)) in found
    assert not any(p == "checksum_mismatch" for p, _, _ in found)
    verified = _fsck(demo_db_url, tmp_path, "--json", "--verify")
    assert ("checksum_mismatch", "attachment", digest) in {
        (p["problem"], p["entity"], p["ident"]) for p in json.loads(verified.output)["problems"]}
    text_output = _fsck(demo_db_url, tmp_path).output
    assert "inspection" in text_output and "other dangling references" in text_output and "exhumed" in text_output


def test_quarantine_moves_old_orphans_aside_and_keeps_young_ones(filed, demo_db_url, tmp_path):
    _, digest, store = filed
    assert isinstance(store, DiskStore)
    old, young = original_key("ab" * 32), original_key("cd" * 32)
    store.put(old, b"left by a killed request")
    store.put(young, b"maybe in flight")
    moment = time.time() - 72 * 3600
    os.utime(store.path(old), (moment, moment))
    assert _fsck(demo_db_url, tmp_path).exit_code == 3          # old orphans, nothing dangling
    aside = tmp_path / "quarantine"
    both = _fsck(demo_db_url, tmp_path, "--remove", "--quarantine", str(aside))
    assert both.exit_code == 2 and store.exists(old)            # one or the other, not both
    result = _fsck(demo_db_url, tmp_path, "--quarantine", str(aside), "--json")
    assert result.exit_code == 0, result.output
    collected = {o["key"]: o["collected"] for o in json.loads(result.output)["orphans"]}
    assert collected == {old: "quarantined", young: None}
    assert (aside / old).read_bytes() == b"left by a killed request"
    assert not store.exists(old) and store.exists(young) and store.exists(original_key(digest))
    assert _fsck(demo_db_url, tmp_path).exit_code == 0
