"""The list pages' exports (纪念设施名录, 烈士名录) as background jobs (``memorials.jobs``).

A list of more than ``Settings.job_threshold_rows`` rows is not written inside
the request: it is queued, written by a server's job worker as its rows come
from the database (reporting progress), and kept for download, as the patrol
ledger is. The parameters of a job are the list's filters and the format, so
two requests for the same list are one job while it is live, and a list with
other filters is another.

These kinds are the core's own: :data:`JOBS` sits beside the packages'
``DomainPackage.jobs`` in :func:`memorials.domains.job_kinds`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, replace
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from gis.geodesy import BBox
from gis.registers import Heading, Sheet
from memorials import paging
from memorials.actors import Actor
from memorials.exporting import (
    FACILITY_LIST_NAME,
    MARTYR_LIST_NAME,
    MartyrFilters,
    facility_list,
    facility_list_statement,
    martyr_list,
    martyr_list_statement,
    write_list,
)
from memorials.facilities import FacilityQuery
from memorials.jobs import JobContext, JobKind
from memorials.permissions import Permission

FACILITY_LIST, MARTYR_LIST = "facility_list", "martyr_list"
PROGRESS_EVERY = 1_000
"""Rows written between two reports of progress (the worker records one a second at most)."""

T = TypeVar("T")


def _size(session: Session, stmt: Select, cap: int | None) -> int:
    if cap is not None:   # is it more than ``cap``? Counted up to it, estimated beyond (paging.count_matching)
        return paging.count_matching(session, stmt, cap=cap)[0]
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def facility_list_size(*, session: Session, actor: Actor, query: FacilityQuery, cap: int | None = None) -> int:
    """How many rows the facility list's export has (with ``cap``: exact up to it, at least ``cap + 1`` past it)."""
    return _size(session, facility_list_statement(session=session, actor=actor, query=query), cap)


def martyr_list_size(*, session: Session, actor: Actor, filters: MartyrFilters, cap: int | None = None) -> int:
    """How many rows the martyr list's export has (with ``cap``: exact up to it, at least ``cap + 1`` past it)."""
    return _size(session, martyr_list_statement(session=session, actor=actor, filters=filters), cap)


def facility_list_params(*, query: FacilityQuery, fmt: str) -> dict[str, Any]:
    """What a facility list job is asked for (also what makes two requests the same job)."""
    box = query.bbox
    return {"fmt": fmt, "q": query.q, "kind": list(query.kinds), "protection_level": list(query.protection_levels),
            "status": list(query.statuses), "division": query.division or "",
            "bbox": [box.min_lon, box.min_lat, box.max_lon, box.max_lat] if box else None,
            "near": list(query.near) if query.near else None, "within_m": query.within_m}


def facility_query(params: Mapping[str, Any]) -> FacilityQuery:
    """The list's filters back from a job's parameters."""
    return FacilityQuery(q=params["q"], kinds=tuple(params["kind"]),
                         protection_levels=tuple(params["protection_level"]), statuses=tuple(params["status"]),
                         division=params["division"] or None,
                         bbox=BBox(*params["bbox"]) if params["bbox"] else None,
                         near=(params["near"][0], params["near"][1]) if params["near"] else None,
                         within_m=params["within_m"])


def martyr_list_params(*, filters: MartyrFilters, fmt: str) -> dict[str, Any]:
    """What a martyr list job is asked for (also what makes two requests the same job)."""
    return {"fmt": fmt, **asdict(filters)}


def martyr_filters(params: Mapping[str, Any]) -> MartyrFilters:
    return MartyrFilters(q=params["q"], hometown=params["hometown"], unit=params["unit"], battle=params["battle"],
                         death_year=params["death_year"])


def _reporting(rows: Iterable[T], total: int, progress: Callable[[float, str], None]) -> Iterator[T]:
    for n, row in enumerate(rows, start=1):
        if n % PROGRESS_EVERY == 0:
            progress(min(n / max(total, 1), 0.99), f"已写 {n:,} / {total:,} 行")
        yield row


def _write(ctx: JobContext, made: tuple[Heading, Sheet], total: int) -> None:
    heading, sheet = made
    ctx.progress(0.0, f"共 {total:,} 行")
    write_list(ctx.path, heading, replace(sheet, rows=_reporting(sheet.rows, total, ctx.progress)),
               str(ctx.params["fmt"]))


def run_facility_list(ctx: JobContext) -> None:
    query = facility_query(ctx.params)
    total = facility_list_size(session=ctx.session, actor=ctx.actor, query=query)
    _write(ctx, facility_list(session=ctx.session, actor=ctx.actor, query=query), total)


def run_martyr_list(ctx: JobContext) -> None:
    filters = martyr_filters(ctx.params)
    total = martyr_list_size(session=ctx.session, actor=ctx.actor, filters=filters)
    _write(ctx, martyr_list(session=ctx.session, actor=ctx.actor, filters=filters), total)


def _fmt(params: Mapping[str, Any]) -> str:
    return str(params["fmt"])


JOBS: Mapping[str, JobKind] = {
    FACILITY_LIST: JobKind(label=FACILITY_LIST_NAME, permission=Permission.registry_read, run=run_facility_list,
                           filename=lambda _params: FACILITY_LIST_NAME, suffix=_fmt),
    MARTYR_LIST: JobKind(label=MARTYR_LIST_NAME, permission=Permission.registry_read, run=run_martyr_list,
                         filename=lambda _params: MARTYR_LIST_NAME, suffix=_fmt),
}
"""The core's own kinds of background job, by kind name."""
