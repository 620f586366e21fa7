"""The thread inside each server process that runs queued jobs (``memorials.jobs``) one at a time.

It claims a job in a short write transaction, runs it in a read session of
its own (the report reads a consistent snapshot while requests go on),
writes a heartbeat with the progress at most once a second, and records the
file or the error. Stopping the server puts a running job back in the queue;
a process that dies leaves its job ``running`` until the heartbeat is stale,
when another process takes it up again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from memorials import jobs
from memorials.db import session_factory, transaction
from memorials.errors import DomainError
from memorials.settings import Settings

log = logging.getLogger(__name__)

MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
BEAT_SECONDS = 1.0


class JobWorker:
    """Runs the jobs of the shared queue in ``settings.job_workers`` threads of this process."""

    def __init__(self, *, engine: Engine, settings: Settings, kinds: Mapping[str, jobs.JobKind]) -> None:
        self.settings, self.kinds = settings, kinds
        self.reads = session_factory(engine)
        self.writes = session_factory(engine, write=True)
        self.directory = settings.resolved_job_dir()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for n in range(self.settings.job_workers):
            thread = threading.Thread(target=self._loop, name=f"memorials-jobs-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = self.run_once()
            except Exception:   # the database went away for a while: log, wait, try again
                log.exception("job worker: claiming or recording a job failed")
                ran = False
            if not ran:
                self._wake.wait(self.settings.job_poll_seconds)
                self._wake.clear()

    def run_once(self, *, worker: str | None = None) -> bool:
        """Claim and run one job; False when none was waiting (or another worker won it)."""
        name = worker or jobs.worker_name()
        stale = timedelta(seconds=self.settings.job_stale_seconds)
        with transaction(self.reads) as session:
            if not jobs.waiting(session=session, stale_after=stale):
                return False
        with transaction(self.writes) as session:
            claim = jobs.claim_next(session=session, worker=name, stale_after=stale,
                                    max_attempts=self.settings.job_max_attempts)
        if claim is None:
            return False
        self._run(claim)
        return True

    def _run(self, claim: jobs.Claim) -> None:
        last = [0.0]

        def progress(share: float, note: str) -> None:
            if self._stop.is_set():
                raise jobs.Cancelled()
            now = time.monotonic()
            if now - last[0] >= BEAT_SECONDS:
                last[0] = now
                with transaction(self.writes) as session:
                    jobs.beat(session=session, claim=claim, progress=share, note=note)

        path: Path | None = None
        try:
            with transaction(self.reads) as session:
                job = session.get(jobs.Job, claim.job_id)
                assert job is not None
                kind = self.kinds[job.kind]
                suffix = kind.suffix(job.params)
                path = self.directory / f"job-{job.id}-{claim.attempt}.{suffix}"
                actor = jobs.owner_actor(session, job)
                kind.run(jobs.JobContext(session=session, actor=actor, params=job.params, path=path,
                                         progress=progress))
                name = f"{kind.filename(job.params)}.{suffix}"
            with transaction(self.writes) as session:
                jobs.finish(session=session, claim=claim, path=path, name=name,
                            media_type=MEDIA_TYPES.get(suffix, "application/octet-stream"))
        except jobs.Cancelled:
            _remove(path)
            with transaction(self.writes) as session:
                jobs.release(session=session, claim=claim)
        except jobs.LostClaim:
            _remove(path)
        except (DomainError, PermissionError, KeyError, ValueError) as exc:
            _remove(path)
            log.warning("job %s failed: %s", claim.job_id, exc)
            with transaction(self.writes) as session:
                jobs.fail(session=session, claim=claim, error=str(exc) or exc.__class__.__name__)
        except Exception as exc:
            _remove(path)
            log.exception("job %s failed", claim.job_id)
            with transaction(self.writes) as session:
                jobs.fail(session=session, claim=claim, error=f"internal error ({exc.__class__.__name__})")


def _remove(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)
