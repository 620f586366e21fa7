"""A server killed (SIGKILL) in the middle of photo uploads and of a case transition leaves nothing half-written.

The server is the real ``memorials serve`` process. Where the kill lands is
made certain, not hoped for:

* a patrol whose body is only half sent: the kernel's socket table shows the
  server has read those bytes (:func:`tests.server_process.delivered`);
* a patrol whose photos are already in the store but whose transaction
  cannot commit: the test holds the database's lock (SQLite: the write lock;
  PostgreSQL: the ``attachments`` table, so the server's transaction has
  already written its inspection row and waits to write the photos' rows);
* a relocation case's withdrawal that cannot commit (PostgreSQL: the case's
  row is already updated in the server's open transaction, its withdrawal
  reason written, and the audit entry waits on the ``audit_entries`` table;
  SQLite: the request waits for the write lock).

All three are in flight when the server is killed, once (a restart costs
more than the rest of the test).

After a restart nothing of those requests is in the database, ``memorials
fsck`` finds no dangling reference, and its only orphans are the photos the
interrupted patrol stored before its commit (by design: files are written
before the row that names them, so a row never lacks its file); sending the
same patrol again with its ``Idempotency-Key`` stores it once and adopts
those files, and then fsck finds no orphan at all.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url
from typer.testing import CliRunner

from api.cli import app as cli
from cases.models import RelocationCase
from evidence.store import DiskStore, original_key, screen_key, thumb_key
from inspections.models import Inspection
from memorials.db import session_factory, transaction
from memorials.models import AuditEntry
from memorials.users import create_user
from tests.conftest import _free_port
from tests.factories import DEMO_DISTRICT, PASSWORD, gps_jpeg, inspection_json
from tests.server_process import Server, call, delivered, until

FACILITY = 10  # a statue in 上新集镇 (demo district)


def _multipart(facility_id: int, photos: list[bytes]) -> tuple[bytes, str]:
    boundary = "memorials-kill-test"
    parts = [(b'Content-Disposition: form-data; name="inspection"\r\nContent-Type: application/json\r\n\r\n',
              json.dumps(inspection_json(facility_id)).encode())]
    parts += [(f'Content-Disposition: form-data; name="photos"; filename="IMG_{i}.jpg"\r\n'
               "Content-Type: image/jpeg\r\n\r\n".encode(), data) for i, data in enumerate(photos)]
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + head + data + b"\r\n" for head, data in parts)
    return body + b"--" + boundary.encode() + b"--\r\n", f"multipart/form-data; boundary={boundary}"


class Patrol:
    """One patrol submission over a raw socket, so that it can stop half-way through its body."""

    def __init__(self, server: Server, token: str, key: str, photos: list[bytes]) -> None:
        self.server, self.token, self.key, self.photos = server, token, key, photos
        self.body, self.content_type = _multipart(FACILITY, photos)
        self.sock: socket.socket | None = None

    @property
    def digests(self) -> list[str]:
        return [hashlib.sha256(p).hexdigest() for p in self.photos]

    def keys(self) -> set[str]:
        return {k(d) for d in self.digests for k in (original_key, screen_key, thumb_key)}

    def send(self, upto: int | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.server.port))
        head = (f"POST /api/v1/inspections HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.token}\r\n"
                f"Idempotency-Key: {self.key}\r\nContent-Type: {self.content_type}\r\n"
                f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n").encode()
        self.sock.sendall(head + self.body[:upto])

    def read_by_server(self) -> bool:
        assert self.sock is not None
        return delivered(self.sock.getsockname()[1], self.server.port)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()

    def status(self) -> int:
        """Send it whole on a fresh connection and answer the HTTP status."""
        self.send()
        assert self.sock is not None
        self.sock.settimeout(60)
        answer = b""
        while chunk := self.sock.recv(65536):
            answer += chunk
        self.close()
        return int(answer.split(b" ", 2)[1])


class Transition:
    """A relocation case's withdrawal over a raw socket."""

    def __init__(self, server: Server, token: str, case_id: int) -> None:
        self.server, self.token, self.case_id = server, token, case_id
        self.payload = {"to": "withdrawn", "reason": "家属要求暂缓"}
        self.sock: socket.socket | None = None

    def send(self) -> None:
        body = json.dumps(self.payload).encode()
        head = (f"POST /api/v1/cases/relocations/{self.case_id}/transitions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {self.token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        self.sock = socket.create_connection(("127.0.0.1", self.server.port))
        self.sock.sendall(head + body)

    def read_by_server(self) -> bool:
        assert self.sock is not None
        return delivered(self.sock.getsockname()[1], self.server.port)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


class Lock:
    """Holds the database lock the server's next write needs, until released."""

    def __init__(self, url: str, table: str) -> None:
        self.url, self.table = url, table
        self.sqlite: sqlite3.Connection | None = None
        self.pg = None

    def __enter__(self) -> Lock:
        parsed = make_url(self.url)
        if parsed.get_backend_name() == "sqlite":
            self.sqlite = sqlite3.connect(parsed.database, isolation_level=None, timeout=30)
            self.sqlite.execute("BEGIN IMMEDIATE")
        else:
            self.engine = create_engine(self.url)
            self.pg = self.engine.connect()
            self.pg.begin()
            self.pg.execute(text(f"LOCK TABLE {self.table} IN EXCLUSIVE MODE"))
        return self

    def waiting(self) -> int:
        """How many transactions wait for this lock (PostgreSQL: ``pg_stat_activity``; SQLite cannot tell: many)."""
        if self.pg is None:
            return 1 << 30
        with self.engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                    "AND datname = current_database()")) or 0

    def __exit__(self, *exc: object) -> None:
        if self.sqlite is not None:
            self.sqlite.execute("ROLLBACK")
            self.sqlite.close()
        if self.pg is not None:
            self.pg.rollback()
            self.pg.close()
            self.engine.dispose()


@pytest.fixture
def setup(demo_db_url: str, tmp_path: Path) -> Iterator[tuple[str, Engine, Server, DiskStore]]:
    engine = create_engine(demo_db_url)
    with transaction(session_factory(engine, write=True)) as s:
        for name, role in (("walker", "inspector"), ("officer", "case_officer")):
            create_user(session=s, username=name, password=PASSWORD, role=role, jurisdiction=DEMO_DISTRICT)
    env = {"MEMORIALS_DATABASE_URL": demo_db_url, "MEMORIALS_DATA_DIR": str(tmp_path / "data"),
           "MEMORIALS_TILES": "none"}
    server = Server(env, _free_port())
    try:
        yield demo_db_url, engine, server, DiskStore(tmp_path / "data" / "photos")
    finally:
        server.stop()
        engine.dispose()


def _fsck(url: str, data: Path) -> dict:
    result = CliRunner().invoke(cli, ["fsck", "--json"], env={"MEMORIALS_DATABASE_URL": url,
                                                              "MEMORIALS_DATA_DIR": str(data)})
    return json.loads(result.output) | {"exit": result.exit_code}


def _in_background(target) -> threading.Thread:  # type: ignore[no-untyped-def]
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


@pytest.mark.both_backends
def test_killed_mid_uploads_and_mid_transition_leaves_nothing_half_written(setup, tmp_path):
    url, engine, server, store = setup
    with transaction(session_factory(engine)) as s:
        case_id = s.scalar(select(RelocationCase.id).where(RelocationCase.status == "consulting_family").limit(1))
        trail = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "relocation_case"))
    server.start()
    walker, officer = server.token("walker", PASSWORD), server.token("officer", PASSWORD)
    done = Patrol(server, walker, "done-before-the-kill", [gps_jpeg(114.63, 31.33)])
    assert done.status() == 201
    streaming = Patrol(server, walker, "half-sent", [gps_jpeg(114.631, 31.331, size=(1600, 1200)),
                                                     gps_jpeg(114.634, 31.334, size=(1600, 1200))])
    committing = Patrol(server, walker, "stored-not-committed", [gps_jpeg(114.632, 31.332), gps_jpeg(114.633, 31.333)])
    withdrawal = Transition(server, officer, case_id)
    streaming.send(upto=len(streaming.body) * 2 // 3)
    until(streaming.read_by_server, timeout=30, what="the server to read two thirds of the body")
    with Lock(url, "attachments, audit_entries") as lock:
        _in_background(committing.send)
        until(lambda: all(store.exists(k) for k in committing.keys()), timeout=60, what="the photos to be stored")
        withdrawal.send()
        until(withdrawal.read_by_server, timeout=30, what="the transition request to be read")
        until(lambda: lock.waiting() >= 2, timeout=30, what="both transactions to wait for the locks")
        server.kill()
    for request in (streaming, committing, withdrawal):
        request.close()

    server.start()
    with transaction(session_factory(engine)) as s:
        keys = set(s.scalars(select(Inspection.idempotency_key).where(Inspection.idempotency_key.is_not(None))))
        assert "done-before-the-kill" in keys and not keys & {"half-sent", "stored-not-committed"}
        assert s.get(RelocationCase, case_id).status == "consulting_family"
        assert s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.entity == "relocation_case")) == trail
    report = _fsck(url, tmp_path / "data")
    assert report["problems"] == [] and report["exit"] == 0, report
    assert {o["key"] for o in report["orphans"] if not o["partial"]} <= committing.keys() | streaming.keys()
    # Sent again, as the phone's outbox does: stored once, adopting the files already there.
    assert streaming.status() == 201 and committing.status() == 201 and committing.status() == 201
    status, answer = call(f"{server.base}/api/v1/cases/relocations/{case_id}/transitions", method="POST",
                          token=officer, body=withdrawal.payload)
    assert status == 200 and answer["status"] == "withdrawn", answer
    with transaction(session_factory(engine)) as s:
        assert s.scalar(select(func.count()).select_from(Inspection)
                        .where(Inspection.idempotency_key == "stored-not-committed")) == 1
    report = _fsck(url, tmp_path / "data")
    assert report["problems"] == [] and [o for o in report["orphans"] if not o["partial"]] == [], report
