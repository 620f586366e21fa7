"""The job queue shared by server processes: one run per job however workers race, stale jobs retried,
duplicate requests folded into one job, progress recorded, access by jurisdiction."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from memorials import clock, jobs
from memorials.actors import Actor
from memorials.db import session_factory, transaction
from memorials.errors import NotFound
from memorials.job_worker import JobWorker
from memorials.models import Job
from memorials.permissions import Permission
from memorials.settings import Settings
from memorials.users import create_user
from tests.factories import DEMO_DISTRICT, OTHER_DISTRICT, PASSWORD


class Recorder:
    """A job kind of this test: writes a file, reports progress, counts its runs (and can hold one open)."""

    def __init__(self) -> None:
        self.runs: list[int] = []
        self.lock = threading.Lock()
        self.started = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def run(self, ctx: jobs.JobContext) -> None:
        with self.lock:
            self.runs.append(int(ctx.params["n"]))
        ctx.progress(0.5, "一半")
        self.started.set()   # after the progress is written
        assert self.release.wait(10)
        ctx.path.write_text(f"{ctx.actor.username} {ctx.params['n']}", encoding="utf-8")

    def kinds(self) -> dict[str, jobs.JobKind]:
        return {"probe": jobs.JobKind(label="测试", permission=Permission.inspections_read, run=self.run,
                                      filename=lambda p: f"probe_{p['n']}", suffix=lambda p: "txt")}


def _settings(db_url: str, tmp_path: Path, **extra: object) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path / "data", tiles="none", job_workers=0, **extra)


def _owner(engine, username: str = "job_owner", jurisdiction: str = DEMO_DISTRICT) -> Actor:  # type: ignore[no-untyped-def]
    with transaction(session_factory(engine, write=True)) as s:
        user = create_user(session=s, username=username, password=PASSWORD, role="planner",
                           jurisdiction=jurisdiction)
        return Actor(user_id=user.id, username=user.username, role=user.role, jurisdiction=user.jurisdiction)


def _submit(engine, actor: Actor, n: int = 1, division: str = DEMO_DISTRICT) -> int:  # type: ignore[no-untyped-def]
    with transaction(session_factory(engine, write=True)) as s:
        return jobs.submit(session=s, actor=actor, kind="probe", division=division, params={"n": n}).id


def _job(engine, job_id: int) -> Job:  # type: ignore[no-untyped-def]
    with transaction(session_factory(engine)) as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job


@pytest.mark.both_backends  # SKIP LOCKED on PostgreSQL, the conditional UPDATE on SQLite
def test_two_racing_workers_run_a_job_once(engine, db_url, tmp_path):
    owner = _owner(engine)
    job_id = _submit(engine, owner)
    recorder = Recorder()
    workers = [JobWorker(engine=engine, settings=_settings(db_url, tmp_path), kinds=recorder.kinds())
               for _ in range(2)]
    for w in workers:
        w.directory.mkdir(parents=True, exist_ok=True)
    barrier = threading.Barrier(4)
    ran: list[bool] = []

    def race(worker: JobWorker, name: str) -> None:
        barrier.wait()
        ran.append(worker.run_once(worker=name))

    threads = [threading.Thread(target=race, args=(w, f"w{i}-{k}")) for i, w in enumerate(workers) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert recorder.runs == [1] and sorted(ran) == [False, False, False, True]
    job = _job(engine, job_id)
    assert job.state == "done" and job.attempts == 1 and job.active_key is None
    assert Path(job.result_path).read_text(encoding="utf-8") == "job_owner 1"
    assert job.result_name == "probe_1.txt" and job.progress == 1.0


@pytest.mark.both_backends  # the unique live key decides between racing requests
def test_the_same_request_again_gets_the_live_job(engine, db_url, tmp_path):
    owner = _owner(engine)
    first = _submit(engine, owner)
    assert _submit(engine, owner) == first            # queued: the same job
    assert _submit(engine, owner, n=2) != first       # other parameters: another job
    recorder = Recorder()
    worker = JobWorker(engine=engine, settings=_settings(db_url, tmp_path), kinds=recorder.kinds())
    worker.directory.mkdir(parents=True, exist_ok=True)
    recorder.release.clear()
    runner = threading.Thread(target=worker.run_once)
    runner.start()
    assert recorder.started.wait(10)
    assert _submit(engine, owner) == first            # running: still the same job
    recorder.release.set()
    runner.join(10)
    assert _job(engine, first).state == "done"
    again = _submit(engine, owner)                    # done: a new request makes a fresh report
    assert again != first and _job(engine, again).state == "queued"


def test_a_job_left_running_by_a_dead_process_is_taken_up_again(engine, db_url, tmp_path):
    owner = _owner(engine)
    job_id = _submit(engine, owner)
    with transaction(session_factory(engine, write=True)) as s:   # a worker claimed it, then its process died
        claim = jobs.claim_next(session=s, worker="dead:1:1", stale_after=timedelta(seconds=60), max_attempts=3)
    assert claim is not None and claim.attempt == 1
    recorder = Recorder()
    worker = JobWorker(engine=engine, settings=_settings(db_url, tmp_path, job_stale_seconds=60),
                       kinds=recorder.kinds())
    worker.directory.mkdir(parents=True, exist_ok=True)
    assert worker.run_once() is False                 # its heartbeat is fresh: not taken
    with transaction(session_factory(engine, write=True)) as s:
        s.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=clock.now() - timedelta(minutes=5)))
    assert worker.run_once() is True and recorder.runs == [1]
    job = _job(engine, job_id)
    assert job.state == "done" and job.attempts == 2 and job.worker != "dead:1:1"
    with transaction(session_factory(engine, write=True)) as s:   # the dead worker's late word changes nothing
        with pytest.raises(jobs.LostClaim):
            jobs.beat(session=s, claim=claim, progress=0.9, note="迟到")
    assert _job(engine, job_id).state == "done"


def test_a_job_that_keeps_dying_is_failed_after_its_attempts(engine, db_url, tmp_path):
    owner = _owner(engine)
    job_id = _submit(engine, owner)
    with transaction(session_factory(engine, write=True)) as s:
        s.execute(update(Job).where(Job.id == job_id).values(
            state="running", attempts=3, heartbeat_at=clock.now() - timedelta(hours=1)))
    with transaction(session_factory(engine, write=True)) as s:
        assert jobs.claim_next(session=s, worker="w", stale_after=timedelta(seconds=60), max_attempts=3) is None
    job = _job(engine, job_id)
    assert job.state == "failed" and "3 times" in job.error and job.active_key is None


def test_progress_is_recorded_while_the_job_runs(engine, db_url, tmp_path):
    owner = _owner(engine)
    job_id = _submit(engine, owner)
    recorder = Recorder()
    recorder.release.clear()
    worker = JobWorker(engine=engine, settings=_settings(db_url, tmp_path), kinds=recorder.kinds())
    worker.directory.mkdir(parents=True, exist_ok=True)
    runner = threading.Thread(target=worker.run_once)
    runner.start()
    assert recorder.started.wait(10)
    running = _job(engine, job_id)
    assert running.state == "running" and running.progress == 0.5 and running.note == "一半"
    recorder.release.set()
    runner.join(10)
    assert _job(engine, job_id).progress == 1.0


def test_who_may_read_a_job(engine, db_url, tmp_path):
    owner = _owner(engine)
    job_id = _submit(engine, owner)
    kinds = Recorder().kinds()
    colleague = _owner(engine, "same_county", DEMO_DISTRICT)
    province = _owner(engine, "province", "420000")
    neighbour = _owner(engine, "next_county", OTHER_DISTRICT)
    with transaction(session_factory(engine)) as s:
        for actor in (owner, colleague, province):
            assert jobs.get_job(session=s, job_id=job_id, actor=actor, kinds=kinds).id == job_id
        with pytest.raises(NotFound):
            jobs.get_job(session=s, job_id=job_id, actor=neighbour, kinds=kinds)
    national = _submit(engine, province, division="")   # a province's user asking for everything gets its province
    assert _job(engine, national).division_code == "42"
