"""Concurrent users against a real server: 50 mixed clients, and a sign-in flood.

For each backend (SQLite, and PostgreSQL+PostGIS when a server is reachable)
and for each code version (this tree, and ``--baseline REV``, default the
commit before issue 8's fixes), a registry of N synthetic facilities is
filled by that version's own code, served by that version with uvicorn in a
process of its own (one worker, as ``memorials serve``), and loaded from
this process:

* **mixed**: 50 clients for 20 s, each looping over a list page, a bounding
  box, the nearest 20 and everything within 20 km, with a facility edit in
  one request of twenty.
* **login flood**: 60 anonymous clients posting wrong passwords for 20 s
  while one planner edits a facility twice a second.

Request loops are bounded in time and count and talk only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx2 as httpx

from benchmarks import _databases, _servers

TITLE = "Concurrent users: 50 mixed clients and a sign-in flood (uvicorn, one worker)"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASELINE = "4eec96c"  # main before issue 8 (security and integrity)
PASSWORD = "Load-test-password-42"
MAX_REQUESTS_PER_CLIENT = 5_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("load")
    group.add_argument("--load-facilities", type=int, default=100_000, help="synthetic facilities (default 100000)")
    group.add_argument("--load-seconds", type=float, default=20.0, help="length of each scenario (default 20)")
    group.add_argument("--load-clients", type=int, default=50, help="mixed clients (default 50)")
    group.add_argument("--flood-clients", type=int, default=60, help="sign-in flood clients (default 60)")
    group.add_argument("--baseline", default=DEFAULT_BASELINE,
                       help=f"git revision to compare with (default {DEFAULT_BASELINE}); 'none' to skip")
    group.add_argument("--postgres-url", default=os.environ.get(
        "MEMORIALS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
        help="an admin URL of a PostgreSQL server with PostGIS; a database is created and dropped")


class Tally(_servers.Tally):
    """The shared tally, where a refused request (429 in the sign-in flood) is an answer, not an error."""

    def errors(self) -> int:
        return sum(n for code, n in self.codes.items() if not code.isdigit() or code.startswith("5"))

    def summary(self, seconds: float) -> dict[str, str]:
        lat = sorted(self.latencies) or [0.0]
        return {
            "requests": f"{len(self.latencies):,}",
            "req/s": f"{len(self.latencies) / seconds:.1f}",
            "median ms": f"{statistics.median(lat) * 1000:.0f}",
            "p95 ms": f"{lat[int(0.95 * (len(lat) - 1))] * 1000:.0f}",
            "max ms": f"{lat[-1] * 1000:.0f}",
            "errors": str(self.errors()),
        }


def _call(client: httpx.Client, tally: Tally, method: str, url: str, **kwargs: object) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        resp = client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        tally.add(type(exc).__name__, time.perf_counter() - started)
        return None
    tally.add(str(resp.status_code), time.perf_counter() - started)
    return resp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(revision: str | None, tmp: Path) -> Path:
    """This tree, or ``revision`` unpacked from git into ``tmp``."""
    if revision is None:
        return ROOT
    target = tmp / f"tree-{revision}"
    archive = tmp / f"{revision}.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), revision], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    return target


_PREPARE = """
import sys
from benchmarks.registry_scale import _fill
from memorials.db import create_db_engine, session_factory, transaction
from memorials.users import create_user
url, count, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
_fill(url, count)
engine = create_db_engine(url)
with transaction(session_factory(engine, write=True)) as s:
    create_user(session=s, username="load_planner", password=password, role="admin", jurisdiction="")
engine.dispose()
"""


def _run_in(tree: Path, *argv: str, env: dict[str, str] | None = None,
            log: Path | None = None) -> subprocess.Popen[bytes]:
    """A Python process in ``tree``; its stderr goes to ``log`` (a pipe nobody reads would block it)."""
    environment = {**os.environ, "PYTHONPATH": str(tree), **(env or {})}
    stderr = log.open("wb") if log else subprocess.PIPE
    return subprocess.Popen([sys.executable, *argv], cwd=tree, env=environment,
                            stdout=subprocess.DEVNULL, stderr=stderr)


class Server:
    def __init__(self, tree: Path, url: str, data_dir: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = data_dir / "server.log"
        self.process = _run_in(tree, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1",
                               "--port", str(self.port), "--log-level", "warning",
                               env={"MEMORIALS_DATABASE_URL": url, "MEMORIALS_DATA_DIR": str(data_dir),
                                    "MEMORIALS_TILES": "none"}, log=self.log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/health", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(self.log.read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def stop(self) -> str:
        """Stop the server; the tracebacks it logged (``Exception in ASGI application``), if any."""
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        text = self.log.read_text(errors="replace")
        return text if "Traceback" in text else ""


def _token(base: str) -> dict[str, str]:
    resp = httpx.post(base + "/api/v1/auth/token", data={"username": "load_planner", "password": PASSWORD},
                      timeout=60)
    resp.raise_for_status()
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def _mixed(base: str, headers: dict[str, str], clients: int, seconds: float) -> Tally:
    tally = Tally()
    with httpx.Client(base_url=base, headers=headers, timeout=300) as probe:
        ids = [f["id"] for f in probe.get("/api/v1/facilities", params={"limit": 200, "division": "42"}).json()["items"]]
    stop_at = time.monotonic() + seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            for i in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= stop_at:
                    return
                lon, lat = 110 + rng.uniform(0, 10), 25 + rng.uniform(0, 10)
                choice = i % 20
                if choice == 19:
                    _call(c, tally, "PATCH", f"/api/v1/facilities/{rng.choice(ids)}",
                          json={"description": f"负载测试 {n}-{i}"})
                elif choice % 4 == 0:
                    _call(c, tally, "GET", "/api/v1/facilities", params={"division": "42", "limit": 50})
                elif choice % 4 == 1:
                    _call(c, tally, "GET", "/api/v1/facilities",
                          params={"bbox": f"{lon},{lat},{lon + 1},{lat + 1}", "limit": 50})
                elif choice % 4 == 2:
                    _call(c, tally, "GET", "/api/v1/facilities", params={"near": f"{lon},{lat}", "limit": 20})
                else:
                    _call(c, tally, "GET", "/api/v1/facilities",
                          params={"near": f"{lon},{lat}", "within_m": 20_000, "limit": 50})

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tally


def _flood(base: str, headers: dict[str, str], clients: int, seconds: float) -> tuple[Tally, Tally]:
    flood, edits = Tally(), Tally()
    with httpx.Client(base_url=base, headers=headers, timeout=300) as probe:  # the server may still be busy
        facility = probe.get("/api/v1/facilities", params={"limit": 1}).json()["items"][0]["id"]
    stop_at = time.monotonic() + seconds

    def attacker(n: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            for i in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= stop_at:
                    return
                _call(c, flood, "POST", "/api/v1/auth/token",
                      data={"username": f"nobody{n}x{i}", "password": "wrong-password-1"})

    def planner() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            for i in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= stop_at:
                    return
                _call(c, edits, "PATCH", f"/api/v1/facilities/{facility}", json={"description": f"洪水中 {i}"})
                time.sleep(0.5)

    threads = [threading.Thread(target=attacker, args=(n,)) for n in range(clients)]
    threads.append(threading.Thread(target=planner))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return flood, edits


def _postgres_database(admin_url: str) -> tuple[str, Callable[[], None]] | None:
    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            postgis = conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")).first()
        admin.dispose()
        if postgis is None:
            return None
        name = _databases.scratch_name("memorials_load")
        url = _databases.create_database(admin_url, name)
    except Exception:  # no server here: the PostgreSQL rows are left out, and the report says so
        return None
    return url, lambda: _databases.drop_database(admin_url, name)


def _one(tree: Path, label: str, url: str, tmp: Path, args: argparse.Namespace) -> list[str]:
    prep = _run_in(tree, "-c", _PREPARE, url, str(args.load_facilities), PASSWORD)
    _, err = prep.communicate()
    if prep.returncode != 0:
        raise RuntimeError(f"filling the database with {label} failed: {err.decode()[-2000:]}")
    server = Server(tree, url, tmp / f"data-{uuid.uuid4().hex[:6]}")
    try:
        headers = _token(server.base)
        mixed = _mixed(server.base, headers, args.load_clients, args.load_seconds).summary(args.load_seconds)
        flood, edits = _flood(server.base, headers, args.flood_clients, args.load_seconds)
    finally:
        crashes = server.stop()
    if crashes:
        print(f"   {label}: the server logged errors:\n{crashes[-4000:]}", file=sys.stderr)
    f = flood.summary(args.load_seconds)
    e = edits.summary(args.load_seconds)
    limited = flood.codes.get("429", 0)
    return [
        f"| {label} | mixed, {args.load_clients} clients | {mixed['req/s']} | {mixed['median ms']} | "
        f"{mixed['p95 ms']} | {mixed['max ms']} | {mixed['errors']} | |",
        f"| {label} | sign-in flood, {args.flood_clients} clients | {f['req/s']} | {f['median ms']} | {f['p95 ms']} | "
        f"{f['max ms']} | {f['errors']} | {limited:,} answered 429 |",
        f"| {label} | planner's edits during the flood | {e['req/s']} | {e['median ms']} | {e['p95 ms']} | "
        f"{e['max ms']} | {e['errors']} | {e['requests']} edits |",
    ]


def run(args: argparse.Namespace) -> str:
    baseline = None if args.baseline == "none" else args.baseline
    rows: list[str] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        trees = [("this tree", _tree(None, tmp))]
        if baseline:
            trees.append((f"baseline {baseline}", _tree(baseline, tmp)))
        for backend in ("sqlite", "postgresql"):
            for name, tree in trees:
                if backend == "sqlite":
                    url, drop = f"sqlite:///{tmp / f'load-{uuid.uuid4().hex[:6]}.db'}", None
                else:
                    made = _postgres_database(args.postgres_url)
                    if made is None:
                        notes.append("PostgreSQL with PostGIS was not reachable: its rows are missing.")
                        break
                    url, drop = made
                print(f"   {backend}, {name} ...", file=sys.stderr, flush=True)
                try:
                    rows += _one(tree, f"{backend}, {name}", url, tmp, args)
                finally:
                    if drop:
                        drop()
        shutil.rmtree(tmp, ignore_errors=True)
    lines = [
        f"{args.load_facilities:,} synthetic facilities; each scenario runs {args.load_seconds:.0f} s; client "
        "timeout 60 s. Errors are 5xx answers and failed connections or timeouts. The mixed load is a "
        "province's list page, a 1° bounding box, the nearest 20 and everything within 20 km, with an edit in "
        "one request of twenty.",
        "",
        "| server | scenario | req/s | median ms | p95 ms | max ms | errors | notes |",
        "|---|---|---:|---:|---:|---:|---:|---|",
        *rows,
    ]
    return "\n".join(lines + ([""] + notes if notes else []))
