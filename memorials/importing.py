"""Import facility and martyr tables (CSV/XLSX), row by row.

Each row is checked by the same schemas and services as the API and
stored in its own savepoint: a bad row is reported with its line and
reason and the good rows are kept. Running the same file twice adds
nothing: a facility whose registry code (or, without a code, whose name
within 30 m) is already there is skipped, as is a martyr with the same
certificate number, or the same name and death date in the same facility.
Headers may be the API's field names or the Chinese headers of a ledger,
or any name a mapping (source column -> our field) gives.

Survey files (GeoPackage, Shapefile, GeoJSON, KML/KMZ, and tables with
projected coordinates) go through :func:`import_survey`: ``gis.files`` reads
them into WGS84 features; points become facilities, polygons become a
facility's footprint (占地范围) or protection zone (保护范围), matched by its
registry code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.geodesy import haversine_m
from gis.tables import Table, TableError, read_table
from memorials import audit, burials, facilities, martyrs
from memorials.actors import Actor
from memorials.errors import DomainError, ValidationProblem
from memorials.models import Burial, Facility, Martyr
from memorials.schemas import BurialCreate, FacilityCreate, MartyrCreate
from memorials.text import search_key

FACILITY_HEADERS: dict[str, str] = {
    "登记编号": "code", "编号": "code", "设施编号": "code",
    "名称": "name", "设施名称": "name",
    "类型": "kind", "设施类型": "kind",
    "保护级别": "protection_level", "级别": "protection_level",
    "状态": "status",
    "行政区划代码": "division_code", "区划代码": "division_code", "行政区划代": "division_code",
    "地址": "address", "位置": "address",
    "经度": "longitude", "纬度": "latitude", "lon": "longitude", "lng": "longitude", "lat": "latitude",
    "坐标系": "crs",
    "管护单位": "custodian", "管护责任人": "custodian_person",
    "巡查周期（天）": "patrol_interval_days", "巡查周期": "patrol_interval_days", "巡查周期（": "patrol_interval_days",
    "简介": "description", "说明": "description",
}
MARTYR_HEADERS: dict[str, str] = {
    "姓名": "name", "别名": "name_variants", "曾用名": "name_variants", "性别": "gender", "民族": "ethnicity",
    "出生日期": "birth_date", "出生年月": "birth_date", "牺牲日期": "death_date", "牺牲时间": "death_date",
    "籍贯": "hometown", "籍贯区划代码": "hometown_division_code", "单位": "unit", "部队番号": "unit",
    "部队及单位": "unit", "职务": "rank", "牺牲地点": "place_of_death", "战役": "battle", "牺牲战役": "battle",
    "证书编号": "certificate_no", "烈士证书编号": "certificate_no", "简要事迹": "biography", "事迹": "biography",
    "管理区划代码": "division_code",
    "安葬设施编号": "facility_code", "墓位": "plot", "墓位号": "plot", "安葬日期": "buried_since",
}
DUPLICATE_RADIUS_M = 30.0
ROLE_FIELD = "geometry_role"
ROLE_HEADERS = {"图形类型": ROLE_FIELD, "图形": ROLE_FIELD, "范围类型": ROLE_FIELD}
ROLES: dict[str, str] = {"位置": "point", "point": "point", "保护范围": "protection_zone",
                         "protection_zone": "protection_zone", "占地范围": "footprint", "footprint": "footprint"}
ROLE_LABELS = {"point": "位置", "protection_zone": "保护范围", "footprint": "占地范围"}


@dataclass
class RowProblem:
    line: int
    field: str
    reason: str
    layer: str = ""

    def __str__(self) -> str:
        where = f"{self.layer} " if self.layer else ""
        return f"{where}line {self.line}: {self.field}: {self.reason}"


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    skipped_lines: list[tuple[int, str]] = field(default_factory=list)
    source_crs: str = ""
    encoding: str = ""

    @property
    def rejected(self) -> int:
        return len({p.line for p in self.problems})


Progress = Callable[[int, int], None]
"""Called after each row with (rows done, rows in the file)."""


def _rename(row: dict[str, str], aliases: dict[str, str], mapping: dict[str, str] | None = None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in row.items():
        if mapping and key in mapping:
            name = mapping[key]
        else:
            name = aliases.get(key, aliases.get(key.lower(), key.strip().lower()))
        if value != "" or name not in out:
            out[name] = value
    return out


def _problems(exc: Exception) -> list[tuple[str, str]]:
    if isinstance(exc, ValidationError):
        return [(".".join(str(p) for p in err["loc"]) or "row", err["msg"].removeprefix("Value error, "))
                for err in exc.errors()]
    if isinstance(exc, ValidationProblem):
        return list(exc.problems)
    message = str(exc)
    name, sep, reason = message.partition(": ")
    return [(name, reason)] if sep and name.isidentifier() else [("row", message)]


def _open(path: Path) -> Table:
    try:
        return read_table(path)
    except (TableError, OSError) as exc:
        raise ValidationProblem("file", str(exc)) from None


def _known_facility(session: Session, data: FacilityCreate) -> Facility | None:
    if data.code:
        return session.scalar(select(Facility).where(Facility.code == data.code))
    if data.crs not in ("wgs84", "cgcs2000"):
        return None
    key = search_key(data.name)
    for candidate in session.scalars(select(Facility).where(Facility.name_key == key)):
        if haversine_m(candidate.longitude, candidate.latitude, data.longitude, data.latitude) <= DUPLICATE_RADIUS_M:
            return candidate
    return None


RowHandler = Callable[[dict[str, str]], str | None]
"""Stores one row; returns None when it was added, or why it was skipped."""


def _run(table: Table, aliases: dict[str, str], handle: RowHandler, session: Session,
         progress: Progress | None, mapping: dict[str, str] | None = None) -> ImportReport:
    """Each row in its own savepoint: a bad row is reported and leaves nothing behind."""
    report = ImportReport(total=table.count)
    for done, (line, raw) in enumerate(table.rows, start=1):
        try:
            with session.begin_nested():
                skipped = handle(_rename(raw, aliases, mapping))
            if skipped is None:
                report.created += 1
            else:
                report.skipped += 1
                report.skipped_lines.append((line, skipped))
        except (ValidationError, DomainError) as exc:
            report.problems.extend(RowProblem(line, f, r) for f, r in _problems(exc))
        if progress:
            progress(done, table.count)
    return report


def _fields(row: dict[str, str], model: type) -> dict[str, str]:
    return {k: v for k, v in row.items() if v != "" and k in model.model_fields}  # type: ignore[attr-defined]


def import_facilities(*, session: Session, path: Path, actor: Actor, progress: Progress | None = None,
                      mapping: dict[str, str] | None = None) -> ImportReport:
    """Import a facility table; see the module docstring for the rules."""

    def handle(row: dict[str, str]) -> str | None:
        data = FacilityCreate.model_validate(_fields(row, FacilityCreate))
        known = _known_facility(session, data)
        if known is not None:
            return f"already registered as {known.code}"
        facilities.create_facility(session=session, data=data, actor=actor)
        return None

    return _run(_open(path), FACILITY_HEADERS, handle, session, progress, mapping)


def _known_martyr(session: Session, data: MartyrCreate, facility: Facility | None) -> Martyr | None:
    if data.certificate_no:
        found = session.scalar(select(Martyr).where(Martyr.certificate_no == data.certificate_no))
        if found is not None:
            return found
    same_death = Martyr.death_date.is_(None) if data.death_date is None else Martyr.death_date == data.death_date
    stmt = select(Martyr).where(Martyr.name == data.name, same_death)
    if facility is not None:
        stmt = stmt.where(Martyr.id.in_(select(Burial.martyr_id).where(Burial.facility_id == facility.id)))
    else:
        stmt = stmt.where(Martyr.unit == data.unit)
    return session.scalars(stmt).first()


def import_martyrs(*, session: Session, path: Path, actor: Actor, progress: Progress | None = None) -> ImportReport:
    """Import a martyr table; a ``facility_code`` column records where each one lies now."""

    def handle(row: dict[str, str]) -> str | None:
        facility = None
        code = row.get("facility_code", "").strip()
        if code:
            facility = session.scalar(select(Facility).where(Facility.code == code))
            if facility is None or not actor.covers(facility.division_code):
                raise ValidationProblem("facility_code", f"no facility with registry code {code}")
        fields = _fields(row, MartyrCreate)
        if facility is not None and "division_code" not in fields:
            fields["division_code"] = facility.division_code
        data = MartyrCreate.model_validate(fields)
        if _known_martyr(session, data, facility) is not None:
            return f"{data.name} is already registered"
        martyr = martyrs.create_martyr(session=session, data=data, actor=actor)
        if facility is not None:
            burial = BurialCreate.model_validate(
                {"martyr_id": martyr.id, "plot": row.get("plot", ""), "since": row.get("buried_since") or None})
            burials.create_burial(session=session, facility=facility, data=burial, actor=actor)
        return None

    return _run(_open(path), MARTYR_HEADERS, handle, session, progress)


def check_mapping(mapping: dict[str, str]) -> dict[str, str]:
    """A column mapping (source column -> our field), refused with the field at fault when it names no field."""
    allowed = set(FacilityCreate.model_fields) | {ROLE_FIELD}
    for source, target in mapping.items():
        if target not in allowed:
            raise ValidationProblem("mapping", f"{source!r} maps to {target!r}, which is not a facility field; "
                                               f"use one of {', '.join(sorted(allowed))}")
    return mapping


def _set_zone(session: Session, facility: Facility, role: str, geometry: str, actor: Actor) -> str | None:
    if getattr(facility, role) == geometry:
        return f"{facility.code} already has this {role.replace('_', ' ')}"
    changes = audit.Changes(facility, (role,))
    setattr(facility, role, geometry)
    changes.record(session=session, actor=actor, entity="facility")
    return None


def import_survey(*, session: Session, path: Path, actor: Actor, fmt: str | None = None, crs: str | None = None,
                  mapping: dict[str, str] | None = None, polygons: str = "protection_zone",
                  x_column: str | None = None, y_column: str | None = None,
                  progress: Progress | None = None) -> ImportReport:
    """Import a survey file of facilities: points are facilities, polygons their footprint or protection zone.

    Each record is stored in its own savepoint; a record that cannot be used
    (no geometry, a line, an invalid polygon, a bad field) is reported with its
    number and reason and the others are kept. Running the file again adds
    nothing: facilities are matched on their registry code. A polygon names
    its facility by registry code; its role comes from a ``图形类型`` column
    (位置 / 保护范围 / 占地范围) or from ``polygons``.
    """
    from gis.crs import CrsError
    from gis.files import SurveyFileError, file_format, read_survey

    if polygons not in ("protection_zone", "footprint"):
        raise ValidationProblem("polygons", "must be protection_zone or footprint")
    mapping = check_mapping(mapping or {})
    try:
        fmt = file_format(path, fmt)
        if fmt in ("csv", "xlsx") and crs is None and x_column is None and y_column is None:
            return import_facilities(session=session, path=path, actor=actor, progress=progress, mapping=mapping)
        survey = read_survey(path, crs=crs, fmt=fmt, x_column=x_column, y_column=y_column)
    except (SurveyFileError, CrsError) as exc:
        raise ValidationProblem(exc.field, exc.reason) from None
    aliases = {**FACILITY_HEADERS, **ROLE_HEADERS}
    report = ImportReport(total=len(survey.features), source_crs=survey.crs, encoding=survey.encoding or "")
    for done, feature in enumerate(survey.features, start=1):
        if feature.problem is not None:
            report.problems.append(RowProblem(feature.number, *feature.problem, layer=feature.layer))
        else:
            try:
                with session.begin_nested():
                    skipped = _import_feature(session, _rename(feature.properties, aliases, mapping),
                                              feature.geometry, polygons, actor)
                if skipped is None:
                    report.created += 1
                else:
                    report.skipped += 1
                    report.skipped_lines.append((feature.number, skipped))
            except (ValidationError, DomainError) as exc:
                report.problems.extend(RowProblem(feature.number, f, r, layer=feature.layer)
                                       for f, r in _problems(exc))
        if progress:
            progress(done, report.total)
    return report


def _import_feature(session: Session, row: dict[str, str], geometry: object, polygons: str,
                    actor: Actor) -> str | None:
    import shapely

    raw_role = row.pop(ROLE_FIELD, "").strip()
    role = ROLES.get(raw_role) if raw_role else None
    if raw_role and role is None:
        raise ValidationProblem(ROLE_FIELD, f"unknown geometry role {raw_role!r}; use 位置, 保护范围 or 占地范围")
    is_point = geometry.geom_type == "Point"  # type: ignore[attr-defined]
    if is_point and role not in (None, "point"):
        raise ValidationProblem(ROLE_FIELD, f"a point cannot be a {ROLE_LABELS[role]}")
    if not is_point:
        role = role if role not in (None, "point") else polygons
        if role == "point":
            raise ValidationProblem(ROLE_FIELD, "a polygon cannot be a facility's location")
    code = row.get("code", "").strip()
    known = session.scalar(select(Facility).where(Facility.code == code)) if code else None
    if known is not None and not actor.covers(known.division_code):
        raise ValidationProblem("code", f"{code} is outside your jurisdiction")
    if is_point:
        if known is not None:
            return f"already registered as {known.code}"
        fields = _fields(row, FacilityCreate)
        fields.update(longitude=geometry.x, latitude=geometry.y, crs="wgs84")  # type: ignore[attr-defined]
        data = FacilityCreate.model_validate(fields)
        found = _known_facility(session, data)
        if found is not None:
            return f"already registered as {found.code}"
        facilities.create_facility(session=session, data=data, actor=actor)
        return None
    text = shapely.to_geojson(shapely.set_precision(geometry, 1e-8))
    if known is None:
        if not code:
            raise ValidationProblem("code", "a polygon must carry the registry code of its facility")
        if not row.get("name") or not row.get("kind"):
            raise ValidationProblem("code", f"no facility with registry code {code}, and the record lacks the name "
                                            "and kind to register one")
        point = geometry.representative_point()  # type: ignore[attr-defined]
        fields = _fields(row, FacilityCreate)
        fields.update(longitude=point.x, latitude=point.y, crs="wgs84")
        known = facilities.create_facility(session=session, data=FacilityCreate.model_validate(fields), actor=actor)
    return _set_zone(session, known, role, text, actor)
