"""Field load: 200 inspectors filing patrols with photos and 50 planners browsing, for 5 minutes (locust).

``python -m benchmarks --only field_load [--postgres URL]`` does everything:

1. a PostGIS database of its own (created on the ``--postgres`` server, dropped
   at the end), ``memorials init`` and ``memorials demo --synthetic N --seed S``;
2. 250 accounts (``create_user``, Argon2 as in service): each inspector
   works one county (the counties with most facilities), each planner one
   province; template photos of 12 MP (``photo_ingest.make_photo``);
3. ``memorials serve --workers W`` with the photo store on disk (a durable
   ``DiskStore``: fsync), sign-in rate per address raised for the run (see
   :data:`SERVER_ENV`);
4. one inspector alone files a few patrols first: the answer time of a patrol
   POST on an idle server, and its split (photo checks and display sizes
   against hashing and keeping the originals);
5. ``locust --headless`` with ``benchmarks/fieldload/locustfile.py`` for the
   run's length, while psutil counts the CPU of the server's workers,
   PostgreSQL and locust, and py-spy samples the workers' stacks;
6. the registry is checked afterwards: every patrol answered 201 is there
   with its photos verified and its three files in the store.

``--field-small`` runs a quick check (500 facilities, 10 + 4 users, 45 s,
small photos). Requests go to 127.0.0.1 only; locust stops by itself.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx2 as httpx
import psutil

from benchmarks import _databases
from benchmarks.fieldload.accounts import make_plan, solo_patrols
from benchmarks.fieldload.report import report

SPAWN_RATE = 5
TITLE = "Field load: inspectors filing patrols with photos, planners browsing (locust, PostGIS, several workers)"
ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "benchmarks" / "fieldload" / "locustfile.py"
SERVER_ENV = {
    "MEMORIALS_TILES": "none",
    # 250 people sign in within the ramp from one address (127.0.0.1): a bureau's NAT. The default of 30 a
    # minute per address would refuse most of them with 429; per username (10/min) and lockout stay as they are.
    "MEMORIALS_LOGIN_RATE_PER_ADDRESS": "1000",
}
CATEGORIES = (  # py-spy samples, by the first of these found in the stack (most specific first)
    ("photo files written (store.put, fsync)", ("evidence/store.py",)),
    ("photo checks and display sizes (decode, resize, encode)", ("evidence/photos.py", "evidence/resample.py",
                                                                  "simplejpeg", "pyvips")),
    ("password hashing (Argon2)", ("argon2",)),
    ("multipart upload parsing", ("multipart",)),
    ("database (SQLAlchemy, psycopg)", ("sqlalchemy", "psycopg")),
    ("HTML templates (Jinja2)", ("jinja2",)),
    ("JSON and models (pydantic, orjson)", ("pydantic", "orjson", "json/")),
)


# Leaf functions where a sampled thread waits rather than computes (py-spy counts some as active).
WAITING = frozenset({"select", "poll", "wait", "acquire", "recv", "recv_into", "sleep", "_worker", "read", "accept",
                     "epoll", "sendall"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("field_load")
    group.add_argument("--field-facilities", type=int, default=20_000, help="synthetic facilities (default 20000)")
    group.add_argument("--field-inspectors", type=int, default=200)
    group.add_argument("--field-planners", type=int, default=50)
    group.add_argument("--field-seconds", type=int, default=300, help="locust run time, ramp included (default 300)")
    group.add_argument("--field-workers", type=int, default=4, help="server worker processes (default 4)")
    group.add_argument("--field-photos", type=int, default=3, help="photos per patrol (default 3)")
    group.add_argument("--field-inspector-think", default="120,240",
                       help="seconds between an inspector's patrols, min,max (default 120,240)")
    group.add_argument("--field-planner-think", default="2,8",
                       help="seconds between a planner's clicks, min,max (default 2,8)")
    group.add_argument("--field-seed", type=int, default=7)
    group.add_argument("--field-small", action="store_true", help="quick check: small registry, few users, 45 s")


def _think(value: str) -> list[float]:
    low, high = (float(v) for v in value.split(","))
    return [low, high]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


class Server:
    """``memorials serve --workers N`` in a session of its own, stopped by its process id."""

    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process = subprocess.Popen(
            [_bin("memorials"), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"), start_new_session=True)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # every worker has started (a busy machine takes its time)
            if log.read_text(errors="replace").count("Application startup complete") >= workers:
                try:
                    if httpx.get(self.base + "/health", timeout=5).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            if self.process.poll() is not None:
                raise RuntimeError(log.read_text(errors="replace")[-3000:])
            time.sleep(0.5)
        self.stop()
        raise RuntimeError("the server did not start")

    def processes(self) -> list[psutil.Process]:
        parent = psutil.Process(self.process.pid)
        return [parent, *parent.children(recursive=True)]

    def stop(self) -> str:
        """Stop the server; the tracebacks it logged, if any."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the group this benchmark started
                self.process.wait()
        text = self.log.read_text(errors="replace")
        return text if "Traceback" in text else ""


def _cpu(processes: list[psutil.Process]) -> dict[int, float]:
    seconds = {}
    for p in processes:
        try:
            t = p.cpu_times()
            seconds[p.pid] = t.user + t.system
        except psutil.Error:
            pass
    return seconds


def _postgres_processes() -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postmaster")]


def _machine_busy() -> tuple[float, float]:
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq + t.steal, t.idle + t.iowait


def _profile(server: Server, delay: int, seconds: int, out: Path) -> subprocess.Popen[bytes] | None:
    """py-spy on every worker, from ``delay`` seconds on (after the ramp) for ``seconds``."""
    spy = Path(_bin("py-spy"))
    if not spy.exists():
        return None
    return subprocess.Popen(["sh", "-c", 'sleep "$0"; exec "$@"', str(delay), str(spy), "record", "--pid", str(server.process.pid), "--subprocesses", "--nonblocking",
                             "--rate", "25", "--duration", str(seconds), "--format", "raw", "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _profile_summary(path: Path) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """Shares of the workers' samples by category and by leaf function."""
    by_category: Counter[str] = Counter()
    by_leaf: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        leaf = stack.rsplit(";", 1)[-1]
        if leaf.split(" (", 1)[0].rsplit(".", 1)[-1] in WAITING:
            category = "waiting (sockets, PostgreSQL's answers, locks, idle pool threads)"
        else:
            category = next((name for name, keys in CATEGORIES if any(k in stack for k in keys)), "other Python")
        by_category[category] += n
        by_leaf[leaf] += n
    if not total:
        return [], []
    return ([(k, v / total) for k, v in by_category.most_common()],
            [(k, v / total) for k, v in by_leaf.most_common(8)])


def _locust(base: str, plan_path: Path, users: int, seconds: int, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MEMORIALS_LOAD_PLAN": str(plan_path)}
    return subprocess.run(
        [_bin("locust"), "-f", str(LOCUSTFILE), "--headless", "--host", base, "--users", str(users),
         "--spawn-rate", str(SPAWN_RATE), "--run-time", f"{seconds}s", "--stop-timeout", "120", "--csv", str(out),
         "--only-summary", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 600)


def _stats(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _failures(prefix: Path) -> list[dict[str, str]]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _check_registry(url: str, store_root: Path, started_id: int) -> dict[str, int]:
    """Patrols filed by the run, their photos, how many are verified, and photo files missing from the store."""
    from sqlalchemy import create_engine, text

    from evidence.store import DiskStore, original_key, screen_key, thumb_key

    engine = create_engine(url)
    with engine.connect() as conn:
        patrols = conn.execute(text("SELECT count(*), coalesce(sum(photo_count), 0), coalesce(sum(verified_count), 0) "
                                    "FROM inspections WHERE id > :id"), {"id": started_id}).one()
        hashes = conn.execute(text("SELECT a.sha256 FROM attachments a JOIN inspections i ON a.owner_id = i.id "
                                   "AND a.owner_type = 'inspection' WHERE i.id > :id"), {"id": started_id}).scalars()
        store = DiskStore(store_root)
        missing = sum(not store.exists(key)
                      for digest in hashes for key in (original_key(digest), screen_key(digest), thumb_key(digest)))
    engine.dispose()
    return {"patrols": patrols[0], "photos": patrols[1], "verified": patrols[2], "missing_files": missing}


def run(args: argparse.Namespace) -> str:
    small = args.field_small
    facilities = 500 if small else args.field_facilities
    inspectors, planners = (10, 4) if small else (args.field_inspectors, args.field_planners)
    seconds = 45 if small else args.field_seconds
    think = {"inspector": [5.0, 15.0] if small else _think(args.field_inspector_think),
             "planner": [1.0, 3.0] if small else _think(args.field_planner_think)}
    size = (1600, 1200) if small else (4000, 3000)
    admin_url = getattr(args, "postgres", "") or os.environ.get(
        "MEMORIALS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    name = _databases.scratch_name("memorials_field")
    url = _databases.create_database(admin_url, name)
    tmp = Path(tempfile.mkdtemp(prefix="field-load-"))
    env = {**os.environ, **SERVER_ENV, "MEMORIALS_DATABASE_URL": url, "MEMORIALS_DATA_DIR": str(tmp / "data")}
    figures: dict[str, object] = {"facilities": facilities, "inspectors": inspectors, "planners": planners,
                                  "seconds": seconds, "think": think, "workers": args.field_workers,
                                  "photos_per_patrol": args.field_photos, "photo_size": size}
    try:
        began = time.perf_counter()
        subprocess.run([_bin("memorials"), "init"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([_bin("memorials"), "demo", "--synthetic", str(facilities), "--seed", str(args.field_seed)],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        figures["load_s"] = time.perf_counter() - began
        print("   registry loaded; accounts and photos ...", file=sys.stderr, flush=True)
        plan, started_id = make_plan(url, tmp, inspectors=inspectors, planners=planners, size=size,
                                     photos_per_patrol=args.field_photos, think=think)
        plan_path = tmp / "plan.json"
        plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
        server = Server(env, args.field_workers, tmp / "server.log")
        try:
            print("   one inspector alone ...", file=sys.stderr, flush=True)
            figures["solo"] = solo_patrols(server.base, plan, tmp, rounds=3 if small else 5)
            figures["load_average"] = os.getloadavg()[0]  # other work on the machine as the run starts
            watched = server.processes()
            postgres = _postgres_processes()
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            before = (_cpu(watched), _cpu(postgres), _machine_busy(), time.perf_counter())
            profile_out = tmp / "profile.txt"
            ramp = (inspectors + planners) // SPAWN_RATE + 10
            spy = _profile(server, ramp, max(10, min(120, seconds - ramp - 15)), profile_out)
            print(f"   locust: {inspectors + planners} users for {seconds} s ...", file=sys.stderr, flush=True)
            result = _locust(server.base, plan_path, inspectors + planners, seconds, tmp / "locust")
            done = resource.getrusage(resource.RUSAGE_CHILDREN)
            after = (_cpu(watched), _cpu(postgres + _postgres_processes()), _machine_busy(), time.perf_counter())
            if spy is not None:
                spy.wait(timeout=300)
            figures["locust_rc"] = result.returncode
            figures["locust_tail"] = (result.stderr or "")[-2000:]
            elapsed = figures["elapsed"] = after[3] - before[3]
            figures["cpu"] = {
                "server": sum(after[0].get(p, 0) - before[0].get(p, 0) for p in after[0]) / elapsed,
                "postgres": sum(after[1].get(p, 0) - before[1].get(p, 0) for p in after[1]) / elapsed,
                "locust": (done.ru_utime + done.ru_stime - children.ru_utime - children.ru_stime) / elapsed,
                "machine": (after[2][0] - before[2][0]) / elapsed,
                "cores": psutil.cpu_count(),
            }
            figures["stats"] = _stats(tmp / "locust")
            figures["failures"] = _failures(tmp / "locust")
            figures["profile"] = _profile_summary(profile_out)
        finally:
            figures["tracebacks"] = server.stop().count("Traceback")
        figures["registry"] = _check_registry(url, tmp / "data" / "photos", started_id)
    finally:
        _databases.drop_database(admin_url, name)
        subprocess.run(["rm", "-rf", str(tmp)], check=False)
    return report(figures)
