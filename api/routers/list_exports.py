"""Export buttons of the list pages: what a list shows, all its pages, filters included, as XLSX or CSV."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from api.auth import RegistryReader
from api.deps import ReadSession
from api.routers.facilities import FacilityFilter
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
Text = Annotated[str | None, Query(max_length=100)]


def _send(path: Path, name: str, fmt: str) -> Response:
    return FileResponse(path, filename=f"{name}.{fmt}", media_type=TYPES[fmt],
                        background=BackgroundTask(path.unlink, missing_ok=True))


def _temp(fmt: str) -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=f".{fmt}", delete=False)
    handle.close()
    return Path(handle.name)


def _clean(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


@router.get("/facilities/export.{fmt}")
def export_facility_list(fmt: ListFormat, session: ReadSession, actor: RegistryReader, query: FacilityFilter) -> Response:
    heading, sheet = facility_list(session=session, actor=actor, query=query)
    path = _temp(fmt)
    write_list(path, heading, sheet, fmt)
    return _send(path, FACILITY_LIST_NAME, fmt)


@router.get("/martyrs/export.{fmt}")
def export_martyr_list(
    fmt: ListFormat, session: ReadSession, actor: RegistryReader,
    q: Text = None, hometown: Text = None, unit: Text = None, battle: Text = None,
    death_year: Annotated[int | None, Query(ge=1800, le=2100)] = None,
) -> Response:
    filters = MartyrFilters(q=_clean(q), hometown=_clean(hometown), unit=_clean(unit), battle=_clean(battle),
                            death_year=death_year)
    heading, sheet = martyr_list(session=session, actor=actor, filters=filters)
    path = _temp(fmt)
    write_list(path, heading, sheet, fmt)
    return _send(path, MARTYR_LIST_NAME, fmt)
