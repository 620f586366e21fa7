"""A facility's point must lie within reach of its division: a wrong division or mistyped coordinates are refused."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app as cli
from tests.factories import DEMO_TOWNSHIP, facility_body

# 康西瓦烈士陵园 on the Xinjiang–Tibet road, some 165 km from the seat of 皮山县 (a county of 39,700 km²).
KANGXIWA = (78.8, 36.2)


def _refusal(resp) -> str:  # type: ignore[no-untyped-def]
    assert resp.status_code == 422, resp.text
    detail = resp.json()["detail"]
    assert [d["loc"] for d in detail] == [["body", "longitude"], ["body", "latitude"]]
    return detail[0]["msg"]


def test_a_point_far_from_its_division_is_refused(api):
    admin = api.user("admin", "")
    # 31.45 typed as 37.45: 680 km north of 红安县, in Hebei
    reason = _refusal(api.post("/api/v1/facilities", json=facility_body(latitude=37.45), headers=admin))
    assert "684 km from the centre of 湖北省黄冈市红安县 (421122)" in reason
    assert "division 421122101" in reason and "swapped or mistyped" in reason
    # right coordinates, wrong division: 北京市东城区
    _refusal(api.post("/api/v1/facilities", json=facility_body(division_code="110101"), headers=admin))
    assert api.get("/api/v1/facilities", headers=admin).json()["total"] == 0


def test_points_within_reach_are_registered(api):
    admin = api.user("admin", "")
    assert api.post("/api/v1/facilities", json=facility_body(), headers=admin).status_code == 201
    # large, sparse divisions reach farther than the 150 km of a county
    lon, lat = KANGXIWA
    resp = api.post("/api/v1/facilities", json=facility_body(name="康西瓦烈士陵园", kind="cemetery",
                                                             division_code="653223", longitude=lon, latitude=lat,
                                                             address="新疆和田地区皮山县"), headers=admin)
    assert resp.status_code == 201, resp.text


def test_an_update_may_not_move_a_facility_out_of_its_division(demo_api):
    planner = demo_api.user("planner")
    before = demo_api.get("/api/v1/facilities/1", headers=planner).json()
    _refusal(demo_api.patch("/api/v1/facilities/1", json={"longitude": 121.47, "latitude": 31.23}, headers=planner))
    admin = demo_api.user("admin", "")
    _refusal(demo_api.patch("/api/v1/facilities/1", json={"division_code": "110101"}, headers=admin))
    after = demo_api.get("/api/v1/facilities/1", headers=planner).json()
    assert (after["longitude"], after["latitude"], after["division_code"]) == (
        before["longitude"], before["latitude"], before["division_code"])
    moved = demo_api.patch("/api/v1/facilities/1", json={"longitude": 114.63, "latitude": 31.31,
                                                          "division_code": DEMO_TOWNSHIP}, headers=planner)
    assert moved.status_code == 200, moved.text
    assert demo_api.patch("/api/v1/facilities/1", json={"name": "红安县烈士陵园"}, headers=planner).status_code == 200


def test_import_reports_a_row_far_from_its_division(db_url, tmp_path):
    path = tmp_path / "graves.csv"
    path.write_text("名称,类型,行政区划代码,经度,纬度\n"
                    "王家冲烈士墓,零散烈士墓,421122102,114.745,31.378\n"
                    "错区划烈士墓,零散烈士墓,110101,114.745,31.378\n", encoding="utf-8")
    env = {"MEMORIALS_DATABASE_URL": db_url, "MEMORIALS_DATA_DIR": str(tmp_path / "data"), "MEMORIALS_TILES": "none"}
    result = CliRunner().invoke(cli, ["import", str(path)], env=env, catch_exceptions=False)
    assert "2 rows: 1 added, 0 already there, 1 rejected" in result.output
    assert "line 3: longitude:" in result.output and "北京市东城区" in result.output
