"""Background jobs: big reports made off the request path, queued in the database, kept for download.

A job is a row of ``jobs``: what to make (``kind`` and its ``params``), for
whom (``owner_id``) and over which place (``division_code``: the part of the
registry the report covers, never wider than the owner's jurisdiction). Its
``state`` goes queued → running → done or failed; ``progress`` (0..1) and a
``note`` say how far it is; the file it made stays under ``Settings.job_dir``.

Why in the core: the jobs run reports of several packages (the patrol ledger
of ``inspections``, the core's own list exports), so the queue sits below all
of them; a package registers what it can run as a :class:`JobKind` in its
``DomainPackage.jobs`` and the core never imports it (the core's own kinds are
``memorials.list_jobs.JOBS``; ``memorials.domains.job_kinds`` gathers both).

Several server processes share the queue (``memorials.job_worker``):

- a request with the same owner, kind and parameters as a queued or running
  job gets that job back (``active_key`` is unique while the job is live, so
  two racing requests cannot both insert one);
- a worker claims the oldest claimable job with ``SELECT … FOR UPDATE SKIP
  LOCKED`` on PostgreSQL, then a conditional ``UPDATE`` (on SQLite the
  ``UPDATE … WHERE state = 'queued'`` alone decides): exactly one worker wins;
- a running job's worker writes a heartbeat with its progress; a job whose
  heartbeat is older than ``job_stale_seconds`` (its process died) is claimable
  again, up to ``job_max_attempts`` times. Every write of a worker names its
  claim (worker and attempt), so a worker presumed dead cannot finish a job
  another worker has taken over.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from memorials import clock
from memorials.actors import Actor
from memorials.db import backend_name
from memorials.errors import NotFound
from memorials.models import Job, JobState, User
from memorials.permissions import Permission, allowed

STATE_LABELS = {"queued": "排队中", "running": "正在生成", "done": "已完成", "failed": "失败"}


@dataclass(frozen=True)
class JobContext:
    """What a job's code gets: a read session, the owner as an actor, the parameters, where to write, and a
    ``progress(share, note)`` to call now and then (it also keeps the claim alive, and raises
    :class:`Cancelled` when the server stops)."""

    session: Session
    actor: Actor
    params: Mapping[str, Any]
    path: Path
    progress: Callable[[float, str], None]


@dataclass(frozen=True)
class JobKind:
    """A kind of report a package can make in the background."""

    label: str
    """What it makes, in Chinese (巡查台账)."""
    permission: Permission
    """Needed to ask for it and to download it."""
    run: Callable[[JobContext], None]
    filename: Callable[[Mapping[str, Any]], str]
    """The download's name without the suffix (巡查台账_42_2026-01_2026-12)."""
    suffix: Callable[[Mapping[str, Any]], str] = lambda _params: "xlsx"


class Cancelled(Exception):
    """The server is stopping: the job goes back to the queue for another process."""


class LostClaim(Exception):
    """Another worker took this job over (this one was presumed dead)."""


def fingerprint(params: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def job_scope(actor: Actor, division: str) -> str:
    """The place a report covers: the division asked for, within the actor's jurisdiction."""
    return division if division.startswith(actor.scope) else actor.scope


def submit(*, session: Session, actor: Actor, kind: str, division: str, params: Mapping[str, Any]) -> Job:
    """The live job for this owner, kind and parameters, or a new queued one (the caller commits)."""
    if actor.user_id is None:
        raise ValueError("a job needs a user to own it")
    printed = fingerprint(params)
    key = f"{actor.user_id}:{kind}:{printed}"[:100]
    found = session.scalar(select(Job).where(Job.active_key == key))
    if found is not None:
        return found
    job = Job(kind=kind, owner_id=actor.user_id, division_code=job_scope(actor, division), params=dict(params),
              fingerprint=printed, active_key=key, state=JobState.queued, progress=0.0, note="排队中",
              error="", attempts=0, created_at=clock.now())
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:   # a racing request inserted it first
        found = session.scalar(select(Job).where(Job.active_key == key))
        if found is None:
            raise
        return found
    return job


def get_job(*, session: Session, job_id: int, actor: Actor, kinds: Mapping[str, JobKind]) -> Job:
    """The job, if this actor could have asked for it: the kind's permission, and its place inside the
    actor's jurisdiction (the owner always may). Otherwise ``NotFound``, as for anything outside."""
    job = session.get(Job, job_id)
    kind = kinds.get(job.kind) if job else None
    if (job is None or kind is None or not allowed(actor.role, kind.permission)
            or not (job.owner_id == actor.user_id or actor.covers(job.division_code))):
        raise NotFound("job", job_id)
    return job


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


@dataclass(frozen=True)
class Claim:
    job_id: int
    worker: str
    attempt: int


def _claimable(stale_after: timedelta):  # type: ignore[no-untyped-def]
    return or_(Job.state == JobState.queued,
               (Job.state == JobState.running) & (Job.heartbeat_at < clock.now() - stale_after))


def waiting(*, session: Session, stale_after: timedelta) -> bool:
    """Is any job claimable? A read, so that idle workers never take SQLite's write lock to find out."""
    return session.scalar(select(Job.id).where(_claimable(stale_after)).limit(1)) is not None


def claim_next(*, session: Session, worker: str, stale_after: timedelta, max_attempts: int) -> Claim | None:
    """Take the oldest queued job (or one whose worker stopped beating) for ``worker``; None when there is none.

    The caller commits at once. A job that has used up its attempts is marked failed instead.
    """
    now = clock.now()
    claimable = _claimable(stale_after)
    query = select(Job.id, Job.attempts).where(claimable).order_by(Job.id).limit(1)
    if backend_name(session) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    found = session.execute(query).first()
    if found is None:
        return None
    job_id, attempts = found
    if attempts >= max_attempts:
        session.execute(update(Job).where(Job.id == job_id, claimable).values(
            state=JobState.failed, active_key=None, finished_at=now, note="失败",
            error=f"stopped {attempts} times without finishing (the server process ended)"))
        return None
    taken = session.execute(update(Job).where(Job.id == job_id, claimable, Job.attempts == attempts).values(
        state=JobState.running, worker=worker, attempts=attempts + 1, heartbeat_at=now, started_at=now,
        note="开始生成")).rowcount
    return Claim(job_id, worker, attempts + 1) if taken == 1 else None


def _mine(claim: Claim):  # type: ignore[no-untyped-def]
    return (Job.id == claim.job_id, Job.worker == claim.worker, Job.attempts == claim.attempt,
            Job.state == JobState.running)


def beat(*, session: Session, claim: Claim, progress: float, note: str) -> None:
    """Record progress and that the worker lives; ``LostClaim`` if the job is no longer this worker's."""
    if session.execute(update(Job).where(*_mine(claim)).values(
            progress=round(min(max(progress, 0.0), 1.0), 4), note=note[:100], heartbeat_at=clock.now())).rowcount != 1:
        raise LostClaim(claim.job_id)


def finish(*, session: Session, claim: Claim, path: Path, name: str, media_type: str) -> None:
    if session.execute(update(Job).where(*_mine(claim)).values(
            state=JobState.done, progress=1.0, note="已完成", active_key=None, finished_at=clock.now(),
            result_path=str(path), result_name=name[:200], media_type=media_type,
            result_bytes=path.stat().st_size)).rowcount != 1:
        raise LostClaim(claim.job_id)


def fail(*, session: Session, claim: Claim, error: str) -> None:
    session.execute(update(Job).where(*_mine(claim)).values(
        state=JobState.failed, note="失败", active_key=None, finished_at=clock.now(), error=error[:2000]))


def release(*, session: Session, claim: Claim) -> None:
    """Put the job back in the queue (the server is stopping)."""
    session.execute(update(Job).where(*_mine(claim)).values(state=JobState.queued, note="排队中", worker=None,
                                                            attempts=claim.attempt - 1))


def owner_actor(session: Session, job: Job) -> Actor:
    """The owner as the job runs: today's role and jurisdiction, so a report never shows what its owner lost."""
    user = session.get(User, job.owner_id)
    if user is None or not user.active:
        raise PermissionError("the job's owner is no longer an active user")
    return Actor(user_id=user.id, username=user.username, role=user.role, jurisdiction=user.jurisdiction)
