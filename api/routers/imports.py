"""/api/v1/imports: planners upload a survey file and get the import report back."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path, PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from api.auth import RegistryEditor
from api.deps import WriteSession
from memorials.errors import ValidationProblem
from memorials.importing import import_survey

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])

MAX_FILE_BYTES = 100 * 1024 * 1024
SHAPEFILE_PARTS = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx"}
MAIN_SUFFIXES = {".gpkg", ".shp", ".zip", ".geojson", ".json", ".kml", ".kmz", ".csv", ".xlsx"}


def _save(upload: UploadFile, folder: Path, index: int) -> Path:
    name = PurePath(upload.filename or "").name
    suffix = PurePath(name).suffix.lower()
    if suffix not in MAIN_SUFFIXES | SHAPEFILE_PARTS:
        raise ValidationProblem(f"files[{index}]", f"unsupported file type {suffix or '(none)'}")
    # The stem is ours: a shapefile's parts must share one, and a user's name never reaches the file system.
    target = folder / f"upload{suffix}"
    if target.exists():
        raise ValidationProblem(f"files[{index}]", f"two files of type {suffix}")
    size = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(1024 * 1024):
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise ValidationProblem(f"files[{index}]", f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            out.write(chunk)
    return target


@router.post("")
def import_file(
    session: WriteSession,
    actor: RegistryEditor,
    files: Annotated[list[UploadFile], File(description="one survey file (.gpkg .geojson .kml .kmz .csv .xlsx, a "
                                                        ".zip of a shapefile) or a shapefile's parts "
                                                        "(.shp .shx .dbf and .prj/.cpg when there are)")],
    format: Annotated[str | None, Form(max_length=10, description="gpkg, shp, geojson, kml, kmz, csv or xlsx")] = None,
    crs: Annotated[str | None, Form(max_length=2000, description="the coordinate system when the file has no "
                                                                 ".prj, e.g. EPSG:4526")] = None,
    mapping: Annotated[str | None, Form(max_length=20_000, description='JSON {"source column": "field"}')] = None,
    polygons: Annotated[str, Form(description="what polygons are: protection_zone or footprint")] = "protection_zone",
    x_column: Annotated[str | None, Form(max_length=100)] = None,
    y_column: Annotated[str | None, Form(max_length=100)] = None,
) -> dict[str, Any]:
    """Import facilities from a survey file: points are facilities, polygons their protection zone or footprint.

    Answers the report: every rejected record with its number and reason; the
    good ones are kept. Sending the same file again adds nothing (facilities
    are matched on their registry code).
    """
    columns: dict[str, str] = {}
    if mapping:
        try:
            columns = json.loads(mapping)
        except ValueError:
            raise ValidationProblem("mapping", "must be a JSON object of source column: field") from None
        if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
            raise ValidationProblem("mapping", "must be a JSON object of source column: field")
    if not files or len(files) > len(SHAPEFILE_PARTS):
        raise ValidationProblem("files", f"send one file, or the parts of one shapefile (at most {len(SHAPEFILE_PARTS)})")
    folder = Path(tempfile.mkdtemp(prefix="memorials-import-"))
    try:
        saved = [_save(upload, folder, i) for i, upload in enumerate(files)]
        main = [p for p in saved if p.suffix in MAIN_SUFFIXES]
        if len(main) != 1:
            raise ValidationProblem("files", "send exactly one main file (.shp, .gpkg, .geojson, .kml, .kmz, .zip, "
                                             ".csv or .xlsx) with its parts")
        if main[0].suffix == ".shp" and not {".shx", ".dbf"} <= {p.suffix for p in saved}:
            raise ValidationProblem("files", "a shapefile needs its .shx and .dbf parts (or send a .zip of them)")
        report = import_survey(session=session, path=main[0], actor=actor, fmt=format, crs=crs or None,
                               mapping=columns, polygons=polygons, x_column=x_column or None,
                               y_column=y_column or None)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "total": report.total, "created": report.created, "skipped": report.skipped, "rejected": report.rejected,
        "source_crs": report.source_crs, "encoding": report.encoding,
        "problems": [{"line": p.line, "layer": p.layer, "field": p.field, "reason": p.reason}
                     for p in report.problems],
        "skipped_rows": [{"line": line, "reason": reason} for line, reason in report.skipped_lines],
    }
