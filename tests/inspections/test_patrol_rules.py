"""What a patrol must bring (issue 10): every item answered, photos, a position or a reason, an honest grade."""

import io
import json

import pytest
from openpyxl import load_workbook

from inspections.checklist import CHECKLIST
from memorials import clock
from memorials.db import session_factory, transaction
from memorials.users import create_user
from tests.factories import PASSWORD, gps_jpeg, inspection_files, inspection_json, register_table

pytestmark = pytest.mark.both_backends


@pytest.fixture
def facility(demo_api):
    fid = demo_api.demo_facility_id("421122-0010")
    f = demo_api.get(f"/api/v1/facilities/{fid}", headers=demo_api.user("viewer")).json()
    return f


@pytest.fixture
def inspector(demo_api):
    return demo_api.user("inspector")


def post(api, headers, body, photos=()):
    return api.post("/api/v1/inspections", headers=headers, data={"inspection": json.dumps(body)},
                    files=inspection_files(list(photos)))


def here(f, **extra):
    return {"longitude": f["longitude"], "latitude": f["latitude"], **extra}


def problems(resp):
    assert resp.status_code == 422, resp.text
    return {d["loc"][-1]: d["msg"] for d in resp.json()["detail"]}


def test_an_unanswered_item_is_refused_naming_it(demo_api, inspector, facility):
    answers = {i.key: {"result": "ok"} for i in CHECKLIST if i.key != "marker"}
    body = inspection_json(facility["id"], complete=False, checklist=answers, grade="good",
                           position=here(facility))
    found = problems(post(demo_api, inspector, body, [gps_jpeg(facility["longitude"], facility["latitude"])]))
    assert "marker" in found["inspection.checklist"] and "醒目标识" in found["inspection.checklist"]
    assert demo_api.get("/api/v1/inspections", headers=inspector).json()["total"] == 0


def test_a_patrol_without_a_photo_is_refused_a_county_check_is_not(demo_api, inspector, facility):
    body = inspection_json(facility["id"], position=here(facility))
    assert "photos" in problems(post(demo_api, inspector, body))
    county = inspection_json(facility["id"], level="county_check", position=here(facility))
    assert post(demo_api, inspector, county).status_code == 201


def test_no_position_and_no_geotag_needs_a_reason_and_is_counted_unverified(demo_api, inspector, facility):
    body = inspection_json(facility["id"])
    assert "unverified_reason" in problems(post(demo_api, inspector, body, [gps_jpeg(None, None)]))
    body["unverified_reason"] = "山里没有信号，GPS 定位失败"
    out = post(demo_api, inspector, body, [gps_jpeg(None, None)]).json()
    assert out["verified"] is False and out["unverified_reason"] == "山里没有信号，GPS 定位失败"
    # A geotagged photo alone proves it: no reason needed.
    proved = post(demo_api, inspector, inspection_json(facility["id"]),
                  [gps_jpeg(facility["longitude"], facility["latitude"])]).json()
    assert proved["verified"] is True and proved["unverified_reason"] is None

    month = clock.today().strftime("%Y-%m")
    listed = demo_api.get("/api/v1/inspections", headers=inspector).json()["items"]
    assert sorted(i["verified"] for i in listed) == [False, True]
    figures = demo_api.get("/api/v1/compliance", params={"division": "421122", "from": month, "to": month},
                           headers=inspector).json()
    assert figures["inspections"] == 2 and figures["unverified_inspections"] == 1
    row = next(f for f in figures["facilities"] if f["id"] == facility["id"])
    assert row["done"] == 1 and row["done_unverified"] == 0      # a verified patrol did the month
    ledger = demo_api.get("/api/v1/reports/patrols.xlsx", params={"division": "421122", "from": month, "to": month},
                          headers=inspector)
    rows = register_table(load_workbook(io.BytesIO(ledger.content))["巡查记录"])
    column = rows[0].index("位置核验")
    assert sorted(r[column] for r in rows[1:]) == ["已核验", "未核验：山里没有信号，GPS 定位失败"]


def test_an_inaccurate_position_needs_the_inspectors_confirmation(demo_api, inspector, facility):
    photo = [gps_jpeg(facility["longitude"], facility["latitude"])]
    body = inspection_json(facility["id"], position=here(facility, accuracy_m=850))
    assert "850 m" in problems(post(demo_api, inspector, body, photo))["position.accuracy_m"]
    body["accuracy_confirmed"] = True
    assert post(demo_api, inspector, body, photo).status_code == 201


def test_the_grade_follows_the_problems_and_safety_is_serious(demo_api, inspector, facility):
    photo = [gps_jpeg(facility["longitude"], facility["latitude"])]
    one = inspection_json(facility["id"], grade="good", position=here(facility))
    assert "fair" in problems(post(demo_api, inspector, one, photo))["grade"]
    safety = {"safety": {"result": "problem"}}
    body = inspection_json(facility["id"], checklist=safety, grade="fair", position=here(facility))
    assert "poor" in problems(post(demo_api, inspector, body, photo))["grade"]
    body["checklist"]["safety"]["severity"] = "medium"
    assert "checklist.safety.severity" in problems(post(demo_api, inspector, body, photo))
    del body["checklist"]["safety"]["severity"]
    body["grade"] = "critical"                       # worse than implied: allowed
    out = post(demo_api, inspector, body, photo).json()
    [defect] = out["defects_opened"]
    assert defect["severity"] == "critical" and defect["description"] == "存在安全隐患"
    body = inspection_json(facility["id"], checklist={"marker": {"result": "problem"}}, grade="fair",
                           position=here(facility))
    out = post(demo_api, inspector, body, photo).json()
    assert [d["description"] for d in out["defects_opened"]] == ["缺少醒目标识"]
    assert out["defects_opened"][0]["severity"] == "medium"


def test_a_photo_shows_a_problem_and_the_patrol_carries_the_real_name(demo_api, demo_db_url, facility):
    with transaction(session_factory(demo_api.app_engine, write=True)) as s:
        create_user(session=s, username="wang_inspector", display_name="王建国", password=PASSWORD,
                    role="inspector", jurisdiction="421122")
    headers = demo_api.login("wang_inspector")
    photos = [gps_jpeg(facility["longitude"], facility["latitude"]),
              gps_jpeg(facility["longitude"] + 0.0001, facility["latitude"])]
    body = inspection_json(facility["id"], position=here(facility), photos=[{}, {"item": "vegetation"}])
    out = post(demo_api, headers, body, photos).json()
    assert out["inspector"] == "王建国"
    assert out["checklist"]["vegetation"]["photos"] == [out["photos"][1]["sha256"]]
    body = inspection_json(facility["id"], position=here(facility), photos=[{"item": "structure"}])
    assert "photos[0].item" in problems(post(demo_api, headers, body, photos[:1]))


def test_the_patrol_pack_has_the_jurisdiction_last_patrols_and_open_defects(demo_api, inspector, facility):
    pack = demo_api.get("/api/v1/patrol-pack", headers=inspector).json()
    row = next(f for f in pack["facilities"] if f["id"] == facility["id"])
    assert row["patrolled_this_month"] is False and row["open_defects"] == []
    assert [i["answers"] for i in pack["checklist"] if i["key"] == "marker"] == [["有", "缺失"]]
    assert all(f["name"] for f in pack["facilities"]) and len(pack["facilities"]) > 30
    out = post(demo_api, inspector, inspection_json(facility["id"], position=here(facility)),
               [gps_jpeg(facility["longitude"], facility["latitude"])]).json()
    pack = demo_api.get("/api/v1/patrol-pack", headers=inspector).json()
    row = next(f for f in pack["facilities"] if f["id"] == facility["id"])
    assert row["patrolled_this_month"] is True and row["last_patrol"] == clock.today().isoformat()
    assert [d["id"] for d in row["open_defects"]] == [d["id"] for d in out["defects_opened"]]
    assert row["open_defects"][0]["description"] == "墓前杂草丛生"
    assert demo_api.get("/api/v1/patrol-pack", headers=demo_api.user("viewer")).status_code == 403
    elsewhere = demo_api.user("inspector", jurisdiction="421181")
    assert facility["id"] not in {f["id"] for f in demo_api.get("/api/v1/patrol-pack", headers=elsewhere)
                                  .json()["facilities"]}
