"""The planners' analysis page: facilities in a construction zone, nearest cemeteries, clusters of graves."""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path, PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from api.auth import RegistryReader
from api.deps import ReadSession
from api.templating import render
from memorials import analysis as service
from memorials.divisions import division_prefix
from memorials.errors import ValidationProblem
from memorials.models import Facility
from memorials.vocab import KIND_LABELS

router = APIRouter(include_in_schema=False)

SITE_SUFFIXES = {".geojson", ".json", ".kml", ".kmz", ".gpkg", ".zip"}
MAX_SITE_BYTES = 20 * 1024 * 1024


def _names(session, ids: set[int]) -> dict[int, Facility]:  # type: ignore[no-untyped-def]
    if not ids:
        return {}
    return {f.id: f for f in session.scalars(select(Facility).where(Facility.id.in_(ids)))}


def _context(request: Request, session, actor, division: str | None, distance_m: float) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    error = None
    prefix = None
    try:
        prefix = division_prefix(division, field="division") if division else None
    except ValidationProblem as exc:
        error = f"区划代码有误：{exc.reason}"
    nearest = service.nearest_cemeteries(session=session, actor=actor, division=prefix) if not error else []
    if not 0 < distance_m <= 50_000:
        error, distance_m = "聚集距离应在 1 至 50000 米之间", 1000.0
    clusters = service.grave_clusters(session=session, actor=actor, division=prefix, distance_m=distance_m) \
        if not error else []
    ids = {g for g, _, _ in nearest} | {c for _, c, _ in nearest} | {i for ids, _ in clusters for i in ids}
    return {"division": division or "", "distance_m": int(distance_m), "nearest": sorted(nearest, key=lambda r: -r[2]),
            "clusters": clusters, "names": _names(session, ids), "error": error, "within": None,
            "KIND_LABELS": KIND_LABELS}


@router.get("/analysis", response_class=HTMLResponse)
def analysis_page(request: Request, session: ReadSession, actor: RegistryReader, division: str | None = None,
                  distance_m: float = 1000.0) -> Response:
    return render(request, "analysis.html", _context(request, session, actor, division, distance_m))


def _site(upload: UploadFile, crs: str | None) -> Any:
    from shapely import union_all

    from gis.analysis import AnalysisError, parse_geometry
    from gis.crs import CrsError
    from gis.files import SurveyFileError, read_survey

    suffix = PurePath(upload.filename or "").suffix.lower()
    if suffix not in SITE_SUFFIXES:
        raise ValidationProblem("site", "请上传 GeoJSON、KML/KMZ、GeoPackage 或压缩的 Shapefile（.zip）")
    folder = Path(tempfile.mkdtemp(prefix="memorials-site-"))
    try:
        path = folder / f"site{suffix}"
        data = upload.file.read(MAX_SITE_BYTES + 1)
        if len(data) > MAX_SITE_BYTES:
            raise ValidationProblem("site", "文件超过 20 MB")
        path.write_bytes(data)
        survey = read_survey(path, crs=crs or None)
        shapes = [f.geometry for f in survey.features if f.geometry is not None and not f.geometry.is_empty]
        if not shapes:
            raise ValidationProblem("site", "文件中没有图形")
        return parse_geometry(union_all(shapes).__geo_interface__)
    except (SurveyFileError, CrsError, AnalysisError) as exc:
        raise ValidationProblem("site", exc.reason) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.post("/analysis/within", response_class=HTMLResponse)
def within_page(
    request: Request,
    session: ReadSession,
    actor: RegistryReader,
    site: Annotated[UploadFile, File()],
    buffer_m: Annotated[float, Form(ge=0, le=100_000)] = 0,
    crs: Annotated[str | None, Form(max_length=100)] = None,
    output: Annotated[str, Form(max_length=10)] = "page",
) -> Response:
    """Facilities inside an uploaded site (or within ``buffer_m`` of it), as a page or an XLSX."""
    context = _context(request, session, actor, None, 1000.0)
    try:
        geometry = _site(site, crs)
    except ValidationProblem as exc:
        context["error"] = f"无法读取范围文件：{exc.reason}"
        return render(request, "analysis.html", context, status_code=422)
    items = service.facilities_within(session=session, actor=actor, geometry=geometry, buffer_m=buffer_m)
    if output == "xlsx":
        from gis.tables import write_xlsx

        folder = Path(tempfile.mkdtemp(prefix="memorials-within-"))
        try:
            path = folder / "within.xlsx"
            write_xlsx(path, [("范围内设施", ["登记编号", "名称", "类型", "经度", "纬度", "距离（米）"],
                               [[i.code, i.name, KIND_LABELS.get(i.kind, i.kind), i.longitude, i.latitude,
                                 i.distance_m] for i in items])])
            body = io.BytesIO(path.read_bytes()).getvalue()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": "attachment; filename=within.xlsx"})
    context.update(within=items, buffer_m=buffer_m)
    return render(request, "analysis.html", context)
