"""Export facilities as CSV, XLSX (the ledger, Chinese headers), GeoJSON, or a survey file.

Survey files (GeoPackage, Shapefile, KML, KMZ) carry the ledger's Chinese
field names and labels, a ``图形类型`` field (位置 / 保护范围 / 占地范围), and
the footprints and protection zones as polygons: a GeoPackage in layers of
one file, a Shapefile as sibling files, KML/KMZ in one document. Each of
them imports back (``memorials.importing.import_survey``) with no field lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

from gis.registers import Heading, Sheet, write_register, write_register_csv
from gis.tables import write_csv
from memorials import clock
from memorials.actors import Actor
from memorials.divisions import get_division
from memorials.errors import ValidationProblem
from memorials.facilities import FacilityQuery, filter_facilities, list_facilities, list_order
from memorials.martyrs import filter_martyrs
from memorials.models import Burial, Division, Facility, Martyr, User
from memorials.vocab import GENDER_LABELS, KIND_LABELS, LEVEL_LABELS, STATUS_LABELS

COLUMNS: list[tuple[str, str]] = [
    ("code", "登记编号"), ("name", "名称"), ("kind", "类型"), ("protection_level", "保护级别"),
    ("status", "状态"), ("division_code", "行政区划代码"), ("division", "所在区划"), ("address", "地址"),
    ("longitude", "经度"), ("latitude", "纬度"), ("custodian", "管护单位"), ("custodian_person", "管护责任人"),
    ("patrol_interval_days", "巡查周期（天）"), ("description", "简介"),
]
FORMATS = ("csv", "xlsx", "geojson", "gpkg", "shp", "kml", "kmz")
SURVEY_FORMATS = ("gpkg", "shp", "kml", "kmz")
ROLE_COLUMN = "图形类型"
LAYERS = (("point", "纪念设施", "位置"), ("protection_zone", "保护范围", "保护范围"), ("footprint", "占地范围", "占地范围"))
BATCH = 2000


def _all(session: Session, query: FacilityQuery, actor: Actor) -> list[Facility]:
    out: list[Facility] = []
    cursor = None
    while True:  # page after page by cursor: the total may be an estimate
        page = list_facilities(session=session, query=query, actor=actor, limit=BATCH, cursor=cursor)
        out.extend(f for f, _ in page.rows)
        cursor = page.next_cursor
        if cursor is None:
            return out


def _values(f: Facility, labels: bool) -> dict[str, Any]:
    return {
        "code": f.code, "name": f.name,
        "kind": KIND_LABELS[f.kind] if labels else f.kind,
        "protection_level": LEVEL_LABELS[f.protection_level] if labels else f.protection_level,
        "status": STATUS_LABELS[f.status] if labels else f.status,
        "division_code": f.division_code, "division": f.division.full_name, "address": f.address,
        "longitude": f.longitude, "latitude": f.latitude, "custodian": f.custodian,
        "custodian_person": f.custodian_person, "patrol_interval_days": f.patrol_interval_days,
        "description": f.description,
    }


def export_facilities(
    *, session: Session, path: Path, actor: Actor, query: FacilityQuery | None = None, fmt: str | None = None
) -> int:
    """Write the facilities matching ``query`` to ``path``; returns how many.

    CSV keeps the API's field names and codes (re-importable by scripts);
    XLSX is the ledger with Chinese headers and labels (also re-importable);
    GeoJSON is a WGS84 FeatureCollection (the points, then any zones
    with their facility's ``code`` and a ``geometry_role``).
    """
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ValidationProblem("format", f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    items = _all(session, query or FacilityQuery(), actor)
    if fmt in SURVEY_FORMATS:
        _write_survey(path, fmt, items)
    elif fmt == "geojson":
        features = []
        for f in items:
            props = _values(f, labels=False)
            lon, lat = props.pop("longitude"), props.pop("latitude")
            props["id"] = f.id
            features.append({"type": "Feature", "id": f.id, "properties": props,
                             "geometry": {"type": "Point", "coordinates": [lon, lat]}})
        for f in items:  # footprints and protection zones follow, each naming its facility
            for role in ("protection_zone", "footprint"):
                if getattr(f, role):
                    features.append({"type": "Feature", "properties": {"code": f.code, "geometry_role": role},
                                     "geometry": json.loads(getattr(f, role))})
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                        encoding="utf-8")
    elif fmt == "csv":
        write_csv(path, [k for k, _ in COLUMNS], [[_values(f, False)[k] for k, _ in COLUMNS] for f in items])
    else:
        rows = [[_values(f, True)[k] for k, _ in COLUMNS] for f in items]
        write_register(path, register_heading(session=session, actor=actor, subject="烈士纪念设施台账",
                                              division=(query.division if query else None)),
                       [Sheet("纪念设施台账", [label for _, label in COLUMNS], rows)])
    return len(items)


def _write_survey(path: Path, fmt: str, items: list[Facility]) -> None:
    import shapely
    from shapely.geometry import Point

    from gis.files import Layer, write_survey

    header = [label for _, label in COLUMNS if label not in ("经度", "纬度")] + [ROLE_COLUMN]
    keys = [key for key, label in COLUMNS if label not in ("经度", "纬度")]
    layers = []
    for role, name, label in LAYERS:
        rows, geometries = [], []
        for f in items:
            if role == "point":
                geometry = Point(f.longitude, f.latitude)
            elif getattr(f, role):
                geometry = shapely.from_geojson(getattr(f, role))
            else:
                continue
            values = _values(f, labels=True)
            rows.append([values[k] for k in keys] + [label])
            geometries.append(geometry)
        layers.append(Layer(name, header, rows, geometries))
    write_survey(path, layers, fmt=fmt)


def reporting_unit(*, session: Session, code: str | None) -> str:
    """The bureau that reports for a division code or prefix: a county's, city's or province's veterans-affairs
    bureau (a township or village has none: its county reports), e.g. 红安县退役军人事务局."""
    if not code:
        return "退役军人事务局"
    code = code[:6] if len(code) > 6 else code
    found = session.scalar(select(Division).where(Division.code.like(f"{code}%"))
                           .order_by(func.length(Division.code), Division.code).limit(1))
    return f"{found.name if found else code}退役军人事务局"


def register_heading(*, session: Session, actor: Actor, subject: str, division: str | None = None,
                     filters: Sequence[str] = ()) -> Heading:
    """The heading of an export in the register form: the reporting bureau (the division asked about, else the
    user's), the date it was drawn up as the period, the filters, the preparer's real name."""
    today = clock.today()
    preparer = session.get(User, actor.user_id) if actor.user_id else None
    stamp = f"{today.year}年{today.month}月{today.day}日"
    return Heading(unit=reporting_unit(session=session, code=division or actor.jurisdiction), subject=subject,
                   period=f"截至{stamp}" + (f"（{'；'.join(filters)}）" if filters else ""),
                   preparer=preparer.display_name if preparer else "", date=stamp)


# ---- list pages as registers (what a list shows, every page of it, in the printable form) ----------------------

FACILITY_LIST_NAME, MARTYR_LIST_NAME = "纪念设施名录", "烈士名录"
"""The exports' file names (without the suffix)."""
FACILITY_LIST_HEADER = ["编号", "名称", "类型", "保护级别", "状态", "所在区划"]
MARTYR_LIST_HEADER = ["姓名", "曾用名", "性别", "出生", "牺牲", "籍贯", "部队及职务", "安葬地"]


@dataclass(frozen=True)
class MartyrFilters:
    """What the martyr list page searches by (``q`` as its search box takes it; the rest its filter fields)."""

    q: str | None = None
    hometown: str | None = None
    unit: str | None = None
    battle: str | None = None
    death_year: int | None = None


def _division_name(session: Session, prefix: str) -> str | None:
    for code in (prefix, prefix.ljust(6, "0")):
        found = get_division(session=session, code=code)
        if found:
            return found.full_name
    return None


def facility_filters(*, session: Session, query: FacilityQuery) -> list[str]:
    """The filters of a facility list as its export's heading names them (类型：零散烈士墓)."""
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
    if query.bbox:
        out.append("范围：地图框选")
    if query.near:
        out.append(f"距离（{query.near[0]:g}, {query.near[1]:g}）最近" + (
            f"，{query.within_m:g} 米内" if query.within_m is not None else ""))
    return out


def martyr_filters(filters: MartyrFilters) -> list[str]:
    named = (("关键词", filters.q), ("籍贯", filters.hometown), ("部队", filters.unit), ("战役", filters.battle),
             ("牺牲年份", filters.death_year))
    return [f"{label}：{value}" for label, value in named if value]


def facility_list_statement(*, session: Session, actor: Actor, query: FacilityQuery) -> Select:
    """The facility list page's columns for every facility matching its filters, in the list's order."""
    columns = select(Facility.code, Facility.name, Facility.kind, Facility.protection_level, Facility.status,
                     Division.full_name).join(Division, Division.code == Facility.division_code)
    return filter_facilities(columns, query=query, session=session, actor=actor).order_by(
        *list_order(session=session, query=query))


def martyr_list_statement(*, session: Session, actor: Actor, filters: MartyrFilters) -> Select:
    """The martyr list page's columns for every martyr it finds, in its order; where each rests now, if known."""
    resting = (select(Facility.name).join(Burial, Burial.facility_id == Facility.id)
               .where(Burial.martyr_id == Martyr.id, Burial.until.is_(None))
               .order_by(Burial.id).limit(1).scalar_subquery())
    columns = select(Martyr.name, Martyr.name_variants, Martyr.gender, Martyr.birth_date, Martyr.death_date,
                     Martyr.hometown, Martyr.unit, Martyr.rank, resting)
    return filter_martyrs(columns, session=session, actor=actor, q=filters.q, hometown=filters.hometown,
                          unit=filters.unit, battle=filters.battle, death_year=filters.death_year)


def _streamed(session: Session, stmt: Select) -> Iterator[Row[Any]]:
    """The rows of ``stmt`` as they come (a server-side cursor on PostgreSQL), ``BATCH`` at a time."""
    yield from session.execute(stmt.execution_options(yield_per=BATCH))


def facility_list_sheet(*, session: Session, actor: Actor, query: FacilityQuery) -> Sheet:
    """The facility list page's columns for every facility matching its filters, streamed from the database."""
    stmt = facility_list_statement(session=session, actor=actor, query=query)
    rows = ([code, name, KIND_LABELS[kind], LEVEL_LABELS[level], STATUS_LABELS[status], division]
            for code, name, kind, level, status, division in _streamed(session, stmt))
    return Sheet("纪念设施", FACILITY_LIST_HEADER, rows)


def martyr_list_sheet(*, session: Session, actor: Actor, filters: MartyrFilters) -> Sheet:
    """The martyr list page's columns for every martyr it finds, streamed from the database."""
    stmt = martyr_list_statement(session=session, actor=actor, filters=filters)
    rows = ([name, "、".join(variants or []), GENDER_LABELS[gender], birth or "不详", death or "不详", hometown,
             unit + (f" · {rank}" if rank else ""), resting or "—"]
            for name, variants, gender, birth, death, hometown, unit, rank, resting in _streamed(session, stmt))
    return Sheet("烈士名录", MARTYR_LIST_HEADER, rows)


def facility_list(*, session: Session, actor: Actor, query: FacilityQuery) -> tuple[Heading, Sheet]:
    """The facility list's export: its register heading (the filters named) and its rows, not yet read."""
    heading = register_heading(session=session, actor=actor, subject="烈士纪念设施名录",
                               filters=facility_filters(session=session, query=query))
    return heading, facility_list_sheet(session=session, actor=actor, query=query)


def martyr_list(*, session: Session, actor: Actor, filters: MartyrFilters) -> tuple[Heading, Sheet]:
    """The martyr list's export: its register heading (the search named) and its rows, not yet read."""
    heading = register_heading(session=session, actor=actor, subject="烈士名录", filters=martyr_filters(filters))
    return heading, martyr_list_sheet(session=session, actor=actor, filters=filters)


def write_list(path: Path, heading: Heading, sheet: Sheet, fmt: str) -> None:
    """A list page's export: XLSX in the register form (title, 序号, signature lines, A4 landscape) or CSV,
    written as its rows come (openpyxl's write-only mode; every cell through ``safe_cell``)."""
    if fmt == "csv":
        write_register_csv(path, heading, sheet)
    else:
        write_register(path, heading, [sheet])
