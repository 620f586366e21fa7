"""Facilities: register, change, find. A facility is never deleted.

Removal is a status change (``removed``); a facility emptied by a relocation
keeps its record with status ``relocated`` and a link to where its graves
went.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload, selectinload
from sqlalchemy.orm.strategy_options import _AbstractLoad

from gis.coords import CoordinateError, check_point, to_wgs84
from gis.geodesy import BBox
from memorials import audit, paging
from memorials.actors import Actor
from memorials.divisions import check_in_reach, require_division, within
from memorials.errors import Conflict, ValidationProblem
from memorials.models import Burial, Division, Facility, Martyr
from memorials.schemas import FacilityCreate, FacilityOut, FacilityUpdate
from memorials.scoping import get_or_404, in_scope
from memorials.spatial import spatial_index
from memorials.text import like_escape, query_key, search_key, to_simplified

AUDITED_FIELDS = (
    "code", "name", "kind", "protection_level", "status", "division_code", "address", "longitude",
    "latitude", "custodian", "custodian_person", "patrol_interval_days", "description", "relocated_to_id",
)


@dataclass
class FacilityQuery:
    """Filters for listing facilities; every one optional, all combined with AND."""

    bbox: BBox | None = None
    near: tuple[float, float] | None = None
    within_m: float | None = None
    division: str | None = None
    kinds: Sequence[str] = field(default_factory=tuple)
    protection_levels: Sequence[str] = field(default_factory=tuple)
    statuses: Sequence[str] = field(default_factory=tuple)
    q: str | None = None


def _point(lon: float, lat: float, crs: str) -> tuple[float, float]:
    try:
        lon, lat = check_point(lon, lat)
        return to_wgs84(lon, lat, crs)
    except CoordinateError as exc:
        raise ValidationProblem(exc.field, exc.reason) from None


def _next_code(session: Session, division_code: str) -> str:
    """The county's next registry code (``421122-0045``), gap-free under concurrency.

    Creations in one county take turns on the county's division row
    (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writers are serialised
    already), so two planners creating facilities at once never draw the
    same number; a creation that rolls back leaves no gap.
    """
    county = division_code[:6]
    prefix = f"{county}-"
    session.execute(select(Division.code).where(Division.code.in_({county, division_code})).with_for_update())
    last = session.scalar(
        select(func.max(Facility.code)).where(Facility.code.like(f"{prefix}%"), func.length(Facility.code) == 11)
    )
    number = int(last[len(prefix):]) + 1 if last and last[len(prefix):].isdigit() else 1
    return f"{prefix}{number:04d}"


def _check_code_free(session: Session, code: str, *, exclude_id: int | None = None) -> None:
    stmt = select(Facility.id).where(Facility.code == code)
    if exclude_id is not None:
        stmt = stmt.where(Facility.id != exclude_id)
    if session.scalar(stmt) is not None:
        raise Conflict(f"code: a facility with registry code {code} already exists")


def create_facility(*, session: Session, data: FacilityCreate, actor: Actor) -> Facility:
    division = require_division(session=session, code=data.division_code)
    if not actor.covers(division.code):
        raise ValidationProblem("division_code", f"{division.code} is outside your jurisdiction")
    lon, lat = _point(data.longitude, data.latitude, data.crs)
    check_in_reach(session=session, division=division, longitude=lon, latitude=lat)
    code = data.code or _next_code(session, division.code)
    _check_code_free(session, code)
    facility = Facility(
        code=code,
        name=data.name,
        name_key=search_key(data.name),
        kind=data.kind.value,
        protection_level=data.protection_level.value,
        status=data.status.value,
        division_code=division.code,
        address=data.address,
        longitude=lon,
        latitude=lat,
        custodian=data.custodian,
        custodian_person=data.custodian_person,
        patrol_interval_days=data.patrol_interval_days,
        description=data.description,
    )
    session.add(facility)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"code: a facility with registry code {code} already exists") from None
    audit.record(session=session, actor=actor, entity="facility", entity_id=facility.id, action="create",
                 old=None, new=audit.snapshot(facility, AUDITED_FIELDS))
    return facility


def update_facility(*, session: Session, facility: Facility, data: FacilityUpdate, actor: Actor) -> Facility:
    given = data.model_dump(exclude_unset=True)
    given.pop("crs", None)
    for name in ("name", "kind", "protection_level", "status", "division_code", "address", "custodian",
                 "custodian_person", "patrol_interval_days", "description"):
        if name in given and given[name] is None:
            raise ValidationProblem(name, "cannot be empty")
    changes = audit.Changes(facility, AUDITED_FIELDS)

    point = None
    if "longitude" in given or "latitude" in given:
        lon = given.pop("longitude", None)
        lat = given.pop("latitude", None)
        if lon is None or lat is None:
            raise ValidationProblem("longitude" if lon is None else "latitude",
                                    "longitude and latitude must be given together")
        point = _point(lon, lat, data.crs)
    division = None
    if "division_code" in given:
        division = require_division(session=session, code=given.pop("division_code"))
        if not actor.covers(division.code):
            raise ValidationProblem("division_code", f"{division.code} is outside your jurisdiction")
    if point is not None or division is not None:
        lon, lat = point or (facility.longitude, facility.latitude)
        check_in_reach(session=session, division=division or require_division(session=session,
                                                                             code=facility.division_code),
                       longitude=lon, latitude=lat)
    if point is not None:
        facility.longitude, facility.latitude = point
    if division is not None:
        facility.division_code = division.code
    if "relocated_to_id" in given:
        target_id = given.pop("relocated_to_id")
        if target_id is not None:
            target = session.get(Facility, target_id)
            if target is None or not actor.covers(target.division_code) or target.id == facility.id:
                raise ValidationProblem("relocated_to_id", f"no facility {target_id} to point to")
        facility.relocated_to_id = target_id
    for name, value in given.items():
        if name == "name":
            facility.name_key = search_key(value)
        setattr(facility, name, value.value if hasattr(value, "value") else value)
    changes.record(session=session, actor=actor, entity="facility")
    return facility


def get_facility(*, session: Session, facility_id: int, actor: Actor) -> Facility:
    """The facility, or ``NotFound`` when it does not exist or lies outside the actor's jurisdiction."""
    return get_or_404(session, Facility, facility_id, actor, entity="facility")


def _filtered(stmt: Select, query: FacilityQuery, session: Session, actor: Actor) -> Select:
    index = spatial_index(session)
    stmt = stmt.where(in_scope(Facility.division_code, actor))
    if query.division:
        stmt = stmt.where(within(Facility.division_code, query.division))
    if query.kinds:
        stmt = stmt.where(Facility.kind.in_(query.kinds))
    if query.protection_levels:
        stmt = stmt.where(Facility.protection_level.in_(query.protection_levels))
    if query.statuses:
        stmt = stmt.where(Facility.status.in_(query.statuses))
    if query.bbox:
        stmt = stmt.where(index.in_bbox(query.bbox))
    if query.near and query.within_m is not None:
        stmt = stmt.where(index.within_m(query.near[0], query.near[1], query.within_m))
    if query.q:
        key = like_escape(query_key(query.q))
        raw = like_escape(query.q.strip())
        simplified = like_escape(to_simplified(query.q.strip()))
        stmt = stmt.where(
            or_(
                Facility.name_key.like(f"%{key}%", escape="\\"),
                Facility.code.like(f"%{raw}%", escape="\\"),
                Facility.address.like(f"%{raw}%", escape="\\"),
                Facility.address.like(f"%{simplified}%", escape="\\"),
            )
        )
    return stmt


def filter_facilities(stmt: Select, *, query: FacilityQuery, session: Session, actor: Actor) -> Select:
    """``stmt`` limited to the facilities matching ``query`` inside the actor's jurisdiction."""
    return _filtered(stmt, query, session, actor)


def list_order(*, session: Session, query: FacilityQuery) -> tuple[ColumnElement[Any], ...]:
    """The list's order as ``ORDER BY`` terms: nearest first, ties by id, with ``near``; else by registry code."""
    if query.near:
        return spatial_index(session).nearest_order(*query.near), Facility.id
    return (Facility.code,)


@dataclass
class FacilityPage:
    """One page of facilities (with their distance when ``near`` was asked) and how many match in all."""

    rows: list[tuple[Facility, float | None]]
    total: int
    total_estimated: bool = False
    next_cursor: str | None = None


BY_CODE, NEAREST = "code", "near"
# What an answer shows of a facility (``FacilityOut``): a page asked ``plain`` reads just these, as rows.
PLAIN_COLUMNS = tuple(Facility.__table__.c[name] for name in FacilityOut.model_fields if name != "distance_m")


def list_facilities(
    *, session: Session, query: FacilityQuery, actor: Actor, limit: int = 50, offset: int = 0,
    cursor: str | None = None, with_divisions: bool = True, plain: bool = False,
) -> FacilityPage:
    """One page of facilities, the total matching (estimated past ``paging.COUNT_CAP``) and the next cursor.

    With ``near`` the page is ordered nearest first and each item carries its
    distance in metres; otherwise by registry code. ``cursor`` (a page's
    ``next_cursor``) continues after that page's last row; ``offset`` skips
    rows (fine for the first pages; deep pages should follow the cursor).
    ``with_divisions``: load each facility's division (its full name), in
    one more query for the page's rows; an API answer needs only the code.
    ``plain``: rows of ``PLAIN_COLUMNS`` instead of ORM objects, for an
    answer that only serializes them (building and validating 50 ORM objects
    was a fifth of a bbox request's CPU).
    """
    if cursor is not None and offset:
        raise paging.query_problem("offset", "cannot be combined with cursor: the cursor already says where to go on")
    # The division is never joined to every match before the sort: loaded for the page's rows, or not at all.
    division = selectinload(Facility.division) if with_divisions else lazyload(Facility.division)
    matching = _filtered(select(Facility.id), query, session, actor)
    counted = None
    if query.near:
        rows = _nearest_page(session, query, actor, limit + 1, offset, cursor, division, plain)
    else:
        # The count rides in the page's statement (one round trip); it counts every match, not only
        # those after the cursor.
        shown = PLAIN_COLUMNS if plain else (Facility,)
        stmt = _filtered(select(*shown, paging.capped_count(session, matching).label("matching")),
                         query, session, actor)
        if cursor is not None:  # codes are unique: the last code alone says where the page ended
            (code,) = paging.decode_cursor(cursor, BY_CODE, (str,))
            stmt = stmt.where(Facility.code > code)
        if not plain:
            stmt = stmt.options(division)
        found = session.execute(stmt.order_by(Facility.code).limit(limit + 1).offset(offset)).all()
        rows = [(row, None) for row in found] if plain else [(f, None) for f, _ in found]
        counted = found[0].matching if found else None
    # One row more than asked says whether a next page exists.
    more, rows = len(rows) > limit, rows[:limit]
    if not more and not offset and cursor is None:
        total, estimated = len(rows), False  # the whole list is on this page: nothing to count
    elif counted is not None:
        total, estimated = paging.total_of(session, matching, counted)
    else:
        total, estimated = paging.count_matching(session, matching)
    next_cursor = None
    if more:
        last, distance = rows[-1]
        key = (distance, last.id) if query.near else (last.code,)
        next_cursor = paging.encode_cursor(NEAREST if query.near else BY_CODE, key)
    return FacilityPage(rows, total, estimated, next_cursor)


def map_rows(*, session: Session, query: FacilityQuery, actor: Actor, limit: int) -> list[Row]:
    """Just what a map draws, for many facilities at once (no ORM objects: 10x faster at 100k).

    Rows have ``id, name, kind, protection_level, status, longitude, latitude, patrol_interval_days``.
    """
    stmt = _filtered(select(Facility.id, Facility.name, Facility.kind, Facility.protection_level, Facility.status,
                            Facility.longitude, Facility.latitude, Facility.patrol_interval_days),
                     query, session, actor)
    return list(session.execute(stmt.order_by(Facility.id).limit(limit)))


def _nearest_page(
    session: Session, query: FacilityQuery, actor: Actor, limit: int, offset: int, cursor: str | None,
    division: _AbstractLoad, plain: bool = False,
) -> list[tuple[Any, float | None]]:
    """Nearest first, ties by id: the index finds the radius holding the page, then only those rows are sorted.

    The distance answered is the ordering expression itself, so a cursor's
    ``(distance, id)`` continues exactly where the page ended.
    """
    assert query.near is not None
    lon, lat = query.near
    index = spatial_index(session)
    order = index.nearest_order(lon, lat)
    after = []
    if cursor is not None:
        distance, ident = paging.decode_cursor(cursor, NEAREST, (float, int))
        after.append(or_(order > distance, and_(order == distance, Facility.id > ident)))
    candidates = _filtered(select(Facility.id), query, session, actor).where(*after)
    shown = PLAIN_COLUMNS if plain else (Facility,)
    stmt = _filtered(select(*shown, order.label("distance_m")), query, session, actor).where(*after)
    if query.within_m is None:
        radius = index.nearest_radius(session, candidates, lon, lat, offset + limit)
        if radius is not None:
            stmt = stmt.where(index.within_m(lon, lat, radius))
    if not plain:
        stmt = stmt.options(division)
    found = session.execute(stmt.order_by(order, Facility.id).limit(limit).offset(offset))
    return [(row if plain else row[0], _finite(row.distance_m)) for row in found]


def _finite(distance: float | None) -> float | None:
    return float(distance) if distance is not None and math.isfinite(distance) else None


def facility_counts(*, session: Session, actor: Actor, division: str | None = None) -> dict[str, dict[str, int]]:
    """Counts by kind, by protection level and by status (for the home page)."""
    out: dict[str, dict[str, int]] = {}
    for name, column in (("kind", Facility.kind), ("protection_level", Facility.protection_level),
                         ("status", Facility.status)):
        stmt = select(column, func.count(Facility.id)).where(in_scope(Facility.division_code, actor)).group_by(column)
        if division:
            stmt = stmt.where(within(Facility.division_code, division))
        out[name] = {k: n for k, n in session.execute(stmt)}
    return out


def martyr_names_by_facility(*, session: Session, facility_ids: Sequence[int]) -> dict[int, list[str]]:
    """Names of the martyrs lying now in each facility, for popups."""
    out: dict[int, list[str]] = {}
    for chunk_start in range(0, len(facility_ids), 900):
        chunk = facility_ids[chunk_start:chunk_start + 900]
        stmt = (
            select(Burial.facility_id, Martyr.name)
            .join(Martyr, Martyr.id == Burial.martyr_id)
            .where(Burial.facility_id.in_(chunk), Burial.until.is_(None))
            .order_by(Burial.facility_id, Burial.plot, Martyr.name)
        )
        for fid, name in session.execute(stmt):
            out.setdefault(fid, []).append(name)
    return out
