"""``memorials backup`` and ``memorials restore``: the database and the evidence files, consistent while serving.

A backup is a folder: ``database.sqlite`` (SQLite's online backup API: one
consistent snapshot while the server writes) or ``database.dump``
(``pg_dump --format=custom``: one transaction's snapshot), then every
evidence file (originals, display sizes) copied from the store, and a
``manifest.json`` with each table's row count and content digest and each
file's SHA-256. Files are content-addressed and never change, and ``fsck``
removes only orphans past a grace period, so every file the snapshot
references is still there when it is copied; files written after the
snapshot come along harmlessly. ``restore`` refuses a database that already
holds a registry, loads the snapshot, puts the files into the configured
store and checks the counts, digests and hashes against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, func, inspect, select
from sqlalchemy.engine import make_url

from evidence.store import Store
from memorials.db import Base
from memorials.domains import discover

MANIFEST = "manifest.json"
SKIPPED_TABLES = {"spatial_ref_sys", "alembic_version"}


class BackupError(RuntimeError):
    """A backup or restore that cannot go on, and why."""


@dataclass
class Summary:
    tables: dict[str, dict[str, object]]
    files: dict[str, str]


def _metadata() -> MetaData:
    for package in discover():
        for module in package.models:
            __import__(module)
    return Base.metadata


def table_digests(engine: Engine) -> dict[str, dict[str, object]]:
    """Row count and a SHA-256 over every row (in primary-key order) of each of our tables."""
    out: dict[str, dict[str, object]] = {}
    present = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        for table in _metadata().sorted_tables:
            if table.name not in present or table.name in SKIPPED_TABLES:
                continue
            digest = hashlib.sha256()
            order = list(table.primary_key.columns) or list(table.columns)
            count = conn.scalar(select(func.count()).select_from(table)) or 0
            for row in conn.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
            out[table.name] = {"rows": count, "sha256": digest.hexdigest()}
    return out


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def backup(*, engine: Engine, url: str, store: Store, target: Path) -> Summary:
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: back up into a new folder")
    target.mkdir(parents=True, exist_ok=True)
    started = datetime.now(timezone.utc)
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(make_url(url).database)
        copy = sqlite3.connect(target / "database.sqlite")
        with copy:
            source.backup(copy)
        source.close()
        copy.close()
        snapshot_engine_url = f"sqlite:///{target / 'database.sqlite'}"
    else:
        done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={target / 'database.dump'}",
                               _libpq(url)], capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[-500:]}")
        snapshot_engine_url = url
    files: dict[str, str] = {}
    for stored in store.files():
        if stored.sha256 is None:
            continue  # a write interrupted long ago: never evidence
        with store.open(stored.key) as handle:
            data = handle.read()
        path = target / "evidence" / stored.key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        files[stored.key] = hashlib.sha256(data).hexdigest()
    snapshot = create_engine(snapshot_engine_url) if engine.dialect.name == "sqlite" else engine
    tables = table_digests(snapshot)
    if snapshot is not engine:
        snapshot.dispose()
    (target / MANIFEST).write_text(json.dumps({
        "created_at": started.isoformat(), "backend": engine.dialect.name, "tables": tables, "files": files,
    }, indent=1, sort_keys=True), encoding="utf-8")
    return Summary(tables, files)


def restore(*, engine: Engine, url: str, store: Store, source: Path) -> Summary:
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{source} holds no {MANIFEST}: not a backup")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest["backend"] != engine.dialect.name:
        raise BackupError(f"the backup is of a {manifest['backend']} database; this one is {engine.dialect.name}")
    if "facilities" in inspect(engine).get_table_names():
        with engine.connect() as conn:
            if conn.scalar(select(func.count()).select_from(_metadata().tables["facilities"])):
                raise BackupError("the database already holds a registry: restore into an empty one")
    if engine.dialect.name == "sqlite":
        path = Path(make_url(url).database or "")
        engine.dispose()
        for stale in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)  # an old write-ahead log would be replayed onto the restored file
        shutil.copyfile(source / "database.sqlite", path)
    else:
        done = subprocess.run(["pg_restore", "--no-owner", "--clean", "--if-exists", f"--dbname={_libpq(url)}",
                               str(source / "database.dump")], capture_output=True, text=True)
        if done.returncode != 0 and "error" in done.stderr.lower() and "errors ignored on restore" not in done.stderr:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()[-500:]}")
    for key, sha256 in manifest["files"].items():
        data = (source / "evidence" / key).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise BackupError(f"{key}: the backup's copy does not match its manifest")
        store.put(key, data)
    tables = table_digests(engine)
    if tables != manifest["tables"]:
        wrong = sorted(t for t in manifest["tables"] if tables.get(t) != manifest["tables"][t])
        raise BackupError(f"restored tables differ from the backup: {', '.join(wrong)}")
    return Summary(tables, manifest["files"])
