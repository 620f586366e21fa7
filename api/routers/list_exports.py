"""Export buttons of the list pages: what a list shows, all its pages, filters included, as XLSX or CSV.

A list of more than ``job_threshold_rows`` rows (or any list, with ``background=true``) is made as a background
job (``memorials.list_jobs``): a browser is sent to the job's page (303), a script gets the job (202); the same
request again gets the same job while it is queued or running.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from api.auth import RegistryReader
from api.deps import ReadSession, SettingsDep
from api.routers.facilities import FacilityFilter
from api.routers.jobs import queued_answer
from memorials import jobs, list_jobs
from memorials.actors import Actor
from memorials.db import transaction
from memorials.exporting import (
    FACILITY_LIST_NAME,
    MARTYR_LIST_NAME,
    MartyrFilters,
    facility_list,
    martyr_list,
    write_list,
)

router = APIRouter(include_in_schema=False)

TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv; charset=utf-8"}
ListFormat = Literal["xlsx", "csv"]
Background = Annotated[bool, Query(description="always make it as a background job")]
Text = Annotated[str | None, Query(max_length=100)]


def _send(path: Path, name: str, fmt: str) -> Response:
    return FileResponse(path, filename=f"{name}.{fmt}", media_type=TYPES[fmt],
                        background=BackgroundTask(path.unlink, missing_ok=True))


def _temp(fmt: str) -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=f".{fmt}", delete=False)
    handle.close()
    return Path(handle.name)


def _queue(request: Request, actor: Actor, kind: str, division: str, params: dict[str, Any]) -> Response:
    with transaction(request.app.state.write_sessions) as writing:
        job = jobs.submit(session=writing, actor=actor, kind=kind, division=division, params=params)
    return queued_answer(request, job)


def _clean(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


@router.get("/facilities/export.{fmt}")
def export_facility_list(request: Request, fmt: ListFormat, session: ReadSession, actor: RegistryReader,
                         settings: SettingsDep, query: FacilityFilter, background: Background = False) -> Response:
    threshold = settings.job_threshold_rows
    if background or list_jobs.facility_list_size(session=session, actor=actor, query=query,
                                                  cap=threshold) > threshold:
        return _queue(request, actor, list_jobs.FACILITY_LIST, query.division or "",
                      list_jobs.facility_list_params(query=query, fmt=fmt))
    heading, sheet = facility_list(session=session, actor=actor, query=query)
    path = _temp(fmt)
    write_list(path, heading, sheet, fmt)
    return _send(path, FACILITY_LIST_NAME, fmt)


@router.get("/martyrs/export.{fmt}")
def export_martyr_list(
    request: Request, fmt: ListFormat, session: ReadSession, actor: RegistryReader, settings: SettingsDep,
    q: Text = None, hometown: Text = None, unit: Text = None, battle: Text = None,
    death_year: Annotated[int | None, Query(ge=1800, le=2100)] = None, background: Background = False,
) -> Response:
    filters = MartyrFilters(q=_clean(q), hometown=_clean(hometown), unit=_clean(unit), battle=_clean(battle),
                            death_year=death_year)
    threshold = settings.job_threshold_rows
    if background or list_jobs.martyr_list_size(session=session, actor=actor, filters=filters,
                                                cap=threshold) > threshold:
        return _queue(request, actor, list_jobs.MARTYR_LIST, "",
                      list_jobs.martyr_list_params(filters=filters, fmt=fmt))
    heading, sheet = martyr_list(session=session, actor=actor, filters=filters)
    path = _temp(fmt)
    write_list(path, heading, sheet, fmt)
    return _send(path, MARTYR_LIST_NAME, fmt)
