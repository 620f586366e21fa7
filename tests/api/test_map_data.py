"""The planner map's data by viewport: jurisdiction, bbox, grid cells, gzip, ETag and 304."""

from __future__ import annotations

import gzip
import json

import pytest

from gis.geodesy import BBox
from memorials.actors import SYSTEM
from memorials.db import session_factory, transaction
from memorials.facilities import create_facility
from memorials.schemas import FacilityCreate
from tests.factories import (
    DEMO_FACILITIES,
    OTHER_DISTRICT,
    OTHER_POINT,
    facility_body,
    gps_jpeg,
    inspection_files,
    inspection_json,
)

pytestmark = pytest.mark.both_backends

COUNTY = "114.3,30.9,115.2,31.7"  # around 红安县


def _data(api, headers, **params):
    resp = api.get("/map/data", params={"bbox": COUNTY, "zoom": "9", **params}, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _total(collection) -> int:
    return sum(f["properties"]["count"] for f in collection["features"])


def test_cells_far_out_points_close_in_and_only_what_is_in_the_box(demo_api):
    h = demo_api.user("viewer")
    far = _data(demo_api, h, zoom="6")
    assert _total(far) == DEMO_FACILITIES and far["total"] == DEMO_FACILITIES
    assert any(f["properties"]["count"] > 1 for f in far["features"])  # grouped on the grid
    close = _data(demo_api, h, zoom="16")
    assert len(close["features"]) == DEMO_FACILITIES and {f["properties"]["count"] for f in close["features"]} == {1}
    first = close["features"][0]["properties"]
    assert {"id", "name", "kind", "level", "status", "grade", "overdue", "defects"} <= set(first)
    # A box around the county seat (城关镇) only: the rest of the county stays on the server.
    box = BBox(114.60, 31.27, 114.65, 31.31)
    seat = _data(demo_api, h, zoom="16", bbox=f"{box.min_lon},{box.min_lat},{box.max_lon},{box.max_lat}")
    points = [f["geometry"]["coordinates"] for f in seat["features"]]
    assert 0 < len(points) < DEMO_FACILITIES
    assert all(box.contains(lon, lat) for lon, lat in points)


def test_layers_narrow_the_facilities(demo_api):
    h = demo_api.user("viewer")
    everything = _data(demo_api, h, zoom="16")
    overdue = _data(demo_api, h, zoom="16", layer="overdue")
    # The demo district has no patrols yet: every standing facility is overdue, relocated ones are not.
    standing = [f for f in everything["features"] if f["properties"]["status"] in ("in_use", "under_repair")]
    assert len(overdue["features"]) == len(standing) < DEMO_FACILITIES
    assert _data(demo_api, h, zoom="16", layer="defects")["features"] == []
    heat = _data(demo_api, h, zoom="9", layer="heat")
    assert 0 < _total(heat) <= 32  # scattered graves still in place


def test_a_patrol_changes_the_answer_and_its_etag(demo_api):
    h = demo_api.user("viewer")
    grave = demo_api.demo_facility_id("421122-0010")
    first = demo_api.get("/map/data", params={"bbox": COUNTY, "zoom": "16", "layer": "defects"}, headers=h)
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = demo_api.get("/map/data", params={"bbox": COUNTY, "zoom": "16", "layer": "defects"},
                         headers={**h, "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    filed = demo_api.post("/api/v1/inspections", headers=demo_api.user("inspector"),
                          data={"inspection": json.dumps(inspection_json(grave))},
                          files=inspection_files([gps_jpeg(114.72, 31.46)]))
    assert filed.status_code == 201, filed.text
    after = demo_api.get("/map/data", params={"bbox": COUNTY, "zoom": "16", "layer": "defects"},
                         headers={**h, "If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    props = {f["properties"]["id"]: f["properties"] for f in after.json()["features"]}
    assert props[grave]["defects"] >= 1 and props[grave]["grade"] is not None


def test_jurisdiction_applies(demo_api):
    with transaction(session_factory(demo_api.app_engine, write=True)) as s:
        lon, lat = OTHER_POINT
        create_facility(session=s, data=FacilityCreate(**facility_body(division_code=OTHER_DISTRICT, longitude=lon,
                                                                       latitude=lat)), actor=SYSTEM)
    wide = "113,30,116,32"
    ours = _data(demo_api, demo_api.user("viewer"), bbox=wide)
    theirs = _data(demo_api, demo_api.user("viewer", OTHER_DISTRICT), bbox=wide)
    assert _total(ours) == DEMO_FACILITIES and _total(theirs) == 1
    # Same query, other jurisdiction: another ETag, so no browser reuses the other's answer.
    tags = {demo_api.get("/map/data", params={"bbox": wide, "zoom": "9"}, headers=demo_api.user("viewer", d)
                         ).headers["etag"] for d in ("421122", OTHER_DISTRICT)}
    assert len(tags) == 2


def test_answers_are_gzipped(demo_api):
    resp = demo_api.get("/map/data", params={"bbox": COUNTY, "zoom": "16"},
                        headers={**demo_api.user("viewer"), "Accept-Encoding": "gzip"})
    assert resp.headers["content-encoding"] == "gzip"
    assert int(resp.headers["content-length"]) < len(resp.content)  # httpx decoded it
    assert gzip.compress(resp.content)  # and it was JSON all along
    assert resp.headers["content-security-policy"]


@pytest.mark.parametrize("params, field", [({"zoom": "9"}, "bbox"), ({"bbox": "1,2", "zoom": "9"}, "bbox"),
                                           ({"bbox": COUNTY}, "zoom"), ({"bbox": COUNTY, "zoom": "40"}, "zoom"),
                                           ({"bbox": COUNTY, "zoom": "9", "layer": "x"}, "layer")])
def test_bad_parameters_name_the_field(demo_api, params, field):
    resp = demo_api.get("/map/data", params=params, headers=demo_api.user("viewer"))
    assert resp.status_code == 422 and field in resp.text


def test_boundaries_zones_and_compliance(demo_api):
    h = demo_api.user("viewer")
    towns = demo_api.get("/map/boundaries", params={"bbox": COUNTY, "zoom": "12"}, headers=h).json()
    names = {f["properties"]["name"] for f in towns["features"]}
    assert "七里坪镇" in names and all(f["properties"]["code"].startswith("421122") for f in towns["features"])
    county = demo_api.get("/map/boundaries", params={"bbox": COUNTY, "zoom": "5"}, headers=h).json()
    assert [f["properties"]["code"] for f in county["features"]] == ["421122"]  # nothing above the jurisdiction
    zones = demo_api.get("/map/zones", params={"bbox": COUNTY, "zoom": "14"}, headers=h).json()
    assert zones["features"] and {f["geometry"]["type"] for f in zones["features"]} <= {"Polygon", "MultiPolygon"}
    assert demo_api.get("/map/zones", params={"bbox": COUNTY, "zoom": "8"}, headers=h).json()["features"] == []
    choropleth = demo_api.get("/map/compliance", headers=h).json()
    rows = {f["properties"]["name"]: f["properties"] for f in choropleth["features"]}
    assert len(rows) == 13 and "七里坪镇" in rows
    assert all(r["rate"] == 0 for r in rows.values() if r["due"])  # no patrols in the demo district
