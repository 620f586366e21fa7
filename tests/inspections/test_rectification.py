"""The rectification list (整改): assign, extend with a reason, mark fixed with a photo taken there, filter, export."""

from __future__ import annotations

import json
from datetime import timedelta

from openpyxl import load_workbook

from memorials import clock
from tests.factories import gps_jpeg, inspection_files, inspection_json, register_table
from tests.repairs.helpers import GRAVE, facility, photo_taken


def _file(api, fac, checklist, grade="fair"):  # type: ignore[no-untyped-def]
    body = inspection_json(fac["id"], checklist=checklist, grade=grade)
    resp = api.post("/api/v1/inspections", headers=api.user("inspector"), data={"inspection": json.dumps(body)},
                    files=inspection_files([gps_jpeg(fac["longitude"], fac["latitude"])]))
    assert resp.status_code == 201, resp.text
    return {d["item"]: d for d in resp.json()["defects_opened"]}


def test_a_safety_hazard_is_never_minor(demo_api):
    grave = facility(demo_api, GRAVE)
    body = inspection_json(grave["id"], grade="poor",
                           checklist={"safety": {"result": "problem", "note": "塌方危险", "severity": "low"}})
    refused = demo_api.post("/api/v1/inspections", headers=demo_api.user("inspector"),
                            data={"inspection": json.dumps(body)},
                            files=inspection_files([gps_jpeg(grave["longitude"], grave["latitude"])]))
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "checklist.safety.severity"
    opened = _file(demo_api, grave, {"safety": {"result": "problem", "note": "墓旁边坡有塌方危险"},
                                     "vegetation": {"result": "problem", "note": "杂草", "severity": "low"}}, "poor")
    assert opened["safety"]["severity"] == "high" and opened["vegetation"]["severity"] == "low"
    resp = demo_api.patch(f"/api/v1/defects/{opened['safety']['id']}", headers=demo_api.user("planner"),
                          json={"severity": "low"})
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"][-1] == "severity"
    critical = _file(demo_api, facility(demo_api, "421122-0014"),
                     {"drainage": {"result": "problem", "note": "积水", "severity": "low"}}, "critical")
    assert critical["drainage"]["severity"] == "high"


def test_assign_extend_and_fix_with_a_photo_taken_there(demo_api):
    planner, admin = demo_api.user("planner"), demo_api.user("admin")
    grave = facility(demo_api, GRAVE)
    defect = _file(demo_api, grave, {"inscription": {"result": "problem", "note": "碑文模糊"}})["inscription"]
    url = f"/api/v1/defects/{defect['id']}"
    assert demo_api.patch(url, headers=planner, json={"responsible_person": "罗畈村 王支书"}).status_code == 200
    later = (clock.today() + timedelta(days=90)).isoformat()
    refused = demo_api.patch(url, headers=planner, json={"deadline": later})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "deadline_reason"
    resp = demo_api.patch(url, headers=planner, json={"deadline": later, "deadline_reason": "雨季无法施工"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["deadline"] == later and resp.json()["original_deadline"] == defect["deadline"]

    far = gps_jpeg(grave["longitude"] + 0.05, grave["latitude"], taken=photo_taken(4))
    refused = demo_api.post(f"{url}/fixed", headers=planner, files=[("photos", ("far.jpg", far, "image/jpeg"))])
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "photos"
    assert "far" in refused.json()["detail"][0]["msg"]
    near = gps_jpeg(grave["longitude"] + 0.0003, grave["latitude"], taken=photo_taken(3))
    keyed = {**planner, "Idempotency-Key": "fixed-1"}
    resp = demo_api.post(f"{url}/fixed", headers=keyed, data={"note": "碑文已重新描红"},
                         files=[("photos", ("after.jpg", near, "image/jpeg"))])
    assert resp.status_code == 200, resp.text
    retried = demo_api.post(f"{url}/fixed", headers=keyed, data={"note": "碑文已重新描红"},
                            files=[("photos", ("after.jpg", near, "image/jpeg"))])
    assert retried.status_code == 200 and retried.json() == resp.json()  # a retry gets the first answer
    fixed = resp.json()
    assert fixed["status"] == "resolved" and fixed["resolution_kind"] == "photo" and len(fixed["after_photos"]) == 1
    photo = demo_api.get(f"/api/v1/photos/{fixed['after_photos'][0]}/thumb", headers=demo_api.user("viewer"))
    assert photo.status_code == 200
    assert demo_api.get(f"/api/v1/photos/{fixed['after_photos'][0]}/thumb",
                        headers=demo_api.user("viewer", "421181")).status_code == 404
    again = demo_api.post(f"{url}/fixed", headers=planner, files=[("photos", ("after.jpg", near, "image/jpeg"))])
    assert again.status_code == 422

    trail = demo_api.get("/api/v1/audit", headers=admin, params={"entity": "defect", "id": defect["id"]}).json()
    entries = trail["items"] if isinstance(trail, dict) else trail
    actions = [e["action"] for e in entries]
    assert "deadline" in actions and "status" in actions and "update" in actions
    extension = next(e for e in entries if e["action"] == "deadline")
    assert extension["new"]["reason"] == "雨季无法施工"


def test_the_list_filters_and_exports(demo_api, tmp_path):
    viewer = demo_api.user("viewer")
    grave = facility(demo_api, GRAVE)
    _file(demo_api, grave, {"safety": {"result": "problem", "note": "=HYPERLINK(\"http://x\")"},
                            "marker": {"result": "problem", "note": "标识缺失", "severity": "low"}}, "poor")
    high = demo_api.get("/api/v1/defects", headers=viewer, params={"severity": "high"}).json()
    assert high["total"] == 1 and high["items"][0]["item"] == "safety"
    township = demo_api.get("/api/v1/defects", headers=viewer, params={"division": "421122101"}).json()
    assert township["total"] == 2
    assert demo_api.get("/api/v1/defects", headers=viewer, params={"division": "421122102"}).json()["total"] == 0
    assert demo_api.get("/api/v1/defects", headers=viewer, params={"overdue": "true"}).json()["total"] == 0
    resp = demo_api.get("/api/v1/reports/defects.xlsx", headers=viewer, params={"division": "421122101"})
    assert resp.status_code == 200
    path = tmp_path / "list.xlsx"
    path.write_bytes(resp.content)
    rows = register_table(load_workbook(path)["整改清单"])  # the register form: title lines, then the table
    assert rows[0][0] == "序号" and len(rows) == 3
    assert any(str(r[7]).startswith("'=HYPERLINK") for r in rows[1:])
    page = demo_api.get("/defects", headers=viewer, params={"severity": "high", "township": "421122101"})
    assert page.status_code == 200 and "=HYPERLINK" in page.text and "标识缺失" not in page.text
