"""The office's forms refuse what the API refuses, in Chinese beside the field, and store nothing then."""

from __future__ import annotations

from tests.factories import martyr_body


def _count(api, headers, path: str) -> int:  # type: ignore[no-untyped-def]
    return api.get(path, params={"limit": 1}, headers=headers).json()["total"]


def test_a_refused_facility_form_stores_nothing_and_says_why_in_chinese(demo_api):
    planner = demo_api.user("planner")
    before = _count(demo_api, planner, "/api/v1/facilities")
    form = {"name": "某村烈士墓", "kind": "scattered_grave", "protection_level": "unrated", "status": "in_use",
            "division_code": "421122101", "longitude": "114.62", "latitude": "31.29", "crs": "mercator",
            "patrol_interval_days": "0"}
    resp = demo_api.post("/facilities/new", data=form, headers=planner, follow_redirects=False)
    assert resp.status_code == 422
    assert "请从列表中选择" in resp.text and "不能小于 1" in resp.text and 'value="某村烈士墓"' in resp.text
    form.update(crs="wgs84", patrol_interval_days="30", division_code="110101")  # Beijing: outside the county
    resp = demo_api.post("/facilities/new", data=form, headers=planner, follow_redirects=False)
    assert resp.status_code == 422 and "不在您的管辖范围内" in resp.text
    form.update(division_code="421122101", longitude="116.40")                 # 170 km away from its division
    resp = demo_api.post("/facilities/new", data=form, headers=planner, follow_redirects=False)
    assert resp.status_code == 422 and "公里" in resp.text
    assert _count(demo_api, planner, "/api/v1/facilities") == before
    form.update(longitude="114.62")
    resp = demo_api.post("/facilities/new", data=form, headers=planner, follow_redirects=False)
    assert resp.status_code == 303 and _count(demo_api, planner, "/api/v1/facilities") == before + 1


def test_burial_and_relative_forms(demo_api):
    planner, officer, viewer = demo_api.user("planner"), demo_api.user("case_officer"), demo_api.user("viewer")
    martyr = demo_api.post("/api/v1/martyrs", json=martyr_body(death_date="1947"), headers=planner).json()
    facility_id = demo_api.demo_facility_id("421122-0010")
    page = demo_api.get(f"/facilities/{facility_id}/burials/new", headers=planner)
    assert page.status_code == 200 and f'value="{martyr["id"]}"' in page.text
    bad = {"martyr_id": str(martyr["id"]), "since": "1953年4月", "until": "1950"}
    resp = demo_api.post(f"/facilities/{facility_id}/burials/new", data=bad, headers=planner, follow_redirects=False)
    assert resp.status_code == 422 and "迁出时间（1950）早于安葬时间（1953-04）" in resp.text
    good = {"martyr_id": str(martyr["id"]), "since": "1953年4月", "plot": "甲-3"}
    resp = demo_api.post(f"/facilities/{facility_id}/burials/new", data=good, headers=planner, follow_redirects=False)
    assert resp.status_code == 303
    burials = demo_api.get(f"/api/v1/martyrs/{martyr['id']}/burials", headers=planner).json()["items"]
    assert [(b["facility_id"], b["since"], b["plot"]) for b in burials] == [(facility_id, "1953-04", "甲-3")]

    relative = {"name": "李某某", "relation": "侄子", "phone": "13812341234"}
    assert demo_api.post(f"/martyrs/{martyr['id']}/relatives", data=relative, headers=planner).status_code == 403
    resp = demo_api.post(f"/martyrs/{martyr['id']}/relatives", data=relative, headers=officer,
                         follow_redirects=False)
    assert resp.status_code == 303
    assert "13812341234" in demo_api.get(f"/martyrs/{martyr['id']}/relatives", headers=officer).text
    masked = demo_api.get(f"/martyrs/{martyr['id']}/relatives", headers=viewer).text
    assert "138****1234" in masked and "13812341234" not in masked and "登记亲属" not in masked
    resp = demo_api.post(f"/martyrs/{martyr['id']}/relatives", data={"name": " "}, headers=officer)
    assert resp.status_code == 422 and "必填" in resp.text


def test_division_children_stay_inside_the_jurisdiction(demo_api):
    planner = demo_api.user("planner")
    townships = demo_api.get("/api/v1/divisions/421122/children", headers=planner).json()["items"]
    assert len(townships) > 5 and all(d["code"].startswith("421122") and len(d["code"]) == 9 for d in townships)
    province = demo_api.get("/api/v1/divisions/420000/children", headers=planner).json()["items"]
    assert [d["code"] for d in province] == ["421100"]          # only the branch that leads to the county
    assert demo_api.get("/api/v1/divisions/421102/children", headers=planner).status_code == 404  # a neighbour
    assert demo_api.get("/api/v1/divisions/110000/children", headers=planner).status_code == 404
    assert demo_api.get("/api/v1/divisions/x/children", headers=planner).status_code == 404
    national = demo_api.user("admin", jurisdiction="")
    assert len(demo_api.get("/api/v1/divisions/420000/children", headers=national).json()["items"]) > 10


def test_the_audit_page_reads_in_chinese_with_real_names(demo_api):
    from memorials.db import session_factory, transaction
    from memorials.users import create_user
    from tests.factories import PASSWORD

    with transaction(session_factory(demo_api.app_engine, write=True)) as s:
        create_user(session=s, username="audit_planner", password=PASSWORD, role="planner", jurisdiction="421122",
                    display_name="王建国")
    planner = demo_api.login("audit_planner")
    facility_id = demo_api.demo_facility_id("421122-0010")
    resp = demo_api.post(f"/facilities/{facility_id}/edit", headers=planner, follow_redirects=False,
                         data={**_shown(demo_api, planner, facility_id), "custodian_person": "李守义"})
    assert resp.status_code == 303, resp.text
    page = demo_api.get(f"/audit/facility/{facility_id}", headers=demo_api.user("admin")).text
    assert "王建国" in page and "管护责任人" in page and "→ 李守义" in page and "audit_planner" not in page


def _shown(api, headers, facility_id: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    f = api.get(f"/api/v1/facilities/{facility_id}", headers=headers).json()
    keys = ("name", "kind", "protection_level", "status", "division_code", "address", "custodian",
            "custodian_person", "description")
    return {**{k: f[k] for k in keys}, "longitude": f"{f['longitude']:.6f}", "latitude": f"{f['latitude']:.6f}",
            "crs": "wgs84", "patrol_interval_days": str(f["patrol_interval_days"])}


def test_a_case_officer_corrects_a_relative(demo_api):
    planner, officer = demo_api.user("planner"), demo_api.user("case_officer")
    martyr = demo_api.post("/api/v1/martyrs", json=martyr_body(), headers=planner).json()
    made = demo_api.post(f"/api/v1/martyrs/{martyr['id']}/relatives", headers=officer,
                         json={"name": "李某某", "phone": "13812341234"}).json()
    edit = f"/martyrs/{martyr['id']}/relatives/{made['id']}/edit"
    assert demo_api.get(edit, headers=planner).status_code == 403
    page = demo_api.get(edit, headers=officer)
    assert page.status_code == 200 and 'value="13812341234"' in page.text
    bad = demo_api.post(edit, headers=officer, data={"name": "", "phone": "13812341234"})
    assert bad.status_code == 422 and "必填" in bad.text
    resp = demo_api.post(edit, headers=officer, follow_redirects=False,
                         data={"name": "李某某", "relation": "侄子", "phone": "13900001111"})
    assert resp.status_code == 303
    items = demo_api.get(f"/api/v1/martyrs/{martyr['id']}/relatives", headers=officer).json()["items"]
    assert [(r["relation"], r["phone"]) for r in items] == [("侄子", "13900001111")]
    second = demo_api.post("/api/v1/martyrs", json=martyr_body(name="王振国"), headers=planner).json()
    other = demo_api.post(f"/api/v1/martyrs/{second['id']}/relatives", headers=officer, json={"name": "王某"})
    assert other.status_code == 201   # a relative of another martyr is not reachable through this one
    assert demo_api.get(f"/martyrs/{martyr['id']}/relatives/{other.json()['id']}/edit",
                        headers=officer).status_code == 404
