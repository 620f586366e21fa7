"""Invoices and acceptance papers as documents, retried uploads stored once, project changes audited."""

from __future__ import annotations

from datetime import timedelta

from memorials import clock
from tests.evidence.samples import pdf
from tests.factories import gps_jpeg
from tests.repairs.helpers import GRAVE, MONUMENT, approve, facility, photo_taken, project_body


def test_invoice_and_acceptance_documents(demo_api):
    planner = demo_api.user("planner")
    grave = facility(demo_api, GRAVE)
    pid = demo_api.post("/api/v1/repairs", headers=planner, json=project_body([grave["id"]])).json()["id"]
    approve(demo_api, pid)
    demo_api.post(f"/api/v1/repairs/{pid}/budget-lines", headers=planner,
                  json={"source": "local", "amount": "500.00", "year": clock.today().year})
    spent = demo_api.post(f"/api/v1/repairs/{pid}/expenditures", headers=planner,
                          json={"date": clock.today().isoformat(), "amount": "120.00", "payee": "某石材厂",
                                "invoice_no": "No.7", "purpose": "石料"}).json()
    url = f"/api/v1/repairs/{pid}/evidence"
    missing = demo_api.post(url, headers=planner, data={"phase": "invoice"},
                            files=[("files", ("invoice.pdf", pdf(), "application/pdf"))])
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"][-1] == "expenditure_id"
    key = {**planner, "Idempotency-Key": "invoice-7"}
    first = demo_api.post(url, headers=key, data={"phase": "invoice", "expenditure_id": str(spent["id"])},
                          files=[("files", ("invoice.pdf", pdf(), "application/pdf"))])
    assert first.status_code == 201, first.text
    again = demo_api.post(url, headers=key, data={"phase": "invoice", "expenditure_id": str(spent["id"])},
                          files=[("files", ("invoice.pdf", pdf(), "application/pdf"))])
    assert again.json() == first.json()
    assert first.json()[0]["kind"] == "document" and first.json()[0]["verification"] is None
    listed = demo_api.get(f"/api/v1/repairs/{pid}/expenditures", headers=planner).json()
    assert [e["sha256"] for e in listed[0]["evidence"]] == [first.json()[0]["sha256"]]
    assert demo_api.get(first.json()[0]["url"], headers=demo_api.user("viewer")).status_code == 200
    assert demo_api.get(first.json()[0]["url"], headers=demo_api.user("viewer", "421181")).status_code == 404
    pdf_as_after = demo_api.post(url, headers=planner, data={"phase": "after"},
                                 files=[("files", ("after.pdf", pdf(), "application/pdf"))])
    assert pdf_as_after.status_code == 422
    other = demo_api.post(url, headers=planner, data={"phase": "before", "facility_id": "999999"},
                          files=[("files", ("b.jpg", gps_jpeg(grave["longitude"], grave["latitude"],
                                                              taken=photo_taken(9)), "image/jpeg"))])
    assert other.status_code == 422 and other.json()["detail"][0]["loc"][-1] == "facility_id"


def test_changing_a_project_is_audited_and_stops_once_it_is_done(demo_api):
    planner, admin = demo_api.user("planner"), demo_api.user("admin")
    grave, monument = facility(demo_api, GRAVE), facility(demo_api, MONUMENT)
    pid = demo_api.post("/api/v1/repairs", headers=planner, json=project_body([grave["id"]])).json()["id"]
    later = (clock.today() + timedelta(days=120)).isoformat()
    resp = demo_api.patch(f"/api/v1/repairs/{pid}", headers=planner,
                          json={"planned_end": later, "facility_ids": [grave["id"], monument["id"]]})
    assert resp.status_code == 200, resp.text
    project = resp.json()
    assert project["planned_end"] == later and sorted(project["facility_ids"]) == sorted([grave["id"], monument["id"]])
    assert project["division_code"] == "421122"  # two townships: the county holds both
    bad = demo_api.patch(f"/api/v1/repairs/{pid}", headers=planner,
                         json={"planned_end": (clock.today() - timedelta(days=365)).isoformat()})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "planned_end"
    trail = demo_api.get("/api/v1/audit", headers=admin, params={"entity": "repair", "id": pid}).json()["items"]
    assert [e["action"] for e in trail].count("update") == 2
    demo_api.post(f"/api/v1/repairs/{pid}/transitions", headers=planner, json={"to": "cancelled", "reason": "并项"})
    assert demo_api.patch(f"/api/v1/repairs/{pid}", headers=planner, json={"title": "新名"}).status_code == 422


def test_a_defect_belongs_to_one_live_project(demo_api):
    import json

    from tests.factories import inspection_files, inspection_json

    planner = demo_api.user("planner")
    grave = facility(demo_api, GRAVE)
    body = inspection_json(grave["id"], checklist={"boundary": {"result": "problem", "note": "界桩缺失"}})
    filed = demo_api.post("/api/v1/inspections", headers=demo_api.user("inspector"),
                          data={"inspection": json.dumps(body)},
                          files=inspection_files([gps_jpeg(grave["longitude"], grave["latitude"])])).json()
    defect_id = filed["defects_opened"][0]["id"]
    first = demo_api.post("/api/v1/repairs", headers=planner, json=project_body([], defect_ids=[defect_id]))
    assert first.status_code == 201
    second = demo_api.post("/api/v1/repairs", headers=planner, json=project_body([], defect_ids=[defect_id]))
    assert second.status_code == 422 and second.json()["detail"][0]["loc"][-1] == "defect_ids[0]"
    summary = demo_api.get("/api/v1/repairs/summary", headers=planner).json()
    assert summary["defects_without_project"] == 0
    demo_api.post(f"/api/v1/repairs/{first.json()['id']}/transitions", headers=planner,
                  json={"to": "cancelled", "reason": "改由村委会自行整改"})
    assert demo_api.get("/api/v1/repairs/summary", headers=planner).json()["defects_without_project"] == 1
    listed = demo_api.get("/api/v1/repairs", headers=planner, params={"defect_id": defect_id}).json()
    assert [p["id"] for p in listed["items"]] == [first.json()["id"]]
