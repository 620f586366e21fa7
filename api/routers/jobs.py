"""Background jobs (``memorials.jobs``): their state as JSON, their page with a progress bar, their file.

A job may be read by whoever could have asked for it: the kind's permission
and the job's place inside the user's jurisdiction (or its owner); anyone
else gets 404, as for any record outside.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from api.auth import RegistryReader
from api.deps import IdPath, ReadSession
from api.templating import render
from memorials import jobs
from memorials.actors import Actor
from memorials.errors import Conflict
from memorials.models import Job

router = APIRouter(tags=["jobs"])


class JobOut(BaseModel):
    id: int
    kind: str
    label: str
    state: str
    state_label: str
    progress: float
    note: str
    error: str
    params: dict
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result_name: str
    result_bytes: int | None
    page_url: str
    file_url: str | None


def job_out(job: Job, kinds: dict[str, jobs.JobKind]) -> JobOut:
    kind = kinds.get(job.kind)
    return JobOut(
        id=job.id, kind=job.kind, label=kind.label if kind else job.kind, state=job.state,
        state_label=jobs.STATE_LABELS[job.state], progress=job.progress, note=job.note, error=job.error,
        params={k: v for k, v in job.params.items() if k not in ("base_url", "photo_path")},
        created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
        result_name=job.result_name, result_bytes=job.result_bytes, page_url=f"/jobs/{job.id}",
        file_url=f"/api/v1/jobs/{job.id}/file" if job.state == jobs.JobState.done else None)


def queued_answer(request: Request, job: Job) -> Response:
    """What a report route answers when its report went to the queue: the job's page for a browser (303),
    the job as JSON with ``Location`` for a script (202)."""
    request.app.state.job_worker.wake()
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)
    body = job_out(job, request.app.state.job_kinds)
    return JSONResponse(body.model_dump(mode="json"), status_code=202, headers={"Location": f"/api/v1/jobs/{job.id}"})


def _load(request: Request, session, job_id: int, actor: Actor) -> Job:  # type: ignore[no-untyped-def]
    return jobs.get_job(session=session, job_id=job_id, actor=actor, kinds=request.app.state.job_kinds)


@router.get("/api/v1/jobs/{job_id}", response_model=JobOut)
def get_job(request: Request, job_id: IdPath, session: ReadSession, actor: RegistryReader) -> JobOut:
    """A background job's state and progress (the job page polls this); ``file_url`` once it is done."""
    return job_out(_load(request, session, job_id, actor), request.app.state.job_kinds)


@router.get("/api/v1/jobs/{job_id}/file", response_class=FileResponse)
def job_file(request: Request, job_id: IdPath, session: ReadSession, actor: RegistryReader) -> Response:
    """The file a finished job made (409 while it is still queued or running, or when it failed)."""
    job = _load(request, session, job_id, actor)
    if job.state != jobs.JobState.done or not job.result_path or not Path(job.result_path).is_file():
        raise Conflict(f"job {job_id} has no file ({job.state})", state=job.state)
    return FileResponse(job.result_path, filename=job.result_name, media_type=job.media_type)


@router.get("/jobs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
def job_page(request: Request, job_id: IdPath, session: ReadSession, actor: RegistryReader) -> Response:
    job = _load(request, session, job_id, actor)
    return render(request, "job.html", {"job": job_out(job, request.app.state.job_kinds)})
