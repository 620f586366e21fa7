"""Filing patrols over HTTP: photos proven, defects opened and closed, all or nothing."""

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from gis.coords import wgs84_to_gcj02
from tests.factories import gps_jpeg, inspection_files, inspection_json, site_photo
from tests.photo_samples import jpeg_bomb

pytestmark = pytest.mark.both_backends

# Demo facility 10 (a statue in 上新集镇) and where it stands.
FACILITY = 10


@pytest.fixture
def site(demo_api):
    h = demo_api.user("viewer")
    f = demo_api.get(f"/api/v1/facilities/{FACILITY}", headers=h).json()
    return f["longitude"], f["latitude"], f


@pytest.fixture
def inspector(demo_api):
    return demo_api.user("inspector")


def file(api, headers, body, photos=None, key=None):
    extra = {"Idempotency-Key": key} if key else {}
    photos = [site_photo()] if photos is None else photos
    return api.post("/api/v1/inspections", headers={**headers, **extra}, data={"inspection": json.dumps(body)},
                    files=inspection_files(list(photos)))


def photo_files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "data" / "photos"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_patrol_with_photos_is_proven_and_opens_a_defect(demo_api, inspector, site, tmp_path):
    lon, lat, facility = site
    near = gps_jpeg(lon + 0.0005, lat, taken="2026:11:20 10:00:00")  # ~48 m east
    far = gps_jpeg(lon + 0.02, lat)                        # ~1.9 km away
    stripped = gps_jpeg(None, None)                        # a browser removed the GPS
    body = inspection_json(FACILITY, position={"longitude": lon, "latitude": lat, "accuracy_m": 8})
    resp = file(demo_api, inspector, body, [near, far, stripped])
    assert resp.status_code == 201, resp.text
    out = resp.json()
    assert [p["verification"] for p in out["photos"]] == ["verified", "far", "no_gps"]
    assert out["photo_count"] == 3 and out["verified_count"] == 1
    assert 40 < out["photos"][0]["distance_m"] < 60
    assert out["photos"][0]["taken_at"] == "2026-11-20T02:00:00Z"        # 10:00 +08:00
    assert out["photos"][2]["gps"] is None and out["photos"][2]["device_position"] is not None
    assert out["period"] == datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m")
    assert out["position_distance_m"] < 1
    [defect] = out["defects_opened"]
    assert defect["category"] == "vegetation" and defect["severity"] == "medium"   # from grade "fair"
    assert defect["responsible_person"] == facility["custodian_person"]
    assert defect["status"] == "open" and not defect["overdue"]
    assert demo_api.get(f"/api/v1/inspections/{out['id']}", headers=inspector).json() == out
    # originals byte for byte, display sizes without GPS
    original = demo_api.get(out["photos"][0]["urls"]["original"], headers=inspector)
    assert original.content == near
    thumb = demo_api.get(out["photos"][0]["urls"]["thumb"], headers=inspector)
    assert thumb.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(thumb.content))
    assert max(image.size) <= 320 and not image.getexif()
    # the same photo in another inspection is stored once
    count = len(photo_files(tmp_path))
    again = file(demo_api, inspector, inspection_json(FACILITY), [near])
    assert again.status_code == 201 and len(photo_files(tmp_path)) == count


def test_phone_position_in_gcj02_is_converted(demo_api, inspector, site):
    lon, lat, _ = site
    glon, glat = wgs84_to_gcj02(lon, lat)
    declared = file(demo_api, inspector, inspection_json(
        FACILITY, position={"longitude": glon, "latitude": glat, "crs": "gcj02"}))
    assert declared.json()["position_distance_m"] < 1
    undeclared = file(demo_api, inspector, inspection_json(FACILITY, position={"longitude": glon, "latitude": glat}))
    assert undeclared.json()["position_distance_m"] > 100


def test_a_large_gap_between_photo_and_phone_is_flagged(demo_api, inspector, site):
    lon, lat, _ = site
    body = inspection_json(FACILITY, photos=[{"position": {"longitude": lon + 0.03, "latitude": lat}},
                                             {"position": {"longitude": lon, "latitude": lat}}])
    out = file(demo_api, inspector, body, [gps_jpeg(lon, lat), gps_jpeg(lon, lat)]).json()
    assert [p["gap_flagged"] for p in out["photos"]] == [True, False]
    assert out["photos"][0]["device_gap_m"] > 2500 and out["photos"][0]["verification"] == "verified"


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (b"this is a text file, not a photo", "not an image"),
        (gps_jpeg(114.7, 31.4)[:3000], "corrupt or truncated"),
        (jpeg_bomb(30_000, 30_000), "decompression bomb"),
        (b"", "empty"),
    ],
)
def test_bad_files_are_422_and_leave_nothing(demo_api, inspector, site, tmp_path, bad, words):
    lon, lat, _ = site
    before = len(photo_files(tmp_path))
    resp = file(demo_api, inspector, inspection_json(FACILITY), [gps_jpeg(lon, lat), bad])
    assert resp.status_code == 422, resp.text
    [problem] = resp.json()["detail"]
    assert problem["loc"][-1] == "photos[1]" and words in problem["msg"] and "IMG_0001.jpg" in problem["msg"]
    assert len(photo_files(tmp_path)) == before
    assert demo_api.get("/api/v1/inspections", headers=inspector).json()["total"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"facility_id": 99999}, "facility_id"),
        ({"facility_id": 13}, "facility_id"),                      # relocated: no longer patrolled
        ({"checklist": {"nonsense": {"result": "ok"}}}, "inspection.checklist"),
        ({"checklist": {}}, "inspection.checklist"),
        ({"grade": "excellent"}, "inspection.grade"),
        ({"performed_at": "2999-01-01T00:00:00+08:00"}, "performed_at"),
        ({"period": "2020-01"}, "period"),
        ({"position": {"longitude": 31.46, "latitude": 114.72}}, "position.longitude"),
        ({"resolves": [99999]}, "resolves"),
    ],
)
def test_bad_inspections_are_422_naming_the_field(demo_api, inspector, site, tmp_path, change, field):
    lon, lat, _ = site
    resp = file(demo_api, inspector, {**inspection_json(FACILITY), **change}, [gps_jpeg(lon, lat)])
    assert resp.status_code == 422, resp.text
    assert any(d["loc"][-1].startswith(field) for d in resp.json()["detail"]), resp.json()
    assert demo_api.get("/api/v1/inspections", headers=inspector).json()["total"] == 0
    # Photos already stored stay (another submission may share them): `memorials fsck` collects them later.


def test_not_json_is_422(demo_api, inspector):
    resp = demo_api.post("/api/v1/inspections", headers=inspector, data={"inspection": "{not json"})
    assert resp.status_code == 422 and resp.json()["detail"][0]["loc"][-1].startswith("inspection")


def test_too_many_photos_and_too_large_requests(demo_api, inspector, site, tmp_path):
    lon, lat, _ = site
    many = file(demo_api, inspector, inspection_json(FACILITY), [gps_jpeg(lon, lat)] * 13)
    assert many.status_code == 422 and many.json()["detail"][0]["loc"][-1] == "photos"


def test_retry_with_the_same_key_stores_once(demo_api, inspector, site, tmp_path):
    lon, lat, _ = site
    body = inspection_json(FACILITY)
    photos = [gps_jpeg(lon, lat), gps_jpeg(lon + 0.0001, lat)]
    first = file(demo_api, inspector, body, photos, key="outbox-7f3a")
    second = file(demo_api, inspector, body, photos, key="outbox-7f3a")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second.headers.get("idempotent-replayed") == "true"
    assert demo_api.get("/api/v1/inspections", headers=inspector).json()["total"] == 1
    assert demo_api.get("/api/v1/defects?status=open", headers=inspector).json()["total"] == 1
    other = file(demo_api, inspector, inspection_json(FACILITY, grade="good"), photos, key="outbox-7f3a")
    assert other.status_code == 422 and other.json()["detail"][0]["loc"][-1] == "Idempotency-Key"
    # another inspector's key is his own
    colleague = demo_api.user("inspector", name="inspector2")
    assert file(demo_api, colleague, body, photos, key="outbox-7f3a").status_code == 201
    assert demo_api.get("/api/v1/inspections", headers=inspector).json()["total"] == 2


def test_a_later_visit_confirms_a_defect_fixed(demo_api, inspector, site):
    first = file(demo_api, inspector, inspection_json(FACILITY)).json()
    defect_id = first["defects_opened"][0]["id"]
    # still a problem next time: no second defect for the same item
    repeat = file(demo_api, inspector, inspection_json(FACILITY)).json()
    assert repeat["defects_opened"] == [] and repeat["defects_still_open"] == [defect_id]
    fixed = file(demo_api, inspector, inspection_json(
        FACILITY, checklist={"vegetation": {"result": "ok"}}, grade="good", resolves=[defect_id])).json()
    assert fixed["defects_resolved"] == [defect_id]
    defects = demo_api.get(f"/api/v1/defects?facility_id={FACILITY}", headers=inspector).json()["items"]
    assert [(d["id"], d["status"], d["resolved_by"]) for d in defects] == [(defect_id, "resolved", fixed["id"])]
    twice = file(demo_api, inspector, inspection_json(FACILITY, resolves=[defect_id]))
    assert twice.status_code == 422


def test_defects_by_division_overdue_and_managed(demo_api, inspector, site):
    visited = datetime.now(timezone.utc) - timedelta(days=20)  # filed late: its 7 days are over
    body = inspection_json(FACILITY, checklist={"safety": {"result": "problem", "note": "墓碑倾斜有倒塌危险",
                                                           "severity": "critical", "responsible_person": "李支书"}},
                           grade="critical", performed_at=visited.isoformat())
    out = file(demo_api, inspector, body).json()
    defect = out["defects_opened"][0]
    assert defect["severity"] == "critical" and defect["responsible_person"] == "李支书"
    assert defect["category"] == "safety_hazard"
    opened = datetime.fromisoformat(out["performed_at"]).astimezone(timezone(timedelta(hours=8))).date()
    assert defect["deadline"] == (opened + timedelta(days=7)).isoformat()
    township = demo_api.get(f"/api/v1/defects?division={site[2]['division_code'][:9]}&status=open",
                            headers=inspector).json()
    assert [d["id"] for d in township["items"]] == [defect["id"]]
    assert site[2]["division_code"][:9] != "421122102"
    assert demo_api.get("/api/v1/defects?division=421122102", headers=inspector).json()["total"] == 0
    assert defect["overdue"] is True
    overdue = demo_api.get("/api/v1/defects?status=overdue", headers=inspector).json()["items"]
    assert [d["id"] for d in overdue] == [defect["id"]]
    planner = demo_api.user("planner")
    later = (datetime.now(timezone(timedelta(hours=8))).date() + timedelta(days=30)).isoformat()
    extended = demo_api.patch(f"/api/v1/defects/{defect['id']}", json={"deadline": later, "deadline_reason": "雨季延期"},
                              headers=planner)
    assert extended.status_code == 200 and extended.json()["overdue"] is False
    assert demo_api.get("/api/v1/defects?status=overdue", headers=inspector).json()["total"] == 0
    closed = demo_api.patch(f"/api/v1/defects/{defect['id']}", json={"status": "resolved"}, headers=planner)
    assert closed.status_code == 422 and closed.json()["detail"][0]["loc"][-1] == "resolution_note"
    trail = demo_api.get("/api/v1/audit", params={"entity": "defect", "id": defect["id"]}, headers=planner).json()
    assert [e["action"] for e in trail["items"]] == ["deadline", "create"]  # an extension, with its reason
    assert trail["items"][0]["new"]["reason"] == "雨季延期"
    assert demo_api.patch(f"/api/v1/defects/{defect['id']}", json={"deadline": "2026-12-01"},
                          headers=demo_api.user("viewer")).status_code == 403


def test_outside_the_jurisdiction_is_invisible(demo_api, inspector, site):
    macheng = demo_api.user("inspector", "421181")
    resp = file(demo_api, macheng, inspection_json(FACILITY))
    assert resp.status_code == 422 and "no facility" in resp.json()["detail"][0]["msg"]
    ours = file(demo_api, inspector, inspection_json(FACILITY), [gps_jpeg(*site[:2])]).json()
    assert demo_api.get(f"/api/v1/inspections/{ours['id']}", headers=macheng).status_code == 404
    assert demo_api.get(ours["photos"][0]["urls"]["thumb"], headers=macheng).status_code == 404
    assert demo_api.get("/api/v1/inspections", headers=macheng).json()["total"] == 0
    assert demo_api.get("/api/v1/defects", headers=macheng).json()["total"] == 0
