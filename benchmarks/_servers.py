"""Servers and clients for the benchmarks: the registry with several workers, tipg beside it, N clients.

Every process is started here and stopped here; clients talk only to
127.0.0.1 and their loops are bounded in time and count.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent
MAX_REQUESTS_PER_CLIENT = 100_000
TIPG_VERSION = "1.6.1"
# The columns the registry's facility answer carries, so that tipg ships the same fields.
TIPG_PROPERTIES = ["id", "code", "name", "kind", "protection_level", "status", "division_code", "address",
                   "longitude", "latitude", "custodian", "patrol_interval_days", "description"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process on a free port, up once ``probe`` answers 200; its stderr goes to a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path, probe: str) -> None:
        self.name, self.log = name, log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        argv = [a.replace("{port}", str(self.port)) for a in argv]
        log.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                                        stderr=log.open("wb"), start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + probe, timeout=10).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"{name} did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{name} did not answer {probe} within 180 s:\n{log.read_text(errors='replace')[-2000:]}")

    def stop(self) -> str:
        """Stop the server and its workers; the tracebacks it logged, if any."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        text = self.log.read_text(errors="replace")
        return text if "Traceback" in text else ""


def registry_server(url: str, data_dir: Path, workers: int, connections: int) -> Server:
    cli = Path(sys.executable).with_name("memorials")
    env = {"MEMORIALS_DATABASE_URL": url, "MEMORIALS_DATA_DIR": str(data_dir), "MEMORIALS_TILES": "none",
           "MEMORIALS_DB_MAX_CONNECTIONS": str(connections), "PYTHONPATH": str(ROOT)}
    return Server("registry", [str(cli), "serve", "--host", "127.0.0.1", "--port", "{port}",
                               "--workers", str(workers)], env, data_dir / "registry.log", "/health")


def ensure_tipg(venv: Path) -> Path:
    """tipg in a virtual environment of its own (its pins are not ours); answers its ``uvicorn``."""
    uvicorn = venv / "bin" / "uvicorn"
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    check = subprocess.run([str(venv / "bin" / "python"), "-c", "import tipg, uvicorn; print(tipg.__version__)"],
                           capture_output=True, text=True)
    if check.returncode != 0 or check.stdout.strip() != TIPG_VERSION:
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        f"tipg=={TIPG_VERSION}", "uvicorn"], check=True)
    return uvicorn


def tipg_server(venv: Path, url: str, data_dir: Path, workers: int, connections: int) -> Server:
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    env = {"DATABASE_URL": dsn, "TIPG_DB_TABLES": json.dumps(["public.facilities"]),
           "TIPG_TABLE_CONFIG__public_facilities__GEOMCOL": "geom",
           "TIPG_TABLE_CONFIG__public_facilities__PK": "id",
           "TIPG_TABLE_CONFIG__public_facilities__PROPERTIES": json.dumps(TIPG_PROPERTIES),
           "DB_MIN_CONN_SIZE": "1", "DB_MAX_CONN_SIZE": str(connections), "TIPG_MAX_FEATURES_PER_QUERY": "10000"}
    argv = [str(ensure_tipg(venv)), "tipg.main:app", "--host", "127.0.0.1", "--port", "{port}",
            "--workers", str(workers), "--timeout-worker-healthcheck", "60", "--log-level", "warning"]
    return Server("tipg", argv, env, data_dir / "tipg.log", "/collections/public.facilities")


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    codes: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, code: str, seconds: float) -> None:
        with self.lock:
            self.codes[code] += 1
            self.latencies.append(seconds)

    def errors(self) -> int:
        return sum(n for code, n in self.codes.items() if not code.startswith("2"))

    def percentile(self, p: float) -> float:
        lat = sorted(self.latencies) or [0.0]
        return lat[min(len(lat) - 1, round(p / 100 * (len(lat) - 1)))]


def drive(base: str, headers: dict[str, str], clients: int, seconds: float,
          request: Callable[[int, int], str], pace: float = 0.0) -> Tally:
    """``clients`` threads, each with its own connection, GET ``request(client, i)`` for ``seconds``.

    Without ``pace`` each client sends its next request as soon as the last
    is answered (the servers' capacity). With ``pace``, each client is a
    user who asks once every ``pace`` seconds, the clients' schedules spread
    evenly over one period; a latency counts from the moment the request was
    due, so a server that falls behind its users is charged for their wait
    (no coordinated omission).
    """
    tally = Tally()
    start = threading.Barrier(clients + 1)
    stop_at: list[float] = []

    def client(n: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            start.wait()
            first = time.perf_counter() + pace * n / clients
            for i in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= stop_at[0]:
                    return
                url = request(n, i)
                due = first + i * pace
                if pace:
                    time.sleep(max(0.0, due - time.perf_counter()))
                began = due if pace else time.perf_counter()
                try:
                    code = str(c.get(url).status_code)
                except httpx.HTTPError as exc:
                    code = type(exc).__name__
                tally.add(code, time.perf_counter() - began)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    stop_at.append(time.monotonic() + seconds)
    start.wait()
    for t in threads:
        t.join()
    return tally
