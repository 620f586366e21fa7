"""A PostgreSQL server of the test's own (initdb + pg_ctl in a temporary folder), to stop and start at will.

Restarting the shared test server would break every other test running
against it; this one belongs to a single test. PostGIS works in it because
the extension's files are installed system-wide beside the binaries.
``initdb`` refuses to run as root, so as root the server runs as the
``postgres`` OS user (``runuser``), in a folder that user owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

BINARIES = (Path("/usr/lib/postgresql/15/bin"), Path("/usr/lib/postgresql/16/bin"), Path("/usr/lib/postgresql/17/bin"))


def binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or ``None`` when PostgreSQL's server is not installed."""
    found = [folder for folder in BINARIES if (folder / "initdb").exists() and (folder / "pg_ctl").exists()]
    if not found and shutil.which("pg_config"):
        folder = Path(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip())
        found = [folder] if (folder / "initdb").exists() and (folder / "pg_ctl").exists() else []
    return found[0] if found else None


class PrivatePostgres:
    """A throw-away cluster on ``port`` (trust authentication, user ``postgres``, 127.0.0.1 only)."""

    def __init__(self, bindir: Path, port: int) -> None:
        self.bindir, self.port = bindir, port
        self.root = Path(tempfile.mkdtemp(prefix="memorials-pg-"))
        self.data = self.root / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stdout[-1500:]} {result.stderr[-1500:]}")
        return result

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
                   "-c fsync=off")  # a crash of the server processes, not of the machine: WAL still written at commit
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options, "-w", "-t", "60",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        """``immediate``: every server process exits at once, as in a crash; the next start recovers from WAL."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.stop("immediate")
            except RuntimeError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)
