"""A database created by every earlier release upgrades to the current head, its records intact and usable.

``tests/fixtures/releases/`` holds, per release (a commit on main where the
set of migrations changed), the database that release's own ``memorials
init`` and ``memorials demo`` made, with one patrol of two photos filed
through its own API from the release with patrols on, as SQL text for SQLite and PostgreSQL,
and a manifest with its row counts (``scripts/build_release_fixtures.py``
makes them). Each is loaded into a fresh database, upgraded with the current
migrations, and then: every table it had still holds its rows, the
facilities, martyrs and users are the same, no integrity check of ``memorials
fsck`` finds anything, and the API and pages answer on it.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from api.main import create_app
from memorials import domains
from memorials.db import create_db_engine, session_factory, transaction
from memorials.migrate import current_revision, head_revision, upgrade
from memorials.users import create_user
from tests.conftest import PG_URL, _pg_admin_engine, make_settings
from tests.factories import PASSWORD

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "releases"
RELEASES = json.loads((FIXTURES / "manifest.json").read_text())["releases"]

def _load(backend: str, name: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database holding the release's fixture, its URL."""
    script = gzip.decompress((FIXTURES / f"{name}.{'sqlite' if backend == 'sqlite' else 'postgresql'}.sql.gz")
                             .read_bytes()).decode()
    if backend == "sqlite":
        path = tmp_path / "release.db"
        with sqlite3.connect(path) as conn:  # the dump's R*Tree tables appear once the file is opened again
            conn.executescript(script)
        conn.close()
        yield f"sqlite:///{path}"
        return
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("psql (PostgreSQL's client) is needed to load a pg_dump and is not installed")
    database = f"mem_release_{uuid.uuid4().hex[:10]}"
    with _pg_admin_engine().connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    url = make_url(PG_URL).set(database=database)
    try:
        libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
        subprocess.run([psql, "-q", "-v", "ON_ERROR_STOP=1", "-d", libpq], input=script.encode(), check=True,
                       capture_output=True)
        yield url.render_as_string(hide_password=False)
    finally:
        with _pg_admin_engine().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


def _content(engine: Engine) -> dict[str, list]:
    """What must survive every upgrade unchanged: the registry's facilities, martyrs, burials, users, audit trail."""
    queries = {
        "facilities": "SELECT code, name, kind, protection_level, division_code FROM facilities ORDER BY code",
        "martyrs": "SELECT name, birth_date, death_date FROM martyrs ORDER BY id",
        "burials": "SELECT martyr_id, facility_id FROM burials ORDER BY id",
        "users": "SELECT username, role, jurisdiction FROM users ORDER BY username",
        "audit": "SELECT entity, entity_id, action FROM audit_entries ORDER BY id",
    }
    with engine.connect() as conn:
        return {key: [tuple(row) for row in conn.execute(text(sql))] for key, sql in queries.items()}


@pytest.mark.both_backends
@pytest.mark.parametrize("release", RELEASES, ids=[r["name"] for r in RELEASES])
def test_a_release_database_upgrades_to_head(release, backend, tmp_path):
    loader = _load(backend, release["name"], tmp_path)
    url = next(loader)
    try:
        _check(release, backend, url, tmp_path)
    finally:
        loader.close()


def _check(release: dict, backend: str, url: str, tmp_path: Path) -> None:
    engine = create_db_engine(url)
    try:
        assert current_revision(engine) == "+".join(sorted(release["heads"]))
        before = _content(engine)
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        after_tables = set(inspect(engine).get_table_names())
        counts = release["sqlite" if backend == "sqlite" else "postgresql"]
        with engine.connect() as conn:
            kept = {t: conn.scalar(text(f'SELECT count(*) FROM "{t}"')) for t in counts
                    if t in after_tables and t != "alembic_version"}
        assert kept == {t: n for t, n in counts.items() if t in kept}
        with engine.connect() as conn:  # a patrol's photos moved from inspection_photos to attachments (0005)
            photos = conn.scalar(text("SELECT count(*) FROM attachments"))
        assert photos == counts.get("attachments", 0) + counts.get("inspection_photos", 0)
        assert _content(engine) == before
        with transaction(session_factory(engine, write=True)) as session:
            findings = [f for _, check in domains.integrity_checks() for f in check(session)]
            create_user(session=session, username="upgrade_admin", password=PASSWORD, role="admin", jurisdiction="")
        assert findings == []
    finally:
        engine.dispose()
    _use(url, tmp_path, facilities=counts["facilities"], martyrs=counts["martyrs"])


def _use(url: str, tmp_path: Path, *, facilities: int, martyrs: int) -> None:
    """The API and the pages answer on the upgraded database."""
    with TestClient(create_app(make_settings(url, tmp_path))) as client:
        assert client.get("/health").json()["revision"] == head_revision()
        token = client.post("/api/v1/auth/token", data={"username": "upgrade_admin", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        listed = client.get("/api/v1/facilities?limit=5", headers=headers)
        assert listed.status_code == 200 and listed.json()["total"] == facilities
        first = listed.json()["items"][0]["id"]
        assert client.get("/api/v1/martyrs?limit=5", headers=headers).json()["total"] == martyrs
        for path in (f"/api/v1/facilities/{first}", f"/api/v1/audit?entity=facility&id={first}",
                     "/api/v1/inspections?limit=5", "/api/v1/compliance?division=421122&from=2026-01&to=2026-06",
                     "/api/v1/repairs", "/api/v1/cases/relocations", "/api/v1/events"):
            assert client.get(path, headers=headers).status_code == 200, path
        form = client.get("/login").text
        csrf = form.split('name="csrf_token" value="')[1].split('"')[0]
        signed_in = client.post("/login", data={"username": "upgrade_admin", "password": PASSWORD,
                                                "csrf_token": csrf, "next": "/"}, follow_redirects=False)
        assert signed_in.status_code == 303, signed_in.text
        for page in ("/", f"/facilities/{first}", "/facilities", "/inspections", "/map"):
            answer = client.get(page)
            assert answer.status_code == 200 and "<html" in answer.text, (page, answer.status_code)


def test_every_fixture_is_an_earlier_state_of_this_migration_graph():
    """Fixtures come from this project's history: each release's heads are revisions the code still has.

    The release being made has no fixture yet (it would upgrade trivially);
    once it is on main, ``scripts/build_release_fixtures.py`` adds it for
    the releases after it.
    """
    from alembic.script import ScriptDirectory

    from memorials.migrate import _config

    script = ScriptDirectory.from_config(_config())
    known = {rev.revision for rev in script.walk_revisions()}
    assert RELEASES, "no release fixtures"
    for release in RELEASES:
        assert set(release["heads"]) <= known, (release, "a head the migrations no longer have")
