"""A consolidation case walked from proposal to closure, only with every consent and approval in place."""

from __future__ import annotations

import pytest

from tests.cases.helpers import (
    CENTRAL,
    LIULINHE,
    LUOFAN,
    consent_pdf,
    current_martyrs,
    facility,
    photo_at,
    today,
    upload,
)


def _go(api, case_id: int, role: str = "case_officer", **body):  # type: ignore[no-untyped-def]
    return api.post(f"/api/v1/cases/relocations/{case_id}/transitions", headers=api.user(role), json=body)


def _consent(api, case_id: int, **body):  # type: ignore[no-untyped-def]
    return api.post(f"/api/v1/cases/relocations/{case_id}/consents", headers=api.user("case_officer"), json=body)


def _new_case(api, martyrs: list[int], dest: int, plots: dict | None = None, **extra):  # type: ignore[no-untyped-def]
    body = {"kind": "consolidation", "martyr_ids": martyrs, "destination_facility_id": dest,
            "plots": plots or {str(m): f"东区迁葬{i + 1}号" for i, m in enumerate(martyrs)},
            "title": "七里坪镇零散烈士墓集中迁葬", **extra}
    return api.post("/api/v1/cases/relocations", headers=api.user("case_officer"), json=body)


@pytest.mark.both_backends
def test_consolidation_walked_to_closure_with_every_consent_and_approval(demo_api):
    api = demo_api
    origin_a, origin_b, dest = facility(api, LIULINHE), facility(api, LUOFAN), facility(api, CENTRAL)
    a1, a2 = current_martyrs(api, LIULINHE)
    (b1,) = current_martyrs(api, LUOFAN)
    resp = _new_case(api, [a1, a2, b1], dest["id"])
    assert resp.status_code == 201, resp.text
    case = resp.json()
    assert case["number"].startswith("QZ421122-") and case["status"] == "proposed"
    assert case["plots"] == {str(a1): "东区迁葬1号", str(a2): "东区迁葬2号", str(b1): "东区迁葬3号"}
    cid = case["id"]

    assert _go(api, cid, to="consulting_family").status_code == 200
    refused = _go(api, cid, "admin", to="approved", authority="红安县人民政府", document_no="红政函〔2026〕1号",
                  date=today())
    assert refused.status_code == 409, refused.text
    assert "尚未记录烈士" in refused.json()["detail"] and "亲属意愿" in refused.json()["detail"]

    # a1 agrees, but the signed document is still missing; a2's family disagrees; b1 has no known family.
    assert _consent(api, cid, martyr_id=a1, decision="agree", decided_by="王秀英", relation="侄孙女",
                    date=today()).status_code == 201
    assert _consent(api, cid, martyr_id=a2, decision="disagree", decided_by="李长根", relation="孙子",
                    date=today()).status_code == 201
    assert _consent(api, cid, martyr_id=b1, decision="no_family_found", date=today(),
                    note="2026年走访罗畈村、查阅县民政档案，未找到亲属").status_code == 201
    detail = _go(api, cid, "admin", to="approved", authority="红安县人民政府", document_no="红政函〔2026〕1号",
                 date=today()).json()["detail"]
    assert "签字的书面材料" in detail and "不同意迁葬" in detail

    assert upload(api, cid, "consent", [consent_pdf()], martyr_id=a1).status_code == 201
    assert _consent(api, cid, martyr_id=a2, decision="agree", decided_by="李长根", relation="孙子",
                    date=today(), note="再次协商后同意").status_code == 201
    assert upload(api, cid, "consent", [photo_at(114.7, 31.4, "签字页.jpg")], martyr_id=a2).status_code == 201

    # Approval is an admin's, with authority, document number and date.
    officer = _go(api, cid, to="approved", authority="红安县人民政府", document_no="红政函〔2026〕1号", date=today())
    assert officer.status_code == 409 and "只有管理员" in officer.json()["detail"]
    lacking = _go(api, cid, "admin", to="approved", authority="红安县人民政府")
    assert lacking.status_code == 409 and "批准文号" in lacking.json()["detail"]
    approved = _go(api, cid, "admin", to="approved", authority="红安县人民政府", document_no="红政函〔2026〕1号",
                   date=today())
    assert approved.status_code == 200, approved.text
    assert approved.json()["approval_document_no"] == "红政函〔2026〕1号"

    # Exhumation needs its date, people present and a photo proved at an origin grave.
    assert upload(api, cid, "exhumation", [photo_at(114.9, 31.6)]).status_code == 201   # far from every grave
    far = _go(api, cid, to="exhumed", date=today(), present="县退役军人事务局、村委会、亲属代表")
    assert far.status_code == 409 and "起迁照片" in far.json()["detail"]
    assert upload(api, cid, "exhumation", [photo_at(origin_a["longitude"], origin_a["latitude"])]).status_code == 201
    assert _go(api, cid, to="exhumed", date=today()).status_code == 409      # nobody present recorded
    assert _go(api, cid, to="exhumed", date=today(), present="县退役军人事务局、亲属代表").status_code == 200

    assert _go(api, cid, to="reburied", date=today(), present="县退役军人事务局").status_code == 409
    assert upload(api, cid, "reburial", [photo_at(dest["longitude"], dest["latitude"])]).status_code == 201
    done = _go(api, cid, to="reburied", date=today(), present="县退役军人事务局、亲属代表")
    assert done.status_code == 200, done.text
    assert _go(api, cid, to="closed").json()["status"] == "closed"

    # The registry follows: new plots, the old burials kept as history, emptied graves relocated.
    admin = api.user("admin")
    for martyr_id, plot in ((a1, "东区迁葬1号"), (b1, "东区迁葬3号")):
        history = api.get(f"/api/v1/martyrs/{martyr_id}/burials", headers=admin).json()
        history = history["items"] if isinstance(history, dict) else history
        current = [b for b in history if b["until"] is None]
        assert [(b["facility_id"], b["plot"], b["since"]) for b in current] == [(dest["id"], plot, today())]
        ended = [b for b in history if b["until"] == today()]
        assert len(ended) == 1 and ended[0]["facility_id"] in (origin_a["id"], origin_b["id"])
    for origin in (origin_a, origin_b):
        after = api.get(f"/api/v1/facilities/{origin['id']}", headers=admin).json()
        assert after["status"] == "relocated"
    timeline = api.get(f"/api/v1/cases/relocations/{cid}/timeline", headers=admin).json()
    assert [e["action"] for e in timeline if e["action"].startswith("transition:")] == [
        "transition:consult", "transition:approve", "transition:exhume", "transition:rebury", "transition:close"]

    year = today()[:4]
    figures = api.get("/api/v1/cases/summary", params={"division": "421122", "year": year}, headers=admin).json()
    assert figures["graves_moved"]["consolidation"] >= 2 and figures["martyrs_moved"]["consolidation"] >= 3


def test_a_taken_plot_is_refused_unless_shared_and_a_cemetery_martyr_needs_a_reason(demo_api):
    api = demo_api
    dest = facility(api, CENTRAL)
    occupied = api.get(f"/api/v1/facilities/{dest['id']}/burials", headers=api.user("admin")).json()
    occupied = occupied["items"] if isinstance(occupied, dict) else occupied
    taken_plot = next(b["plot"] for b in occupied if b["until"] is None and b["plot"])
    (m,) = current_martyrs(api, LUOFAN)
    cid = _new_case(api, [m], dest["id"], plots={str(m): taken_plot}).json()["id"]
    _go(api, cid, to="consulting_family")
    _consent(api, cid, martyr_id=m, decision="no_family_found", date=today(), note="查阅档案未找到亲属")
    assert _go(api, cid, "admin", to="approved", authority="县政府", document_no="1号", date=today()).status_code == 200
    loc = facility(api, LUOFAN)
    upload(api, cid, "exhumation", [photo_at(loc["longitude"], loc["latitude"])])
    _go(api, cid, to="exhumed", date=today(), present="经办人")
    upload(api, cid, "reburial", [photo_at(dest["longitude"], dest["latitude"])])
    clash = _go(api, cid, to="reburied", date=today(), present="经办人")
    assert clash.status_code == 409 and "shared grave" in clash.json()["detail"]
    # A refused reburial leaves the registry as it was.
    assert current_martyrs(api, LUOFAN) == [m]

    cemetery = api.demo_facility_id("421122-0001")
    buried = current_martyrs(api, "421122-0001")[0]
    cid2 = _new_case(api, [buried], dest["id"], plots={str(buried): "东区迁葬90号"}).json()["id"]
    _go(api, cid2, to="consulting_family")
    _consent(api, cid2, martyr_id=buried, decision="no_family_found", date=today(), note="查无亲属")
    refused = _go(api, cid2, "admin", to="approved", authority="县政府", document_no="2号", date=today())
    assert refused.status_code == 409 and "原则上不再迁移" in refused.json()["detail"]
    assert cemetery


def test_withdrawal_needs_a_reason_and_other_roles_see_stages_not_contacts(demo_api):
    api = demo_api
    (m,) = current_martyrs(api, LUOFAN)
    body = {"kind": "cross_region", "martyr_ids": [m], "receiving_division_code": "411523",
            "receiving_bureau": "新县退役军人事务局", "receiving_contact": "周科长 13812345678",
            "receiving_place": "新县烈士陵园"}
    resp = api.post("/api/v1/cases/relocations", headers=api.user("case_officer"), json=body)
    assert resp.status_code == 201, resp.text
    cid = resp.json()["id"]
    viewer = api.get(f"/api/v1/cases/relocations/{cid}", headers=api.user("viewer")).json()
    assert viewer["status"] == "proposed" and "13812345678" not in viewer["receiving_contact"]
    assert viewer["receiving_contact"].endswith("5678") and "*" in viewer["receiving_contact"]
    assert "13812345678" in api.get(f"/api/v1/cases/relocations/{cid}",
                                    headers=api.user("case_officer")).json()["receiving_contact"]
    # The receiving county sees the case too; a third county does not.
    assert api.get(f"/api/v1/cases/relocations/{cid}", headers=api.user("viewer", "411523")).status_code == 200
    assert api.get(f"/api/v1/cases/relocations/{cid}", headers=api.user("viewer", "421181")).status_code == 404
    assert api.post(f"/api/v1/cases/relocations/{cid}/transitions", headers=api.user("viewer"),
                    json={"to": "withdrawn", "reason": "x"}).status_code == 403
    assert _go(api, cid, to="withdrawn").status_code == 409
    assert _go(api, cid, to="withdrawn", reason="亲属改变意见，暂缓迁葬").json()["status"] == "withdrawn"


@pytest.mark.parametrize("body, field", [
    ({"kind": "consolidation", "martyr_ids": [1]}, "destination_facility_id"),
    ({"kind": "cross_region", "martyr_ids": [1]}, "receiving_division_code"),
    ({"kind": "consolidation", "martyr_ids": []}, "martyr_ids"),
    ({"kind": "moved", "martyr_ids": [1]}, "kind"),
])
def test_bad_cases_are_refused_naming_the_field(demo_api, body, field):
    resp = demo_api.post("/api/v1/cases/relocations", headers=demo_api.user("case_officer"), json=body)
    assert resp.status_code == 422 and field in resp.text


def test_a_cross_region_case_ends_with_the_receiving_bureaus_confirmation(demo_api):
    api = demo_api
    (m,) = current_martyrs(api, LUOFAN)
    origin = facility(api, LUOFAN)
    cid = api.post("/api/v1/cases/relocations", headers=api.user("case_officer"), json={
        "kind": "cross_region", "martyr_ids": [m], "receiving_division_code": "411523",
        "receiving_bureau": "新县退役军人事务局", "receiving_place": "新县烈士陵园"}).json()["id"]
    _go(api, cid, to="consulting_family")
    _consent(api, cid, martyr_id=m, decision="agree", decided_by="周德华", relation="侄子", date=today())
    upload(api, cid, "consent", [consent_pdf()], martyr_id=m)
    assert _go(api, cid, "admin", to="approved", authority="红安县人民政府", document_no="3号",
               date=today()).status_code == 200
    upload(api, cid, "exhumation", [photo_at(origin["longitude"], origin["latitude"])])
    assert _go(api, cid, to="exhumed", date=today(), present="两地民政人员").status_code == 200
    refused = _go(api, cid, to="reburied", date=today(), present="新县退役军人事务局")
    assert refused.status_code == 409 and "接收地确认文号" in refused.json()["detail"]
    upload(api, cid, "document", [consent_pdf()])
    done = _go(api, cid, to="reburied", date=today(), present="新县退役军人事务局", document_no="新退役函〔2026〕9号")
    assert done.status_code == 200, done.text
    assert done.json()["confirmation_document_no"] == "新退役函〔2026〕9号"
    history = api.get(f"/api/v1/martyrs/{m}/burials", headers=api.user("admin")).json()
    history = history["items"] if isinstance(history, dict) else history
    assert all(b["until"] for b in history)                      # he lies outside our registry now
    assert any("新县烈士陵园" in b["note"] for b in history)
    after = api.get(f"/api/v1/facilities/{origin['id']}", headers=api.user("admin")).json()
    assert after["status"] == "relocated"


def test_the_plan_changes_before_approval_only_and_is_audited(demo_api):
    api = demo_api
    dest = facility(api, CENTRAL)
    (m,) = current_martyrs(api, LUOFAN)
    cid = _new_case(api, [m], dest["id"]).json()["id"]
    officer = api.user("case_officer")
    changed = api.patch(f"/api/v1/cases/relocations/{cid}", headers=officer,
                        json={"plots": {str(m): "东区迁葬77号"}, "shared_graves": [m], "note": "改为合葬墓"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["plots"] == {str(m): "东区迁葬77号"} and changed.json()["martyrs"][0]["shared_grave"]
    bad = api.patch(f"/api/v1/cases/relocations/{cid}", headers=officer, json={"plots": {"999999": "1号"}})
    assert bad.status_code == 422 and "plots.999999" in bad.text
    audit = api.get("/api/v1/audit", params={"entity": "relocation_case", "id": cid}, headers=api.user("viewer"))
    assert audit.status_code == 200 and any(e["action"] == "update" for e in audit.json()["items"])
    _go(api, cid, to="consulting_family")
    _consent(api, cid, martyr_id=m, decision="no_family_found", date=today(), note="查无亲属")
    _go(api, cid, "admin", to="approved", authority="县政府", document_no="5号", date=today())
    late = api.patch(f"/api/v1/cases/relocations/{cid}", headers=officer, json={"note": "再改"})
    assert late.status_code == 409
