"""Export buttons of the list pages: what a list shows, all its pages, filters included, as XLSX or CSV."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from api.auth import RegistryReader
from api.deps import ReadSession
from api.routers.facilities import FacilityFilter
from memorials.divisions import get_division
from memorials.exporting import facility_list_sheet, martyr_list_sheet, register_heading, write_list
from memorials.facilities import FacilityQuery
from memorials.vocab import KIND_LABELS, LEVEL_LABELS, STATUS_LABELS

router = APIRouter(include_in_schema=False)

TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv; charset=utf-8"}
ListFormat = Literal["xlsx", "csv"]


def _facility_filters(session: Session, query: FacilityQuery) -> list[str]:
    out = []
    if query.q:
        out.append(f"关键词：{query.q}")
    if query.kinds:
        out.append("类型：" + "、".join(KIND_LABELS[k] for k in query.kinds))
    if query.protection_levels:
        out.append("保护级别：" + "、".join(LEVEL_LABELS[k] for k in query.protection_levels))
    if query.statuses:
        out.append("状态：" + "、".join(STATUS_LABELS[k] for k in query.statuses))
    if query.division:
        out.append(f"区划：{_division_name(session, query.division) or query.division}")
    return out


def _division_name(session: Session, prefix: str) -> str | None:
    for code in (prefix, prefix.ljust(6, "0")):
        found = get_division(session=session, code=code)
        if found:
            return found.full_name
    return None


def _send(path: Path, name: str, fmt: str) -> Response:
    return FileResponse(path, filename=f"{name}.{fmt}", media_type=TYPES[fmt],
                        background=BackgroundTask(path.unlink, missing_ok=True))


def _temp(fmt: str) -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=f".{fmt}", delete=False)
    handle.close()
    return Path(handle.name)


@router.get("/facilities/export.{fmt}")
def export_facility_list(fmt: ListFormat, session: ReadSession, actor: RegistryReader, query: FacilityFilter) -> Response:
    sheet = facility_list_sheet(session=session, actor=actor, query=query)
    heading = register_heading(session=session, actor=actor, subject="烈士纪念设施名录",
                               filters=_facility_filters(session, query))
    path = _temp(fmt)
    write_list(path, heading, sheet, fmt)
    return _send(path, "纪念设施名录", fmt)


@router.get("/martyrs/export.{fmt}")
def export_martyr_list(
    fmt: ListFormat, session: ReadSession, actor: RegistryReader,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    text = q.strip() if q and q.strip() else None
    sheet = martyr_list_sheet(session=session, actor=actor, q=text)
    heading = register_heading(session=session, actor=actor, subject="烈士名录",
                               filters=[f"关键词：{text}"] if text else [])
    path = _temp(fmt)
    write_list(path, heading, sheet, fmt)
    return _send(path, "烈士名录", fmt)
