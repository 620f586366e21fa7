"""The demo district has case work to show: relatives, relocation cases at three stages, searches at every stage."""

from __future__ import annotations


def test_the_demo_has_case_work_at_every_stage(demo_api):
    api = demo_api
    viewer = api.user("viewer")
    cases = api.get("/api/v1/cases/relocations", headers=viewer).json()["items"]
    assert {(c["kind"], c["status"]) for c in cases} >= {("consolidation", "closed"),
                                                          ("consolidation", "consulting_family"),
                                                          ("cross_region", "approved")}
    waiting = next(c for c in cases if c["status"] == "consulting_family")
    detail = api.get(f"/api/v1/cases/relocations/{waiting['id']}", headers=viewer).json()
    approve = next(s for s in detail["next_steps"] if s["to"] == "approved")
    assert any("尚未记录烈士" in m for m in approve["missing"])
    searches = api.get("/api/v1/cases/family-searches", headers=viewer).json()["items"]
    assert {s["status"] for s in searches} == {"open", "leads", "verifying", "found", "closed_not_found"}
    found = next(s for s in searches if s["status"] == "found")
    relatives = api.get(f"/api/v1/martyrs/{found['martyr_id']}/relatives", headers=viewer).json()["items"]
    assert relatives and all("*" in r["phone"] for r in relatives if r["phone"])
    figures = api.get("/api/v1/cases/summary", params={"division": "421122", "year": 2023}, headers=viewer).json()
    assert figures["graves_moved"]["consolidation"] == 3 and figures["martyrs_moved"]["consolidation"] == 5
    assert api.get("/api/v1/facilities", params={"status": "relocated"}, headers=viewer).json()["total"] == 3
