"""``memorials analysis …`` (within a zone, nearest cemetery, clusters, division check) and ``memorials
boundaries``: the planners' spatial commands, added to the core's ``memorials`` program by the CLI shell."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from memorials.actors import SYSTEM
from memorials.cli import app, console, fail, open_session
from memorials.divisions import division_prefix
from memorials.errors import DomainError

analysis_app = typer.Typer(help="Spatial analysis: within a zone, nearest cemetery, clusters of graves.",
                            no_args_is_help=True)
app.add_typer(analysis_app, name="analysis")


@app.command("boundaries")
def boundaries(
    path: Annotated[Path, typer.Argument(help="a boundary file: .gpkg .geojson .kml .kmz .shp or a zipped shapefile")],
    code_column: Annotated[Optional[str], typer.Option(help="the column holding the division code (found by "
                                                              "name if not given: XZQDM, 代码, code, …)")] = None,
    crs: Annotated[Optional[str], typer.Option(help="the file's CRS when it has no .prj, e.g. EPSG:4526")] = None,
) -> None:
    """Store a bureau's township (or village) boundaries: the planner's map draws them and joins facilities to them."""
    from gis.boundaries import boundaries_by_code
    from gis.files import SurveyFileError, read_survey
    from memorials.divisions import set_boundaries

    try:
        polygons = boundaries_by_code(read_survey(path, crs=crs), code_column=code_column)
        with open_session() as session:
            stored = set_boundaries(session=session, boundaries=polygons)
    except (SurveyFileError, DomainError, ValueError) as exc:
        fail(str(exc))
    console.print(f"{stored} division boundaries stored from {path.name}")


@analysis_app.command("within")
def analysis_within(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="the site, road or zone: .gpkg .shp .geojson .kml .kmz")],
    buffer_m: Annotated[float, typer.Option(help="grow it by this many metres")] = 0.0,
    crs: Annotated[Optional[str], typer.Option(help="its coordinate system when it has no .prj")] = None,
    xlsx: Annotated[Optional[Path], typer.Option(help="also write the list to this XLSX file")] = None,
) -> None:
    """Facilities inside a site (or within --buffer-m of it), nearest first."""
    from shapely import union_all

    from gis.analysis import AnalysisError, parse_geometry
    from gis.crs import CrsError
    from gis.files import SurveyFileError, read_survey
    from gis.tables import write_xlsx
    from memorials.analysis import facilities_within

    try:
        survey = read_survey(path, crs=crs)
        shapes = [f.geometry for f in survey.features if f.geometry is not None and not f.geometry.is_empty]
        if not shapes:
            raise AnalysisError("file", "holds no geometry")
        geometry = parse_geometry(union_all(shapes).__geo_interface__)
        with open_session(write=False) as session:
            items = facilities_within(session=session, actor=SYSTEM, geometry=geometry, buffer_m=buffer_m)
    except (SurveyFileError, CrsError, AnalysisError) as exc:
        fail(f"{exc.field}: {exc.reason}")
        return
    table = Table("登记编号", "名称", "类型", "距离（米）")
    for item in items:
        table.add_row(item.code, item.name, item.kind, f"{item.distance_m:.1f}")
    console.print(table)
    console.print(f"{len(items)} facilities within {buffer_m:g} m")
    if xlsx is not None:
        write_xlsx(xlsx, [("范围内设施", ["登记编号", "名称", "类型", "经度", "纬度", "距离（米）"],
                           [[i.code, i.name, i.kind, i.longitude, i.latitude, i.distance_m] for i in items])])


@analysis_app.command("nearest-cemetery")
def analysis_nearest(division: Annotated[Optional[str], typer.Option(help="division code (prefix)")] = None) -> None:
    """For every scattered grave, the nearest cemetery or central burial area."""
    from memorials.analysis import nearest_cemeteries
    from memorials.models import Facility

    with open_session(write=False) as session:
        rows = nearest_cemeteries(session=session, actor=SYSTEM, division=division_prefix(division) if division
                                  else None)
        names = {f.id: (f.code, f.name) for f in session.query(Facility).filter(
            Facility.id.in_({r[0] for r in rows} | {r[1] for r in rows}))}
    table = Table("零散烈士墓", "最近的陵园/集中安葬区", "距离（米）")
    for grave, cemetery, dist in sorted(rows, key=lambda r: r[2]):
        table.add_row(" ".join(names[grave]), " ".join(names[cemetery]), f"{dist:.0f}")
    console.print(table)


@analysis_app.command("clusters")
def analysis_clusters(
    distance_m: Annotated[float, typer.Option(help="graves this close are grouped")] = 500.0,
    division: Annotated[Optional[str], typer.Option(help="division code (prefix)")] = None,
) -> None:
    """Groups of scattered graves each within --distance-m of another: consolidation candidates."""
    from gis.analysis import AnalysisError
    from memorials.analysis import grave_clusters
    from memorials.models import Facility

    try:
        with open_session(write=False) as session:
            found = grave_clusters(session=session, actor=SYSTEM, division=division_prefix(division)
                                   if division else None, distance_m=distance_m)
            names = {f.id: f.name for f in session.query(Facility).filter(
                Facility.id.in_({i for ids, _ in found for i in ids}))}
    except AnalysisError as exc:
        fail(f"{exc.field}: {exc.reason}")
        return
    for ids, (lon, lat) in found:
        console.print(f"{len(ids)} graves around {lon:.5f},{lat:.5f}: " + "、".join(names[i] for i in ids))
    console.print(f"{len(found)} clusters within {distance_m:g} m")


@analysis_app.command("division-check")
def analysis_division_check(division: Annotated[Optional[str], typer.Option(help="division code (prefix)")] = None
                            ) -> None:
    """Facilities whose point lies outside the county they are recorded in (flagged, never moved)."""
    from gis.boundaries import BoundariesUnavailable
    from memorials.analysis import division_check

    try:
        with open_session(write=False) as session:
            strays, checked, missing = division_check(session=session, actor=SYSTEM,
                                                      division=division_prefix(division) if division else None)
    except BoundariesUnavailable as exc:
        fail(str(exc))
        return
    table = Table("登记编号", "名称", "区划代码", "在县界外（米）")
    for s in strays:
        table.add_row(s.code, s.name, s.division_code, f"{s.outside_m:.0f}")
    console.print(table)
    console.print(f"{checked} facilities checked, {len(strays)} outside their county"
                  + (f"; no boundary for {', '.join(missing)}" if missing else ""))
