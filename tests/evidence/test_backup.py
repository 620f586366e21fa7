"""`memorials backup` and `memorials restore` on both backends: a restore into an empty database gives the same
rows (counts and content digests per table) and the same evidence files (SHA-256), photos included."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from api.cli import app
from evidence.backup import table_digests
from memorials.db import create_db_engine
from tests.conftest import PG_URL, _pg_admin_engine
from tests.factories import gps_jpeg, inspection_files, inspection_json

pytestmark = pytest.mark.both_backends
runner = CliRunner()


def _empty_database(backend: str, templates, tmp_path: Path) -> str:  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}"
    name = f"mem_restore_{uuid.uuid4().hex[:10]}"
    with _pg_admin_engine().connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    templates.pg_databases.append(name)
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def test_a_backup_restores_into_an_empty_database_identically(demo_api, demo_db_url, backend, templates, tmp_path):
    inspector = demo_api.user("inspector")
    fid = demo_api.demo_facility_id("421122-0012")
    site = demo_api.get(f"/api/v1/facilities/{fid}", headers=inspector).json()
    filed = demo_api.post("/api/v1/inspections", headers=inspector,
                          data={"inspection": json.dumps(inspection_json(fid))},
                          files=inspection_files([gps_jpeg(site["longitude"], site["latitude"])]))
    assert filed.status_code == 201, filed.text
    source_env = {"MEMORIALS_DATABASE_URL": demo_db_url, "MEMORIALS_DATA_DIR": str(tmp_path / "data"),
                  "MEMORIALS_TILES": "none"}
    folder = tmp_path / "backup"
    made = runner.invoke(app, ["backup", str(folder)], env=source_env, catch_exceptions=False)
    assert made.exit_code == 0, made.output
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["inspections"]["rows"] == 1 and len(manifest["files"]) == 3  # original + 2 sizes
    again = runner.invoke(app, ["backup", str(folder)], env=source_env)
    assert again.exit_code == 2 and "not empty" in again.output

    target_url = _empty_database(backend, templates, tmp_path)
    target_env = {"MEMORIALS_DATABASE_URL": target_url, "MEMORIALS_DATA_DIR": str(tmp_path / "restored"),
                  "MEMORIALS_TILES": "none"}
    restored = runner.invoke(app, ["restore", str(folder)], env=target_env, catch_exceptions=False)
    assert restored.exit_code == 0, restored.output
    assert "counts and hashes match" in restored.output
    engine = create_db_engine(target_url)
    try:
        assert table_digests(engine) == manifest["tables"]
    finally:
        engine.dispose()
    photos = tmp_path / "restored" / "photos"
    assert sum(1 for p in photos.rglob("*") if p.is_file()) == 3
    refused = runner.invoke(app, ["restore", str(folder)], env=target_env)
    assert refused.exit_code == 2 and "already holds a registry" in refused.output
