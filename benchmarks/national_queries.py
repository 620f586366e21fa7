"""The queries of a national registry on PostGIS, under 50 concurrent clients, beside tipg on the same table.

``python -m benchmarks --only national_queries --postgres URL --facilities 200000 --martyrs 2000000``
loads a synthetic national registry into a new database on that server
(``memorials demo --synthetic N --martyrs M``, plus an audit history of five
entries per facility), or reuses one (``--nq-database NAME``), then serves it
with ``memorials serve --workers W`` and serves the same ``facilities`` table
with tipg (in a virtual environment of its own, ``--nq-tipg-venv``). Each
kind of query then runs for ``--nq-seconds`` with ``--nq-clients`` clients,
one after another: p50/p95/p99 latency and requests per second, against the
issue's targets. Each kind's SQL is also captured in this process (same
services, same parameters) and put through ``EXPLAIN``: the indexes read are
listed, and a sequential scan of a big table is named.

Quick check: ``--facilities 3000 --martyrs 20000 --nq-seconds 3 --nq-clients 10``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import httpx2 as httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks import _databases, _plans, _servers

TITLE = "National queries on PostGIS: 50 clients, several workers, tipg beside"
PASSWORD = "National-queries-bench-42"
USER = "nq_bench_admin"
DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("national_queries (also --postgres, --facilities, --martyrs)")
    group.add_argument("--nq-database", default="", help="reuse this database on the --postgres server (kept)")
    group.add_argument("--nq-workers", type=int, default=3, help="server processes of each server (default 3)")
    group.add_argument("--nq-clients", type=int, default=50, help="concurrent clients (default 50)")
    group.add_argument("--nq-seconds", type=float, default=15.0, help="seconds per kind of query (default 15)")
    group.add_argument("--nq-pace", type=float, default=1.0,
                       help="second table: each client a user asking once every this many seconds (default 1; "
                            "0 leaves the table out)")
    group.add_argument("--nq-connections", type=int, default=8,
                       help="database connections per server process (default 8)")
    group.add_argument("--nq-tipg-venv", default=str(Path(tempfile.gettempdir()) / "memorials-bench-tipg"),
                       help="virtual environment for tipg (made when missing)")


def _cli(*argv: str, url: str, data_dir: Path) -> str:
    env = {**os.environ, "MEMORIALS_DATABASE_URL": url, "MEMORIALS_DATA_DIR": str(data_dir),
           "PYTHONPATH": str(_servers.ROOT)}
    done = subprocess.run([str(Path(sys.executable).with_name("memorials")), *argv], env=env,
                          capture_output=True, text=True, cwd=_servers.ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"memorials {' '.join(argv)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def _load(url: str, data_dir: Path, facilities: int, martyrs: int) -> list[str]:
    notes = []
    started = time.perf_counter()
    _cli("init", url=url, data_dir=data_dir)
    argv = ["demo", "--synthetic", str(facilities), "--seed", "1"]
    if "--martyrs" in _cli("demo", "--help", url=url, data_dir=data_dir):
        argv += ["--martyrs", str(martyrs)]
    else:
        notes.append("This tree's `memorials demo` has no `--martyrs`: the martyr rows are missing.")
    _cli(*argv, url=url, data_dir=data_dir)
    notes.append(f"Loaded with `memorials {' '.join(argv)}` in {time.perf_counter() - started:.0f} s.")
    return notes


AUDIT_FILL = """
INSERT INTO audit_entries (at, user_id, username, entity, entity_id, action, old, new)
SELECT f.created_at + (n || ' days')::interval, NULL, 'synthetic', 'facility', f.id::text,
       CASE WHEN n = 0 THEN 'create' ELSE 'update' END,
       CASE WHEN n = 0 THEN NULL ELSE json_build_object('description', 'v' || (n - 1)) END,
       json_build_object('description', 'v' || n)
FROM facilities f CROSS JOIN generate_series(0, 4) AS n
"""


def _prepare(url: str) -> list[str]:
    """An audit history when there is none, the bench user, fresh statistics."""
    from memorials.db import create_db_engine, session_factory, transaction
    from memorials.users import create_user, get_user

    engine = create_db_engine(url)
    with transaction(session_factory(engine, write=True)) as s:
        if s.scalar(text("SELECT count(*) FROM (SELECT 1 FROM audit_entries LIMIT 1000) AS a")) < 1000:
            s.execute(text(AUDIT_FILL))
        if get_user(session=s, username=USER) is None:
            create_user(session=s, username=USER, password=PASSWORD, role="admin", jurisdiction="")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        counts = {t: conn.scalar(text(f"SELECT count(*) FROM {t}"))
                  for t in ("facilities", "martyrs", "inspections", "audit_entries")}
    engine.dispose()
    return [", ".join(f"{n:,} {t}" for t, n in counts.items()) + " in the database."]


class Samples:
    """The inputs the clients pick from, drawn from the data (seeded)."""

    def __init__(self, url: str) -> None:
        from opencc import OpenCC
        from pypinyin import Style, lazy_pinyin

        from memorials.text import to_simplified

        rng = random.Random(5)
        engine = create_engine(url)
        with engine.connect() as c:
            self.counties = [r[0] for r in c.execute(text(
                "SELECT division_code FROM facilities GROUP BY division_code ORDER BY division_code"))]
            self.provinces = [r[0] for r in c.execute(text(
                "SELECT substr(division_code, 1, 2) p FROM facilities GROUP BY p ORDER BY count(*) DESC LIMIT 5"))]
            self.points = [tuple(r) for r in c.execute(text(
                "SELECT longitude, latitude FROM facilities TABLESAMPLE SYSTEM (5) REPEATABLE (7) LIMIT 2000"))]
            self.facility_ids = [r[0] for r in c.execute(text(
                "SELECT id FROM facilities TABLESAMPLE SYSTEM (5) REPEATABLE (8) LIMIT 2000"))]
            names = [r[0] for r in c.execute(text(
                "SELECT name FROM martyrs TABLESAMPLE SYSTEM (1) REPEATABLE (9) LIMIT 500"))]
            self.month = c.scalar(text("SELECT max(period) FROM inspections")) or time.strftime("%Y-%m")
        engine.dispose()
        rng.shuffle(self.points)
        s2t = OpenCC("s2t")
        names = [to_simplified(n) for n in names if len(n) >= 2] or ["张德胜"]
        self.names = {
            "simplified": names,
            "traditional": [s2t.convert(n) for n in names],
            "pinyin initials": ["".join(p[0] for p in lazy_pinyin(n, style=Style.FIRST_LETTER)) for n in names],
            "fuzzy": [n[:-1] + ("明" if n[-1] != "明" else "华") for n in names],
        }


def _box(point: tuple[float, float], half: float = 0.25) -> str:
    lon, lat = point
    return f"{lon - half:.4f},{lat - half:.4f},{lon + half:.4f},{lat + half:.4f}"


def _kinds(s: Samples, cursors: list[str]) -> list[tuple[str, str, float, Callable[[int, int], str]]]:
    """(label, server, p95 target in ms, request(client, i) -> path)."""
    pick = lambda seq, n, i: seq[(n * 7919 + i) % len(seq)]  # noqa: E731 - same inputs for every server
    facilities = "/api/v1/facilities?"
    kinds = [
        ("county's facility list", "registry", 50,
         lambda n, i: facilities + urlencode({"division": pick(s.counties, n, i), "limit": 50})),
        ("bbox 0.5°, 50 items (API)", "registry", 50,
         lambda n, i: facilities + urlencode({"bbox": _box(pick(s.points, n, i)), "limit": 50})),
        ("bbox 0.5°, 50 items (OGC)", "registry", 50,
         lambda n, i: "/ogc/collections/facilities/items?" + urlencode({"bbox": _box(pick(s.points, n, i)),
                                                                          "limit": 50})),
        ("bbox 0.5°, 50 items (tipg)", "tipg", 50,
         lambda n, i: "/collections/public.facilities/items?" + urlencode({"bbox": _box(pick(s.points, n, i)),
                                                                             "limit": 50})),
        ("nearest 20", "registry", 50,
         lambda n, i: facilities + urlencode({"near": "{:.5f},{:.5f}".format(*pick(s.points, n, i)), "limit": 20})),
    ]
    if cursors:
        kinds.append(("province list, deep page (cursor)", "registry", 50,
                      lambda n, i: facilities + urlencode({"division": s.provinces[0], "limit": 50,
                                                           "cursor": pick(cursors, n, i)})))
    kinds.append(("province's monthly compliance", "registry", 500,
                  lambda n, i: "/api/v1/compliance?" + urlencode({"division": pick(s.provinces, n, i),
                                                                  "from": s.month, "to": s.month,
                                                                  "detail": "divisions"})))
    for label, names in s.names.items():
        extra = {"fuzzy": "true"} if label == "fuzzy" else {}
        kinds.append((f"martyr name search: {label}", "registry", 200,
                      lambda n, i, names=names, extra=extra: "/api/v1/martyrs?" + urlencode(
                          {"q": pick(names, n, i), "limit": 20, **extra})))
    kinds.append(("one facility's audit trail", "registry", 50,
                  lambda n, i: "/api/v1/audit?" + urlencode({"entity": "facility", "id": pick(s.facility_ids, n, i)})))
    return kinds


def _plan_checks(url: str, s: Samples) -> dict[str, str]:
    """Each kind's statements through EXPLAIN, run by the same services the routes call."""
    from gis.geodesy import parse_bbox
    from inspections.compliance import compliance
    from memorials import audit, facilities, martyrs
    from memorials.actors import SYSTEM
    from memorials.db import create_db_engine, session_factory

    engine = create_db_engine(url)
    sessions = session_factory(engine)
    q = facilities.FacilityQuery
    checks = {
        "county's facility list": lambda ss: facilities.list_facilities(
            session=ss, query=q(division=s.counties[0]), actor=SYSTEM),
        "bbox 0.5°, 50 items (API)": lambda ss: facilities.list_facilities(
            session=ss, query=q(bbox=parse_bbox(_box(s.points[0]))), actor=SYSTEM),
        "nearest 20": lambda ss: facilities.list_facilities(session=ss, query=q(near=s.points[0]), actor=SYSTEM,
                                                            limit=20),
        "province's monthly compliance": lambda ss: compliance(
            session=ss, actor=SYSTEM, division=s.provinces[0], level="patrol", period_from=s.month,
            period_to=s.month, max_months=36, detail="divisions"),
        "one facility's audit trail": lambda ss: audit.history(session=ss, entity="facility",
                                                               entity_id=s.facility_ids[0]),
    }
    for label, names in s.names.items():
        checks[f"martyr name search: {label}"] = lambda ss, n=names[0], f=(label == "fuzzy"): martyrs.list_martyrs(
            session=ss, actor=SYSTEM, q=n, limit=20, **({"fuzzy": True} if f else {}))
    out = {}
    for label, work in checks.items():
        try:
            out[label] = _plans.verdict(engine, sessions, work)
            times = []
            for _ in range(5):  # the service alone, one caller: database and ORM, no HTTP, no queue
                with sessions() as ss:
                    began = time.perf_counter()
                    work(ss)
                    times.append((time.perf_counter() - began) * 1000)
            out[label] = f"{sorted(times)[2]:.1f} ms alone; " + out[label]
        except Exception as exc:  # a kind this tree does not offer yet: said in the table
            out[label] = f"not checked ({type(exc).__name__}: {str(exc)[:80]})"
    engine.dispose()
    return out


def _deep_cursors(base: str, headers: dict[str, str], province: str) -> list[str]:
    """Cursors of pages 40–60 of the largest province's list, walked once before timing."""
    cursors, cursor = [], None
    with httpx.Client(base_url=base, headers=headers, timeout=120) as c:
        for page in range(60):
            params = {"division": province, "limit": 50, **({"cursor": cursor} if cursor else {})}
            cursor = c.get("/api/v1/facilities", params=params).json().get("next_cursor")
            if not cursor:
                break
            if page >= 40:
                cursors.append(cursor)
    return cursors


def _database(admin: str, name: str) -> tuple[str, bool]:
    """The URL of database ``name`` (or of a new one), and whether this run made it."""
    if not name:
        name = _databases.scratch_name("memorials_nq")
        return _databases.create_database(admin, name), True
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        missing = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None
    engine.dispose()
    if missing:
        return _databases.create_database(admin, name), False
    return make_url(admin).set(database=name).render_as_string(hide_password=False), False


def _row(label: str, target: float, tally: _servers.Tally, seconds: float, plan: str) -> str:
    p50, p95, p99 = (tally.percentile(p) * 1000 for p in (50, 95, 99))
    ok = "✓" if p95 < target and not tally.errors() else "✗"
    return (f"| {label} | {len(tally.latencies) / seconds:.1f} | {p50:.0f} | {p95:.0f} | {p99:.0f} | "
            f"{tally.errors()} | < {target:.0f} {ok} | {plan} |")


def run(args: argparse.Namespace) -> str:
    admin = args.postgres or os.environ.get("MEMORIALS_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)
    url, made = _database(admin, args.nq_database)
    notes: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="nq-bench-"))
    servers: list[_servers.Server] = []
    try:
        check = create_engine(url)
        with check.connect() as c:
            loaded = c.scalar(text("SELECT to_regclass('facilities') IS NOT NULL")) and c.scalar(
                text("SELECT count(*) FROM (SELECT 1 FROM facilities LIMIT 1) AS f"))
        check.dispose()
        if not loaded:
            print(f"   loading {args.facilities:,} facilities, {args.martyrs:,} martyrs ...", file=sys.stderr)
            notes += _load(url, tmp, args.facilities, args.martyrs)
        else:
            notes.append(f"Reused database `{make_url(url).database}`.")
        notes += _prepare(url)
        print("   sampling inputs, checking plans ...", file=sys.stderr, flush=True)
        samples = Samples(url)
        plans = _plan_checks(url, samples)
        print("   starting the registry and tipg ...", file=sys.stderr)
        registry = _servers.registry_server(url, tmp / "registry", args.nq_workers, args.nq_connections)
        servers.append(registry)
        tipg = _servers.tipg_server(Path(args.nq_tipg_venv), url, tmp / "tipg", args.nq_workers,
                                    args.nq_connections)
        servers.append(tipg)
        token = httpx.post(registry.base + "/api/v1/auth/token", data={"username": USER, "password": PASSWORD},
                           timeout=60).json()["access_token"]
        headers = {"registry": {"Authorization": f"Bearer {token}"}, "tipg": {}}
        bases = {"registry": registry.base, "tipg": tipg.base}
        cursors = _deep_cursors(registry.base, headers["registry"], samples.provinces[0])
        load_before = os.getloadavg()[0]
        rows, paced = [], []
        for label, server, target, request in _kinds(samples, cursors):
            print(f"   {label} ...", file=sys.stderr, flush=True)
            tally = _servers.drive(bases[server], headers[server], args.nq_clients, args.nq_seconds, request)
            plan = "tipg's own SQL" if server == "tipg" else plans.get(label, "(same SQL as above)")
            rows.append(_row(label, target, tally, args.nq_seconds, plan))
            if tally.errors():
                notes.append(f"{label}: answers {dict(tally.codes)}")
            if args.nq_pace > 0:
                tally = _servers.drive(bases[server], headers[server], args.nq_clients, args.nq_seconds, request,
                                       pace=args.nq_pace)
                paced.append(_row(label, target, tally, args.nq_seconds, plan))
                if tally.errors():
                    notes.append(f"{label}, paced: answers {dict(tally.codes)}")
        notes.append(f"Load average (1 min) {load_before:.1f} before the timed runs, {os.getloadavg()[0]:.1f} after: "
                     "the machine is shared, and the clients run on it too.")
    finally:
        for server in servers:
            crashes = server.stop()
            if crashes:
                print(f"   {server.name} logged errors:\n{crashes[-4000:]}", file=sys.stderr)
                notes.append(f"{server.name} logged tracebacks (see stderr of the run).")
        if made:
            _databases.drop_database(admin, make_url(url).database)
        shutil.rmtree(tmp, ignore_errors=True)
    lines = [
        f"{args.nq_clients} concurrent clients, each kind for {args.nq_seconds:.0f} s, one kind after another; "
        f"the registry (`memorials serve --workers {args.nq_workers}`) and tipg {_servers.TIPG_VERSION} "
        f"(`uvicorn --workers {args.nq_workers}`) each with at most {args.nq_connections} database connections "
        "per process, on the same PostgreSQL, against the same `facilities` table; the clients run on the same "
        "machine. Boxes are 0.5° around sampled facilities. A ✓ means p95 under the target and no error. "
        "Plan: the indexes the kind's SQL reads (EXPLAIN of the statements the same services run here). "
        "Clients send their next request as soon as the last is answered, so p50 ≈ clients ÷ req/s: on a "
        "shared 2-core machine the latency targets are throughput targets, and the CPU (Python per request, "
        "the clients' own threads) is the bottleneck before the database. The last column times the same "
        "service called alone in this process (database and ORM, no HTTP, no queue).",
        "",
        "| query | req/s | p50 ms | p95 ms | p99 ms | errors | p95 target ms | service alone (median of 5); plan |",
        "|---|---:|---:|---:|---:|---:|---|---|",
        *rows,
        "",
    ]
    if paced:
        lines += [
            f"The same {args.nq_clients} clients as users, each asking once every {args.nq_pace:g} s "
            f"({args.nq_clients / args.nq_pace:.0f} requests/s offered, spread evenly; a latency counts from the "
            "moment the request was due, so waiting for a busy server counts):",
            "",
            "| query | req/s | p50 ms | p95 ms | p99 ms | errors | p95 target ms | plan |",
            "|---|---:|---:|---:|---:|---:|---|---|",
            *paced,
            "",
        ]
    lines += notes
    return "\n".join(lines)
