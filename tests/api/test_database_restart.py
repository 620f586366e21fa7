"""PostgreSQL restarted under load: requests fail cleanly with 503 and ``Retry-After``, never 500; the app recovers alone.

The database is a private PostgreSQL cluster (``tests.private_postgres``),
stopped with ``pg_ctl stop -m immediate`` (every server process exits at
once, as in a crash) while a client keeps listing facilities, creating
them and asking ``/health`` through a real HTTP server; then started again.
Only 2xx and 503 answers are allowed, each 503 with ``Retry-After`` and a
message in Chinese and English; after the restart the same app, without
being restarted itself, answers 2xx again (its pool drops the dead
connections: ``pool_pre_ping`` and invalidation on disconnect).
"""

from __future__ import annotations

import itertools
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text

from api.main import create_app
from memorials.bootstrap import prepare_database
from memorials.db import create_db_engine, session_factory, transaction
from memorials.users import create_user
from tests.conftest import STRICT, _free_port, make_settings, serving
from tests.factories import DEMO_DISTRICT, PASSWORD, facility_body
from tests.private_postgres import PrivatePostgres, binaries
from tests.server_process import call, until


@dataclass(frozen=True)
class Answer:
    status_code: int
    headers: dict[str, str]
    text: str

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> dict:
        return json.loads(self.text)


def _send(base: str, token: str, method: str, path: str, body: dict | None) -> Answer:
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return Answer(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read().decode())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read().decode())


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    bindir = binaries()
    if bindir is None:
        reason = "PostgreSQL's server binaries (initdb, pg_ctl) are not installed"
        if STRICT:
            pytest.fail(f"MEMORIALS_TEST_STRICT=1 but {reason}")
        pytest.skip(reason)
    server = PrivatePostgres(bindir, _free_port())
    try:
        server.start()
        yield server
    finally:
        server.close()


class Load:
    """A client sending requests one after another until told to stop; every answer kept with the phase it fell in."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.phase = "before"
        self.answers: list[tuple[str, str, Answer]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        calls = itertools.cycle([("GET", "/api/v1/facilities?limit=5"), ("POST", "/api/v1/facilities"),
                                 ("GET", "/health")])
        for method, path in calls:
            if self.stopping.is_set():
                return
            phase = self.phase
            body = facility_body() if method == "POST" else None
            self.answers.append((phase, f"{method} {path}", _send(self.base, self.token, method, path, body)))

    def count(self, phase: str, *, status: int | None = None, ok: bool = False) -> int:
        return sum(1 for p, _, r in self.answers if p == phase
                   and (status is None or r.status_code == status) and (not ok or r.is_success))

    def ok_in_a_row(self, phase: str, n: int) -> bool:
        tail = [r for p, _, r in self.answers if p == phase][-n:]
        return len(tail) == n and all(r.is_success for r in tail)


def test_a_postgresql_restart_under_load_answers_503_then_recovers(private_postgres, tmp_path):
    admin = create_engine(private_postgres.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE memorials"))
    admin.dispose()
    url = private_postgres.url("memorials")
    engine = create_db_engine(url)
    prepare_database(engine)
    with transaction(session_factory(engine, write=True)) as s:
        create_user(session=s, username="keeper", password=PASSWORD, role="admin", jurisdiction=DEMO_DISTRICT)
    engine.dispose()

    with serving(create_app(make_settings(url, tmp_path))) as live:
        status, answer = call(f"{live.url}/api/v1/auth/token", method="POST",
                              form={"username": "keeper", "password": PASSWORD})
        assert status == 200, answer
        token = answer["access_token"]
        load = Load(live.url, token)
        load.thread.start()
        try:
            until(lambda: load.count("before", ok=True) >= 6, timeout=60, what="answers before the restart")
            load.phase = "down"
            private_postgres.stop("immediate")
            until(lambda: load.count("down", status=503) >= 3, timeout=60, what="503 answers while it is down")
            load.phase = "restarting"
            private_postgres.start()
            load.phase = "up"
            until(lambda: load.ok_in_a_row("up", 6), timeout=60, what="2xx answers again after the restart")
        finally:
            load.stopping.set()
            load.thread.join(timeout=60)

    unexpected = [(p, call, r.status_code, r.text[:200]) for p, call, r in load.answers
                  if not r.is_success and r.status_code != 503]
    assert unexpected == []
    refused = [r for _, _, r in load.answers if r.status_code == 503]
    assert refused and all(r.headers.get("retry-after", "").isdigit() for r in refused)
    detail = refused[0].json()["detail"]
    assert "数据库" in detail and "database" in detail.lower()
    created = sum(1 for _, call, r in load.answers if call.startswith("POST") and r.status_code == 201)
    check = create_engine(url)
    with check.connect() as conn:  # every 201 is a facility that is there (a 503 may or may not have committed)
        assert conn.scalar(text("SELECT count(*) FROM facilities")) >= created
    check.dispose()


def test_only_a_database_out_of_reach_is_a_503_a_broken_query_stays_a_bug(tmp_path):
    from sqlalchemy.exc import OperationalError

    from memorials.db import unavailable

    path = tmp_path / "locked.db"
    holder = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    waiter = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    with holder.connect() as held:
        held.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        held.commit()
        held.exec_driver_sql("BEGIN IMMEDIATE")
        with waiter.connect() as conn, pytest.raises(OperationalError) as locked:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        held.rollback()
    with waiter.connect() as conn, pytest.raises(OperationalError) as broken:
        conn.exec_driver_sql("SELECT * FROM no_such_table")
    assert unavailable(locked.value) and not unavailable(broken.value)
    assert not unavailable(ValueError("not a database error"))
    holder.dispose()
    waiter.dispose()
