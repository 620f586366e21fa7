"""A real ``memorials serve`` in a process of its own, for tests that kill it; and how to tell it got a request.

:func:`delivered` answers, from the kernel's own table (``/proc/net/tcp``),
whether every byte a client socket sent has been read by the server
process, so a test can kill the server while it is inside a request without
guessing a delay.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path


def call(url: str, *, method: str = "GET", body: dict | None = None, token: str = "", form: dict | None = None,
         timeout: float = 60) -> tuple[int, dict]:
    data, headers = None, {}
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


class Server:
    """``memorials serve`` on ``port`` with ``env``; :meth:`kill` is SIGKILL, as the OOM killer or a power cut."""

    def __init__(self, env: dict[str, str], port: int, *args: str) -> None:
        self.env = {**os.environ, **env, "MEMORIALS_PORT": str(port)}
        self.args = args  # more options of ``memorials serve`` (``--workers 3``)
        self.base = f"http://127.0.0.1:{port}"
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        self.process = subprocess.Popen([str(Path(sys.executable).with_name("memorials")), "serve", *self.args],
                                        env=self.env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        until(lambda: self._healthy(), timeout=90, what="the server to answer /health")
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"server exited: {self.process.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            return call(f"{self.base}/health", timeout=5)[0] == 200
        except OSError:
            return False

    def token(self, username: str, password: str) -> str:
        status, answer = call(f"{self.base}/api/v1/auth/token", method="POST",
                              form={"username": username, "password": password})
        assert status == 200, answer
        return answer["access_token"]

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def until(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    """Poll ``condition`` until it is truthy (its value is answered); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _queues() -> dict[tuple[int, int], tuple[int, int]]:
    """(local port, remote port) → (bytes not yet acknowledged by the peer, bytes not yet read by the owner)."""
    found = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, queues = fields[1], fields[2], fields[4]
        tx, rx = (int(q, 16) for q in queues.split(":"))
        found[(int(local.split(":")[1], 16), int(remote.split(":")[1], 16))] = (tx, rx)
    return found


def delivered(client_port: int, server_port: int) -> bool:
    """Whether the server process has read every byte the client at ``client_port`` sent so far."""
    queues = _queues()
    client, server = queues.get((client_port, server_port)), queues.get((server_port, client_port))
    return client is not None and server is not None and client[0] == 0 and server[1] == 0
