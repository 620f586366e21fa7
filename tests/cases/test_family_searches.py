"""Family-finding cases: clues, leads, verification with evidence, relatives found (masked by role); matching."""

from __future__ import annotations

import pytest

from tests.cases.helpers import consent_pdf, today


def _go(api, sid: int, **body):  # type: ignore[no-untyped-def]
    return api.post(f"/api/v1/cases/family-searches/{sid}/transitions", headers=api.user("case_officer"), json=body)


def _entry(api, sid: int, **body):  # type: ignore[no-untyped-def]
    return api.post(f"/api/v1/cases/family-searches/{sid}/leads", headers=api.user("case_officer"), json=body)


def test_a_search_is_found_only_with_a_confirmed_verification_and_creates_masked_relatives(demo_api):
    api = demo_api
    martyr = api.demo_martyr_id("陈国华")
    resp = api.post("/api/v1/cases/family-searches", headers=api.user("case_officer"), json={
        "martyr_id": martyr, "clues": {"hometown": "湖北省黄安县紫云区", "unit": "中国工农红军第七军",
                                       "death_date": "1928-03"}})
    assert resp.status_code == 201, resp.text
    sid = resp.json()["id"]
    assert resp.json()["number"].startswith("XQ421122-")
    refused = _go(api, sid, to="leads")
    assert refused.status_code == 409 and "尚未记录任何线索" in refused.json()["detail"]
    assert _entry(api, sid, kind="lead", source="紫云镇退役军人服务站", given_by="村委会陈主任",
                  content="村里陈姓老人称其叔祖父1928年参加红军未归", date=today()).status_code == 201
    assert _go(api, sid, to="leads").status_code == 200
    assert _entry(api, sid, kind="contact", content="电话联系陈姓老人之子，约定走访", date=today()).status_code == 201
    assert _go(api, sid, to="verifying").status_code == 200
    relatives = [{"name": "陈明远", "relation": "侄孙", "phone": "13912345678", "address": "湖北省红安县紫云镇陈家村3组"}]
    missing = _go(api, sid, to="found", relatives=relatives).json()["detail"]
    assert "核实记录" in missing
    no_lab = _entry(api, sid, kind="verification", method="dna", result="confirmed")
    assert no_lab.status_code == 422 and "lab" in no_lab.text
    entry = _entry(api, sid, kind="verification", method="dna", lab="湖北省公安厅物证鉴定中心", result="confirmed",
                   content="Y-STR比对支持同一父系", date=today()).json()
    assert "佐证材料" in _go(api, sid, to="found", relatives=relatives).json()["detail"]
    files = api.post(f"/api/v1/cases/family-searches/{sid}/evidence", headers=api.user("case_officer"),
                     data={"entry_id": str(entry["id"])}, files=[("files", consent_pdf())])
    assert files.status_code == 201, files.text
    assert "须登记找到的亲属" in _go(api, sid, to="found").json()["detail"]
    found = _go(api, sid, to="found", relatives=relatives, note="DNA比对确认")
    assert found.status_code == 200, found.text
    assert found.json()["status"] == "found"
    assert found.json()["relatives"][0]["phone"] == "13912345678"     # the case officer sees contacts
    seen = api.get(f"/api/v1/cases/family-searches/{sid}", headers=api.user("viewer")).json()
    assert seen["status"] == "found" and seen["relatives"][0]["phone"] == "139****5678"
    assert "陈家村" not in seen["relatives"][0]["address"]
    registry = api.get(f"/api/v1/martyrs/{martyr}/relatives", headers=api.user("viewer")).json()
    assert any(r["name"] == "陈明远" for r in registry["items"])
    figures = api.get("/api/v1/cases/summary", params={"division": "421122", "year": today()[:4]},
                      headers=api.user("viewer")).json()
    assert figures["families_found"] >= 1


def test_closing_without_finding_needs_a_note(demo_api):
    api = demo_api
    sid = api.post("/api/v1/cases/family-searches", headers=api.user("case_officer"),
                   json={"martyr_id": api.demo_martyr_id("戴正兴")}).json()["id"]
    assert _go(api, sid, to="closed_not_found").status_code == 409
    assert _go(api, sid, to="closed_not_found", note="走访三个村、查阅档案均无结果").json()["status"] == "closed_not_found"
    bad = api.post("/api/v1/cases/family-searches", headers=api.user("case_officer"),
                   json={"martyr_id": api.demo_martyr_id("戴正兴"), "clues": {"shoe_size": "42"}})
    assert bad.status_code == 422 and "clues.shoe_size" in bad.text


@pytest.mark.both_backends
@pytest.mark.parametrize("clue", [
    {"name": "張德勝", "hometown": "黃安縣", "death_year": "1927"},        # traditional characters, old county name
    {"name": "张德生", "hometown": "黄安", "death_year": "1927?"},          # a homophone, approximate year
    {"name": "張德勝"},
    {"name": "张得胜", "unit": "鄂东军", "death_year": "1920年代"},
])
def test_a_family_clue_finds_the_right_martyr_first(demo_api, clue):
    api = demo_api
    answer = api.post("/api/v1/cases/family-search/match", headers=api.user("viewer"), json=clue)
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert items and items[0]["name"] == "张德胜", items[:3]
    assert items[0]["reasons"] and items == sorted(items, key=lambda i: -i["score"])
    if "hometown" in clue:
        assert any("红安" in r for r in items[0]["reasons"])


def test_matching_reasons_say_how_and_an_empty_clue_finds_nothing(demo_api):
    api = demo_api
    top = api.post("/api/v1/cases/family-search/match", headers=api.user("viewer"),
                   json={"name": "張德勝", "hometown": "黃安縣", "death_year": "1927"}).json()["items"][0]
    assert "姓名繁简转换后一致" in top["reasons"][0]
    assert any("黄安县即今红安县" in r for r in top["reasons"])
    assert any("牺牲年份相符" in r for r in top["reasons"])
    empty = api.post("/api/v1/cases/family-search/match", headers=api.user("viewer"), json={}).json()
    assert empty["items"] == []
