"""A repair project from proposal to completion through the API, and every refusal on the way."""

from __future__ import annotations

from datetime import timedelta

import pytest

from memorials import clock
from tests.factories import gps_jpeg, inspection_files, inspection_json
from tests.repairs.helpers import GRAVE, MONUMENT, after_photo, approve, facility, project_body


def _defect(api, fac) -> int:  # type: ignore[no-untyped-def]
    body = inspection_json(fac["id"], checklist={"structure": {"result": "problem", "note": "墓碑开裂"}}, grade="poor")
    resp = api.post("/api/v1/inspections", headers=api.user("inspector"), data={"inspection": __import__("json").dumps(body)},
                    files=inspection_files([gps_jpeg(fac["longitude"], fac["latitude"])]))
    assert resp.status_code == 201, resp.text
    return resp.json()["defects_opened"][0]["id"]


@pytest.mark.both_backends
def test_a_project_walks_from_proposal_to_completion(demo_api):
    planner, admin = demo_api.user("planner"), demo_api.user("admin")
    grave = facility(demo_api, GRAVE)
    defect_id = _defect(demo_api, grave)

    resp = demo_api.post("/api/v1/repairs", headers={**planner, "Idempotency-Key": "p-1"},
                         json=project_body([], defect_ids=[defect_id]))
    assert resp.status_code == 201, resp.text
    project = resp.json()
    again = demo_api.post("/api/v1/repairs", headers={**planner, "Idempotency-Key": "p-1"},
                          json=project_body([], defect_ids=[defect_id]))
    assert again.json()["id"] == project["id"]
    assert project["facility_ids"] == [grave["id"]] and project["defect_ids"] == [defect_id]
    assert project["status"] == "proposed" and project["budget_total"] == "0.00" and project["spent"] == "0.00"
    pid = project["id"]
    steps = f"/api/v1/repairs/{pid}/transitions"

    refused = demo_api.post(steps, headers=planner, json={"to": "in_progress"})
    assert refused.status_code == 409
    assert "尚未批准" in refused.json()["detail"]
    assert approve(demo_api, pid, document_no="").status_code == 409
    assert demo_api.post(steps, headers=planner, json={"to": "approved", "authority": "局", "document_no": "1号",
                                                       "date": clock.today().isoformat()}).status_code == 403
    resp = approve(demo_api, pid)
    assert resp.status_code == 200, resp.text
    assert resp.json()["approval"]["document_no"] == "红退役发〔2026〕12号"

    resp = demo_api.post(steps, headers=planner, json={"to": "in_progress"})
    assert resp.status_code == 200, resp.text
    assert facility(demo_api, GRAVE)["status"] == "under_repair"

    complete = {"to": "completed", "date": clock.today().isoformat(), "by": "红安县退役军人事务局验收组",
                "result": "合格", "document_no": "验收〔2026〕3号"}
    refused = demo_api.post(steps, headers=planner, json={"to": "completed"})
    assert refused.status_code == 409 and "验收" in refused.json()["detail"]
    refused = demo_api.post(steps, headers=planner, json=complete)
    assert refused.status_code == 409 and "竣工后照片" in refused.json()["detail"] and grave["name"] in \
        refused.json()["detail"]
    far = after_photo(demo_api, planner, pid, grave, offset=0.05)
    assert far.status_code == 201 and far.json()[0]["verification"] == "far"
    assert demo_api.post(steps, headers=planner, json=complete).status_code == 409
    near = after_photo(demo_api, planner, pid, grave, minutes_ago=3)
    assert near.status_code == 201, near.text
    assert near.json()[0]["verification"] == "verified" and near.json()[0]["phase"] == "after"

    resp = demo_api.post(steps, headers=planner, json=complete)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "completed" and resp.json()["acceptance"]["result"] == "合格"
    assert facility(demo_api, GRAVE)["status"] == "in_use"
    defects = demo_api.get("/api/v1/defects", headers=admin, params={"status": "resolved"}).json()["items"]
    fixed = next(d for d in defects if d["id"] == defect_id)
    assert fixed["status"] == "resolved" and str(pid) in fixed["resolution_note"]

    trail = demo_api.get("/api/v1/audit", headers=admin, params={"entity": "repair", "id": pid}).json()
    actions = {e["action"] for e in (trail["items"] if isinstance(trail, dict) else trail)}
    assert {"create", "transition:approve", "transition:start", "transition:complete", "evidence"} <= actions


def test_cancel_needs_a_reason_and_frees_the_facility(demo_api):
    planner = demo_api.user("planner")
    monument = facility(demo_api, MONUMENT)
    pid = demo_api.post("/api/v1/repairs", headers=planner, json=project_body([monument["id"]])).json()["id"]
    approve(demo_api, pid)
    steps = f"/api/v1/repairs/{pid}/transitions"
    assert demo_api.post(steps, headers=planner, json={"to": "in_progress"}).status_code == 200
    refused = demo_api.post(steps, headers=planner, json={"to": "cancelled"})
    assert refused.status_code == 409 and "取消原因" in refused.json()["detail"]
    resp = demo_api.post(steps, headers=planner, json={"to": "cancelled", "reason": "资金未落实"})
    assert resp.status_code == 200 and resp.json()["status"] == "cancelled"
    assert facility(demo_api, MONUMENT)["status"] == "in_use"
    again = demo_api.post(steps, headers=planner, json={"to": "in_progress"})
    assert again.status_code == 409 and "已取消" in again.json()["detail"]


def test_bad_projects_are_refused_naming_the_field(demo_api):
    planner = demo_api.user("planner")
    grave = facility(demo_api, GRAVE)
    today = clock.today()
    cases = [
        (project_body([grave["id"]], kind="repaint"), "kind"),
        (project_body([grave["id"]], planned_end=(today - timedelta(days=90)).isoformat()), ""),
        (project_body([grave["id"]], contractor={"name": "某公司", "credit_code": "91421122MA49ABCD0X"}),
         "credit_code"),
        (project_body([999_999]), "facility_ids[0]"),
        (project_body([], defect_ids=[]), ""),
    ]
    for body, field in cases:
        resp = demo_api.post("/api/v1/repairs", headers=planner, json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert field in str(resp.json()["detail"])
    assert demo_api.post("/api/v1/repairs", headers=demo_api.user("viewer"),
                         json=project_body([grave["id"]])).status_code == 403


def test_a_project_outside_the_jurisdiction_is_not_found(demo_api):
    planner = demo_api.user("planner")
    grave = facility(demo_api, GRAVE)
    pid = demo_api.post("/api/v1/repairs", headers=planner, json=project_body([grave["id"]])).json()["id"]
    other = demo_api.user("planner", "421181")
    assert demo_api.get(f"/api/v1/repairs/{pid}", headers=other).status_code == 404
    assert demo_api.get("/api/v1/repairs", headers=other).json()["total"] == 0
    township = demo_api.user("viewer", "421122102")  # 华家河镇: the grave lies in 七里坪镇
    assert demo_api.get(f"/api/v1/repairs/{pid}", headers=township).status_code == 404
    listed = demo_api.get("/api/v1/repairs", headers=planner, params={"status": "proposed"}).json()
    assert [p["id"] for p in listed["items"]] == [pid]
