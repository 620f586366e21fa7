"""/api/v1/analysis: which facilities lie in a zone, nearest cemeteries, clusters of scattered graves."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel, Field

from api.auth import RegistryReader
from api.deps import DivisionPrefix, ReadSession
from memorials import analysis as service
from memorials.errors import ValidationProblem
from memorials.schemas import Input

router = APIRouter(prefix="/api/v1/analysis", tags=["analysis"])


class WithinIn(Input):

    geometry: dict[str, Any] = Field(description="a GeoJSON geometry: the site, road or zone")
    buffer_m: float = Field(0, ge=0, le=100_000, description="grow the geometry by this many metres")
    crs: str | None = Field(None, max_length=2000, description="the geometry's coordinate system when not WGS84: "
                                                              "an EPSG code (e.g. EPSG:4526), cgcs2000, gcj02, bd09")
    kinds: list[str] | None = Field(None, max_length=10, description="only these facility kinds")


class WithinItemOut(BaseModel):
    facility_id: int
    code: str
    name: str
    kind: str
    longitude: float
    latitude: float
    distance_m: float


class WithinOut(BaseModel):
    items: list[WithinItemOut]


def _to_wgs84(geometry: Any, crs: str | None) -> Any:
    import shapely

    from gis.coords import CRS_NAMES, CoordinateError, to_wgs84
    from gis.crs import CrsError, resolve_crs
    from gis.crs import to_wgs84 as project

    if crs is None or crs.lower() in ("wgs84", "cgcs2000", "epsg:4326", "epsg:4490"):
        return geometry
    if crs.lower() in CRS_NAMES:
        def shift(x: Any, y: Any) -> Any:
            pairs = [to_wgs84(float(a), float(b), crs.lower()) for a, b in zip(x, y)]
            return [p[0] for p in pairs], [p[1] for p in pairs]

        try:
            return shapely.transform(geometry, shift, interleaved=False)
        except CoordinateError as exc:
            raise ValidationProblem("crs", exc.reason) from None
    try:
        source = resolve_crs(crs)
    except CrsError as exc:
        raise ValidationProblem(exc.field, exc.reason) from None
    return shapely.transform(geometry, lambda x, y: project(list(x), list(y), source), interleaved=False)


def _geometry(body: WithinIn) -> Any:
    from gis.analysis import AnalysisError, parse_geometry

    try:
        if body.crs is None or body.crs.lower() in ("wgs84", "cgcs2000"):
            return parse_geometry(body.geometry)
        from shapely.geometry import shape

        try:
            raw = shape(body.geometry)
        except Exception:  # shapely raises several kinds for malformed GeoJSON
            raise AnalysisError("geometry", "not a valid GeoJSON geometry") from None
        return parse_geometry(_to_wgs84(raw, body.crs).__geo_interface__)
    except AnalysisError as exc:
        raise ValidationProblem(exc.field, exc.reason) from None


@router.post("/within", response_model=WithinOut)
def within(body: WithinIn, session: ReadSession, actor: RegistryReader) -> WithinOut:
    """Facilities inside a geometry or within ``buffer_m`` of it, nearest first (``distance_m`` 0 inside)."""
    from gis.analysis import AnalysisError

    kinds = None
    if body.kinds:
        from memorials.vocab import parse_kind

        kinds = []
        for i, k in enumerate(body.kinds):
            code = parse_kind(k)
            if code is None:
                raise ValidationProblem(f"kinds[{i}]", f"unknown facility kind {k!r}")
            kinds.append(code)
    geometry = _geometry(body)
    try:
        items = service.facilities_within(session=session, actor=actor, geometry=geometry, buffer_m=body.buffer_m,
                                          kinds=kinds)
    except AnalysisError as exc:
        raise ValidationProblem(exc.field, exc.reason) from None
    return WithinOut(items=[WithinItemOut(**vars(i)) for i in items])


@router.post("/within/file", response_model=WithinOut)
def within_file(
    session: ReadSession,
    actor: RegistryReader,
    files: Annotated[list[UploadFile], File(description="the site, road or zone: one survey file (.gpkg .geojson "
                                                        ".kml .kmz, a .zip of a shapefile) or a shapefile's parts")],
    buffer_m: Annotated[float, Form(ge=0, le=100_000)] = 0,
    crs: Annotated[str | None, Form(max_length=2000, description="when the file has no .prj")] = None,
) -> WithinOut:
    """As ``/within``, the geometry read from an uploaded file (all its shapes together)."""
    import shutil
    import tempfile
    from pathlib import Path

    from shapely import union_all

    from api.routers.imports import MAIN_SUFFIXES, SHAPEFILE_PARTS, _save
    from gis.analysis import AnalysisError, parse_geometry
    from gis.crs import CrsError
    from gis.files import SurveyFileError, read_survey

    if not files or len(files) > len(SHAPEFILE_PARTS):
        raise ValidationProblem("files", "send one file, or the parts of one shapefile")
    folder = Path(tempfile.mkdtemp(prefix="memorials-site-"))
    try:
        saved = [_save(upload, folder, i) for i, upload in enumerate(files)]
        main = [p for p in saved if p.suffix in MAIN_SUFFIXES - {".csv", ".xlsx"}]
        if len(main) != 1:
            raise ValidationProblem("files", "send exactly one site file (.gpkg .geojson .kml .kmz .shp .zip)")
        survey = read_survey(main[0], crs=crs or None)
        shapes = [f.geometry for f in survey.features if f.geometry is not None and not f.geometry.is_empty]
        if not shapes:
            raise ValidationProblem("files", "the file holds no geometry")
        geometry = parse_geometry(union_all(shapes).__geo_interface__)
        items = service.facilities_within(session=session, actor=actor, geometry=geometry, buffer_m=buffer_m)
    except (SurveyFileError, CrsError, AnalysisError) as exc:
        raise ValidationProblem(exc.field, exc.reason) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return WithinOut(items=[WithinItemOut(**vars(i)) for i in items])


class NearestItem(BaseModel):
    facility_id: int
    cemetery_id: int
    distance_m: float


class NearestOut(BaseModel):
    items: list[NearestItem]


@router.get("/nearest-cemetery", response_model=NearestOut)
def nearest_cemetery(session: ReadSession, actor: RegistryReader, division: DivisionPrefix = None) -> NearestOut:
    """For every scattered grave in the division, the nearest cemetery or central burial area and its distance."""
    rows = service.nearest_cemeteries(session=session, actor=actor, division=division)
    return NearestOut(items=[NearestItem(facility_id=g, cemetery_id=c, distance_m=d) for g, c, d in rows])


class ClusterItem(BaseModel):
    facility_ids: list[int]
    centroid: tuple[float, float] = Field(description="longitude, latitude (WGS84)")


class ClustersOut(BaseModel):
    items: list[ClusterItem]


@router.get("/clusters", response_model=ClustersOut)
def clusters(
    session: ReadSession,
    actor: RegistryReader,
    division: DivisionPrefix = None,
    distance_m: Annotated[float, Query(gt=0, le=50_000, description="graves this close are grouped")] = 500,
) -> ClustersOut:
    """Groups of scattered graves each within ``distance_m`` of another: candidates for consolidation."""
    found = service.grave_clusters(session=session, actor=actor, division=division, distance_m=distance_m)
    return ClustersOut(items=[ClusterItem(facility_ids=ids, centroid=c) for ids, c in found])


class StrayOut(BaseModel):
    facility_id: int
    code: str
    name: str
    division_code: str
    county_code: str
    outside_m: float = Field(description="how far outside its county's boundary the point lies, in metres")


class DivisionCheckOut(BaseModel):
    items: list[StrayOut]
    checked: int
    unchecked_counties: list[str] = Field(description="counties without a boundary to check against")
    source: str = Field(description="where the boundaries come from")


@router.get("/division-check", response_model=DivisionCheckOut)
def division_check(session: ReadSession, actor: RegistryReader, division: DivisionPrefix = None) -> DivisionCheckOut:
    """Facilities whose point lies outside the county they are recorded in (flagged, never moved)."""
    from gis.boundaries import SOURCE, BoundariesUnavailable, source_version

    try:
        strays, checked, missing = service.division_check(session=session, actor=actor, division=division)
    except BoundariesUnavailable as exc:
        raise ValidationProblem("division", str(exc)) from None
    return DivisionCheckOut(items=[StrayOut(**vars(s)) for s in strays], checked=checked, unchecked_counties=missing,
                            source=f"{SOURCE} {source_version()} (Gaode, GCJ-02 converted to WGS84)")


class AreaOut(BaseModel):
    facility_id: int
    code: str
    name: str
    division_code: str
    area_code: str = Field(description="code of the boundary the point lies in; empty when outside every one")
    area_name: str
    matches: bool = Field(description="the recorded division lies in that area")


class AreasOut(BaseModel):
    items: list[AreaOut]


@router.post("/townships", response_model=AreasOut)
def townships(
    session: ReadSession,
    actor: RegistryReader,
    files: Annotated[list[UploadFile], File(description="the bureau's township boundaries: one survey file "
                                                        "(.gpkg .geojson .kml .kmz, a .zip of a shapefile) or a "
                                                        "shapefile's parts")],
    division: Annotated[str | None, Form(max_length=20)] = None,
    crs: Annotated[str | None, Form(max_length=2000)] = None,
    code_column: Annotated[str | None, Form(max_length=100)] = None,
    name_column: Annotated[str | None, Form(max_length=100)] = None,
) -> AreasOut:
    """A spatial join of the facilities to township boundaries: mismatches first (flagged, never moved)."""
    import shutil
    import tempfile
    from pathlib import Path

    from api.routers.imports import MAIN_SUFFIXES, SHAPEFILE_PARTS, _save
    from gis.analysis import AnalysisError
    from gis.crs import CrsError
    from gis.files import SurveyFileError, read_survey
    from memorials.divisions import division_prefix

    prefix = None
    if division:
        prefix = division_prefix(division, field="division")
    if not files or len(files) > len(SHAPEFILE_PARTS):
        raise ValidationProblem("files", "send one file, or the parts of one shapefile")
    folder = Path(tempfile.mkdtemp(prefix="memorials-areas-"))
    try:
        saved = [_save(upload, folder, i) for i, upload in enumerate(files)]
        main = [p for p in saved if p.suffix in MAIN_SUFFIXES - {".csv", ".xlsx"}]
        if len(main) != 1:
            raise ValidationProblem("files", "send exactly one boundary file (.gpkg .geojson .kml .kmz .shp .zip)")
        survey = read_survey(main[0], crs=crs or None)
        areas = [(f.properties, f.geometry) for f in survey.features
                 if f.problem is None and f.geometry is not None and f.geometry.geom_type != "Point"]
        if not areas:
            raise ValidationProblem("files", "the file holds no usable polygons")
        found = service.join_townships(session=session, actor=actor, division=prefix, areas=areas,
                                       code_column=code_column or None, name_column=name_column or None)
    except (SurveyFileError, CrsError, AnalysisError) as exc:
        raise ValidationProblem(exc.field, exc.reason) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return AreasOut(items=[AreaOut(**vars(m)) for m in found])
