"""Fixtures: real databases on both backends, real apps, real users.

Every test that touches the database runs on SQLite, and those marked
``both_backends`` (spatial queries, migrations, concurrency, idempotency,
transactions, SQL that dialects may read differently) on PostgreSQL+PostGIS
too, each time in a database of its own: a copy of a template that was
migrated (and, for ``demo_*`` fixtures, loaded with the demo district) once
per session. PostGIS runs when
``MEMORIALS_TEST_POSTGRES_URL`` names a server (``.ci/run`` sets it);
without it those tests are skipped with the reason, except under
``MEMORIALS_TEST_STRICT=1`` (CI), where a missing backend is an error.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from api.main import create_app
from memorials.bootstrap import prepare_database
from memorials.db import create_db_engine, session_factory, transaction
from memorials.demo import load_demo
from memorials.models import Facility
from memorials.settings import Settings
from memorials.users import create_user, get_user
from tests.factories import DEMO_DISTRICT, PASSWORD

PG_URL = os.environ.get("MEMORIALS_TEST_POSTGRES_URL", "")
STRICT = os.environ.get("MEMORIALS_TEST_STRICT", "") == "1"
BACKENDS = ["sqlite", "postgis"]


def _pg_admin_engine() -> Engine:
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def _pg_reason() -> str | None:
    if not PG_URL:
        return "PostGIS tests need MEMORIALS_TEST_POSTGRES_URL (set by .ci/run); none given"
    try:
        with _pg_admin_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
            available = conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")).first()
    except Exception as exc:  # the server may simply not be there
        return f"PostgreSQL at MEMORIALS_TEST_POSTGRES_URL is unreachable: {exc.__class__.__name__}"
    if available is None:
        return "the PostgreSQL server has no PostGIS extension installed"
    return None


@pytest.fixture(scope="session")
def postgis_available() -> None:
    reason = _pg_reason()
    if reason is None:
        return
    if STRICT:
        pytest.fail(f"MEMORIALS_TEST_STRICT=1 but {reason}")
    pytest.skip(reason)


class Templates:
    """Per-session template databases, copied for each test."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.made: dict[tuple[str, bool], str] = {}
        self.pg_databases: list[str] = []

    def _build(self, url: str, demo: bool) -> None:
        engine = create_db_engine(url)
        prepare_database(engine)
        if demo:
            with transaction(session_factory(engine, write=True)) as session:
                load_demo(session)
        engine.dispose()

    def template(self, backend: str, demo: bool) -> str:
        key = (backend, demo)
        if key not in self.made:
            if backend == "sqlite":
                path = self.tmp / f"template-{'demo' if demo else 'empty'}.db"
                self._build(f"sqlite:///{path}", demo)
                self.made[key] = str(path)
            else:
                name = f"mem_tpl_{'demo' if demo else 'empty'}_{uuid.uuid4().hex[:8]}"
                with _pg_admin_engine().connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                self.pg_databases.append(name)
                self._build(make_url(PG_URL).set(database=name).render_as_string(hide_password=False), demo)
                self.made[key] = name
        return self.made[key]

    def copy(self, backend: str, demo: bool, dest_dir: Path) -> str:
        source = self.template(backend, demo)
        if backend == "sqlite":
            target = dest_dir / "memorials.db"
            shutil.copyfile(source, target)
            return f"sqlite:///{target}"
        name = f"mem_t_{uuid.uuid4().hex[:12]}"
        with _pg_admin_engine().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        self.pg_databases.append(name)
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql":
            return
        with _pg_admin_engine().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        self.pg_databases.remove(parsed.database)

    def close(self) -> None:
        if not self.pg_databases:
            return
        with _pg_admin_engine().connect() as conn:
            for name in list(self.pg_databases):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    store = Templates(tmp_path_factory.mktemp("templates"))
    yield store
    store.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_backends: behaviour that may differ between SQLite and PostGIS "
                                       "(spatial, migrations, concurrency, idempotency, transactions, SQL)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Database tests run on SQLite; those marked ``both_backends`` on PostGIS too.

    Backend-independent behaviour (validation, permissions, pages, files) is
    tested once, so the suite gets faster, not slower, as domains are added.
    """
    if "backend" not in metafunc.fixturenames:
        return
    if any("backend" in getattr(m, "args", ("",))[0] for m in metafunc.definition.iter_markers("parametrize")):
        return  # the test chose its backends itself
    both = metafunc.definition.get_closest_marker("both_backends") is not None
    metafunc.parametrize("backend", BACKENDS if both else ["sqlite"], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgis":
        request.getfixturevalue("postgis_available")
    return request.param


def _database(templates: Templates, backend: str, demo: bool, tmp_path: Path) -> Iterator[str]:
    url = templates.copy(backend, demo, tmp_path)
    yield url
    templates.drop(url)


@pytest.fixture
def db_url(templates: Templates, backend: str, tmp_path: Path) -> Iterator[str]:
    """A migrated database with the division table and nothing else."""
    yield from _database(templates, backend, False, tmp_path)


@pytest.fixture
def demo_db_url(templates: Templates, backend: str, tmp_path: Path) -> Iterator[str]:
    """A database holding the demo district."""
    yield from _database(templates, backend, True, tmp_path)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_db_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A writing session on an empty registry; committed work stays for the test's life."""
    with transaction(session_factory(engine, write=True)) as s:
        yield s


@pytest.fixture
def demo_engine(demo_db_url: str) -> Iterator[Engine]:
    eng = create_db_engine(demo_db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def demo_session(demo_engine: Engine) -> Iterator[Session]:
    with transaction(session_factory(demo_engine, write=True)) as s:
        yield s


def make_settings(url: str, tmp_path: Path, **extra: object) -> Settings:
    return Settings(database_url=url, data_dir=tmp_path / "data", tiles="none", **extra)


@dataclass
class ApiClient:
    """A TestClient that signs in as different users."""

    client: TestClient
    app_engine: Engine
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    def login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        resp = self.client.post("/api/v1/auth/token", data={"username": username, "password": password})
        assert resp.status_code == 200, resp.text
        return {"Authorization": f"Bearer {resp.json()['access_token']}"}

    def user(self, role: str, jurisdiction: str = DEMO_DISTRICT, name: str | None = None) -> dict[str, str]:
        """Create a user (once) and return bearer headers for it (signed in once: sign-ins are rate-limited)."""
        username = name or f"{role}_{jurisdiction}"
        if username not in self.tokens:
            with transaction(session_factory(self.app_engine, write=True)) as s:
                if get_user(session=s, username=username) is None:
                    create_user(session=s, username=username, password=PASSWORD, role=role,
                                jurisdiction=jurisdiction)
            self.tokens[username] = self.login(username)
        return self.tokens[username]

    def demo_facility_id(self, code: str) -> int:
        """The row id of the demo facility with this registry code: tests never assume row ids."""
        items = self.get("/api/v1/facilities", params={"q": code}, headers=self.user("admin")).json()["items"]
        return next(f["id"] for f in items if f["code"] == code)

    def demo_martyr_id(self, name: str) -> int:
        items = self.get("/api/v1/martyrs", params={"q": name}, headers=self.user("admin")).json()["items"]
        return next(m["id"] for m in items if m["name"] == name)

    def __getattr__(self, name: str) -> object:
        return getattr(self.client, name)


def _api(url: str, tmp_path: Path) -> Iterator[ApiClient]:
    app = create_app(make_settings(url, tmp_path))
    with TestClient(app) as client:
        yield ApiClient(client=client, app_engine=app.state.engine)


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[ApiClient]:
    """The app over HTTP (in process), on an empty registry."""
    yield from _api(db_url, tmp_path)


@pytest.fixture
def demo_api(demo_db_url: str, tmp_path: Path) -> Iterator[ApiClient]:
    """The app over HTTP, on the demo district."""
    yield from _api(demo_db_url, tmp_path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    app: object
    server: uvicorn.Server
    thread: threading.Thread

    def add_user(self, role: str, jurisdiction: str = DEMO_DISTRICT, name: str | None = None) -> str:
        name = name or f"{role}_{jurisdiction}_web"
        with transaction(session_factory(self.app.state.engine, write=True)) as s:  # type: ignore[attr-defined]
            create_user(session=s, username=name, password=PASSWORD, role=role, jurisdiction=jurisdiction)
        return name

    def demo_facility_id(self, code: str) -> int:
        """The row id of the demo facility with this registry code: tests never assume row ids."""
        with transaction(session_factory(self.app.state.engine)) as s:  # type: ignore[attr-defined]
            return s.scalar(select(Facility.id).where(Facility.code == code))


@contextmanager
def serving(app: object) -> Iterator[LiveServer]:
    """Serve ``app`` with uvicorn on a free port of 127.0.0.1 for the block's life."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", app=app, server=server, thread=thread)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(demo_db_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    with serving(create_app(make_settings(demo_db_url, tmp_path))) as server:
        yield server
