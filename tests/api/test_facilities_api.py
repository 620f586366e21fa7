"""/api/v1/facilities over HTTP, on both backends."""

import pytest

from gis.coords import to_wgs84, wgs84_to_gcj02
from gis.geodesy import haversine_m
from memorials.migrate import head_revision
from tests.factories import DEMO_DISTRICT, DEMO_FACILITIES, facility_body

pytestmark = pytest.mark.both_backends


@pytest.fixture
def planner(api):
    return api.user("planner")


def _count(api, headers) -> int:
    return api.get("/api/v1/facilities?limit=1", headers=headers).json()["total"]


def test_health_names_backend_and_revision(api, backend):
    body = api.get("/health").json()
    assert body["status"] == "ok"
    assert body["database"] == ("sqlite" if backend == "sqlite" else "postgresql")
    assert body["revision"] == head_revision()


def test_create_read_update_list(api, planner):
    created = api.post("/api/v1/facilities", json=facility_body(name="　檀树岗烈士墓 ", protection_level="县级"),
                       headers=planner)
    assert created.status_code == 201, created.text
    fac = created.json()
    assert fac["name"] == "檀树岗烈士墓"
    assert fac["protection_level"] == "county"
    assert fac["code"].startswith("421122-")
    assert fac["patrol_interval_days"] == 30
    got = api.get(f"/api/v1/facilities/{fac['id']}", headers=planner).json()
    assert got == fac
    patched = api.patch(f"/api/v1/facilities/{fac['id']}", json={"custodian": "檀树岗村委会"}, headers=planner)
    assert patched.status_code == 200 and patched.json()["custodian"] == "檀树岗村委会"
    page = api.get("/api/v1/facilities", headers=planner).json()
    assert set(page) == {"items", "total", "limit", "offset", "total_estimated", "next_cursor"}
    assert page["total"] == 1 and page["items"][0]["id"] == fac["id"]


def test_codes_are_unique(api, planner):
    assert api.post("/api/v1/facilities", json=facility_body(code="X-1"), headers=planner).status_code == 201
    dup = api.post("/api/v1/facilities", json=facility_body(code="X-1"), headers=planner)
    assert dup.status_code == 409
    assert dup.json()["detail"][0]["loc"] == ["body", "code"]
    assert _count(api, planner) == 1


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"longitude": 31.45, "latitude": 114.7}, "longitude", "swapped"),
        ({"longitude": 2.35, "latitude": 48.85}, "longitude", "outside China"),
        ({"latitude": 70.0}, "latitude", "outside China"),
        ({"longitude": "东经114度"}, "longitude", ""),
        ({"division_code": "429999"}, "division_code", "does not exist"),
        ({"division_code": "12345"}, "division_code", "not a division code"),
        ({"kind": "pyramid"}, "kind", "unknown facility kind"),
        ({"name": "，，　"}, "name", "empty"),
        ({"crs": "beijing54"}, "crs", ""),
        ({"patrol_interval_days": 0}, "patrol_interval_days", ""),
        ({"colour": "red"}, "colour", ""),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(api, planner, change, field, words):
    resp = api.post("/api/v1/facilities", json=facility_body(**change), headers=planner)
    assert resp.status_code == 422, resp.text
    detail = resp.json()["detail"]
    assert any(d["loc"][-1] == field and words in d["msg"] for d in detail), detail
    assert _count(api, planner) == 0
    audit = api.get("/api/v1/facilities", headers=planner).json()
    assert audit["items"] == []


def test_gcj02_input_is_stored_as_wgs84(api, planner):
    wgs = (114.70123, 31.45678)
    gcj = wgs84_to_gcj02(*wgs)
    fac = api.post("/api/v1/facilities", json=facility_body(longitude=gcj[0], latitude=gcj[1], crs="gcj02"),
                   headers=planner).json()
    assert haversine_m(fac["longitude"], fac["latitude"], *wgs) < 0.01
    assert haversine_m(*gcj, *wgs) > 100
    moved = api.patch(f"/api/v1/facilities/{fac['id']}", json={"longitude": 114.8, "latitude": 31.3, "crs": "bd09"},
                      headers=planner).json()
    assert haversine_m(moved["longitude"], moved["latitude"], *to_wgs84(114.8, 31.3, "bd09")) < 0.01


def test_patch_needs_both_coordinates(api, planner):
    fac = api.post("/api/v1/facilities", json=facility_body(), headers=planner).json()
    resp = api.patch(f"/api/v1/facilities/{fac['id']}", json={"longitude": 114.75}, headers=planner)
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"] == ["body", "latitude"]


def test_never_hard_deleted_removal_is_a_status(api, planner):
    fac = api.post("/api/v1/facilities", json=facility_body(), headers=planner).json()
    assert api.delete(f"/api/v1/facilities/{fac['id']}", headers=planner).status_code == 405
    removed = api.patch(f"/api/v1/facilities/{fac['id']}", json={"status": "removed"}, headers=planner)
    assert removed.json()["status"] == "removed"
    assert api.get(f"/api/v1/facilities/{fac['id']}", headers=planner).status_code == 200
    assert api.get("/api/v1/facilities?status=removed", headers=planner).json()["total"] == 1
    assert api.get("/api/v1/facilities?status=in_use", headers=planner).json()["total"] == 0


def test_filters(demo_api):
    h = demo_api.user("viewer")
    get = lambda q: demo_api.get(f"/api/v1/facilities?{q}", headers=h)  # noqa: E731
    everything = get("limit=1000").json()
    assert everything["total"] == DEMO_FACILITIES
    assert get("kind=scattered_grave").json()["total"] == 32
    assert get("kind=scattered_grave,monument").json()["total"] == 36
    assert get("kind=零散烈士墓").json()["total"] == 32
    assert get("protection_level=county").json()["total"] == 10
    assert get("status=relocated").json()["total"] == 3
    township = get("division=421122101").json()
    assert township["total"] > 0 and all(f["division_code"].startswith("421122101") for f in township["items"])
    assert get(f"division={DEMO_DISTRICT}").json()["total"] == DEMO_FACILITIES  # a county sees its townships and villages
    assert get("division=420000").json()["total"] == DEMO_FACILITIES  # the province too
    assert get("division=421181").json()["total"] == 0
    assert get("q=陵园").json()["total"] >= 2
    assert get("q=陵園").json()["total"] == get("q=陵园").json()["total"]  # traditional finds simplified
    assert get("q=421122-0001").json()["items"][0]["code"] == "421122-0001"
    assert get("q=%25").json()["total"] == 0 and get("q=_").json()["total"] == 0   # LIKE wildcards are literal
    page = get("limit=10&offset=40").json()
    assert (page["limit"], page["offset"], len(page["items"])) == (10, 40, DEMO_FACILITIES - 40)
    inside = get("bbox=114.6,31.28,114.64,31.31").json()
    assert inside["total"] > 0
    assert all(114.6 <= f["longitude"] <= 114.64 and 31.28 <= f["latitude"] <= 31.31 for f in inside["items"])
    near = get("near=114.62,31.29&within_m=2000").json()
    assert near["total"] > 0 and all(f["distance_m"] <= 2000 for f in near["items"])
    nearest = get("near=114.62,31.29&limit=3").json()["items"]
    assert [f["distance_m"] for f in nearest] == sorted(f["distance_m"] for f in nearest)


@pytest.mark.parametrize(
    ("query", "field"),
    [("bbox=1,2,3", "bbox"), ("near=abc", "near"), ("near=31.29,114.62", "near"), ("within_m=100", "within_m"),
     ("kind=pyramid", "kind"), ("division=123", "division"), ("limit=0", "limit"), ("limit=100000", "limit"),
     ("offset=-1", "offset"), ("f=kml", "f")],
)
def test_bad_query_parameters_are_422(demo_api, query, field):
    resp = demo_api.get(f"/api/v1/facilities?{query}", headers=demo_api.user("viewer"))
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"][-1] == field


def test_geojson(demo_api):
    h = demo_api.user("viewer")
    for resp in (demo_api.get("/api/v1/facilities?f=geojson&limit=5", headers=h),
                 demo_api.get("/api/v1/facilities?limit=5", headers={**h, "Accept": "application/geo+json"})):
        assert resp.headers["content-type"].startswith("application/geo+json")
        body = resp.json()
        assert body["type"] == "FeatureCollection"
        assert body["numberMatched"] == DEMO_FACILITIES and body["numberReturned"] == 5
        feature = body["features"][0]
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert 114 < lon < 115.5 and 30.5 < lat < 32
        assert feature["properties"]["code"].startswith("421122-")


def test_burials(demo_api):
    h = demo_api.user("planner")
    grave = demo_api.post("/api/v1/facilities", json=facility_body(), headers=h).json()
    martyr = demo_api.post("/api/v1/martyrs", json={"name": "周新民", "death_date": "1947-10",
                                                    "division_code": DEMO_DISTRICT}, headers=h).json()
    made = demo_api.post(f"/api/v1/facilities/{grave['id']}/burials",
                         json={"martyr_id": martyr["id"], "plot": "1", "since": "1947-11"}, headers=h)
    assert made.status_code == 201, made.text
    assert made.json()["martyr_name"] == "周新民"
    listed = demo_api.get(f"/api/v1/facilities/{grave['id']}/burials", headers=h).json()
    assert [b["martyr_id"] for b in listed["items"]] == [martyr["id"]]
    again = demo_api.post(f"/api/v1/facilities/{demo_api.demo_facility_id('421122-0001')}/burials", json={"martyr_id": martyr["id"]}, headers=h)
    assert again.status_code == 409 and "already lies" in again.json()["detail"][0]["msg"]
    early = demo_api.post(f"/api/v1/facilities/{demo_api.demo_facility_id('421122-0001')}/burials",
                          json={"martyr_id": martyr["id"], "since": "1940", "until": "1941"}, headers=h)
    assert early.status_code == 422 and early.json()["detail"][0]["loc"] == ["body", "since"]
    ghost = demo_api.post(f"/api/v1/facilities/{demo_api.demo_facility_id('421122-0001')}/burials", json={"martyr_id": 99999}, headers=h)
    assert ghost.status_code == 422
