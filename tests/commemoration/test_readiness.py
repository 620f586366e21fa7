"""The readiness board: inspected within the window, safety items ok, no serious open defect, not under repair."""

from __future__ import annotations

import json
from datetime import timedelta

from memorials import clock
from tests.commemoration.helpers import make_event
from tests.factories import gps_jpeg, inspection_files, inspection_json
from tests.repairs.helpers import photo_taken

READY, UNSAFE, NEVER = "421122-0006", "421122-0012", "421122-0015"


def _inspect(api, facility: dict, **overrides) -> dict:  # type: ignore[no-untyped-def]
    body = inspection_json(facility["id"], **{"level": "pre_event", "checklist": {}, "grade": "good", **overrides})
    resp = api.post("/api/v1/inspections", headers=api.user("inspector"), data={"inspection": json.dumps(body)},
                    files=inspection_files([gps_jpeg(facility["longitude"], facility["latitude"])]))
    assert resp.status_code == 201, resp.text
    return resp.json()


def _facility(api, code: str) -> dict:  # type: ignore[no-untyped-def]
    return api.get(f"/api/v1/facilities/{api.demo_facility_id(code)}", headers=api.user("admin")).json()


def test_the_board_says_what_each_stop_lacks_and_counts_as_bureaus_report(demo_api):
    ready, unsafe, never = (_facility(demo_api, c) for c in (READY, UNSAFE, NEVER))
    event = make_event(demo_api, codes=(READY, UNSAFE, NEVER))
    _inspect(demo_api, ready)
    found = _inspect(demo_api, unsafe, grade="poor",
                     checklist={"safety": {"result": "problem", "note": "墓碑基座松动，有倾倒危险"}})
    board = demo_api.get(f"/api/v1/events/{event['id']}/readiness", headers=demo_api.user("viewer")).json()
    by_id = {s["facility_id"]: s for s in board["stops"]}
    assert by_id[ready["id"]]["ready"] and by_id[ready["id"]]["last_inspection_level"] == "pre_event"
    assert not by_id[unsafe["id"]]["ready"] and by_id[unsafe["id"]]["safety_ok"] is False
    assert any("严重" in m for m in by_id[unsafe["id"]]["missing"])
    assert not by_id[never["id"]]["ready"] and "从未巡查" in by_id[never["id"]]["missing"][0]
    assert board["figures"] == {"stops": 3, "ready": 1, "inspected_before": 2, "repaired_in_time": 0,
                                "not_ready": 2}
    assert {w["custodian"] for w in board["warnings"]} >= {never["custodian"] or "未明确管护单位"}
    assert board["deadline"] == (clock.today() + timedelta(days=9)).isoformat()

    # The serious defect is put right with a photo at the site: repaired in time, but the last inspection
    # still found the safety item wrong, so a new pre-event check is needed before the stop is ready.
    defect_id = found["defects_opened"][0]["id"]
    fixed = demo_api.post(f"/api/v1/defects/{defect_id}/fixed", headers=demo_api.user("inspector"),
                          files=[("photos", ("after.jpg", gps_jpeg(unsafe["longitude"], unsafe["latitude"],
                                                                   taken=photo_taken(1)), "image/jpeg"))])
    assert fixed.status_code == 200, fixed.text
    _inspect(demo_api, unsafe)
    board = demo_api.get(f"/api/v1/events/{event['id']}/readiness", headers=demo_api.user("viewer")).json()
    assert board["figures"]["repaired_in_time"] == 1 and board["figures"]["ready"] == 2
    assert "按期整改1处" in board["summary"]


def test_under_repair_is_not_ready(demo_api):
    ready = _facility(demo_api, READY)
    event = make_event(demo_api, codes=(READY,))
    _inspect(demo_api, ready)
    resp = demo_api.patch(f"/api/v1/facilities/{ready['id']}", headers=demo_api.user("planner"),
                          json={"status": "under_repair"})
    assert resp.status_code == 200, resp.text
    board = demo_api.get(f"/api/v1/events/{event['id']}/readiness", headers=demo_api.user("viewer")).json()
    assert board["stops"][0]["under_repair"] and "设施正在修缮中" in board["stops"][0]["missing"]


def test_interval_rules_keep_to_the_periodic_levels(demo_api):
    resp = demo_api.put("/api/v1/interval-rules", headers=demo_api.user("admin", ""),
                        json={"level": "pre_event", "kind": "monument", "days": 30})
    assert resp.status_code == 422 and "level" in resp.text
