"""Export facilities as CSV, XLSX (the ledger, Chinese headers), GeoJSON, or a survey file.

Survey files (GeoPackage, Shapefile, KML, KMZ) carry the ledger's Chinese
field names and labels, a ``图形类型`` field (位置 / 保护范围 / 占地范围), and
the footprints and protection zones as polygons: a GeoPackage in layers of
one file, a Shapefile as sibling files, KML/KMZ in one document. Each of
them imports back (``memorials.importing.import_survey``) with no field lost.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from gis.tables import write_csv, write_xlsx
from memorials.actors import Actor
from memorials.errors import ValidationProblem
from memorials.facilities import FacilityQuery, list_facilities
from memorials.models import Facility
from memorials.vocab import KIND_LABELS, LEVEL_LABELS, STATUS_LABELS

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
    offset = 0
    while True:
        rows, total = list_facilities(session=session, query=query, actor=actor, limit=BATCH, offset=offset)
        out.extend(f for f, _ in rows)
        offset += BATCH
        if offset >= total:
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
        write_xlsx(path, [("纪念设施台账", [label for _, label in COLUMNS], rows)])
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
