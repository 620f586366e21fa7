"""Survey files in and out, on real files and real databases.

The GBK Shapefile in a Gauss-Krüger zone is written as a surveying office's
desktop GIS writes it: DBF text in GBK, a .prj in ESRI's WKT without an EPSG
code, and no .cpg. Positions are given in WGS84 and projected with pyproj's
EPSG definitions, independently of the import path that reads them back.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from api.cli import app
from memorials.actors import SYSTEM
from memorials.models import Facility
from tests.factories import DEMO_TOWNSHIP

runner = CliRunner()
ESRI_PRJ_ZONE_38 = (
    'PROJCS["CGCS2000_3_Degree_GK_Zone_38",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
    'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",38500000.0],'
    'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)
GRAVES = [  # code, name, kind, division, custodian, lon, lat
    ("SURVEY-001", "王家冲红军烈士墓", "零散烈士墓", DEMO_TOWNSHIP, "七里坪镇退役军人服务站", 114.7401, 31.4502),
    ("SURVEY-002", "檀树岗无名烈士墓", "零散烈士墓", DEMO_TOWNSHIP, "檀树岗村委会", 114.7455, 31.4533),
    ("SURVEY-003", "类型不明的墓", "不明", DEMO_TOWNSHIP, "", 114.7420, 31.4510),
]


@pytest.fixture
def env(db_url, tmp_path):
    return {"MEMORIALS_DATABASE_URL": db_url, "MEMORIALS_DATA_DIR": str(tmp_path / "data"), "MEMORIALS_TILES": "none", "COLUMNS": "250"}


def run(env, *args):
    result = runner.invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)
    # Rich wraps long lines at the width it found when the console was made; the words are what count.
    result.text = " ".join(result.output.split())
    return result


def office_shapefile(folder: Path, *, prj: bool = True, cpg: str | None = None, rows=GRAVES) -> Path:
    """Points in CGCS2000 3-degree zone 38 (EPSG:4526), attributes in GBK, as ArcGIS in China writes them."""
    import geopandas
    import pyogrio
    from pyproj import Transformer
    from shapely.geometry import Point

    to_zone = Transformer.from_crs(4490, 4526, always_xy=True)
    points = [Point(*to_zone.transform(lon, lat)) for *_, lon, lat in rows]
    frame = geopandas.GeoDataFrame({
        "编号": [r[0] for r in rows], "墓名": [r[1] for r in rows], "类型": [r[2] for r in rows],
        "区划代码": [r[3] for r in rows], "管护单位": [r[4] for r in rows],
    }, geometry=points, crs="EPSG:4526")
    path = folder / "烈士墓调查.shp"
    pyogrio.write_dataframe(frame, path, encoding="GBK")
    folder.joinpath("烈士墓调查.cpg").unlink()
    path.with_suffix(".prj").unlink()
    if prj:
        path.with_suffix(".prj").write_text(ESRI_PRJ_ZONE_38, encoding="ascii")
    if cpg is not None:
        path.with_suffix(".cpg").write_text(cpg, encoding="ascii")
    dbf = path.with_suffix(".dbf").read_bytes()
    assert "王家冲".encode("gbk") in dbf and "王家冲".encode("utf-8") not in dbf  # really GBK
    return path


def _facilities(session, codes):
    return {f.code: f for f in session.scalars(select(Facility).where(Facility.code.in_(codes)))}


@pytest.mark.parametrize("cpg", [None, "GBK", "UTF-8"])  # no .cpg, a right one, a wrong one
def test_a_gbk_shapefile_in_a_gauss_kruger_zone_imports_with_its_chinese_intact(env, db_url, tmp_path, cpg):
    path = office_shapefile(tmp_path, cpg=cpg)
    result = run(env, "import", path, "--map", "墓名=name")
    assert result.exit_code == 1, result.output  # the third grave has a kind nobody knows
    assert "3 rows (EPSG:4526 CGCS2000 / 3-degree Gauss-Kruger zone 38, GB18030): 2 added" in result.text
    assert "line 3: " in result.text and "1 rejected" in result.text

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    engine = create_engine(db_url)
    with Session(engine) as session:
        found = _facilities(session, ["SURVEY-001", "SURVEY-002", "SURVEY-003"])
        assert set(found) == {"SURVEY-001", "SURVEY-002"}
        for code, name, _, division, custodian, lon, lat in GRAVES[:2]:
            f = found[code]
            assert (f.name, f.division_code, f.custodian, f.kind) == (name, division, custodian, "scattered_grave")
            assert f.longitude == pytest.approx(lon, abs=1e-8) and f.latitude == pytest.approx(lat, abs=1e-8)
    engine.dispose()
    again = run(env, "import", path, "--map", "墓名=name")
    assert "0 added, 2 already there, 1 rejected" in again.text


def test_a_projected_shapefile_without_prj_is_refused_until_its_crs_is_declared(env, tmp_path):
    path = office_shapefile(tmp_path, prj=False, rows=GRAVES[:2])
    refused = run(env, "import", path, "--map", "墓名=name")
    assert refused.exit_code == 2
    assert "crs: the coordinates are projected" in refused.text and "no .prj" in refused.text
    wrong_zone = run(env, "import", path, "--map", "墓名=name", "--crs", "EPSG:4547")
    assert wrong_zone.exit_code == 2 and "without a zone number" in wrong_zone.text
    declared = run(env, "import", path, "--map", "墓名=name", "--crs", "EPSG:4526")
    assert declared.exit_code == 0 and "2 added" in declared.text


def test_rejected_records_are_reported_with_their_reason_and_good_ones_kept(session, tmp_path):
    from memorials.importing import import_survey

    features = [
        {"type": "Feature", "properties": {"名称": "好墓", "类型": "零散烈士墓", "行政区划代码": DEMO_TOWNSHIP},
         "geometry": {"type": "Point", "coordinates": [114.741, 31.451]}},
        {"type": "Feature", "properties": {"名称": "一条路", "类型": "零散烈士墓", "行政区划代码": DEMO_TOWNSHIP},
         "geometry": {"type": "LineString", "coordinates": [[114.74, 31.45], [114.75, 31.46]]}},
        {"type": "Feature", "properties": {"名称": "无图形", "类型": "零散烈士墓", "行政区划代码": DEMO_TOWNSHIP},
         "geometry": None},
        {"type": "Feature", "properties": {"名称": "蝴蝶", "登记编号": "X"},
         "geometry": {"type": "Polygon", "coordinates": [[[114.74, 31.45], [114.75, 31.46], [114.75, 31.45],
                                                          [114.74, 31.46], [114.74, 31.45]]]}},
        {"type": "Feature", "properties": {"名称": "", "类型": "零散烈士墓", "行政区划代码": DEMO_TOWNSHIP},
         "geometry": {"type": "Point", "coordinates": [114.742, 31.452]}},
    ]
    path = tmp_path / "mixed.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8")
    seen = []
    report = import_survey(session=session, path=path, actor=SYSTEM, progress=lambda d, t: seen.append((d, t)))
    assert (report.total, report.created, report.rejected) == (5, 1, 4)
    reasons = {p.line: (p.field, p.reason) for p in report.problems}
    assert "LineString is neither a point" in reasons[2][1]
    assert reasons[3] == ("geometry", "the record has no geometry")
    assert reasons[4][0] == "geometry" and "Self-intersection" in reasons[4][1]
    assert reasons[5][0] == "name"
    assert seen == [(i, 5) for i in range(1, 6)]


@pytest.mark.both_backends
def test_polygons_become_protection_zones_and_footprints_stored_as_indexed_geometry(session, engine, tmp_path):
    from memorials.importing import import_survey

    ring = [[114.7400, 31.4500], [114.7410, 31.4500], [114.7410, 31.4510], [114.7400, 31.4510], [114.7400, 31.4500]]
    inner = [[114.7404, 31.4504], [114.7406, 31.4504], [114.7406, 31.4506], [114.7404, 31.4504]]
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [114.7405, 31.4505]},
         "properties": {"登记编号": "ZONE-1", "名称": "岗上烈士墓", "类型": "零散烈士墓", "行政区划代码": DEMO_TOWNSHIP}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
         "properties": {"登记编号": "ZONE-1", "图形类型": "保护范围"}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [inner]},
         "properties": {"登记编号": "ZONE-1", "图形类型": "占地范围"}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
         "properties": {"登记编号": "NO-SUCH"}},
    ]
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8")
    report = import_survey(session=session, path=path, actor=SYSTEM)
    assert (report.created, report.rejected) == (3, 1)
    assert report.problems[0].field == "code" and "NO-SUCH" in report.problems[0].reason
    f = session.scalar(select(Facility).where(Facility.code == "ZONE-1"))
    assert json.loads(f.protection_zone)["type"] == "Polygon" and json.loads(f.footprint)["type"] == "Polygon"
    session.flush()
    if engine.dialect.name == "postgresql":
        hit = session.execute(text(
            "SELECT code, ST_Area(protection_zone_geom::geography) FROM facilities "
            "WHERE protection_zone_geom && ST_MakeEnvelope(114.7405, 31.4505, 114.7406, 31.4506, 4326) "
            "AND ST_Contains(footprint_geom, ST_SetSRID(ST_MakePoint(114.7405, 31.4504), 4326)) IS NOT NULL")).all()
        assert [h[0] for h in hit] == ["ZONE-1"] and 9_000 < hit[0][1] < 11_000  # ~ 95 m x 111 m
    else:
        box = session.execute(text("SELECT min_x, max_x, min_y, max_y FROM facility_zone_rtree WHERE id = :id"),
                              {"id": f.id}).one()
        assert box[0] == pytest.approx(114.74, abs=1e-4) and box[3] == pytest.approx(31.451, abs=1e-4)
    again = import_survey(session=session, path=path, actor=SYSTEM)
    assert (again.created, again.skipped, again.rejected) == (0, 3, 1)


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "geojson", "kml", "kmz", "csv", "xlsx"])
def test_export_and_reimport_round_trip_loses_no_field(env, tmp_path, fmt, templates, backend):
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from memorials.exporting import export_facilities
    from memorials.facilities import FacilityQuery

    run(env, "demo")
    engine = create_engine(env["MEMORIALS_DATABASE_URL"])
    zone = {"type": "Polygon", "coordinates": [[[114.7, 31.4], [114.71, 31.4], [114.71, 31.41], [114.7, 31.4]]]}
    with Session(engine) as session, session.begin():
        first = session.scalars(select(Facility).where(Facility.division_code.like("421122%"))
                                .order_by(Facility.code)).first()
        first.protection_zone = json.dumps(zone)
        first.description = "=危险公式\n第二行"
        first.custodian_person = "张三"
    out = tmp_path / f"export.{fmt}"
    with Session(engine) as session:
        count = export_facilities(session=session, path=out, actor=SYSTEM, query=FacilityQuery(division="421122"))
        source = {f.code: f for f in session.scalars(select(Facility).where(Facility.division_code.like("421122%")))}
    engine.dispose()
    assert count == len(source)
    (tmp_path / "fresh").mkdir()
    fresh = templates.copy(backend, False, tmp_path / "fresh")
    fresh_env = {**env, "MEMORIALS_DATABASE_URL": fresh}
    result = run(fresh_env, "import", out)
    assert result.exit_code == 0, result.output
    with_zone = sum(1 for f in source.values() if f.protection_zone)
    with_footprint = sum(1 for f in source.values() if f.footprint)
    zones = with_zone + with_footprint if fmt not in ("csv", "xlsx") else 0
    assert with_zone >= 2 and with_footprint >= 1  # the demo's, and the one set above
    if fmt == "shp":  # one file per geometry type: the zones come beside the points
        assert f"{count} added" in result.text
        for layer, n in (("保护范围", with_zone), ("占地范围", with_footprint)):
            result = run(fresh_env, "import", out.with_name(f"export_{layer}.shp"))
            assert result.exit_code == 0 and f"{n} added" in result.text, result.output
    else:
        assert f"{count + zones} added" in result.text
    engine = create_engine(fresh)
    fields = ("name", "kind", "protection_level", "status", "division_code", "address", "custodian",
              "custodian_person", "patrol_interval_days", "description")
    with Session(engine) as session:
        back = {f.code: f for f in session.scalars(select(Facility))}
        assert set(back) == set(source)
        for code, f in source.items():
            b = back[code]
            assert {k: getattr(b, k) for k in fields} == {k: getattr(f, k) for k in fields}, code
            assert b.longitude == pytest.approx(f.longitude, abs=1e-7)
            assert b.latitude == pytest.approx(f.latitude, abs=1e-7)
            if zones:
                for role in ("protection_zone", "footprint"):
                    assert bool(getattr(b, role)) == bool(getattr(f, role)), (code, role)
                    if getattr(f, role):
                        import shapely

                        theirs, ours = shapely.from_geojson(getattr(b, role)), shapely.from_geojson(getattr(f, role))
                        assert shapely.equals(theirs, ours) and shapely.hausdorff_distance(theirs, ours) < 1e-8
    engine.dispose()
    assert "0 added" in run(fresh_env, "import", out).text


def test_the_exports_use_chinese_field_names(env, tmp_path):
    import pyogrio

    run(env, "demo")
    assert run(env, "export", tmp_path / "f.gpkg").exit_code == 0
    assert run(env, "export", tmp_path / "f.shp").exit_code == 0
    fields = list(pyogrio.read_info(tmp_path / "f.gpkg", layer="纪念设施")["fields"])
    assert fields[:4] == ["登记编号", "名称", "类型", "保护级别"] and "图形类型" in fields
    assert (tmp_path / "f.cpg").read_text().strip().upper() == "GBK"
    dbf = (tmp_path / "f.dbf").read_bytes()
    assert "登记编号".encode("gbk") in dbf[:1000]


def test_a_zipped_shapefile_posted_to_the_api_answers_the_report(api, tmp_path):
    headers = api.user("planner")
    folder = tmp_path / "office"
    folder.mkdir()
    shp = office_shapefile(folder)
    archive = tmp_path / "survey.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in folder.iterdir():
            z.write(part, part.name)
    files = [("files", ("survey.zip", archive.read_bytes(), "application/zip"))]
    resp = api.post("/api/v1/imports", headers=headers, files=files, data={"mapping": json.dumps({"墓名": "name"})})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["total"], body["created"], body["rejected"]) == (3, 2, 1)
    assert body["source_crs"].startswith("EPSG:4526") and body["encoding"] == "GB18030"
    assert body["problems"][0]["line"] == 3 and body["problems"][0]["field"] == "kind"
    parts = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in folder.iterdir()]
    again = api.post("/api/v1/imports", headers=headers, files=parts, data={"mapping": json.dumps({"墓名": "name"})})
    assert again.status_code == 200 and again.json()["created"] == 0 and again.json()["skipped"] == 2
    names = {f["name"] for f in api.get("/api/v1/facilities", headers=headers, params={"q": "烈士墓"}).json()["items"]}
    assert {"王家冲红军烈士墓", "檀树岗无名烈士墓"} <= names
    assert shp.exists()


def test_the_import_api_refuses_bad_requests_with_the_field_named(api, tmp_path):
    headers = api.user("planner")
    bad_mapping = api.post("/api/v1/imports", headers=headers, data={"mapping": "{"},
                           files=[("files", ("a.geojson", b"{}", "application/geo+json"))])
    assert bad_mapping.status_code == 422 and "mapping" in bad_mapping.text
    exe = api.post("/api/v1/imports", headers=headers, files=[("files", ("a.exe", b"MZ", "application/x-msdownload"))])
    assert exe.status_code == 422 and "files[0]" in exe.text
    no_prj = tmp_path / "np"
    no_prj.mkdir()
    shp = office_shapefile(no_prj, prj=False)
    parts = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in no_prj.iterdir()]
    refused = api.post("/api/v1/imports", headers=headers, files=parts)
    assert refused.status_code == 422 and "no .prj" in refused.text and "crs" in refused.text
    assert shp.exists()
    viewer = api.post("/api/v1/imports", headers=api.user("viewer"), files=parts)
    assert viewer.status_code == 403


def test_starting_the_server_does_not_load_geopandas_or_shapely():
    # (pandas itself is loaded by folium whenever it is installed: folium/utilities.py tries it at import.)
    code = ("import sys, api.main; api.main.create_app; "
            "print(sorted(m for m in ('geopandas', 'shapely', 'pyogrio', 'fiona') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
