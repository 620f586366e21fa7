"""/api/v1/martyrs and relatives over HTTP, on both backends."""

import pytest

from tests.factories import martyr_body

pytestmark = pytest.mark.both_backends


@pytest.fixture
def planner(api):
    return api.user("planner")


def test_create_with_partial_dates_and_variants(api, planner):
    resp = api.post("/api/v1/martyrs", json=martyr_body(name=" 张 德胜 ", name_variants="張德勝；张老三",
                                                        birth_date="1905年", death_date="1927/11"), headers=planner)
    assert resp.status_code == 201, resp.text
    m = resp.json()
    assert m["name"] == "张德胜"
    assert m["name_variants"] == ["張德勝", "张老三"]
    assert (m["birth_date"], m["death_date"]) == ("1905", "1927-11")
    assert m["hometown_division_code"] == "420000"   # 黄安县 no longer exists; Hubei does


@pytest.mark.parametrize(("typed", "stored"), [("張德勝", "张德胜"), ("张德胜", "張德勝"), ("德勝", "张德胜")])
def test_found_in_either_script(api, planner, typed, stored):
    api.post("/api/v1/martyrs", json=martyr_body(name=stored), headers=planner)
    api.post("/api/v1/martyrs", json=martyr_body(name="李先念同"), headers=planner)
    found = api.get("/api/v1/martyrs", params={"q": typed}, headers=planner).json()
    assert [m["name"] for m in found["items"]] == [stored]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"death_date": "1932-02-30"}, "death_date", "not a real date"),
        ({"birth_date": "1950", "death_date": "1932"}, "death_date", "before birth"),
        ({"gender": "x"}, "gender", "unknown gender"),
        ({"name": "、、"}, "name", "empty"),
        ({"division_code": "999999"}, "division_code", "does not exist"),
        ({"hometown_division_code": "999999"}, "hometown_division_code", "does not exist"),
    ],
)
def test_bad_martyr_is_422_and_nothing_written(api, planner, change, field, words):
    resp = api.post("/api/v1/martyrs", json=martyr_body(**change), headers=planner)
    assert resp.status_code == 422, resp.text
    assert any(d["loc"][-1] == field and words in d["msg"] for d in resp.json()["detail"])
    assert api.get("/api/v1/martyrs", headers=planner).json()["total"] == 0


def test_certificate_numbers_unique(api, planner):
    assert api.post("/api/v1/martyrs", json=martyr_body(certificate_no="鄂烈证字第9号"), headers=planner).status_code == 201
    dup = api.post("/api/v1/martyrs", json=martyr_body(name="别人", certificate_no="鄂烈证字第9号"), headers=planner)
    assert dup.status_code == 409 and dup.json()["detail"][0]["loc"] == ["body", "certificate_no"]


def test_patch_keeps_partial_dates_and_audits(api, planner):
    m = api.post("/api/v1/martyrs", json=martyr_body(), headers=planner).json()
    resp = api.patch(f"/api/v1/martyrs/{m['id']}", json={"death_date": "1932-08-15", "unit": "红四方面军第四军"},
                     headers=planner)
    assert resp.status_code == 200 and resp.json()["death_date"] == "1932-08-15"
    trail = api.get("/api/v1/audit", params={"entity": "martyr", "id": m["id"]}, headers=planner).json()["items"]
    assert [e["action"] for e in trail] == ["update", "create"]
    assert trail[0]["old"] == {"death_date": "1932-08", "unit": "中国工农红军第四方面军"}
    assert trail[0]["new"] == {"death_date": "1932-08-15", "unit": "红四方面军第四军"}
    assert trail[0]["username"].startswith("planner")


def test_martyr_listing_by_facility(demo_api):
    h = demo_api.user("viewer")
    lying = demo_api.get(f"/api/v1/martyrs?facility_id={demo_api.demo_facility_id('421122-0002')}&limit=100", headers=h).json()
    assert lying["total"] == 22
    burials = demo_api.get(f"/api/v1/martyrs/{lying['items'][0]['id']}/burials", headers=h).json()
    assert burials["total"] >= 1


def test_relatives_masked_unless_the_role_needs_them(demo_api):
    officer = demo_api.user("case_officer")
    made = demo_api.post(f"/api/v1/martyrs/{demo_api.demo_martyr_id('张德胜')}/relatives",
                         json={"name": "张小红", "relation": "孙女", "phone": "13812341234",
                               "id_number": "420000199001011234", "address": "湖北省红安县七里坪镇长胜街8号"},
                         headers=officer)
    assert made.status_code == 201, made.text
    assert made.json()["phone"] == "13812341234"
    for role in ("viewer", "planner", "inspector", "organizer"):
        rel = demo_api.get(f"/api/v1/martyrs/{demo_api.demo_martyr_id('张德胜')}/relatives", headers=demo_api.user(role)).json()["items"][0]
        assert rel["phone"] == "138****1234"
        assert rel["id_number"] == "**************1234"
        assert "长胜街" not in rel["address"] and rel["masked"] is True
        history = demo_api.get("/api/v1/audit", params={"entity": "relative", "id": rel["id"]},
                               headers=demo_api.user(role)).json()["items"]
        assert "13812341234" not in str(history)
    rel = demo_api.get(f"/api/v1/martyrs/{demo_api.demo_martyr_id('张德胜')}/relatives", headers=officer).json()["items"][0]
    assert rel["phone"] == "13812341234" and rel["masked"] is False
    reads = demo_api.get("/api/v1/audit", params={"entity": "martyr", "id": 1}, headers=officer).json()["items"]
    assert any(e["action"] == "read_contacts" and e["username"].startswith("case_officer") for e in reads)
    viewer = demo_api.user("viewer")
    assert demo_api.post(f"/api/v1/martyrs/{demo_api.demo_martyr_id('张德胜')}/relatives", json={"name": "某人"}, headers=viewer).status_code == 403


def test_unknown_martyr_404(demo_api):
    assert demo_api.get("/api/v1/martyrs/99999", headers=demo_api.user("viewer")).status_code == 404
