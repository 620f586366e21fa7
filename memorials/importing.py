"""Import facility and martyr tables (CSV/XLSX), row by row.

Each row is checked by the same schemas and services as the API and
stored in its own savepoint: a bad row is reported with its line and
reason and the good rows are kept. Running the same file twice adds
nothing: a facility whose registry code (or, without a code, whose name
within 30 m) is already there is skipped, as is a martyr with the same
certificate number, or the same name and death date in the same facility.
Headers may be the API's field names or the Chinese headers of a ledger.
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
from memorials import burials, facilities, martyrs
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
    "行政区划代码": "division_code", "区划代码": "division_code",
    "地址": "address", "位置": "address",
    "经度": "longitude", "纬度": "latitude", "lon": "longitude", "lng": "longitude", "lat": "latitude",
    "坐标系": "crs",
    "管护单位": "custodian", "管护责任人": "custodian_person",
    "巡查周期（天）": "patrol_interval_days", "巡查周期": "patrol_interval_days",
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


@dataclass
class RowProblem:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    skipped_lines: list[tuple[int, str]] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({p.line for p in self.problems})


Progress = Callable[[int, int], None]
"""Called after each row with (rows done, rows in the file)."""


def _rename(row: dict[str, str], aliases: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in row.items():
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
         progress: Progress | None) -> ImportReport:
    """Each row in its own savepoint: a bad row is reported and leaves nothing behind."""
    report = ImportReport(total=table.count)
    for done, (line, raw) in enumerate(table.rows, start=1):
        try:
            with session.begin_nested():
                skipped = handle(_rename(raw, aliases))
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


def import_facilities(*, session: Session, path: Path, actor: Actor, progress: Progress | None = None) -> ImportReport:
    """Import a facility table; see the module docstring for the rules."""

    def handle(row: dict[str, str]) -> str | None:
        data = FacilityCreate.model_validate(_fields(row, FacilityCreate))
        known = _known_facility(session, data)
        if known is not None:
            return f"already registered as {known.code}"
        facilities.create_facility(session=session, data=data, actor=actor)
        return None

    return _run(_open(path), FACILITY_HEADERS, handle, session, progress)


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
