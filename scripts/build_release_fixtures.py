"""Build tests/fixtures/releases/: a database created by each earlier release, as SQL text.

A release is a commit on main's first-parent history where the set of
migration files changed (the core's ``migrations/versions`` and each domain
package's ``*/migrations``). For each one this script checks the commit out
in a temporary ``git worktree``, runs that release's own ``memorials init``
and ``memorials demo`` into a fresh SQLite file and a fresh PostgreSQL
database, files one patrol with two photos through that release's own API
(when it has patrols; with its own ``tests/factories.py``), and keeps

* ``<name>.sqlite.sql.gz``: ``sqlite3 FILE .dump`` (the sqlite3 command line; it keeps the R*Tree tables);
* ``<name>.postgresql.sql.gz``: plain ``pg_dump --no-owner --no-privileges``;
* ``manifest.json``: per release its commit, date, subject, Alembic heads
  and row count per table, which ``tests/memorials/test_release_upgrades.py``
  checks after upgrading each fixture to the current head.

The release's code runs with this checkout's virtualenv for its third-party
packages (dependencies only grew), but with its own package metadata: a
throw-away ``memorials`` dist-info holding the release's entry points goes
first on ``PYTHONPATH``, so that domain packages added later are not found.

Usage (from the checkout, PostgreSQL with PostGIS reachable)::

    .venv/bin/python scripts/build_release_fixtures.py \
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres [--ref main] [--only 0eac4f9]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "tests" / "fixtures" / "releases"
MIGRATION_FILE = re.compile(r"^(migrations/versions|[a-z_]+/migrations)/[0-9a-z][^/]*\.py$")


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def releases(ref: str) -> list[dict[str, str]]:
    """Commits of ``ref``'s first-parent history where the set of migration files changed, oldest first."""
    found, previous = [], frozenset[str]()
    for line in git("log", "--first-parent", "--reverse", "--format=%H %ad %s", "--date=short", ref).splitlines():
        commit, day, subject = line.split(" ", 2)
        files = frozenset(p for p in git("ls-tree", "-r", "--name-only", commit).splitlines()
                          if MIGRATION_FILE.match(p))
        if files and files != previous:
            found.append({"commit": commit, "date": day, "subject": subject[:120],
                          "migrations": sorted(Path(p).stem for p in files)})
        previous = files
    return found


def _metadata(tree: Path, site: Path) -> str:
    """A dist-info for the release's ``memorials`` with its entry points; answers its console-script target."""
    project = tomllib.loads((tree / "pyproject.toml").read_text())["project"]
    info = site / "memorials-0.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: memorials\nVersion: 0.0.0\n")
    groups = {"console_scripts": project.get("scripts", {}), **project.get("entry-points", {})}
    (info / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in entries.items()) + "\n"
        for group, entries in groups.items()))
    return project["scripts"]["memorials"]


# One patrol with two photos (one geotagged at the site, one without GPS), filed through the release's own
# API with its own test factories, so that every release with patrols leaves inspections and their photo rows.
PATROL = """
import json
from fastapi.testclient import TestClient
from api.main import create_app
from memorials.db import create_db_engine, session_factory, transaction
from memorials.settings import Settings
from memorials.users import create_user
from tests.factories import PASSWORD, gps_jpeg, inspection_files, inspection_json

settings = Settings()
engine = create_db_engine(settings.resolved_database_url())
with transaction(session_factory(engine, write=True)) as s:
    create_user(session=s, username="fixture_inspector", password=PASSWORD, role="inspector", jurisdiction="421122")
engine.dispose()
with TestClient(create_app(settings)) as client:
    token = client.post("/api/v1/auth/token", data={"username": "fixture_inspector", "password": PASSWORD})
    headers = {"Authorization": "Bearer " + token.json()["access_token"]}
    site = client.get("/api/v1/facilities?q=421122-0012", headers=headers).json()["items"][0]
    photos = [gps_jpeg(site["longitude"], site["latitude"]), gps_jpeg(None, None)]
    answer = client.post("/api/v1/inspections", headers={**headers, "Idempotency-Key": "release-fixture"},
                         data={"inspection": json.dumps(inspection_json(site["id"]))}, files=inspection_files(photos))
    assert answer.status_code == 201, answer.text
"""


def _environment(tree: Path, site: Path, url: str, photos: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{tree}", "MEMORIALS_DATABASE_URL": url,
            "MEMORIALS_PHOTO_DIR": str(photos), "MEMORIALS_TILES": "none", "COLUMNS": "200"}


def _python(tree: Path, env: dict[str, str], code: str, *args: str) -> None:
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{args or 'patrol'} failed in {tree}: {done.stdout[-1000:]} {done.stderr[-3000:]}")


def run_release(tree: Path, site: Path, script: str, url: str, photos: Path, *args: str) -> None:
    """``memorials ARGS`` as the release had it, on ``url``."""
    module, _, attribute = script.partition(":")
    code = f"import sys; from {module} import {attribute} as app; sys.argv = ['memorials', *sys.argv[1:]]; app()"
    _python(tree, _environment(tree, site, url, photos), code, *args)


def file_patrol(tree: Path, site: Path, url: str, photos: Path) -> None:
    """A patrol through the release's own API, when the release has patrols."""
    if (tree / "inspections").is_dir():
        _python(tree, _environment(tree, site, url, photos), PATROL)


def make(tree: Path, site: Path, script: str, url: str, photos: Path) -> None:
    """The release's ``init``, ``demo`` and one patrol on an empty database at ``url``."""
    for step in (("init",), ("demo",)):
        run_release(tree, site, script, url, photos, *step)
    file_patrol(tree, site, url, photos)


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        names = sorted(n for n in inspect(engine).get_table_names()
                       if not n.startswith(("idx_", "sqlite_", "spatial_ref_sys", "rtree_")) and "_rtree" not in n)
        with engine.connect() as conn:
            return {n: conn.scalar(text(f'SELECT count(*) FROM "{n}"')) for n in names}
    finally:
        engine.dispose()


def build(release: dict[str, str], postgres: str | None, work: Path) -> dict[str, object]:
    commit = release["commit"]
    tree = work / f"tree-{commit[:8]}"
    git("worktree", "add", "--detach", str(tree), commit)
    try:
        site = work / f"site-{commit[:8]}"
        script = _metadata(tree, site)
        db = work / f"{commit[:8]}.db"
        sqlite_url = f"sqlite:///{db}"
        make(tree, site, script, sqlite_url, work / f"photos-{commit[:8]}")
        entry = {**release, "sqlite": counts(sqlite_url)}
        with sqlite3.connect(db) as conn:
            entry["heads"] = sorted(r[0] for r in conn.execute("SELECT version_num FROM alembic_version"))
        entry["sqlite_dump"] = subprocess.run(["sqlite3", str(db), ".dump"], check=True, capture_output=True,
                                              text=True).stdout
        if postgres:
            entry.update(_postgres(tree, site, script, postgres, commit, work))
        return entry
    finally:
        git("worktree", "remove", "--force", str(tree))


def _postgres(tree: Path, site: Path, script: str, admin_url: str, commit: str, work: Path) -> dict[str, object]:
    database = f"release_fixture_{commit[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    url = make_url(admin_url).set(database=database)
    try:
        plain = url.render_as_string(hide_password=False)
        make(tree, site, script, plain, work / f"pg-photos-{commit[:8]}")
        libpq = plain.replace("postgresql+psycopg://", "postgresql://")
        dump = subprocess.run(["pg_dump", "--no-owner", "--no-privileges", "--dbname", libpq],
                              check=True, capture_output=True, text=True).stdout
        return {"postgresql": counts(plain), "postgresql_dump": dump}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="branch whose first-parent history holds the releases")
    parser.add_argument("--postgres", default=os.environ.get("MEMORIALS_TEST_POSTGRES_URL"),
                        help="an admin URL of a PostgreSQL with PostGIS (databases are created and dropped)")
    parser.add_argument("--only", help="rebuild only the release whose commit starts with this")
    args = parser.parse_args()
    TARGET.mkdir(parents=True, exist_ok=True)
    manifest_path = TARGET / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"releases": []}
    kept = {r["commit"]: r for r in manifest["releases"]}
    found = releases(args.ref)
    with tempfile.TemporaryDirectory(prefix="release-fixtures-") as tmp:
        for index, release in enumerate(found, start=1):
            if args.only and not release["commit"].startswith(args.only):
                continue
            print(f"{index:02d} {release['commit'][:8]} {release['date']} {release['subject'][:60]}", flush=True)
            entry = build(release, args.postgres, Path(tmp))
            name = f"{index:02d}-{release['commit'][:8]}"
            entry["name"] = name
            for backend in ("sqlite", "postgresql"):
                dump = entry.pop(f"{backend}_dump", None)
                if dump is not None:
                    with open(TARGET / f"{name}.{backend}.sql.gz", "wb") as raw, \
                            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as out:
                        out.write(dump.encode())
            kept[release["commit"]] = entry
    order = [r["commit"] for r in found]
    manifest = {"about": "databases created by each earlier release (scripts/build_release_fixtures.py)",
                "releases": [kept[c] for c in order if c in kept]}
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
